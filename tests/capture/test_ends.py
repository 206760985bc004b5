"""Merging the two ends' captures: each packet once, marked with where it was seen."""

from __future__ import annotations

from tests.capture.wirebuild import CLOSE, ENDS, HANDSHAKE, MESSAGE, REPLY, Step, run
from wirelens.capture.ends import merge

LOSS: list[Step] = HANDSHAKE + [
    ("c", "PA", 1, 1, MESSAGE, "drop"),
    ("c", "PA", 1, 1, MESSAGE, "pass"),  # the retransmission
    ("s", "A", 1, 15, b"", "pass"),
    ("s", "PA", 1, 15, REPLY, "pass"),
    ("c", "A", 15, 15, b"", "pass"),
] + CLOSE


def test_every_packet_once_and_where_it_was_seen():
    client, server, log = run(LOSS)
    frames, passages, lines = merge(client, server, ENDS, log)
    assert len(frames) == len(LOSS) == len(passages) == len(lines)
    assert [f.index for f in frames] == list(range(1, len(LOSS) + 1))
    dropped = [p for p in passages if p.action == "dropped"]
    assert [(p.index, p.seen_at, p.arrived_ns) for p in dropped] == [(4, ("client",), None)]
    assert frames[3].interface == "wl-1-c"
    assert all(p.seen_at == ("client", "server") for p in passages if p.direction == "c2s"
               and p.action != "dropped")
    assert frames[5].interface == "wl-1-s+wl-1-c"  # the server's ACK: left there, arrived here
    assert [line.packet for line in lines] == list(range(1, len(LOSS) + 1))


def test_times_are_arrivals_and_a_drop_sits_where_the_wire_dropped_it():
    client, server, log = run(LOSS)
    frames, passages, _ = merge(client, server, ENDS, log)
    for f, p in zip(frames, passages, strict=True):
        assert f.ts_ns == (p.arrived_ns if p.arrived_ns is not None else f.ts_ns)
    assert [f.ts_ns for f in frames] == sorted(f.ts_ns for f in frames)
    assert passages[3].sent_ns is not None and frames[3].ts_ns >= passages[3].sent_ns


def test_a_duplicate_arrives_twice_and_left_once():
    steps: list[Step] = HANDSHAKE + [("c", "PA", 1, 1, MESSAGE, "dup"),
                                     ("s", "A", 1, 15, b"", "pass")]
    client, server, log = run(steps)
    frames, passages, _ = merge(client, server, ENDS, log)
    assert len(frames) == len(steps) + 1
    first, copy = passages[3], passages[4]
    assert (first.copy, first.action, first.seen_at) == (1, "duplicated", ("client", "server"))
    assert (copy.copy, copy.original, copy.seen_at, copy.sent_ns) == (2, 4, ("server",), None)
    assert frames[3].data == frames[4].data


def test_a_swap_shows_the_receivers_order():
    steps: list[Step] = HANDSHAKE + [("c", "PA", 1, 1, b"Hello, ", "late"),
                                     ("c", "PA", 8, 1, b"Server!", "pass"),
                                     ("s", "A", 1, 15, b"", "pass")]
    client, server, log = run(steps)
    frames, passages, _ = merge(client, server, ENDS, log)
    late = next(p for p in passages if p.action == "swapped")
    partner = passages[late.original - 1]
    assert late.index == partner.index + 1  # arrived right after the segment sent after it
    assert late.sent_ns is not None and partner.sent_ns is not None
    assert late.sent_ns < partner.sent_ns


def test_without_a_log_the_captures_still_merge():
    client, server, _ = run(LOSS)
    frames, passages, lines = merge(client, server, ENDS)
    assert len(frames) == len(LOSS) and lines == []
    assert [p.seen_at for p in passages].count(("client",)) == 1
