"""Conversations' JSON lines on disk in sorted runs, merged back in first-frame order.

A share of ``app.fastread`` writes the lines of the conversations that ended as they
end, in runs (each sorted) so that memory holds none of them for long; the reading
process merges every share's runs at the end and numbers the conversations in that order.
A run is the lines' text, one per line (JSON text holds no raw newline), in one file and
a key and an end offset per line in another: pickling them cost more than the merge.

A key is ``first frame << 2 | settled << 1 | anomalies cut``: in key order the lines come
in first-frame order, and a conversation written when it was settled (overview/settle.py)
comes after the line written again for it when a later segment revived it.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

LINES_AT_ONCE = 1 << 13  # lines read ahead over all runs at once while merging
_ENTRY = np.dtype([("key", "<i8"), ("end", "<i8")])


def key(first_frame: int, settled: bool, cut: bool) -> int:
    return first_frame << 2 | settled << 1 | cut


def first_frames(keys: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The first frames of ``key`` numbers."""
    return keys >> 2


def anomalies_cut(keys: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Which ``key`` numbers say their conversation's anomalies were cut."""
    cut: npt.NDArray[np.bool_] = (keys & 1) == 1
    return cut


@dataclass(frozen=True)
class Run:
    lines_at: int  # offset in the lines file
    entries_at: int  # offset in the entries file
    count: int


@dataclass(frozen=True)
class Spooled:
    """What the merge needs of one spool (picklable: it goes from a share's process to the
    reading one)."""

    lines: str
    entries: str
    runs: tuple[Run, ...]


class LineSpool:
    """Runs of (key, line) written to ``folder/name.lines`` and ``folder/name.keys``."""

    def __init__(self, folder: str, name: str) -> None:
        self._paths = os.path.join(folder, name + ".lines"), os.path.join(folder, name + ".keys")
        self._lines = open(self._paths[0], "wb")  # noqa: SIM115 - closed by ``close``
        self._entries = open(self._paths[1], "wb")  # noqa: SIM115
        self._runs: list[Run] = []

    def add(self, items: list[tuple[int, str]]) -> None:
        """One run: ``(key, line)`` pairs, in any order."""
        if not items:
            return
        items.sort()
        text = "\n".join(line for _, line in items).encode("utf-8") + b"\n"
        entries = np.empty(len(items), dtype=_ENTRY)
        entries["key"] = [k for k, _ in items]
        start = self._lines.tell()
        # where each line ends: its newline, the only one in it
        entries["end"] = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == 10) + start + 1
        self._runs.append(Run(start, self._entries.tell(), len(items)))
        self._lines.write(text)
        self._entries.write(entries.tobytes())

    def close(self) -> Spooled:
        self._lines.close()
        self._entries.close()
        return Spooled(*self._paths, tuple(self._runs))


Batch = tuple[npt.NDArray[np.int64], list[str]]  # keys, and their lines


def merged(spools: list[Spooled], streams: Iterable[Iterator[Batch]] = ()
           ) -> Iterator[Batch]:
    """Every (key, line) of ``spools`` and ``streams`` in key order, a batch at a time.
    A stream gives its batches in key order as they come (from another process, say);
    the merge waits for one only when it must. Memory holds a few lines of each run."""
    runs = sum(len(s.runs) for s in spools)
    at_once = max(16, LINES_AT_ONCE // max(runs, 1))
    fds: list[int] = []
    try:
        cursors = []
        for spool in spools:
            fds += [os.open(spool.lines, os.O_RDONLY), os.open(spool.entries, os.O_RDONLY)]
            cursors += [_Cursor(_run_batches(fds[-2], fds[-1], run, at_once))
                        for run in spool.runs]
        cursors += [_Cursor(stream) for stream in streams]
        yield from _merge([c for c in cursors if c.keys is not None])
    finally:
        for fd in fds:
            os.close(fd)


def _merge(cursors: list[_Cursor]) -> Iterator[Batch]:
    """The cursors' lines in key order. Each turn takes, from the cursors whose next key
    is at most the bound, every line up to it; the bound is the smallest last key in hand
    of a cursor that may give more (nothing it gives later can come before). Two heaps
    find those cursors, so a turn costs what it takes, not the number of runs."""
    heads = [(c.head, i) for i, c in enumerate(cursors)]
    lasts = [(c.last, i) for i, c in enumerate(cursors)]
    heapq.heapify(heads)
    heapq.heapify(lasts)
    while heads:
        while lasts and not cursors[lasts[0][1]].bounds(lasts[0][0]):
            heapq.heappop(lasts)  # it moved on to another batch, or gives no more
        bound = lasts[0][0] if lasts else None
        keys, lines = [], []
        while heads and (bound is None or heads[0][0] <= bound):
            _, i = heapq.heappop(heads)
            c = cursors[i]
            last = c.last
            k, text = c.take(bound)
            keys.append(k)
            lines += text
            if c.keys is not None:
                heapq.heappush(heads, (c.head, i))
                if c.more and c.last != last:  # a new batch (keys in a run are unique)
                    heapq.heappush(lasts, (c.last, i))
        order = np.argsort(np.concatenate(keys), kind="stable")
        yield np.concatenate(keys)[order], [lines[i] for i in order.tolist()]


def _run_batches(lines_fd: int, entries_fd: int, run: Run, at_once: int
                 ) -> Iterator[Batch]:
    lines_at, entries_at, left = run.lines_at, run.entries_at, run.count
    while left:
        n = min(left, at_once)
        entries = np.frombuffer(os.pread(entries_fd, n * _ENTRY.itemsize, entries_at),
                                dtype=_ENTRY)
        end = int(entries["end"][-1])
        text = os.pread(lines_fd, end - lines_at, lines_at).decode("utf-8")
        yield entries["key"].copy(), text.split("\n")[:-1]
        left -= n
        lines_at, entries_at = end, entries_at + n * _ENTRY.itemsize


class _Cursor:
    """One run or stream as it is read: ``keys`` and ``lines`` of the batch in hand
    (``keys`` None when it is done), ``more`` whether it may give more batches."""

    def __init__(self, batches: Iterator[Batch]) -> None:
        self._batches = batches
        self.keys: npt.NDArray[np.int64] | None = None
        self.lines: list[str] = []
        self.more = True
        self._last = 0
        self._load()

    def _load(self) -> None:
        while self.more:
            got = next(self._batches, None)
            if got is None:
                self.more = False
            elif len(got[0]):
                self.keys, self.lines = got
                self._last = int(got[0][-1])
                return
        self.keys, self.lines = None, []

    @property
    def head(self) -> int:
        """The key of the first line in hand."""
        assert self.keys is not None
        return int(self.keys[0])

    @property
    def last(self) -> int:
        """The key of the last line in hand."""
        return self._last

    def bounds(self, last: int) -> bool:
        """Whether ``last`` is still this cursor's last key in hand, and more may come."""
        return self.more and self.keys is not None and self._last == last

    def take(self, bound: int | None) -> Batch:
        """The lines in hand up to ``bound`` (all when None), loading the next batch when
        none is left in hand."""
        assert self.keys is not None
        cut = len(self.keys) if bound is None else int(np.searchsorted(self.keys, bound,
                                                                          side="right"))
        keys, lines = self.keys[:cut], self.lines[:cut]
        self.keys, self.lines = self.keys[cut:], self.lines[cut:]
        if not len(self.keys):
            self._load()
        return keys, lines
