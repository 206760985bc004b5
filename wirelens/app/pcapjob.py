"""explain-pcap's work on capture files: read, filter, follow every conversation, render.

``overview_file`` gives one file's ``Overview``: through the numpy header walk
(``app.fastread`` + ``overview.fastwalk``) when the file can take it, or frame by frame
through the full dissector otherwise (a BPF filter, or a link type the walk does not
know). ``render_overviews`` renders several files at once, one process per core, each
rendering its own file, so nothing unpicklable crosses between processes. A progress bar
goes to stderr for big files when stderr is a terminal. rich is imported only where it is
used (JSON for a script needs none of it); a process about to drop root loads what it
will use first (``cli.warm_up_overview``: rich's progress module imports ``mmap``, which
a child that dropped root may not be able to load later).
"""

from __future__ import annotations

import heapq
import io
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, NoReturn

import numpy as np

from wirelens.capture.blockread import BlockReader, Fallback
from wirelens.capture.inherited import descriptor
from wirelens.capture.metadata import read_calls
from wirelens.capture.pcapfile import CaptureError, CaptureFile, open_capture
from wirelens.explain.conversation import ConversationTracker
from wirelens.explain.dissect import dissect, segment_of
from wirelens.explain.records import Frame
from wirelens.explain.text import Message, msg
from wirelens.overview.builder import Overview, OverviewBuilder
from wirelens.overview.columns import decode, endpoint_key

if TYPE_CHECKING:  # loaded where used: the overview of a file as JSON needs neither
    from rich.progress import ProgressColumn

    from wirelens.capture.bpf import BpfFilter
    from wirelens.explain.model import Explanation

PROGRESS_BYTES = 32 * 1024 * 1024  # files bigger than this get a progress bar on a terminal


class JobError(Exception):
    """Nothing could be read, or the filter is bad: one line, naming the file."""


@dataclass(frozen=True, slots=True)
class Options:
    bpf: str | None = None
    lang: str = "en"
    fmt: str = "text"
    width: int = 0
    progress: bool = True
    fast: bool = True  # use the numpy walk when it applies


def _progress(path: str, enabled: bool) -> Callable[[int], None] | None:
    """A callback taking bytes read so far, drawing a rich bar on stderr; None when off."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return None
    if not enabled or size < PROGRESS_BYTES or not sys.stderr.isatty():
        return None
    # imported here: 21 ms saved at start-up when not needed
    from rich.progress import DownloadColumn

    return stderr_bar(os.path.basename(path), size, DownloadColumn())


def stderr_bar(description: str, total: int, count: ProgressColumn) -> Callable[[int], None]:
    """A rich bar on stderr (``count``: the rich column that says how far), as a callback
    taking how far it is; a negative number ends it."""
    # imported here: 21 ms saved at start-up when not needed
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TimeRemainingColumn

    bar = Progress("{task.description}", BarColumn(), count, TimeRemainingColumn(),
                   transient=True, console=Console(stderr=True), redirect_stdout=False,
                   redirect_stderr=False)
    task = bar.add_task(description, total=total)
    bar.start()

    def update(done: int) -> None:
        if done < 0:
            bar.stop()
        else:
            bar.update(task, completed=done)

    return update


def _filtered(frames: Iterable[Frame], bpf: BpfFilter | None,
              kept: list[int]) -> Iterator[Frame]:
    """The frames the filter keeps; ``kept`` counts [kept, read]."""
    for frame in frames:
        kept[1] += 1
        if bpf is None or bpf.matches(frame):
            kept[0] += 1
            yield frame


def _open(path: str) -> CaptureFile:
    """The file, read from its start (a descriptor a privileged parent opened for us is
    shared by every reader of it, and so is its offset)."""
    fd = descriptor(path)
    try:
        if fd is not None:
            os.lseek(fd, 0, os.SEEK_SET)
        return open_capture(path)
    except CaptureError as exc:
        raise JobError(str(exc)) from exc
    except OSError as exc:  # a pipe cannot go back to its start
        raise JobError(f"{path}: cannot read it again ({exc})") from exc


def _file_warnings(warnings: Sequence[str]) -> list[Message]:
    return [msg("warning.file", text=w) for w in warnings]


def overview_file(path: str, options: Options = Options()) -> Overview:
    bpf = _compile(options.bpf)
    progress = _progress(path, options.progress)
    try:
        if options.fast and bpf is None:
            # imported here: 21 ms saved at start-up when not needed
            from wirelens.app.fastread import NothingRead, fast_overview

            try:
                return fast_overview(path, progress=progress)
            except CaptureError as exc:
                raise JobError(str(exc)) from exc
            except NothingRead as exc:
                raise JobError(str(exc)) from exc
        with _open(path) as capture:
            builder = OverviewBuilder()
            kept = [0, 0]
            count = 0
            for frame in _filtered(capture, bpf, kept):
                builder.frame(frame)
                count += 1
                if progress is not None and count % 4096 == 0:
                    progress(capture._stream.pos)
            warnings = _file_warnings(capture.warnings)
            if bpf is not None:
                warnings.append(msg("overview.warning.filter", filter=bpf.expression,
                                    kept=kept[0], frames=kept[1]))
            if not builder.frames and capture.warnings and bpf is None:
                raise JobError(capture.warnings[0])
            return builder.finish(path, warnings)
    finally:
        if progress is not None:
            progress(-1)


def _compile(expression: str | None) -> BpfFilter | None:
    if not expression:
        return None
    # imported here: 7 ms saved at start-up when not needed
    from wirelens.capture.bpf import BpfFilter, FilterError  # libpcap: only for a filter

    try:
        return BpfFilter(expression)
    except FilterError as exc:
        raise JobError(str(exc)) from exc


def merged_overview(paths: Sequence[str], options: Options = Options()) -> Overview:
    """All files as one capture, frames merged in time order and numbered anew."""
    bpf = _compile(options.bpf)
    captures = [_open(p) for p in paths]
    try:
        streams = [((f.ts_ns, i, f) for f in cap) for i, cap in enumerate(captures)]
        builder = OverviewBuilder()
        number = 0
        kept = [0, 0]
        merged = (f for _, _, f in heapq.merge(*streams, key=lambda t: (t[0], t[1])))
        for frame in _filtered(merged, bpf, kept):
            number += 1
            builder.frame(replace(frame, index=number))
        warnings = [w for cap in captures for w in _file_warnings(cap.warnings)]
        return builder.finish(" + ".join(paths), warnings)
    finally:
        for cap in captures:
            cap.close()


def render_overview(ov: Overview, options: Options, out: io.StringIO | None = None) -> str:
    """The overview as text or JSON, returned as a string."""
    buffer = out or io.StringIO()
    if options.fmt == "json":
        # imported here: 9 ms saved at start-up when not needed
        from wirelens.render.summary import write_json

        write_json(ov, options.lang, buffer)
        buffer.write("\n")
    else:
        # imported here: 23 ms saved at start-up when not needed
        from rich.console import Console

        from wirelens.render.summary import render

        console = Console(file=buffer, width=options.width or 100, highlight=False,
                          force_terminal=False, color_system=None)
        render(ov, console, options.lang)
    return buffer.getvalue()


class _Flushing(io.TextIOBase):
    """Text handed to ``sink`` a megabyte at a time (the pieces kept as they come and
    joined once: a big capture's JSON is tens of megabytes)."""

    def __init__(self, sink: Callable[[str], object]) -> None:
        super().__init__()
        self._sink = sink
        self._pieces: list[str] = []
        self._size = 0

    def write(self, text: str) -> int:
        self._pieces.append(text)
        self._size += len(text)
        if self._size >= 1 << 20:
            self.drain()
        return len(text)

    def drain(self) -> None:
        self._sink("".join(self._pieces))
        self._pieces, self._size = [], 0


def write_overview(path: str, options: Options, write: Callable[[str], object],
                   told: Callable[[list[Message]], object] | None = None) -> None:
    """One file's overview, as ``render_overview`` gives it, handed to ``write`` piece by
    piece: the JSON of a big capture need not fit in memory; its warnings handed to
    ``told`` too. JSON without a filter comes from ``fastread.fast_json`` (every core)."""
    if options.fmt != "json" or not options.fast or options.bpf:
        ov = overview_file(path, options)
        write(render_overview(ov, options))
        if told is not None:
            told(list(ov.warnings))
        return
    # imported here: 21 ms saved at start-up when not needed
    from wirelens.app.fastread import NothingRead, fast_json

    progress = _progress(path, options.progress)
    out = _Flushing(write)
    try:
        fast_json(path, options.lang, out, progress=progress, told=told)
    except (CaptureError, NothingRead) as exc:
        raise JobError(str(exc)) from exc
    finally:
        if progress is not None:
            progress(-1)
    out.write("\n")
    out.drain()


def _job(args: tuple[str, Options]) -> tuple[str, str, str]:
    """(path, rendered output, error) for one file, in a worker process."""
    path, options = args
    try:
        ov = overview_file(path, replace(options, progress=False))
    except JobError as exc:
        return path, "", str(exc)
    return path, render_overview(ov, options), ""


overview_job = _job  # the same, for a Dask worker (tablejob.summaries)


def render_overviews(paths: Sequence[str], options: Options) -> Iterator[tuple[str, str, str]]:
    """(path, output, error) for each file in order; files spread over every core."""
    if len(paths) == 1:
        yield _job((paths[0], options))
        return
    # imported here: 6 ms saved at start-up when not needed
    import multiprocessing

    workers = min(len(paths), os.cpu_count() or 1)
    # fork, not spawn: a worker must inherit the descriptors a root parent opened and the
    # modules already loaded (a process that dropped root may not read the interpreter).
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_job, [(p, options) for p in paths])


def _explain(path: str, frames: list[Frame], capture: CaptureFile, options: Options,
             first_conversation: int = 1, file_warnings: list[Message] | None = None
             ) -> Explanation:
    # imported here: 12 ms saved at start-up when not needed
    from wirelens.explain.explainer import explain

    calls, bad_calls = read_calls(capture.comments)
    exp = explain(frames, socket_calls=calls,
                  source=f"capture file {path}", source_text=msg("ui.source_file", path=path),
                  first_conversation=first_conversation)
    warnings = _file_warnings(capture.warnings) if file_warnings is None else file_warnings
    if bad_calls:
        warnings.append(msg("warning.file", text=f"{path}: {bad_calls}"))
    if options.bpf:
        warnings.append(msg("overview.warning.filter", filter=options.bpf, kept=len(frames),
                            frames=capture_frames(capture)))
    return replace(exp, warnings=tuple(warnings) + exp.warnings) if warnings else exp


def capture_frames(capture: CaptureFile) -> int:
    return sum(1 for _ in capture)


# What is explained packet by packet at most: each packet costs ~100 KB as JSON and a
# person reads a few hundred; more is the overview's (--summary) or one conversation's.
PER_PACKET = 1000  # frames
PER_PACKET_BYTES = 16 << 20  # bytes of frame data (a frame keeps pcapfile.MAX_FRAME)


class TooBig(JobError):
    """More frames than are explained one by one."""


def too_big(path: str) -> TooBig:
    return TooBig(f"{path} holds more than {PER_PACKET} frames (or "
                  f"{PER_PACKET_BYTES >> 20} MiB of them): too many to explain one by one; "
                  f"see every conversation with --summary, then one with --conversation N")


def _bounded(frames: Iterable[Frame], path: str) -> Iterator[Frame]:
    """The frames, or ``TooBig`` as soon as they are more than ``PER_PACKET`` allows."""
    count = size = 0
    for frame in frames:
        count += 1
        size += len(frame.data)
        if count > PER_PACKET or size > PER_PACKET_BYTES:
            raise too_big(path)
        yield frame


def fits_per_packet(path: str, options: Options = Options()) -> bool:
    """Whether the file's frames (those the filter keeps) can be explained one by one:
    what is inside decides, not the size on disk (a small gzip file can hold millions of
    frames). Read up to the limit, nothing kept. A pipe can be read once only: it is
    taken as fitting, and ``explain_small`` stops at the limit."""
    fd = descriptor(path)
    try:
        mode = os.fstat(fd).st_mode if fd is not None else os.stat(path).st_mode
    except OSError:
        return True  # explain_small says what is wrong with it
    if not stat.S_ISREG(mode):
        return True
    bpf = _compile(options.bpf)
    try:
        with _open(path) as capture:
            for _ in _bounded(_filtered(capture, bpf, [0, 0]), path):
                pass
    except TooBig:
        return False
    except JobError:
        return True  # explain_small says what is wrong with it
    return True


def explain_small(path: str, options: Options = Options()) -> Explanation:
    """Every frame explained field by field (what explain-demo shows), for files of at
    most ``PER_PACKET`` frames (else ``TooBig``)."""
    bpf = _compile(options.bpf)
    with _open(path) as capture:
        frames = list(_bounded(_filtered(capture, bpf, [0, 0]), path))
        if not frames and capture.warnings and bpf is None:
            raise JobError(capture.warnings[0])
        return _explain(path, frames, capture, options)


def explain_conversation(path: str, number: int, options: Options = Options()) -> Explanation:
    """Conversation ``number`` of the overview, packet by packet: its frames found, then
    explained. A big file without a filter is summed up first as its overview is
    (``_frames_of_summary``); otherwise a first pass follows every conversation with the
    tracker and keeps only this one's frames."""
    with _open(path) as capture:
        if not options.bpf and _holds_at_least(path, capture, BIG_FILE):
            chosen, warnings = _frames_of_summary(path, capture, number)
            return _explain(path, chosen, capture, options, first_conversation=number,
                            file_warnings=warnings)
        followed = _frames_followed(path, capture, number, _compile(options.bpf))
        return _explain(path, followed, capture, options, first_conversation=number,
                        file_warnings=_file_warnings(capture.warnings)
                        + followed.warnings(path, number))


BIG_FILE = 32 << 20  # bytes of capture data from which --conversation starts from the overview


def _holds_at_least(path: str, capture: CaptureFile, size: int) -> bool:
    """Whether the capture data is ``size`` bytes or more: the file's size, or for gzip
    what it decompresses to (read up to ``size``: a small file can hold millions of
    frames, and following each of them would take minutes)."""
    # imported here: 21 ms saved at start-up when not needed
    from wirelens.app.fastread import file_size

    if not capture.compressed:
        return file_size(path) >= size
    stream = capture._stream
    stream.rewind()
    return stream.skip(size) >= size


class _Kept(list[Frame]):
    """A conversation's frames, the first ``PER_PACKET`` of them (and ``PER_PACKET_BYTES``
    at most); ``seen`` counts them all."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0
        self._size = 0

    def add(self, frame: Frame) -> None:
        self.seen += 1
        self._size += len(frame.data)
        if len(self) < PER_PACKET and self._size <= PER_PACKET_BYTES:
            self.append(frame)

    def warnings(self, path: str, number: int) -> list[Message]:
        if self.seen == len(self):
            return []
        text = (f"{path}: conversation {number} has {self.seen} packets; the first "
                f"{len(self)} are explained one by one (--summary tells all of it)")
        return [msg("warning.file", text=text)]


def _frames_followed(path: str, capture: CaptureFile, number: int, bpf: BpfFilter | None
                     ) -> _Kept:
    tracker = ConversationTracker(keep_packets=False, max_anomalies=0)
    chosen = _Kept()
    for frame in _filtered(capture, bpf, [0, 0]):
        seg = segment_of(dissect(frame))
        if seg is not None and tracker.feed(seg).conversation == number:
            chosen.add(frame)
    if not chosen.seen:
        _no_such(path, capture, number, tracker._count)
    return chosen


def _frames_of_summary(path: str, capture: CaptureFile, number: int
                       ) -> tuple[list[Frame], list[Message]]:
    """The frames of conversation ``number`` as the overview tells it, and the file's
    warnings: the first ``packet_count`` TCP segments between its two ends from its first
    frame on (two conversations of one port pair are never held at once, so those are all
    of its segments and only them), found in the overview's columns, not by dissecting
    every frame."""
    # imported here: 21 ms saved at start-up when not needed
    from wirelens.app.fastread import NothingRead, fast_overview

    try:
        ov = fast_overview(path)
    except (CaptureError, NothingRead) as exc:
        raise JobError(str(exc)) from exc
    found = next((s for s in ov.conversations if s.number == number), None)
    if found is None:
        _no_such(path, capture, number, len(ov.conversations))
    assert found is not None
    ends = {_endpoint(found.client), _endpoint(found.server)}
    narrow = [np.uint64(k) for k in ends if k < 1 << 64]
    chosen = _Kept()
    wanted = min(found.packet_count, PER_PACKET)
    try:
        for rec in BlockReader(capture):
            tcp = decode(rec).tcp
            if len(chosen) >= wanted or not len(tcp) \
                    or int(tcp.index[-1]) < found.first_packet:
                continue
            hit = np.zeros(len(tcp), dtype=bool)
            if len(narrow) == 2:
                a, b = narrow
                hit = ((tcp.src == a) & (tcp.dst == b)) | ((tcp.src == b) & (tcp.dst == a))
            for row, (src, dst) in tcp.wide.items():
                hit[row] = {src, dst} == ends
            hit &= tcp.index >= found.first_packet
            for row in np.flatnonzero(hit)[: wanted - len(chosen)].tolist():
                chosen.add(rec.frame(int(tcp.row[row])))
    except Fallback:  # damage inside gzip data: the overview was read frame by frame too
        followed = _frames_followed(path, capture, number, None)
        return followed, followed.warnings(path, number)
    chosen.seen = found.packet_count
    return chosen, [w for w in ov.warnings if w.key == "warning.file"] + chosen.warnings(
        path, number)


def _endpoint(text: str) -> int:
    """The ``columns.endpoint_key`` of an address as ``addr_text`` writes it."""
    host, _, port = text.rpartition(":")
    return endpoint_key(host.strip("[]"), int(port))


def _no_such(path: str, capture: CaptureFile, number: int, count: int) -> NoReturn:
    if not count and capture.warnings:
        raise JobError(capture.warnings[0])
    raise JobError(f"{path}: there is no conversation {number} (the capture has {count})")
