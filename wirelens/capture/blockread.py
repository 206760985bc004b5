"""Capture files read in large blocks, for the overview's columnar path.

``blocks(capture)`` yields ``overview.columns.Records``: many frames at a time, their bytes
left where the read put them (so a block is good until the next is read: the buffer is
used again). A classic pcap file is read 8 MiB at a time and its record
headers found with one tight loop and numpy; a pcapng file goes through the frame-by-frame
reader (``CaptureFile``) and its frames are gathered into blocks. Either way the frames,
their numbers and ``warnings`` are exactly what ``CaptureFile`` gives for the same file,
damage included. When that cannot be promised (a read error inside gzip data: where it
shows depends on how the data was read), ``Fallback`` is raised, and the caller starts
again frame by frame.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from wirelens.capture.pcapfile import (
    _DISSECTED,
    _READ_ERRORS,
    MAX_FRAME,
    MAX_RECORD,
    RECORD_HEADER,
    CaptureFile,
    _Problem,
    _Stream,
    _Tally,
    _truncated,
)
from wirelens.explain.records import Frame
from wirelens.overview.columns import Records, bytes_at

BLOCK = 8 << 20  # bytes read at once from a classic pcap file
FRAMES = 8192  # frames gathered into one block from a pcapng file
# Frames at most in one block cut from a classic pcap file: 8 MiB of small frames (a SYN
# flood) would make every column of the walk as long. Fewer would cost speed: each block
# boundary sends a few more segments one by one (see overview.bulk).
PCAP_FRAMES = 1 << 15
_FIELDS = ("sec", "frac", "caplen", "orig_len")  # a record header: four 32-bit words
_Unpack = Callable[[bytes | memoryview, int], tuple[Any, ...]]


class Fallback(Exception):
    """The file must be read frame by frame to get the exact answer."""


class BlockReader:
    """Iterating gives ``Records``; afterwards ``warnings`` holds what ``CaptureFile``
    would hold. ``position`` is the bytes read so far, for a progress bar."""

    def __init__(self, capture: CaptureFile) -> None:
        self._cap = capture
        self.warnings: list[str] = []

    @property
    def position(self) -> int:
        return self._cap._stream.pos

    def __iter__(self) -> Iterator[Records]:
        self.warnings.clear()
        if self._cap.format == "pcap" and self._cap._record_len == RECORD_HEADER:
            yield from self._pcap()
        else:
            yield from self._frames()

    def _frames(self) -> Iterator[Records]:
        cap = self._cap
        batch: list[Frame] = []
        for frame in cap:
            batch.append(frame)
            if len(batch) >= FRAMES:
                yield _gathered(batch)
                batch = []
        if batch:
            yield _gathered(batch)
        self.warnings.extend(cap.warnings)

    def _pcap(self) -> Iterator[Records]:
        cap = self._cap
        cap.warnings.clear()
        endian, ns_per_tick, snaplen, linktype = cap._pcap_header
        caplen_at = struct.Struct(endian + "I").unpack_from
        head = np.dtype([(f, endian + "u4") for f in _FIELDS])
        s = cap._stream
        s.rewind()
        s.read(24)
        tally = _Tally()
        buf = bytearray(BLOCK)
        kept = 0  # bytes at the front of buf carried over from the last block
        base = 24  # file offset of buf[0]
        count = 0  # frames yielded
        while True:
            if len(buf) - kept < BLOCK // 2:  # a record bigger than a block: make room
                buf = buf[:kept] + bytearray(len(buf) + BLOCK)
            got = _read_into(s, memoryview(buf)[kept:])
            data = memoryview(buf)[: kept + got]
            offsets, tail = _scan(data, caplen_at)
            if offsets:
                at = np.array(offsets, dtype=np.int64)
                heads = bytes_at(data, at, 16).view(head)
                sec, frac, caplen, orig_len = (heads[f].astype(np.int64) for f in _FIELDS)
                if int(caplen.max()) > MAX_FRAME:
                    raise Fallback("a frame longer than a frame is kept")
                m = len(offsets)
                tally.cut += int(np.count_nonzero(orig_len > caplen))
                if snaplen:
                    tally.over_snap += int(np.count_nonzero(caplen > snaplen))
                if linktype not in _DISSECTED:
                    tally.odd_links[linktype] += m
                ts_ns = sec * 1_000_000_000 + frac * ns_per_tick
                links = np.full(m, linktype, dtype=np.int64)
                for lo in range(0, m, PCAP_FRAMES):
                    hi = lo + PCAP_FRAMES
                    yield Records(data, count + 1 + lo, at[lo:hi] + 16, caplen[lo:hi],
                                  ts_ns[lo:hi], links[lo:hi], orig_len[lo:hi])
                count += m
            rest = len(data) - tail
            if rest >= 16 and MAX_FRAME < caplen_at(data, tail + 8)[0] <= MAX_RECORD:
                raise Fallback("a frame longer than a frame is kept: cut frame by frame")
            if rest >= 16 and caplen_at(data, tail + 8)[0] > MAX_RECORD:
                problem = (f"frame {count + 1} at byte {base + tail} claims "
                           f"{caplen_at(data, tail + 8)[0]} captured bytes")
                cap._stop(_Problem(problem, truncated=False))
                break
            if not got:  # the end of the data
                if rest:
                    what = "record header" if rest < 16 else "data"
                    cap._stop(_truncated(s, f"{what} of frame {count + 1}"))
                break
            buf[:rest] = buf[tail : kept + got]
            kept = rest
            base += tail
        self.warnings.extend(cap.warnings)
        self.warnings.extend(tally.summary(cap.path))


def _read_into(s: _Stream, view: memoryview) -> int:
    """Fill ``view`` from the stream as far as the data goes; a read error means the file
    must be read frame by frame (the error's position depends on how it is read)."""
    got = 0
    size = len(view)
    while got < size:
        try:
            n = s.fh.readinto(view[got:])
        except _READ_ERRORS as exc:
            raise Fallback(f"{type(exc).__name__}: {exc}") from None
        if not n:
            break
        got += n
    s.pos += got
    return got


def _scan(data: bytes | memoryview, caplen_at: _Unpack) -> tuple[list[int], int]:
    """The offsets of the whole records in ``data`` and where the first incomplete one
    starts (``len(data)`` when none is)."""
    offsets: list[int] = []
    add = offsets.append
    at = 0
    try:
        while True:  # no bounds test: reading past the end raises, and ends the loop
            add(at)
            at += 16 + caplen_at(data, at + 8)[0]
    except struct.error:
        pass
    end = tail = len(data)
    while offsets:  # the last one or two offsets may be cut by the end of the data
        last = offsets[-1]
        if last + 16 <= end and last + 16 + caplen_at(data, last + 8)[0] <= end:
            break
        tail = offsets.pop()
    return offsets, tail


_INT64 = range(-(1 << 63), 1 << 63)


def _gathered(frames: list[Frame]) -> Records:
    """Frames into a block. A time beyond 64 bits (a pcapng interface can claim any
    resolution and offset) does not fit the columns: then frame by frame it is."""
    if any(f.ts_ns not in _INT64 for f in frames):
        raise Fallback("a time stamp beyond 64 bits")
    datas = [f.data for f in frames]
    lengths = np.fromiter((len(d) for d in datas), dtype=np.int64, count=len(datas))
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    return Records(
        b"".join(datas), frames[0].index, starts, lengths,
        np.fromiter((f.ts_ns for f in frames), dtype=np.int64, count=len(frames)),
        np.fromiter((f.linktype for f in frames), dtype=np.int64, count=len(frames)),
        np.fromiter((f.orig_len for f in frames), dtype=np.int64, count=len(frames)),
    )
