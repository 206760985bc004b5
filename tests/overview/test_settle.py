"""Textbook conversations settled whole (``overview.settle``) come out exactly as following
their segments one by one does: the same summaries, the same conversations forgotten at
each sweep, also when a settled conversation goes on later, when its port pair is used
again, and when a conversation waits for its close across stretches (``bulk.Feeder``)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wirelens.explain.conversation import ConversationTracker
from wirelens.explain.conversation_record import SegmentRow, Settled
from wirelens.explain.conversation_summary import ConversationSummary
from wirelens.explain.wirenumbers import ACK, FIN, PSH, RST, SYN
from wirelens.overview.builder import in_order
from wirelens.overview.bulk import Feeder, feed_columns
from wirelens.overview.columns import TcpColumns, endpoint_address, endpoint_key

# (time ns, sender key, receiver key, seq, ack, flags, window, payload length)
Row = tuple[int, int, int, int, int, int, int, int]
QUIET = 10**9
MASK = 0xFFFFFFFF


def conversation(rng: random.Random, client: int, server: int, t: int, *,
                 close: str = "four", closer: str = "client", exchanges: int = 2) -> list[Row]:
    """A textbook conversation: handshake, request/response exchanges, a close ("four",
    "three", "reset": a RST with ACK, "rst": a RST alone)."""
    c, s = rng.getrandbits(32), rng.getrandbits(32)
    rows: list[Row] = []

    def send(from_client: bool, seq: int, ack: int, flags: int, length: int = 0) -> None:
        nonlocal t
        t += rng.randint(1, 3_000_000)
        a, b = (client, server) if from_client else (server, client)
        rows.append((t, a, b, seq & MASK, ack & MASK, flags, 502, length))

    send(True, c, 0, SYN)
    send(False, s, c + 1, SYN | ACK)
    c, s = c + 1, s + 1
    send(True, c, s, ACK)
    for _ in range(exchanges):
        ask, answer = rng.randint(1, 900), rng.randint(1, 3000)
        send(True, c, s, PSH | ACK, ask)
        c += ask
        if rng.random() < 0.5:
            send(False, s, c, ACK)
        send(False, s, c, PSH | ACK, answer)
        s += answer
        send(True, c, s, ACK)
    first, other = (True, False) if closer == "client" else (False, True)
    seq = {True: c, False: s}
    if close in ("reset", "rst"):
        send(first, seq[first], seq[other] if close == "reset" else 0,
             RST | ACK if close == "reset" else RST)
        return rows
    send(first, seq[first], seq[other], FIN | ACK)
    seq[first] += 1
    if close == "four":
        send(other, seq[other], seq[first], ACK)
    send(other, seq[other], seq[first], FIN | ACK)
    seq[other] += 1
    send(first, seq[first], seq[other], ACK)
    return rows


def columns(rows: Sequence[Row], first_index: int = 1) -> TcpColumns:
    n = len(rows)
    table = np.array(rows, dtype=np.int64)
    t, src, dst, seq, ack, flags, win, plen = table.T
    return TcpColumns(
        np.arange(n), np.arange(first_index, first_index + n), t, src.astype(np.uint64),
        dst.astype(np.uint64), seq, ack, flags, win, plen,
        np.where(flags & SYN, 7, -1), np.arange(n) + 1000, {})


def tracker() -> ConversationTracker:
    return ConversationTracker(keep_packets=False, max_anomalies=100,
                               endpoints=endpoint_address, max_open=60_000)


def host(i: int, port: int) -> int:
    return endpoint_key(f"10.0.{i // 250}.{i % 250 + 1}", port)


def interleaved(convs: Iterable[list[Row]]) -> list[Row]:
    return sorted((r for conv in convs for r in conv), key=lambda r: r[0])


def one_by_one(rows: Sequence[Row], stretches: Sequence[int]) -> list[ConversationSummary]:
    """Every summary, following each segment in turn, sweeping after each stretch."""
    t = tracker()
    out: list[ConversationSummary] = []
    cols = columns(rows)
    for lo, hi in zip(stretches[:-1], stretches[1:], strict=True):
        for i in range(lo, hi):
            a, b = int(cols.src[i]), int(cols.dst[i])
            fwd = a <= b
            t.feed_summary((a, b) if fwd else (b, a), fwd, SegmentRow(
                int(cols.index[i]), int(cols.ts_ns[i]), int(cols.seq[i]), int(cols.ack[i]),
                int(cols.flags[i]), int(cols.window[i]), int(cols.payload_len[i]),
                int(cols.wscale[i]), int(cols.ident[i])))
        out += t.pop_finished(int(cols.ts_ns[hi - 1]), QUIET)
    return in_order(out + t.summaries())


def fed(rows: Sequence[Row], stretches: Sequence[int], *, wait: bool = True
        ) -> tuple[list[ConversationSummary], int]:
    """The same through ``feed_columns`` (through a ``Feeder`` when ``wait``), and how many
    conversations were settled."""
    t = tracker()
    feeder = Feeder(t)
    settled = 0
    out: list[ConversationSummary] = []
    cols = columns(rows)
    for lo, hi in zip(stretches[:-1], stretches[1:], strict=True):
        if wait:
            feeder.feed(cols, lo, hi)
        else:
            feed_columns(t, cols, lo, hi)
        settled += sum(isinstance(c, Settled) for c in t.each_record())
        out += t.pop_finished(int(cols.ts_ns[hi - 1]), QUIET)
    feeder.flush()
    return in_order(out + t.summaries()), settled


def test_textbook_conversations_are_settled_as_the_tracker_tells_them() -> None:
    rng = random.Random(1)
    convs = [conversation(rng, host(i, 40000 + i), host(900, 80), 10**9 + i * 1000,
                          close=("four", "three", "reset", "rst")[i % 4],
                          closer=("client", "server")[i % 3 == 0])
             for i in range(80)]
    rows = interleaved(convs)
    got, settled = fed(rows, [0, len(rows)], wait=False)
    assert settled > 50  # the first of each shape is followed, the rest settled
    assert got == one_by_one(rows, [0, len(rows)])
    assert {s.verdict for s in got} == {"SF", "RSTO", "RSTR"}


def test_a_conversation_waits_for_its_close_across_stretches() -> None:
    rng = random.Random(2)
    convs = [conversation(rng, host(i, 40000 + i), host(900, 80), 10**9 + i * 10**6,
                          exchanges=3) for i in range(40)]
    rows = interleaved(convs)
    stretches = list(range(0, len(rows), 250)) + [len(rows)]
    waiting, settled = fed(rows, stretches)
    _, settled_alone = fed(rows, stretches, wait=False)
    assert settled > settled_alone
    assert waiting == one_by_one(rows, stretches)


def test_a_settled_conversation_that_goes_on_is_followed_again() -> None:
    rng = random.Random(3)
    convs = [conversation(rng, host(i, 40000 + i), host(900, 80), 10**9 + i * 1000)
             for i in range(5)]
    rows = interleaved(convs)
    last = convs[-1]
    t = last[-1][0]
    fin = next(r for r in reversed(last) if r[5] & FIN)
    later: list[Row] = [
        (t + 10**6, *fin[1:]),  # the last FIN again: a retransmission
        (t + 2 * 10**6, last[-1][1], last[-1][2], last[-1][3], last[-1][4], ACK, 0, 0),
    ]
    whole = rows + later
    stretches = [0, len(rows), len(whole)]
    got, settled = fed(whole, stretches)
    assert settled
    assert got == one_by_one(whole, stretches)
    again = [s for s in got if s.packet_count == len(last) + 2]
    assert again and "retransmission" in dict(again[0].anomaly_counts)


@pytest.mark.parametrize("close", ["four", "three", "reset", "rst"])
def test_a_new_syn_on_a_settled_pair_begins_a_new_conversation(close: str) -> None:
    rng = random.Random(4)
    convs = [conversation(rng, host(i, 40000 + i), host(900, 80), 10**9 + i * 1000,
                          close=close) for i in range(5)]
    rows = interleaved(convs)
    reuse = conversation(rng, host(4, 40004), host(900, 80), rows[-1][0] + 10**6)
    whole = rows + reuse
    for stretches in ([0, len(rows), len(whole)], [0, len(rows) - 2, len(whole)]):
        got, _ = fed(whole, stretches)
        assert got == one_by_one(whole, stretches)
        assert len(got) == 6


_FAULTS = ("window", "seq", "ack", "repeat", "drop", "swap", "payload", "rst", "syn-ack",
           "time")


def _fault(rng: random.Random, rows: list[Row], fault: str) -> list[Row]:
    rows = list(rows)
    if not rows:
        return rows
    i = rng.randrange(len(rows))
    t, a, b, seq, ack, flags, win, plen = rows[i]
    if fault == "window":
        rows[i] = (t, a, b, seq, ack, flags, 0, plen)
    elif fault == "seq":
        rows[i] = (t, a, b, (seq + rng.choice((-1, 1, 1000))) & MASK, ack, flags, win, plen)
    elif fault == "ack":
        rows[i] = (t, a, b, seq, (ack + rng.choice((-1, 1, 1000))) & MASK, flags, win, plen)
    elif fault == "repeat":
        rows.insert(i + 1, (t + rng.choice((0, 1000, 10**8)), a, b, seq, ack, flags, win, plen))
    elif fault == "drop":
        del rows[i]
    elif fault == "swap" and i + 1 < len(rows):
        (t1, *r1), (t2, *r2) = rows[i], rows[i + 1]
        rows[i], rows[i + 1] = (t1, *r2), (t2, *r1)  # type: ignore[assignment]
    elif fault == "payload":
        rows[i] = (t, a, b, seq, ack, flags, win, plen + 1)
    elif fault == "rst":
        rows[i] = (t, a, b, seq, ack, flags | RST, win, plen)
    elif fault == "syn-ack":
        rows[i] = (t, a, b, seq, ack, flags ^ rng.choice((SYN, ACK, FIN)), win, plen)
    elif fault == "time":
        rows[i] = (0, a, b, seq, ack, flags, win, plen)
    return rows


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), faults=st.integers(0, 12), step=st.integers(5, 400))
def test_damaged_conversations_come_out_as_one_by_one(seed: int, faults: int, step: int
                                                       ) -> None:
    """Textbook conversations, some of them damaged in one way or another (a window
    closed, a number off, a segment repeated, lost, swapped ...), in stretches."""
    rng = random.Random(seed)
    convs = []
    for i in range(80):
        conv = conversation(rng, host(i % 70, 40000 + i % 9), host(900 + i % 2, 80),
                            10**9 + i * rng.choice((1000, 10**6)),
                            close=rng.choice(("four", "three", "reset", "rst")),
                            closer=rng.choice(("client", "server")),
                            exchanges=rng.randint(0, 3))
        for _ in range(faults if rng.random() < 0.5 else 0):
            conv = _fault(rng, conv, rng.choice(_FAULTS))
        convs.append(conv)
    rows = interleaved(convs)
    stretches = list(range(0, len(rows), step)) + [len(rows)]
    expected = one_by_one(rows, stretches)
    assert fed(rows, stretches)[0] == expected
    assert fed(rows, stretches, wait=False)[0] == expected


def test_a_conversation_waits_a_few_stretches_at_most() -> None:
    """One that stays open (a long download) is followed once it has waited for the end
    of ``Feeder.STRETCHES`` stretches: a capture of half-open conversations does not make
    every stretch carry them all again."""
    rng = random.Random(5)
    slow = conversation(rng, host(1, 40001), host(900, 80), 10**9, exchanges=40)
    busy = [conversation(rng, host(i, 40000 + i), host(901, 80), 10**9 + i * 10**6)
            for i in range(2, 60)]
    rows = interleaved([slow, *busy])
    t = tracker()
    feeder = Feeder(t)
    cols = columns(rows)
    syn = next(i for i, r in enumerate(rows) if r == slow[0]) + 1  # its frame number
    stretches = list(range(0, len(rows), 40)) + [len(rows)]
    waited = 0
    for lo, hi in zip(stretches[:-1], stretches[1:], strict=True):
        feeder.feed(cols, lo, hi)
        waiting = feeder._waiting
        waited += waiting is not None and syn in waiting.index.tolist()
    assert 0 < waited <= Feeder.STRETCHES
    feeder.flush()
    assert in_order(t.summaries()) == one_by_one(rows, stretches)


def test_conversations_are_settled_while_room_is_short_of_the_rows() -> None:
    """The room a stretch needs is the conversations it could begin (a pair's first row, a
    SYN), not its rows: a tracker with room for fewer segments than the stretch has still
    settles its conversations whole."""
    rng = random.Random(12)
    convs = [conversation(rng, host(i, 40000 + i), host(900, 80), 10**9 + i * 5000)
             for i in range(40)]
    rows = interleaved(convs)
    t = ConversationTracker(keep_packets=False, max_anomalies=100,
                            endpoints=endpoint_address, max_open=len(convs) + 5)
    assert t.room < len(rows)
    feed_columns(t, columns(rows), 0, len(rows))
    assert sum(isinstance(c, Settled) for c in t.each_record()) >= len(convs) - 5
