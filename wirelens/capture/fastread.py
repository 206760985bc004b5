"""The overview's fast path over a capture file: the streaming reader plus the header walk.

Frames come from ``pcapfile.open_capture`` (pcap or pcapng, gzip or not, with all its
damage handling), and each goes through ``explain.fastwalk.walk`` instead of the full
dissector: no field views, no per-packet explanation. Conversations that ended are taken
out of the tracker as the file is read and spooled to a temporary file in sorted runs, so
memory follows the conversations open at once, not the length of the file.
"""

from __future__ import annotations

import heapq
import pickle
import tempfile
from collections.abc import Callable, Iterator

from wirelens.capture.pcapfile import CaptureError, open_capture
from wirelens.explain.conversation import ConversationSummary
from wirelens.explain.overview import Overview, OverviewBuilder
from wirelens.explain.text import msg

PROGRESS_EVERY = 1 << 14  # frames between two looks for ended conversations / progress
CHUNK = 64  # summaries per pickle in the spool: what one run holds in memory while merging


class NothingRead(Exception):
    """The file held no frame before its damage: the first warning says why."""


def _number(s: ConversationSummary) -> int:
    return s.number


class SpooledConversations:
    """Finished conversations on disk, in runs sorted by number; iterating merges the runs.
    Sized and iterable again and again, like the tuple it stands in for."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()
        self._runs: list[list[int]] = []  # chunk offsets of each run
        self._count = 0

    def add(self, batch: list[ConversationSummary]) -> None:
        if not batch:
            return
        batch.sort(key=_number)
        offsets = []
        self._file.seek(0, 2)
        for i in range(0, len(batch), CHUNK):
            offsets.append(self._file.tell())
            pickle.dump(batch[i : i + CHUNK], self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._runs.append(offsets)
        self._count += len(batch)

    def _run(self, offsets: list[int]) -> Iterator[ConversationSummary]:
        for offset in offsets:
            self._file.seek(offset)
            chunk: list[ConversationSummary] = pickle.load(self._file)  # our own spool
            yield from chunk

    def __iter__(self) -> Iterator[ConversationSummary]:
        return heapq.merge(*(self._run(r) for r in self._runs), key=_number)

    def __len__(self) -> int:
        return self._count

    def __contains__(self, item: object) -> bool:
        return any(item == s for s in self)

    def close(self) -> None:
        self._file.close()


def fast_overview(path: str, progress: Callable[[int], None] | None = None) -> Overview:
    """The overview of ``path``; raises CaptureError for a file that cannot be opened and
    NothingRead when damage stopped the reading before any frame."""
    builder = OverviewBuilder()
    spool = SpooledConversations()
    with open_capture(path) as capture:
        walked = builder.walked
        for count, frame in enumerate(capture, start=1):
            walked(frame)
            if count % PROGRESS_EVERY == 0:
                spool.add(builder.take_finished())
                if progress is not None:
                    progress(capture._stream.pos)
        warnings = [msg("warning.file", text=w) for w in capture.warnings]
        if not builder.frames and capture.warnings:
            raise NothingRead(capture.warnings[0])
    spool.add(builder.take_finished())
    spool.add(builder.tracker.summaries())
    return builder.finish(path, warnings, conversations=spool)


__all__ = ["CaptureError", "NothingRead", "SpooledConversations", "fast_overview"]
