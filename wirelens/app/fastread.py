"""The overview's fast path over a capture file: block reads, columns, segments in bulk.

Frames come from ``blockread`` in blocks (with ``pcapfile``'s damage handling, word for
word), their headers are read with numpy (``overview.columns``) and their TCP segments
go to the tracker mostly in bulk (``overview.bulk``): no field views, no per-packet
explanation. Conversations that ended are taken out of the tracker as the file is read
and spooled to a temporary file in sorted runs, so memory follows the conversations open
at once, not the length of the file. ``fast_json`` also splits the port pairs between
processes (one per core), each following its own share, and merges what they wrote in
conversation order; the document is the one ``render.summary.write_json`` writes.
A read error inside gzip data makes both start again frame by frame (``fastwalk``),
where the error shows exactly as the frame-by-frame reader shows it.
"""

from __future__ import annotations

import gc
import heapq
import itertools
import multiprocessing
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import cast

import numpy as np
import numpy.typing as npt

from wirelens.app.linespool import (
    Batch,
    LineSpool,
    Spooled,
    anomalies_cut,
    first_frames,
    key,
    merged,
)
from wirelens.app.slots import SLOT_ROWS, Slots
from wirelens.capture.blockread import BlockReader, Fallback
from wirelens.capture.inherited import descriptor
from wirelens.capture.pcapfile import CaptureError, CaptureFile, open_capture
from wirelens.explain.catalog import Catalog
from wirelens.explain.conversation import ConversationTracker
from wirelens.explain.conversation_record import Settled
from wirelens.explain.conversation_summary import ConversationSummary
from wirelens.explain.text import Message, msg
from wirelens.overview.builder import (
    MAX_ANOMALIES,
    MAX_OPEN,
    QUIET_NS,
    Overview,
    OverviewBuilder,
    anomalies_cut_warning,
    first_packet,
    open_limit_warnings,
    renumbered,
)
from wirelens.overview.bulk import Feeder
from wirelens.overview.columns import TcpColumns, endpoint_address, endpoint_text
from wirelens.render.summary import (
    Writer,
    conversation_rest,
    numbered,
    settled_rest,
    write_document,
    write_json,
)

PROGRESS_EVERY = 1 << 14  # frames between two looks for ended conversations / progress
CHUNK = 16  # summaries per pickle in the spool: what one run holds in memory while merging
RUN = 4096  # ended conversations gathered before they go to a share's spool as one run
SHARE_MIN_BYTES = 32 << 20  # smaller files are not worth a second process
GATHER = 1 << 14  # segments a share gathers at most before the tracker follows them
STREAMED = 256  # lines a share's process sends at once at the end
LOCAL_PART = 16  # of 100: the port pairs the reading process follows itself, with others
_MIX = np.uint64(0x9E3779B97F4A7C15)  # spreads port pairs over the shares
_MASK64 = (1 << 64) - 1


class NothingRead(Exception):
    """The file held no frame before its damage: the first warning says why."""


class SpooledConversations:
    """Finished conversations on disk, in runs sorted by their first frames; iterating
    merges the runs and numbers them in that order (``overview.renumbered``). Sized and
    iterable again and again, like the tuple it stands in for."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()
        self._runs: list[list[int]] = []  # chunk offsets of each run
        self._count = 0

    def add(self, batch: list[ConversationSummary]) -> None:
        if not batch:
            return
        batch.sort(key=first_packet)
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
        return renumbered(heapq.merge(*(self._run(r) for r in self._runs), key=first_packet))

    def __len__(self) -> int:
        return self._count

    def __contains__(self, item: object) -> bool:
        return any(item == s for s in self)

    def close(self) -> None:
        self._file.close()


def _open(path: str) -> CaptureFile:
    """The file, through the descriptor a privileged parent opened for us if there is one
    (read from its start: every reader of it shares one file offset)."""
    fd = descriptor(path)
    if fd is not None:
        os.lseek(fd, 0, os.SEEK_SET)
    return open_capture(path, fd=fd)


def file_size(path: str) -> int:
    """Its size in bytes (0 when that cannot be told), through the descriptor a
    privileged parent opened for us if there is one."""
    fd = descriptor(path)
    try:
        return os.fstat(fd).st_size if fd is not None else os.path.getsize(path)
    except OSError:
        return 0


@contextmanager
def _rare_collections() -> Iterator[None]:
    """Python's cyclic garbage collector, run rarely: following conversations makes and
    drops a great many objects that hold no cycles (freed as soon as they are dropped), and
    tens of thousands stay alive for a while, which each full collection would walk for
    nothing. The share processes forked meanwhile inherit the setting."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def fast_overview(path: str, progress: Callable[[int], None] | None = None) -> Overview:
    """The overview of ``path``; raises CaptureError for a file that cannot be opened and
    NothingRead when damage stopped the reading before any frame."""
    with _rare_collections():
        try:
            return _overview(path, progress, columnar=True)
        except Fallback:  # damage inside gzip data: only the frame-by-frame read is exact
            return _overview(path, progress, columnar=False)


def _overview(path: str, progress: Callable[[int], None] | None, columnar: bool) -> Overview:
    builder = OverviewBuilder(columnar=columnar)
    spool = SpooledConversations()
    with _open(path) as capture:
        if columnar:
            reader = BlockReader(capture)
            for block in reader:
                builder.block(block)
                spool.add(builder.take_finished())
                if progress is not None:
                    progress(reader.position)
            texts = reader.warnings
        else:
            walked = builder.walked
            for count, frame in enumerate(capture, start=1):
                walked(frame)
                if count % PROGRESS_EVERY == 0:
                    spool.add(builder.take_finished())
                    if progress is not None:
                        progress(capture._stream.pos)
            texts = capture.warnings
        if not builder.frames and texts:
            raise NothingRead(texts[0])
        warnings = [msg("warning.file", text=w) for w in texts]
    spool.add(builder.take_finished())
    spool.add(builder.held())
    return builder.finish(path, warnings, conversations=spool)


def fast_json(path: str, lang: str, out: Writer, progress: Callable[[int], None] | None = None,
              shares: int = 0, told: Callable[[list[Message]], object] | None = None
              ) -> None:
    """The overview of ``path`` written to ``out`` as ``render.summary.write_json`` writes
    it, the conversations followed in ``shares`` processes (0: as the machine and the file
    size suggest); its warnings handed to ``told`` too. Nothing is written unless the
    whole file could be read. Raises as ``fast_overview``."""
    if shares <= 0:
        shares = 2 if (os.cpu_count() or 1) > 1 and file_size(path) >= SHARE_MIN_BYTES else 1
    with _rare_collections():
        try:
            ov, kinds, lines, more, done = _sharded(path, lang, progress, shares)
        except Fallback:
            whole = _overview(path, progress, columnar=False)
            write_json(whole, lang, out)
            if told is not None:
                told(list(whole.warnings))
            return

        def warnings() -> list[Message]:
            said = more()
            if told is not None:
                told(said)
            return said

        try:
            write_document(ov, Catalog(lang), out, kinds, lines, warnings)
        finally:
            lines.close()
            done()


def _sharded(path: str, lang: str, progress: Callable[[int], None] | None, shares: int
             ) -> tuple[Overview, set[str], Generator[str, None, None],
                        Callable[[], list[Message]], Callable[[], None]]:  # fmt: skip
    """Read the file, follow its conversations in ``shares`` shares of the port pairs, and
    return the overview without its conversations, their anomaly kinds, their JSON lines
    in number order (a generator over the shares' spools and what their processes still
    send), the warnings to write after them, and what to call when done with those."""
    tmp = tempfile.TemporaryDirectory(prefix="wirelens-")
    try:
        builder = OverviewBuilder(columnar=True)  # frames, UDP, ARP; TCP goes to the shares
        workers = _Workers(lang, tmp.name, shares)
        try:
            with _open(path) as capture:
                reader = BlockReader(capture)
                for block in reader:
                    tcp = builder.frames_of(block)
                    workers.feed(tcp, builder.sweeps(len(tcp)), builder.first_ns)
                    if progress is not None:
                        progress(reader.position)
                texts = reader.warnings
            if not builder.frames and texts:
                raise NothingRead(texts[0])
            ov = builder.finish(path, [msg("warning.file", text=w) for w in texts],
                                conversations=())
            results, streams = workers.finish()
        except BaseException:
            workers.stop()
            raise
    except BaseException:
        tmp.cleanup()
        raise
    kinds = set().union(*(r.kinds for r in results))
    cut: list[int] = []

    def done() -> None:
        workers.stop()  # they have sent all by now, or are to send no more
        tmp.cleanup()

    def lines() -> Generator[str, None, None]:
        number = 0
        last = -1
        for keys, texts in merged([r.spool for r in results], streams):
            first = first_frames(keys)
            # written when settled, again when revived: the later one (first in order)
            keep = np.ones(len(keys), dtype=bool)
            keep[0] = first[0] != last
            keep[1:] = first[1:] != first[:-1]
            last = int(first[-1])
            numbers = number + np.cumsum(keep)
            cut.extend(numbers[keep & anomalies_cut(keys)].tolist())
            for n, rest in zip(numbers[keep].tolist(), itertools.compress(texts, keep.tolist()),
                               strict=True):
                yield numbered(n, rest)
            number = int(numbers[-1])

    def warnings() -> list[Message]:
        cut_open = open_limit_warnings(sum(r.unfollowed for r in results),
                                       sum(r.forgot_early for r in results))
        return [*ov.warnings, *cut_open,
                *([anomalies_cut_warning(len(cut), cut[0])] if cut else [])]

    return ov, kinds, lines(), warnings, done


class _Share:
    """The conversations of one share of the port pairs: a tracker of its own, and the ones
    that ended written out as JSON lines (after their numbers: these are given as the
    shares' lines are merged) in sorted runs (``app.linespool``), so that memory holds
    the open ones only."""

    def __init__(self, lang: str, folder: str, name: str, max_open: int = MAX_OPEN) -> None:
        self.tracker = ConversationTracker(keep_packets=False, max_anomalies=MAX_ANOMALIES,
                                           endpoints=endpoint_address, max_open=max_open,
                                           on_settle=self._settled)
        self._feeder = Feeder(self.tracker)
        self.cat = Catalog(lang)
        self.kinds: set[str] = set()
        self.start_ns = 0
        self._pending: list[tuple[int, str]] = []  # (linespool.key, line) of the next run
        self._spool = LineSpool(folder, name)
        self._gathered: list[tuple[TcpColumns, int, int]] = []  # not yet fed
        self._gathered_rows = 0

    def chunk(self, cols: TcpColumns, lo: int, hi: int, sweep_ns: int | None,
              start_ns: int) -> None:
        """Rows lo:hi, then a sweep at ``sweep_ns`` if not None. Rows between two sweeps
        go to the tracker together, up to ``GATHER``: each feed costs a little whatever
        its length, and a share's part of a block is small."""
        self.start_ns = start_ns
        if hi > lo:
            self._gathered.append((cols, lo, hi))
            self._gathered_rows += hi - lo
        if sweep_ns is not None or self._gathered_rows >= GATHER:
            self._feed()
        if sweep_ns is not None:
            self._ended(self.tracker.pop_finished_records(sweep_ns, QUIET_NS))
        if len(self._pending) >= RUN:
            self._flush()

    def _feed(self) -> None:
        self._feeder.feed_pieces(self._gathered)
        self._gathered, self._gathered_rows = [], 0

    def _settled(self, records: list[Settled]) -> None:
        """A conversation settled whole is written out at once, not when the tracker lets
        it go: it seldom changes again, and so little is left for the end of the file. One
        that does (a later segment joins it) is written again when it ends; the merge keeps
        that line (``_sharded``)."""
        cat, start, add, kinds = self.cat, self.start_ns, self._pending.append, self.kinds
        for rec in records:
            add((key(rec.first_index, True, False), settled_rest(rec, endpoint_text, cat, start)))
            rec.memo = True  # written
            for kind, _ in rec.template.anomaly_counts:
                kinds.add(kind)

    def _ended(self, summaries: list[ConversationSummary | Settled]) -> None:
        cat, start, kinds, add = self.cat, self.start_ns, self.kinds, self._pending.append
        for s in summaries:
            if isinstance(s, Settled):
                assert s.memo, "written when it was settled"
                continue
            add((key(s.first_packet, False, s.anomalies_cut), conversation_rest(s, cat, start)))
            for kind, _ in s.anomaly_counts:
                kinds.add(kind)

    def _flush(self) -> None:
        self._spool.add(self._pending)
        self._pending = []

    def close(self) -> _ShareResult:
        """Everything written out, the conversations still held too."""
        self._finish()
        for item in self._held():  # a run at a time, not all at once
            self._pending.append(item)
            if len(self._pending) >= RUN:
                self._flush()
        self._flush()
        return self._result()

    def end(self) -> tuple[_ShareResult, Iterator[tuple[int, str]]]:
        """Everything written out but the conversations held followed one by one: the
        result so far, and their (key, line) pairs in key order, made as they are asked
        for (the reading process writes the rest of the document meanwhile)."""
        self._finish()
        self._flush()
        return self._result(), self._held()

    def _finish(self) -> None:
        self._feed()
        self._feeder.flush()
        self.kinds |= self.tracker.followed_kinds()  # settled ones' are in already

    def _held(self) -> Iterator[tuple[int, str]]:
        cat, start = self.cat, self.start_ns
        for s in self.tracker.each_followed():
            yield key(s.first_packet, False, s.anomalies_cut), conversation_rest(s, cat, start)

    def _result(self) -> _ShareResult:
        return _ShareResult(self._spool.close(), self.kinds, self.tracker.unfollowed,
                            self.tracker.forgot_early)


@dataclass(frozen=True)
class _ShareResult:
    spool: Spooled
    kinds: set[str]
    unfollowed: int
    forgot_early: int


def _buckets(cols: TcpColumns) -> npt.NDArray[np.int64]:
    """A number from 0 to 99 for each segment's port pair (both directions alike), spread
    evenly: the shares take ranges of them."""
    first = np.minimum(cols.src, cols.dst)
    second = np.maximum(cols.src, cols.dst)
    with np.errstate(over="ignore"):
        mixed = first * _MIX + second
    bucket = ((mixed >> np.uint64(32)) % np.uint64(100)).astype(np.int64)
    for row, (a, b) in cols.wide.items():
        low, high = min(a, b), max(a, b)
        bucket[row] = (((low * int(_MIX) + high) & _MASK64) >> 32) % 100
    return bucket


class _Workers:
    """The shares of the port pairs: the first followed in this process, which also reads
    the file and so takes a smaller part (``LOCAL_PART`` of 100 when there are others),
    the others each in a process of its own (forked, so it needs no file this process
    could not read after dropping root), its segments sent through shared memory
    (``app.slots``)."""

    def __init__(self, lang: str, folder: str, shares: int) -> None:
        self._procs: list[tuple[BaseProcess, Connection, Slots]] = []
        others = shares - 1
        # bucket < bounds[0]: here; < bounds[i]: the i-th other process
        self._bounds = [100 if not others else LOCAL_PART] + [
            LOCAL_PART + (100 - LOCAL_PART) * (i + 1) // others for i in range(others)]
        # Each share holds at most its part of the conversations the overview may hold.
        parts = [b - a for a, b in zip([0, *self._bounds], self._bounds, strict=False)]
        self._local = _Share(lang, folder, "share-0", MAX_OPEN * parts[0] // 100)
        if not others:
            return
        context = multiprocessing.get_context("fork")
        sys.stdout.flush()  # a child flushes at exit what it inherited unwritten
        sys.stderr.flush()
        for i in range(1, shares):
            mine, theirs = context.Pipe()
            slots = Slots()
            proc = context.Process(target=_serve, daemon=True,
                                   args=(theirs, slots, lang, folder, f"share-{i}",
                                         MAX_OPEN * parts[i] // 100))
            proc.start()
            theirs.close()
            self._procs.append((proc, mine, slots))

    def feed(self, cols: TcpColumns, sweeps: list[tuple[int, int, bool]], start_ns: int
             ) -> None:
        ends = [(hi, int(cols.ts_ns[hi - 1]) if sweep else None) for _, hi, sweep in sweeps]
        if not self._procs:
            _chunks(self._local, cols, ends, start_ns)
            return
        share = np.searchsorted(np.array(self._bounds), _buckets(cols), side="right")
        for i, (_, conn, slots) in enumerate(self._procs, start=1):  # theirs first: they start
            rows = np.flatnonzero(share == i)
            cuts = _cuts(rows, ends)
            if len(rows) > SLOT_ROWS:  # more than a block: down the pipe as it is
                conn.send((None, cols.take(rows), cuts, start_ns))
                continue
            if not slots.free:
                slots.free.append(_handed_back(conn))
            slot = slots.free.pop()
            slots.put(slot, cols, rows)
            conn.send((slot, len(rows), cols.wide_at(rows), cuts, start_ns))
        rows = np.flatnonzero(share == 0)
        _chunks(self._local, cols.take(rows), _cuts(rows, ends), start_ns)

    def finish(self) -> tuple[list[_ShareResult], list[Iterator[Batch]]]:
        """Each share's result, and the lines the other processes still send (see
        ``_Share.end``), to be merged in as they come; ``stop`` after reading them."""
        for _, conn, _ in self._procs:
            conn.send(None)
        results = [self._local.close()]
        streams = []
        for _, conn, _ in self._procs:
            while isinstance(got := _answer(conn), int):  # slots handed back meanwhile
                pass
            results.append(got)
            streams.append(_streamed(conn))
        return results, streams

    def stop(self) -> None:
        for proc, conn, _ in self._procs:
            proc.terminate()
            proc.join()
            conn.close()


def _cuts(rows: npt.NDArray[np.int64], ends: list[tuple[int, int | None]]
          ) -> list[tuple[int, int | None]]:
    """Where the sweeps fall among a share's ``rows`` of the block: (rows before the
    sweep, its time or None), for each stretch of the block."""
    at = np.searchsorted(rows, [hi for hi, _ in ends]).tolist()
    return [(n, sweep_ns) for n, (_, sweep_ns) in zip(at, ends, strict=True)]


def _chunks(share: _Share, cols: TcpColumns, cuts: list[tuple[int, int | None]],
            start_ns: int) -> None:
    lo = 0
    for hi, sweep_ns in cuts:
        share.chunk(cols, lo, hi, sweep_ns, start_ns)
        lo = hi


def _answer(conn: Connection) -> int | _ShareResult:
    """What a share's process sent: a slot it has done with, or its result; what went
    wrong there, raised here."""
    got = conn.recv()
    if isinstance(got, str):
        raise RuntimeError(got)
    return cast(int | _ShareResult, got)


def _batches(items: Iterator[tuple[int, str]]) -> Iterator[Batch]:
    """``items`` as batches of ``STREAMED`` at most."""
    while batch := list(itertools.islice(items, STREAMED)):
        yield np.array([k for k, _ in batch], dtype=np.int64), [line for _, line in batch]


def _streamed(conn: Connection) -> Iterator[Batch]:
    while (got := conn.recv()) is not None:
        if isinstance(got, str):
            raise RuntimeError(got)
        yield got


def _handed_back(conn: Connection) -> int:
    got = _answer(conn)
    assert isinstance(got, int), "a share's process answers with slots until told to end"
    return got


def _serve(conn: Connection, slots: Slots, lang: str, folder: str, name: str,
           max_open: int) -> None:
    """A share's process: segments in, (when told) its result out. It ends with
    ``os._exit``: nothing it inherited (standard streams a progress bar's thread may have
    held at the fork) is flushed or touched on the way out."""
    code = 0
    try:
        share = _Share(lang, folder, name, max_open)
        while (got := conn.recv()) is not None:
            slot, *rest = got
            if slot is None:
                cols, cuts, start_ns = rest
            else:
                count, wide, cuts, start_ns = rest
                cols = slots.take(slot, count, wide)
                conn.send(slot)
            _chunks(share, cols, cuts, start_ns)
        result, held = share.end()
        conn.send(result)
        for batch in _batches(held):
            conn.send(batch)
        conn.send(None)
    except EOFError:  # the parent went away
        code = 1
    except Exception as exc:  # the parent reports it; a traceback from a child helps nobody
        conn.send(f"{type(exc).__name__}: {exc}")
        code = 1
    finally:
        conn.close()
        os._exit(code)


__all__ = ["CaptureError", "NothingRead", "SpooledConversations", "fast_json", "fast_overview"]
