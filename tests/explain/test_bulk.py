"""Segments fed in bulk leave the tracker exactly as feeding them one by one does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.capture.chaos import chaos, orderly
from wirelens.capture.blockread import BlockReader
from wirelens.capture.pcapfile import open_capture
from wirelens.explain.bulk import feed_columns, pair_columns
from wirelens.explain.columns import TcpColumns, decode, endpoint_address
from wirelens.explain.conversation import ConversationTracker


def columns(path: Path) -> list[TcpColumns]:
    with open_capture(path) as cap:
        return [decode(block).tcp for block in BlockReader(cap)]


def one_by_one(tracker: ConversationTracker, cols: TcpColumns, lo: int, hi: int) -> None:
    ids, forward, pairs, _ = pair_columns(cols, lo, hi)
    for i in range(hi - lo):
        row = lo + i
        tracker.feed_summary(pairs[ids[i]], bool(forward[i]), int(cols.index[row]),
                             int(cols.ts_ns[row]), int(cols.seq[row]), int(cols.ack[row]),
                             int(cols.flags[row]), int(cols.window[row]),
                             int(cols.payload_len[row]), int(cols.wscale[row]),
                             int(cols.ident[row]))


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
    assert not t.apply_run((1, 2), 3, 0, *([1] * 18), "A")  # no such conversation
