"""Segments fed in bulk leave the tracker exactly as feeding them one by one does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.capture.chaos import chaos, orderly
from wirelens.capture.blockread import BlockReader
from wirelens.capture.pcapfile import open_capture
from wirelens.explain.conversation import ConversationTracker
from wirelens.explain.conversation_record import DirectionRun, Run, SegmentRow
from wirelens.overview import bulk
from wirelens.overview.bulk import feed_columns, pair_columns
from wirelens.overview.columns import TcpColumns, decode, endpoint_address


def columns(path: Path) -> list[TcpColumns]:
    with open_capture(path) as cap:
        return [decode(block).tcp for block in BlockReader(cap)]


def one_by_one(tracker: ConversationTracker, cols: TcpColumns, lo: int, hi: int) -> None:
    ids, forward, pairs, _ = pair_columns(cols, lo, hi)
    for i in range(hi - lo):
        row = lo + i
        tracker.feed_summary(pairs[ids[i]], bool(forward[i]), SegmentRow(
            int(cols.index[row]), int(cols.ts_ns[row]), int(cols.seq[row]),
            int(cols.ack[row]), int(cols.flags[row]), int(cols.window[row]),
            int(cols.payload_len[row]), int(cols.wscale[row]), int(cols.ident[row])))


def tracker() -> ConversationTracker:
    return ConversationTracker(keep_packets=False, max_anomalies=100, endpoints=endpoint_address)


@pytest.mark.parametrize("make", [
    lambda p: orderly(p, 6000, 61, 0.0), lambda p: orderly(p, 6000, 62, 0.03),
    lambda p: orderly(p, 6000, 63, 0.3), lambda p: chaos(p, 6000, 64),
])
@pytest.mark.parametrize("step", [97, 5000])
def test_bulk_equals_one_by_one(tmp_path: Path, make, step: int) -> None:  # type: ignore[no-untyped-def]
    """``step``: how many segments each ``feed_columns`` call takes."""
    bulk, single = tracker(), tracker()
    for cols in columns(make(tmp_path / "c.pcap")):
        for lo in range(0, len(cols), step):
            hi = min(lo + step, len(cols))
            feed_columns(bulk, cols, lo, hi)
            one_by_one(single, cols, lo, hi)
        now = int(cols.ts_ns[-1])
        assert bulk.pop_finished(now, 10**9) == single.pop_finished(now, 10**9)
    assert bulk.summaries() == single.summaries()


def test_a_run_that_does_not_fit_changes_nothing(tmp_path: Path) -> None:
    t = tracker()
    way = DirectionRun(*([1] * len(DirectionRun._fields)))
    assert not t.apply_run((1, 2), Run(3, 0, way, way, "A"))  # no such conversation


def test_pairs_whose_keys_mix_to_one_number_stay_apart() -> None:
    """``pair_columns`` sorts rows by a mix of a pair's two keys; two pairs that mix to the
    same number must still come out as two pairs, each in frame order."""
    mix, mask = int(bulk._MIX), (1 << 64) - 1
    a1, b1, a2 = 5, 1 << 40, 7
    b2 = ((a1 * mix) ^ b1 ^ (a2 * mix)) & mask  # a2 mixes with b2 as a1 with b1
    assert (a2 * mix ^ b2) & mask == (a1 * mix ^ b1) & mask
    src = np.array([a1, a2, b1, a2, a1, 9], dtype=np.uint64)
    dst = np.array([b1, b2, a1, b2, b1, 3], dtype=np.uint64)
    n = len(src)
    zeros = np.zeros(n, dtype=np.int64)
    cols = TcpColumns(row=np.arange(n), index=np.arange(n) + 1, ts_ns=zeros, src=src, dst=dst,
                      seq=zeros, ack=zeros, flags=zeros, window=zeros, payload_len=zeros,
                      wscale=zeros, ident=zeros, wide={})
    ids, forward, pairs, order = pair_columns(cols, 0, n)
    groups = [[int(r) for r in order if ids[r] == i] for i in range(len(pairs))]
    assert sorted(groups) == [[0, 2, 4], [1, 3], [5]]
    assert {pairs[int(ids[0])], pairs[int(ids[1])], pairs[int(ids[5])]} == {
        (a1, b1), (min(a2, b2), max(a2, b2)), (3, 9)}
    assert forward.tolist() == [True, True, False, True, True, False]
