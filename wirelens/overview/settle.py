"""Whole conversations told at once, when they are the textbook exchange.

Theory of operation. Most conversations of a capture are a three-way handshake, data in
order that the analysis has nothing to say of, and a three- or four-segment close or a
RST. All the overview says of such a conversation, apart from its own sums (packets,
bytes, times, addresses, the RST's frame), follows from its *shape*: who closed first and
how (close segments: 4, 3, or 1 for a RST), and the order in which each side first sent
data and pure ACKs (its history letters). In a stretch of segments sorted by port pair
(``bulk``), ``textbook`` finds them with numpy: a group of one pair's rows that is the
pair's only group there, begins with a SYN, goes on with a SYN-ACK acknowledging it and
an ACK acknowledging that, then rows that ``bulk`` found plain, and ends with the close,
each step in order (every sequence number where its sender's last segment ended, every
ACK acknowledging exactly what the close needs and moving the acknowledgement on, no
window zero, no payload), so that Wireshark's analysis flags none of its segments but
the RST.

The first conversation of each shape is followed by the tracker itself, segment by
segment; if it came out as the shape promises (complete, closed with nothing flagged or
reset with only its RST listed, every byte counted once), its summary becomes the shape's
template, and later conversations of that shape are *settled*: held by the tracker as
``Settled`` records, the template plus their own sums, until they are forgotten. If a
later segment joins one (a FIN sent again ...), the tracker follows its kept segments one
by one first. A group that begins as a textbook conversation but has not closed by the
end of the stretch may wait for the next (``bulk.Feeder``). So each overview is the
tracker's own; tests/overview/test_settle.py, test_bulk.py and
tests/capture/test_fastread.py compare with feeding every segment. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from wirelens.explain.conversation import ConversationTracker
from wirelens.explain.conversation_record import Conversation, Pair, Settled, finished
from wirelens.explain.conversation_summary import ConversationSummary
from wirelens.explain.wirenumbers import ACK, FIN, RST, SYN

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
_SFRA = SYN | FIN | RST | ACK
NEVER = np.iinfo(np.int64).max
# One kept segment: ``ConversationTracker.feed_summary``'s arguments after the pair.
REPLAY_ROW = np.dtype([("forward", "?"), ("index", "<i8"), ("ts_ns", "<i8"), ("seq", "<u4"),
                       ("ack", "<u4"), ("flags", "<u2"), ("window", "<u2"),
                       ("payload_len", "<i4"), ("wscale", "<i2"), ("ident", "<i8")])
WAIT_ROWS = 512  # a conversation longer than this is not kept waiting for its close
_LETTERS = "ADad"  # pure ACK and data from pair[0], then from pair[1]
_MARKS: dict[int, str] = {}


def history_marks(firsts: I64) -> list[str]:
    """Each row's history letters (``_LETTERS``) in the order they first happen, from the
    first position of each letter (``NEVER``: it does not)."""
    order = np.argsort(firsts, axis=1, kind="stable")
    present = np.take_along_axis(firsts, order, axis=1) != NEVER
    code = (order * np.array([1, 4, 16, 64])).sum(axis=1) | (
        present * np.array([256, 512, 1024, 2048])).sum(axis=1)
    out = []
    for c in code.tolist():
        marks = _MARKS.get(c)
        if marks is None:
            marks = _MARKS[c] = "".join(_LETTERS[(c >> 2 * i) & 3] for i in range(4)
                                        if c >> (8 + i) & 1)
        out.append(marks)
    return out


@dataclass(frozen=True, slots=True)
class Sorted:
    """A stretch of segments sorted by pair (frame order within a pair), as ``bulk`` reads
    them: the columns, each row's pair, direction, the end of its sequence numbers as the
    analysis counts them, and the positions of the previous row its sender sent (``mine``)
    and of the previous row the other side sent (``theirs``)."""

    pid: I64
    forward: Bools
    seq: I64
    ack: I64
    flags: I64
    window: I64
    payload_len: I64
    ts_ns: I64
    end: I64
    mine: I64
    theirs: I64


@dataclass(frozen=True, slots=True)
class Textbook:
    """The textbook conversations of a stretch: positions of their first and one past
    their last rows, and per conversation what ``settle`` needs."""

    start: I64
    stop: I64
    client_forward: Bools  # the client is the pair's first end
    shape: list[tuple[bool, int, str]]  # (client closed first, close segments, marks)
    bytes_c2s: I64
    bytes_s2c: I64
    # Groups that begin as a textbook conversation and have not closed yet: (first
    # positions, one past the last)
    unclosed: tuple[I64, I64]


def textbook(s: Sorted, plain: Bools) -> Textbook:
    """The pairs' groups that are textbook conversations (see the module's text)."""
    n = len(s.pid)
    pid, fwd, plen = s.pid, s.forward, s.payload_len
    fl = s.flags & _SFRA
    new_pair = np.ones(n + 1, dtype=bool)
    new_pair[1:n] = pid[1:] != pid[:-1]
    # Groups here begin at a SYN without ACK (the only segment that may begin another
    # conversation of a pair the tracker holds), or at a pair's first row.
    starts = np.flatnonzero(new_pair[:n] | ((s.flags & (SYN | ACK)) == SYN))
    stops = np.append(starts[1:], n)
    size = stops - starts
    # The pair's only group: it begins the pair, and the next group is another pair's.
    only = new_pair[starts] & new_pair[stops]
    odd = np.concatenate(([0], np.cumsum(~plain)))  # rows out of the plain before each
    unclosed = _unclosed(s, odd, fl, starts[only], stops[only])
    keep = only & (size >= 4)
    g0, e, size = starts[keep], stops[keep], size[keep]
    client = fwd[g0]
    ok = _handshake(s, fl, g0, size)
    four, closer = _four(s, fl, e, size)
    three, closer3 = _three(s, fl, e, size)
    reset, resetter = _reset(s, fl, e)
    ok &= four | three | reset
    closing = np.where(four, 4, np.where(three, 3, 1))
    first_mid, end_mid = g0 + 3, e - closing
    # Everything between the handshake and the close is plain.
    ok &= (end_mid >= first_mid) & (odd[np.maximum(end_mid, first_mid)] == odd[first_mid])
    g0, e, client, first_mid, end_mid, closing = (g0[ok], e[ok], client[ok], first_mid[ok],
                                                  end_mid[ok], closing[ok])
    closer = np.where(four, closer, np.where(three, closer3, resetter))[ok]
    if not len(g0):
        empty = np.zeros(0, dtype=np.int64)
        return Textbook(empty, empty, np.zeros(0, dtype=bool), [], empty, empty, unclosed)
    mid = _ranges(n, first_mid, end_mid)
    pos = np.arange(n)
    code = np.where(fwd, 0, 2) + (plen > 0)
    firsts = np.stack([np.minimum.reduceat(np.where(mid & (code == k), pos, NEVER), g0)
                       for k in range(4)], axis=1)
    marks = history_marks(firsts)
    f_bytes = np.add.reduceat(np.where(mid & fwd, plen, 0), g0)
    b_bytes = np.add.reduceat(np.where(mid & ~fwd, plen, 0), g0)
    shape = [(bool(c == x), int(m), mk if c else mk.swapcase()) for c, x, m, mk in zip(
        client.tolist(), closer.tolist(), closing.tolist(), marks, strict=True)]
    return Textbook(g0, e, client, shape, np.where(client, f_bytes, b_bytes),
                    np.where(client, b_bytes, f_bytes), unclosed)


def _handshake(s: Sorted, fl: I64, g0: I64, size: I64) -> Bools:
    """Groups (first rows ``g0``, ``size`` rows) whose first rows are a handshake: a SYN,
    the SYN-ACK acknowledging it, the ACK acknowledging that, no payload, the ACK moving
    the acknowledgement on and its window open; of a shorter group, its rows so far."""
    n = len(fl)
    fwd, seq, ack, end, plen = s.forward, s.seq, s.ack, s.end, s.payload_len
    g1, g2 = np.minimum(g0 + 1, n - 1), np.minimum(g0 + 2, n - 1)
    client = fwd[g0]
    # windows open from the SYN on: Zeek's history writes a W for any zero window
    ok: Bools = (fl[g0] == SYN) & (plen[g0] == 0) & (s.window[g0] != 0)
    ok &= (size < 2) | ((fwd[g1] != client) & (fl[g1] == SYN | ACK) & (plen[g1] == 0)
                        & (ack[g1] == end[g0]) & (s.window[g1] != 0))
    ok &= (size < 3) | ((fwd[g2] == client) & (fl[g2] == ACK) & (plen[g2] == 0)
                        & (seq[g2] == end[g0]) & (ack[g2] == end[g1]) & (s.window[g2] != 0)
                        & (ack[g2] != ack[g0]))
    return ok


def _unclosed(s: Sorted, odd: I64, fl: I64, g0: I64, e: I64) -> tuple[I64, I64]:
    """Of the groups g0:e, those that may still become textbook conversations: at most
    ``WAIT_ROWS`` rows that begin as one does, no RST, no FIN from both sides (so the
    tracker would not have finished them), no more rows out of the plain (``odd`` counts
    them) than a close has. The textbook ones among them are left for ``textbook``."""
    fwd = s.forward
    ok = (e - g0 <= WAIT_ROWS) & _handshake(s, fl, g0, e - g0)
    rst = np.concatenate(([0], np.cumsum((fl & RST) != 0)))
    fin = (fl & FIN) != 0
    fin_f = np.concatenate(([0], np.cumsum(fin & fwd)))
    fin_b = np.concatenate(([0], np.cumsum(fin & ~fwd)))
    ok &= rst[e] == rst[g0]
    ok &= (fin_f[e] == fin_f[g0]) | (fin_b[e] == fin_b[g0])
    ok &= odd[e] - odd[np.minimum(g0 + 3, e)] <= 3
    return g0[ok], e[ok]


def _four(s: Sorted, fl: I64, e: I64, size: I64) -> tuple[Bools, Bools]:
    """Groups that end with a four-segment close (FIN, its ACK, the other FIN, its ACK),
    and the direction of the first FIN."""
    a, b, c, d = (np.maximum(e - k, 0) for k in (4, 3, 2, 1))
    fwd, seq, ack, end, mine, theirs = s.forward, s.seq, s.ack, s.end, s.mine, s.theirs
    x = fwd[a]
    ok = (size >= 7) & (fwd[b] != x) & (fwd[c] != x) & (fwd[d] == x)
    ok &= (fl[a] == FIN | ACK) & (fl[b] == ACK) & (fl[c] == FIN | ACK) & (fl[d] == ACK)
    for r in (a, b, c, d):
        ok &= (s.payload_len[r] == 0) & (s.window[r] != 0)
    ok &= (seq[a] == end[mine[a]]) & (ack[a] == end[theirs[a]])
    ok &= (seq[b] == end[mine[b]]) & (ack[b] == end[a]) & (ack[b] != ack[mine[b]])
    ok &= (seq[c] == end[b]) & (ack[c] == end[a])
    ok &= (seq[d] == end[a]) & (ack[d] == end[c]) & (ack[d] != ack[a])
    return ok, x


def _three(s: Sorted, fl: I64, e: I64, size: I64) -> tuple[Bools, Bools]:
    """Groups that end with a three-segment close (FIN, the other FIN on its ACK, the last
    ACK), and the direction of the first FIN."""
    a, b, c = (np.maximum(e - k, 0) for k in (3, 2, 1))
    fwd, seq, ack, end, mine, theirs = s.forward, s.seq, s.ack, s.end, s.mine, s.theirs
    x = fwd[a]
    ok = (size >= 6) & (fwd[b] != x) & (fwd[c] == x)
    ok &= (fl[a] == FIN | ACK) & (fl[b] == FIN | ACK) & (fl[c] == ACK)
    for r in (a, b, c):
        ok &= (s.payload_len[r] == 0) & (s.window[r] != 0)
    ok &= (seq[a] == end[mine[a]]) & (ack[a] == end[theirs[a]])
    ok &= (seq[b] == end[mine[b]]) & (ack[b] == end[a])
    ok &= (seq[c] == end[a]) & (ack[c] == end[b]) & (ack[c] != ack[a])
    return ok, x


def _reset(s: Sorted, fl: I64, e: I64) -> tuple[Bools, Bools]:
    """Groups that end with a RST (with or without ACK) where its sender's last segment
    ended, acknowledging all the peer sent, and the direction of the RST. Wireshark
    flags nothing else of it (the RST itself is listed, as ``reset``)."""
    r = np.maximum(e - 1, 0)
    ok = ((fl[r] == RST | ACK) & (s.ack[r] == s.end[s.theirs[r]])) | (fl[r] == RST)
    ok &= (s.payload_len[r] == 0) & (s.seq[r] == s.end[s.mine[r]])
    return ok, s.forward[r]


class _Told(NamedTuple):
    """One textbook conversation ``finish`` settles: which of the ``Textbook``'s it is, its
    rows (sorted positions start:stop), its own sums, and its kept segments (lo:hi)."""

    which: int
    start: int
    stop: int
    first_index: int
    last_index: int
    first_ns: int
    last_ns: int
    client_first: bool
    bytes_c2s: int
    bytes_s2c: int
    pid: int
    lo: int
    hi: int


@dataclass(slots=True)
class Plan:
    """What ``settle`` decided for a stretch: the rows to leave to the tracker (False:
    settled, or settled later), the first conversation of each new shape (fed by the
    tracker, then made its template), and the rest, settled by ``finish``."""

    skip: Bools
    firsts: list[tuple[Pair, Any, int, int]]  # (pair, shape, start, stop)
    waiting: list[int]  # textbook conversations to settle once their shape is known
    book: Textbook
    carry: I64  # positions of the rows of conversations that wait for their close


def plan(tracker: ConversationTracker, s: Sorted, plain: Bools, pairs: list[Pair],
         carry: int = 0, waited: Bools | None = None) -> Plan | None:
    """Which textbook conversations of the stretch to settle, and (up to ``carry`` rows)
    which to keep waiting for the next stretch, unclosed, unless they waited long enough
    already (``waited``: the rows of conversations that began too early). None when none
    can be: the tracker keeps frame numbers, or its room (conversations it may still take
    without forgetting any early) could run out."""
    n = len(s.pid)
    if not tracker.settles or tracker.room <= _beginnings(s):
        return None
    book = textbook(s, plain)
    held = tracker.held
    waits: list[int] = []  # which unclosed groups wait
    if carry:
        first, last = book.unclosed
        for k, (start, stop, pid) in enumerate(zip(first.tolist(), last.tolist(),
                                                   s.pid[first].tolist(), strict=True)):
            if stop - start > carry:
                break
            if (waited is None or not waited[start]) and held(pairs[pid]) is None:
                waits.append(k)
                carry -= stop - start
    firsts: list[tuple[Pair, Any, int, int]] = []
    waiting: list[int] = []
    shapes = tracker.shapes
    new: set[Any] = set()
    for i, (start, stop, shape, pid) in enumerate(zip(
            book.start.tolist(), book.stop.tolist(), book.shape,
            s.pid[book.start].tolist(), strict=True)):
        pair = pairs[pid]
        if held(pair) is not None:
            continue
        known = shapes.get(shape, False)
        if known is None:  # its first conversation came out otherwise: followed
            continue
        if known is False and shape not in new:
            new.add(shape)
            firsts.append((pair, shape, start, stop))
            continue
        waiting.append(i)
    chosen = np.array(waiting, dtype=np.int64)
    wait = np.array(waits, dtype=np.int64)
    first, last = book.unclosed
    skip = _ranges(n, np.concatenate((book.start[chosen], first[wait])),
                   np.concatenate((book.stop[chosen], last[wait])))
    carried = np.flatnonzero(_ranges(n, first[wait], last[wait]))
    return Plan(skip, firsts, waiting, book, carried)


def _beginnings(s: Sorted) -> int:
    """How many conversations the rows could begin at most: one at a pair's first row, one
    at each SYN without ACK (see ``textbook``)."""
    n = len(s.pid)
    if not n:
        return 0
    return 1 + int(np.count_nonzero((s.pid[1:] != s.pid[:-1])
                                    | ((s.flags[1:] & (SYN | ACK)) == SYN)))


def _ranges(n: int, starts: I64, stops: I64) -> Bools:
    """A mask of n rows, True in each (disjoint) range starts[i]:stops[i]."""
    edge = np.zeros(n + 1, dtype=np.int64)
    np.add.at(edge, starts, 1)
    np.subtract.at(edge, stops, 1)
    mask: Bools = np.cumsum(edge[:n]) > 0
    return mask


def finish(tracker: ConversationTracker, p: Plan, s: Sorted, rows: I64, index: I64,
           ident: I64, wscale: I64, pairs: list[Pair]) -> list[int]:
    """After the tracker fed the rest: the templates of new shapes, then the waiting
    conversations settled. Returns the positions of those that must be fed after all
    (their shape's first conversation came out otherwise), in order."""
    shapes = tracker.shapes
    for pair, shape, start, stop in p.firsts:
        conv = tracker.held(pair)
        shapes[shape] = _template(tracker, conv, s, start, stop, int(index[rows[stop - 1]])) \
            if type(conv) is Conversation else None
    book = p.book
    chosen = np.array(p.waiting, dtype=np.int64)
    if not len(chosen):
        return []
    starts, stops = book.start[chosen], book.stop[chosen]
    # Their segments, kept in one array: a settled conversation may have to be followed.
    lengths = stops - starts
    at = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths) \
        + np.arange(int(lengths.sum()))
    kept = np.empty(len(at), dtype=REPLAY_ROW)
    kept["forward"] = s.forward[at]
    kept["index"] = index[rows[at]]
    kept["ts_ns"] = s.ts_ns[at]
    kept["seq"] = s.seq[at]
    kept["ack"] = s.ack[at]
    kept["flags"] = s.flags[at]
    kept["window"] = s.window[at]
    kept["payload_len"] = s.payload_len[at]
    kept["wscale"] = wscale[rows[at]]
    kept["ident"] = ident[rows[at]]
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    # Settled in the order of their first frames, as the tracker numbers them.
    firsts = index[rows[starts]]
    order = np.argsort(firsts, kind="stable")
    records = []
    later: list[int] = []
    which = chosen[order]
    columns = (which, starts[order], stops[order], firsts[order],
               index[rows[stops[order] - 1]], s.ts_ns[starts[order]],
               s.ts_ns[stops[order] - 1], book.client_forward[which], book.bytes_c2s[which],
               book.bytes_s2c[which], s.pid[starts[order]], offsets[:-1][order],
               offsets[1:][order])
    for t in map(_Told._make, zip(*(c.tolist() for c in columns), strict=True)):
        template = shapes[book.shape[t.which]]
        if template is None:
            later.extend(range(t.start, t.stop))
            continue
        records.append(Settled(
            number=0, pair=pairs[t.pid], client_first=t.client_first,
            first_index=t.first_index, last_index=t.last_index, first_ns=t.first_ns,
            last_ns=t.last_ns, packet_count=t.stop - t.start, bytes_c2s=t.bytes_c2s,
            bytes_s2c=t.bytes_s2c, template=template, rows=kept, start=t.lo, stop=t.hi))
    tracker.settle(records)
    later.sort()
    return later


def _template(tracker: ConversationTracker, conv: Conversation, s: Sorted, start: int,
              stop: int, last_index: int) -> ConversationSummary | None:
    """The summary of a shape's first conversation, if it came out as the shape promises:
    complete, then closed with FINs and nothing flagged, or reset and only the RST listed;
    every segment counted, every byte once, over at its last segment."""
    got = tracker.summary(conv)
    client_rows = s.forward[start:stop] == conv.client_first
    c2s = int(s.payload_len[start:stop][client_rows].sum())
    s2c = int(s.payload_len[start:stop][~client_rows].sum())
    # Finished either way: a SYN on its port pair then begins a new conversation, as
    # ``ConversationTracker`` takes it of a settled one without asking.
    if got.close == "reset":
        over = bool(conv.reset_by) and got.anomaly_counts == (("reset", 1),) \
            and got.anomalies == (("reset", last_index),) and finished(conv)
    else:
        over = got.close in ("four-segment", "three-segment") and not got.anomaly_counts \
            and finished(conv) and not conv.reset_by
    if (not over or got.handshake != "complete" or got.artefacts or got.half_close
            or got.client_guessed or conv.packet_count != stop - start
            or got.bytes_c2s != c2s or got.bytes_s2c != s2c or got.anomalies_cut
            or conv.last_ns != int(s.ts_ns[stop - 1]) or conv.first_ns != int(s.ts_ns[start])):
        return None
    return got
