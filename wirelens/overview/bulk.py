"""Many TCP segments into the one ``ConversationTracker`` at once, most of them in bulk.

Theory of operation. Conversations do not touch each other, so within a stretch of
segments (between two of the overview's sweeps for ended conversations) each port pair's
segments can be taken together, in their own order. Among them, a *plain* segment is one
that the tracker and Wireshark's analysis would pass over with nothing to say: an ACK with
no SYN, FIN or RST, that starts exactly where its sender's previous segment ended, with
a window that is not zero, to a peer whose window is not zero, a pure ACK that moves the
acknowledgement on and data that is neither acknowledged already nor fills the window.
``_plan`` finds them with numpy, from each segment and the previous one of each direction
of the same pair, assuming what holds after a plain segment: that the analysis' next
sequence number of each side is where that side's last segment ended. A run of
consecutive plain segments then changes the tracker in a few sums and last values
(``ConversationTracker.apply_run``), which first checks that the assumption holds when
the run begins (both sides established, no FIN yet ...); if not, or for any other
segment, the segment goes through ``feed_summary`` one by one. So every segment's effect
is the tracker's own, and the overview is the same as feeding every segment in turn;
tests/overview/test_bulk.py and tests/capture/test_fastread.py check that.
Pure: no I/O.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from wirelens.explain.conversation import ConversationTracker
from wirelens.explain.conversation_record import DirectionRun, Pair, Run, SegmentRow
from wirelens.explain.wirenumbers import ACK, FIN, RST, SYN
from wirelens.overview import settle
from wirelens.overview.columns import TcpColumns, joined

I64 = npt.NDArray[np.int64]
MASK = 0xFFFFFFFF
HALF = 1 << 31
MAX_SHIFT = 14  # window scales Wireshark honours (analysis.MAX_SHIFT)
_SFRA = SYN | FIN | RST | ACK
_MIX = np.uint64(0x9E3779B97F4A7C15)  # spreads a pair's two keys over 64 bits
_WIDE = np.uint64(1 << 63)  # placeholder keys of pairs whose endpoints need more than 64 bits


def pair_columns(cols: TcpColumns, lo: int, hi: int) -> tuple[I64, npt.NDArray[np.bool_],
                                                              list[Pair], I64]:
    """For rows lo:hi: each row's pair number, whether it was sent from the pair's first
    end, the pairs (lower endpoint key first, as the tracker keys them), and the order that
    sorts rows by pair and keeps each pair's rows in frame order."""
    src, dst = cols.src[lo:hi], cols.dst[lo:hi]
    forward = src <= dst
    first = np.where(forward, src, dst)
    second = np.where(forward, dst, src)
    wide: dict[Pair, int] = {}
    wide_pairs: list[Pair] = []
    for row, (s, d) in cols.wide.items():
        if lo <= row < hi:
            fwd = s <= d
            pair = (s, d) if fwd else (d, s)
            if pair not in wide:
                wide[pair] = len(wide_pairs)
                wide_pairs.append(pair)
            forward[row - lo] = fwd
            first[row - lo] = _WIDE + np.uint64(wide[pair])
            second[row - lo] = 0
    order = _by_pair(first, second)
    a, b = first[order], second[order]
    new = np.empty(len(order), dtype=bool)
    new[:1] = True
    new[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    ids = np.empty(len(order), dtype=np.int64)
    ids[order] = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    pairs: list[Pair] = []
    for x, y in zip(a[starts].tolist(), b[starts].tolist(), strict=True):
        pairs.append(wide_pairs[x - (1 << 63)] if x >= 1 << 63 else (x, y))
    return ids, forward, pairs, order


def _by_pair(first: npt.NDArray[np.uint64], second: npt.NDArray[np.uint64]) -> I64:
    """An order that brings each pair's rows together, each pair's in frame order. One
    sort of a mix of the two keys does it unless two pairs mix to the same number (then
    their rows would meet, and both keys are sorted instead)."""
    with np.errstate(over="ignore"):
        mixed = first * _MIX ^ second
    order: I64 = np.argsort(mixed, kind="stable")
    m, a, b = mixed[order], first[order], second[order]
    if np.any((m[1:] == m[:-1]) & ((a[1:] != a[:-1]) | (b[1:] != b[:-1]))):
        order = np.lexsort((second, first))
    return order


def feed_columns(tracker: ConversationTracker, cols: TcpColumns, lo: int, hi: int,
                 carry: int = 0, since: int = 0) -> I64:
    """Rows lo:hi of ``cols`` into ``tracker``, as ``feed_summary`` one by one would; new
    conversations are numbered in frame order. No sweep may fall inside the rows. Up to
    ``carry`` rows of conversations that may yet be settled whole (``settle``) are not
    fed: their rows are returned (increasing), for the caller to feed with the next ones
    (``Feeder``), of conversations that began at frame ``since`` or later."""
    none = np.zeros(0, dtype=np.int64)
    if hi <= lo:
        return none
    ids, forward, pairs, order = pair_columns(cols, lo, hi)
    first_new = tracker.next_number
    rows = order + lo
    view = _sorted(cols, rows, ids, forward, order)
    plain = _plain(view)
    told = settle.plan(tracker, view, plain, pairs, carry,
                       cols.index[rows] < since if since else None)
    skip = None if told is None else told.skip
    special, runs = _plan(view, plain if skip is None else plain & ~skip, skip)
    feed = tracker.feed_summary
    apply_run = tracker.apply_run
    # One list of work in sorted order: a special row, or a run of plain rows.
    s_pos, r_pos = special, runs[0]
    kinds = np.concatenate((np.zeros(len(s_pos), dtype=np.int8),
                            np.ones(len(r_pos), dtype=np.int8)))
    where = np.concatenate((s_pos, r_pos))
    ref = np.concatenate((np.arange(len(s_pos)), np.arange(len(r_pos))))
    sequence = np.argsort(where, kind="stable")
    kinds_list = kinds[sequence].tolist()
    ref_list = ref[sequence].tolist()
    s_rows = rows[s_pos]
    s_pairs = [pairs[i] for i in ids[order[s_pos]].tolist()]
    s_forward = forward[order[s_pos]].tolist()
    s_rows_of = list(map(SegmentRow._make, zip(*(
        column[s_rows].tolist() for column in (cols.index, cols.ts_ns, cols.seq, cols.ack,
                                               cols.flags, cols.window, cols.payload_len,
                                               cols.wscale, cols.ident)), strict=True)))
    r_start, r_stop, r_stats, r_marks = runs
    r_pairs = [pairs[i] for i in ids[order[r_start]].tolist()]
    # The last segment of each run, as a copy of it captured again would repeat it.
    r_last = rows[r_stop - 1] if len(r_stop) else r_stop
    r_lasts = list(zip(forward[order[r_stop - 1]].tolist(), cols.seq[r_last].tolist(),
                       cols.ack[r_last].tolist(), cols.flags[r_last].tolist(),
                       cols.window[r_last].tolist(), cols.payload_len[r_last].tolist(),
                       cols.ident[r_last].tolist(), strict=True))
    stats = [column.tolist() for column in r_stats]
    per_way = len(DirectionRun._fields)
    r_runs = list(map(Run._make, zip(
        stats[0], stats[1], map(DirectionRun._make, zip(*stats[2 : 2 + per_way], strict=True)),
        map(DirectionRun._make, zip(*stats[2 + per_way :], strict=True)), r_marks, r_lasts,
        strict=True)))
    r_bounds = list(zip(r_start.tolist(), r_stop.tolist(), strict=True))
    for kind, k in zip(kinds_list, ref_list, strict=True):
        if not kind:
            feed(s_pairs[k], s_forward[k], s_rows_of[k])
        elif not apply_run(r_pairs[k], r_runs[k]):
            start, stop = r_bounds[k]
            _feed_rows(feed, cols, rows[start:stop], pairs, ids[order[start:stop]],
                       forward[order[start:stop]])
    if told is not None:
        later = np.array(settle.finish(tracker, told, view, rows, cols.index, cols.ident,
                                       cols.wscale, pairs), dtype=np.int64)
        if len(later):
            _feed_rows(feed, cols, rows[later], pairs, ids[order[later]],
                       forward[order[later]])
    tracker.renumber_from(first_new)
    return none if told is None else np.sort(rows[told.carry])


class Feeder:
    """Stretch after stretch of segments into one tracker through ``feed_columns``, the
    conversations that have not closed by the end of a stretch but may yet be settled
    whole waiting for the next (at most ``CARRY`` segments). Nothing can tell: a waiting
    conversation would not have finished, so no sweep would have taken it, and its
    segments are fed before anything of it is asked (``flush``)."""

    CARRY = 1 << 16
    STRETCHES = 3  # a conversation waits for the end of at most this many stretches

    def __init__(self, tracker: ConversationTracker) -> None:
        self.tracker = tracker
        self._waiting: TcpColumns | None = None
        self._begun: deque[int] = deque(maxlen=self.STRETCHES)  # each stretch's first frame

    def feed(self, cols: TcpColumns, lo: int, hi: int) -> None:
        self.feed_pieces([(cols, lo, hi)])

    def feed_pieces(self, pieces: list[tuple[TcpColumns, int, int]]) -> None:
        """Rows lo:hi of each piece, one piece after the other, as one stretch (put
        together once, with the waiting segments before them)."""
        pieces = [p for p in pieces if p[2] > p[1]]
        if not pieces:
            return
        self._begun.append(int(pieces[0][0].index[pieces[0][1]]))
        if self._waiting is not None and len(self._waiting):
            pieces.insert(0, (self._waiting, 0, len(self._waiting)))
        if len(pieces) == 1:
            cols, lo, hi = pieces[0]
        else:
            cols = joined(pieces)
            lo, hi = 0, len(cols)
        since = self._begun[0] if len(self._begun) == self._begun.maxlen else 0
        rows = feed_columns(self.tracker, cols, lo, hi, self.CARRY, since)
        self._waiting = cols.take(rows) if len(rows) else None

    def flush(self) -> None:
        """Feed the waiting segments: before the tracker's conversations are summed up."""
        if self._waiting is not None:
            feed_columns(self.tracker, self._waiting, 0, len(self._waiting))
            self._waiting = None


def _feed_rows(feed: Callable[[Pair, bool, SegmentRow], None], cols: TcpColumns, rows: I64,
               pairs: list[Pair], ids: I64, forward: npt.NDArray[np.bool_]) -> None:
    for row, pair_id, fwd in zip(rows.tolist(), ids.tolist(), forward.tolist(), strict=True):
        feed(pairs[pair_id], fwd, SegmentRow(
            int(cols.index[row]), int(cols.ts_ns[row]), int(cols.seq[row]),
            int(cols.ack[row]), int(cols.flags[row]), int(cols.window[row]),
            int(cols.payload_len[row]), int(cols.wscale[row]), int(cols.ident[row])))


def _sorted(cols: TcpColumns, rows: I64, ids: I64, forward: npt.NDArray[np.bool_],
            order: I64) -> settle.Sorted:
    """The rows in pair order (``order``), with what both ``_plain`` and ``settle`` read."""
    n = len(rows)
    fwd = forward[order]
    seq = cols.seq[rows]
    flags = cols.flags[rows]
    plen = cols.payload_len[rows]
    pos = np.arange(n)
    # The previous row of the same direction and of the other (another pair's if this
    # pair has none: ``_plain`` and ``settle`` look only where the pair has one).
    last_f = np.maximum.accumulate(np.where(fwd, pos, -1))
    last_b = np.maximum.accumulate(np.where(fwd, -1, pos))
    prev_f = np.concatenate(([-1], last_f[:-1]))
    prev_b = np.concatenate(([-1], last_b[:-1]))
    end = (seq + plen + ((flags & (SYN | FIN)) != 0)) & MASK  # as the analysis counts it
    return settle.Sorted(ids[order], fwd, seq, cols.ack[rows], flags, cols.window[rows],
                         plen, cols.ts_ns[rows], end, np.where(fwd, prev_f, prev_b),
                         np.where(fwd, prev_b, prev_f))


def _group_start(v: settle.Sorted) -> I64:
    """Each row's group's first position. A group: one pair's rows from a SYN (or the
    pair's first row) to the next SYN; a new conversation of the same pair can only begin
    at a SYN."""
    n = len(v.pid)
    starts = np.ones(n, dtype=bool)
    starts[1:] = (v.pid[1:] != v.pid[:-1]) | ((v.flags[1:] & SYN) != 0)
    start: I64 = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    return start


def _plain(v: settle.Sorted) -> npt.NDArray[np.bool_]:
    """Which rows are plain (see the module's text)."""
    flags, seq, ack, win, plen, end = v.flags, v.seq, v.ack, v.window, v.payload_len, v.end
    group_start = _group_start(v)
    ps, po = v.mine, v.theirs
    # After a FIN the close is under way: every segment has a part in it.
    last_fin = np.maximum.accumulate(np.where((flags & FIN) != 0, np.arange(len(seq)), -1))
    valid = (ps >= group_start) & (po >= group_start) & (last_fin < group_start)
    ps_, po_ = np.maximum(ps, 0), np.maximum(po, 0)
    rev_ack, rev_win = ack[po_], win[po_]
    data = plen > 0
    plain = valid & ((flags & _SFRA) == ACK) & (win != 0) & (rev_win != 0)
    plain &= seq == end[ps_]  # in order: where the sender's last segment ended
    plain &= data | (ack != ack[ps_])  # a pure ACK moves the acknowledgement on
    plain &= ((end[po_] - ack) & MASK) < HALF  # acknowledges nothing the peer did not send
    # data: not acknowledged already (spurious), and not filling the peer's window
    plain &= ~data | (rev_ack == 0) | (((rev_ack - end) & MASK) >= HALF)
    for shift in range(MAX_SHIFT + 1):
        plain &= ~data | (end != ((rev_ack + (rev_win << shift)) & MASK))
    result: npt.NDArray[np.bool_] = plain
    return result


def _plan(v: settle.Sorted, plain: npt.NDArray[np.bool_], skip: npt.NDArray[np.bool_] | None
          ) -> tuple[I64, tuple[I64, I64, list[npt.NDArray[np.int64]], list[str]]]:
    """(sorted positions of the rows to feed one by one, (run starts, run stops, the
    columns of ``apply_run``'s arguments after the pair, its ``marks``)), positions in
    pair order; the rows in ``skip`` are neither (``plain`` must leave them out)."""
    fwd, ack, win, plen, ts, end = v.forward, v.ack, v.window, v.payload_len, v.ts_ns, v.end
    group_start = _group_start(v)
    ps_, po_ = np.maximum(v.mine, 0), np.maximum(v.theirs, 0)
    special = np.flatnonzero(~plain if skip is None else ~plain & ~skip)
    # Runs: consecutive plain rows of one group.
    p = np.flatnonzero(plain)
    if not len(p):
        empty = np.zeros(0, dtype=np.int64)
        return special, (empty, empty, [empty] * 20, [])
    run_new = np.ones(len(p), dtype=bool)
    run_new[1:] = (p[1:] != p[:-1] + 1) | (group_start[p[1:]] != group_start[p[:-1]])
    heads = np.flatnonzero(run_new)
    r_start = p[heads]
    r_stop = np.concatenate((p[heads[1:] - 1], p[-1:])) + 1
    first = r_start
    f_first = fwd[first]
    # Where each direction's sequence stood when the run began.
    n_f = np.where(f_first, end[ps_[first]], end[po_[first]])
    n_b = np.where(f_first, end[po_[first]], end[ps_[first]])
    stats: list[npt.NDArray[np.int64]] = [r_stop - r_start, ts[r_stop - 1]]
    pf = fwd[p]
    firsts = []
    for direction, start_seq in ((pf, n_f), (~pf, n_b)):
        numbers, first_ack, first_data = _direction(p, heads, direction, start_seq, end, ack,
                                                    win, ts, plen, ack[ps_])
        stats += numbers
        firsts += [first_ack, first_data]
    return special, (r_start, r_stop, stats, settle.history_marks(np.stack(firsts, axis=1)))


def _direction(p: I64, heads: I64, mine: npt.NDArray[np.bool_], start_seq: I64, end: I64,
               ack: I64, win: I64, ts: I64, plen: I64, prev_ack: I64
               ) -> tuple[list[npt.NDArray[np.int64]], I64, I64]:
    """``apply_run``'s numbers for one direction of each run (start seq, count, bytes, last
    end, ack, window, time, last data time, ack moved), and where its first pure ACK and
    its first data are."""
    big = settle.NEVER
    count = np.add.reduceat(mine.astype(np.int64), heads)
    size = np.add.reduceat(np.where(mine, plen[p], 0), heads)
    last = np.maximum.reduceat(np.where(mine, p, -1), heads)
    has_data = mine & (plen[p] > 0)
    last_data = np.maximum.reduceat(np.where(has_data, p, -1), heads)
    moved = np.maximum.reduceat((mine & (ack[p] != prev_ack[p])).astype(np.int64), heads)
    first_ack = np.minimum.reduceat(np.where(mine & ~has_data, p, big), heads)
    first_data = np.minimum.reduceat(np.where(has_data, p, big), heads)
    at = np.maximum(last, 0)
    return ([start_seq, count, size, end[at], ack[at], win[at], ts[at],
             np.where(last_data >= 0, ts[np.maximum(last_data, 0)], -1), moved],
            first_ack, first_data)
