"""Conversations' JSON lines on disk in sorted runs, merged back in first-frame order.

A share of ``capture.fastread`` writes the lines of the conversations that ended as they
end, in runs (each sorted) so that memory holds none of them for long; the reading
process merges every share's runs at the end and numbers the conversations in that order.
A run is the lines' text, one per line (JSON text holds no raw newline), in one file and
a key and an end offset per line in another: pickling them cost more than the merge.

A key is ``first frame << 2 | settled << 1 | anomalies cut``: in key order the lines come
in first-frame order, and a conversation written when it was settled (explain/settle.py)
comes after the line written again for it when a later segment revived it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

LINES_AT_ONCE = 1 << 13  # lines read ahead over all runs at once while merging
_ENTRY = np.dtype([("key", "<i8"), ("end", "<i8")])


def key(first_frame: int, settled: bool, cut: bool) -> int:
    return first_frame << 2 | settled << 1 | cut


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


def merged(spools: list[Spooled]) -> Iterator[tuple[npt.NDArray[np.int64], list[str]]]:
    """Every (key, line) of ``spools`` in key order, a batch at a time: (keys, lines).
    Memory holds a few lines of each run at once."""
    runs = sum(len(s.runs) for s in spools)
    at_once = max(16, LINES_AT_ONCE // max(runs, 1))
    fds: list[int] = []
    try:
        cursors = []
        for spool in spools:
            fds += [os.open(spool.lines, os.O_RDONLY), os.open(spool.entries, os.O_RDONLY)]
            cursors += [_Cursor(fds[-2], fds[-1], run, at_once) for run in spool.runs]
        cursors = [c for c in cursors if c.keys is not None]
        while cursors:
            # Nothing a run has yet to load can come before the end of what it holds now.
            bound = min((c.last for c in cursors if c.more), default=None)
            keys, lines = [], []
            for c in cursors:
                k, text = c.take(bound)
                keys.append(k)
                lines += text
            order = np.argsort(np.concatenate(keys), kind="stable")
            yield np.concatenate(keys)[order], [lines[i] for i in order.tolist()]
            cursors = [c for c in cursors if c.keys is not None]
    finally:
        for fd in fds:
            os.close(fd)


class _Cursor:
    """One run as it is read: ``keys`` and ``lines`` of the batch in hand (``keys`` None
    when the run is done), ``more`` whether batches remain to be read."""

    def __init__(self, lines_fd: int, entries_fd: int, run: Run, at_once: int) -> None:
        self._fds = lines_fd, entries_fd
        self._lines_at, self._entries_at, self._left = run.lines_at, run.entries_at, run.count
        self._at_once = at_once
        self.keys: npt.NDArray[np.int64] | None = None
        self.lines: list[str] = []
        self.more = True
        self._load()

    def _load(self) -> None:
        n = min(self._left, self._at_once)
        if not n:
            self.keys, self.lines, self.more = None, [], False
            return
        lines_fd, entries_fd = self._fds
        entries = np.frombuffer(os.pread(entries_fd, n * _ENTRY.itemsize, self._entries_at),
                                dtype=_ENTRY)
        end = int(entries["end"][-1])
        text = os.pread(lines_fd, end - self._lines_at, self._lines_at).decode("utf-8")
        self.keys, self.lines = entries["key"].copy(), text.split("\n")[:-1]
        self._left -= n
        self.more = self._left > 0
        self._lines_at, self._entries_at = end, self._entries_at + n * _ENTRY.itemsize

    @property
    def last(self) -> int:
        """The key of the last line in hand."""
        assert self.keys is not None
        return int(self.keys[-1])

    def take(self, bound: int | None) -> tuple[npt.NDArray[np.int64], list[str]]:
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
