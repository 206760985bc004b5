"""Streaming reader and writer for pcap and pcapng capture files, in pure Python.

Reading holds one record or block in memory at a time. Damage found while opening raises
CaptureError; damage found later ends iteration with a note in CaptureFile.warnings, so
every frame before the damage is still shown. For gzip files every byte offset counts
bytes of the decompressed stream, since that is what the formats describe.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import NamedTuple, Protocol

from wirelens.capture.inherited import descriptor
from wirelens.explain import wirenumbers
from wirelens.explain.records import Frame
from wirelens.explain.wirenumbers import LINKTYPE_ETHERNET, LINKTYPE_PCAPNG_BLOCK

__all__ = ["CaptureError", "CaptureFile", "PcapngStream", "open_capture", "write_pcap",
           "write_pcapng"]

MAX_RECORD = 256 * 1024 * 1024  # no real frame or block is this big: a bigger length is damage
# Bytes of one frame kept (libpcap's largest snap length): the rest of a longer one is read
# past, not held, so one record cannot fill the memory. Frame.orig_len keeps its length.
MAX_FRAME = 262144
_MAX_BODY = MAX_FRAME + 4096  # bytes of a pcapng block body kept: a frame and its header
MAX_COMMENTS = 4 << 20  # characters of section comments kept, all sections together
_CHUNK = 1 << 20  # read in pieces so a damaged length cannot make us allocate it up front
_REPLAY = 1 << 16  # bytes of a pipe kept so that the header check can go back to the start
_READ_ERRORS = (OSError, EOFError, zlib.error)  # gzip reports damage with all three

# Classic pcap magic as it appears in the file -> (struct byte order, nanoseconds per tick).
_PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1000),  # microseconds, little-endian
    b"\xa1\xb2\xc3\xd4": (">", 1000),  # microseconds, big-endian
    b"\x4d\x3c\xb2\xa1": ("<", 1),  # nanoseconds, little-endian
    b"\xa1\xb2\x3c\x4d": (">", 1),  # nanoseconds, big-endian
    b"\x34\xcd\xb2\xa1": ("<", 1000),  # Kuznetzov's modified pcap (tcpdump patches) ...
    b"\xa1\xb2\xcd\x34": (">", 1000),
}
# ... whose records carry 8 more bytes (interface index, protocol, packet type, padding)
_MODIFIED_MAGICS = frozenset({b"\x34\xcd\xb2\xa1", b"\xa1\xb2\xcd\x34"})
RECORD_HEADER, MODIFIED_RECORD_HEADER = 16, 24
_LINKTYPE_MASK = 0xFFFF  # upper bits carry FCS-length flags (bits 26, 28-31), not the type

_SHB = 0x0A0D0D0A  # Section Header Block; the value reads the same in both byte orders
_IDB, _PB, _SPB, _EPB = 1, 2, 3, 6  # interface, obsolete packet, simple and enhanced packet
_BOM = 0x1A2B3C4D  # byte-order magic right after an SHB's length
# fmt: off
_BLOCK_NAMES = {_SHB: "Section Header Block", _IDB: "Interface Description Block",
                _PB: "Packet Block", _SPB: "Simple Packet Block", _EPB: "Enhanced Packet Block"}
# Name resolution, statistics, journal, decryption secrets, custom: nothing to show, no warning.
_SILENT_BLOCKS = frozenset({4, 5, 9, 10, 0x00000BAD, 0x40000BAD})
_CUSTOM_BLOCKS = frozenset({0x00000BAD, 0x40000BAD})  # copiable / not to be copied
_OPT_COMMENT, _IF_NAME, _IF_TSRESOL, _IF_TSOFFSET = 1, 2, 9, 14  # pcapng option codes
_DISSECTED = frozenset(wirenumbers.LINK_TYPES)
# fmt: on


class CaptureError(Exception):
    """Bad capture input; str() is one line naming the file and the byte offset."""

    def __init__(self, path: str, offset: int, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.offset = offset


class _Stream:
    """A read-only byte stream that counts its position and keeps read errors as text.

    A pipe cannot seek, so for one the first bytes read are kept: enough to go back to the
    start once after the header has been checked, which is all a single pass needs.
    """

    def __init__(self, fh: io.BufferedIOBase, seekable: bool = True) -> None:
        self.fh = fh
        self.pos = 0
        self.error: str | None = None
        self.seekable = seekable
        self._kept = bytearray()  # a pipe's first bytes, while they may still be replayed
        self._replay = b""

    def read(self, n: int) -> bytes:
        """Up to n bytes; fewer only at the end of the data or after a read error."""
        parts: list[bytes] = []
        got = 0
        if self._replay:
            parts.append(self._replay[:n])
            self._replay = self._replay[n:]
            got = len(parts[0])
        while got < n and self.error is None:
            try:
                chunk = self.fh.read1(min(n - got, _CHUNK))
            except _READ_ERRORS as exc:
                self.error = f"{type(exc).__name__}: {exc}"
                break
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        self.pos += got
        data = b"".join(parts)
        if not self.seekable and len(self._kept) < _REPLAY:
            self._kept += data
        return data

    def skip(self, n: int) -> int:
        """Reads past ``n`` bytes, a piece at a time; returns how many there were."""
        done = 0
        while done < n:
            got = len(self.read(min(n - done, _CHUNK)))
            if not got:
                break
            done += got
        return done

    def rewind(self) -> None:
        if self.seekable:
            self.fh.seek(0)
        elif self.pos <= len(self._kept):
            self._replay = bytes(self._kept[: self.pos]) + self._replay
            self._kept.clear()
        else:
            raise OSError("a pipe can be read only once")
        self.pos = 0
        self.error = None


class _Problem(NamedTuple):
    text: str  # without the file name
    truncated: bool  # the data ran out, as opposed to being wrong


class _Block(NamedTuple):
    start: int
    btype: int
    endian: str
    body: bytes  # between the leading length and the trailing length
    cut: int = 0  # bytes of a longer body read past (see _MAX_BODY)


@dataclass
class _Iface:
    linktype: int
    snaplen: int
    ticks_per_s: int = 10**6  # if_tsresol default: microseconds
    offset_s: int = 0  # if_tsoffset
    name: str = ""


@dataclass
class _Tally:
    """Things worth one summary line each, rather than one line per frame."""

    cut: int = 0  # frames with fewer bytes captured than were on the wire
    over_snap: int = 0  # frames longer than the snap length their header declared
    no_ts: int = 0  # Simple Packet Blocks, which carry no time stamp
    odd_links: Counter[int] = field(default_factory=Counter)
    long: int = 0  # frames longer than MAX_FRAME, kept cut
    first_long: tuple[int, int] = (0, 0)  # (frame number, captured length) of the first
    unknown_blocks: Counter[int] = field(default_factory=Counter)
    custom: int = 0  # pcapng Custom Blocks passed over

    def longer(self, index: int, length: int) -> None:
        self.long += 1
        if self.long == 1:
            self.first_long = (index, length)

    def frame(self, linktype: int, snaplen: int, data: bytes, orig_len: int,
              captured: int = -1) -> None:
        """``captured``: the length in the file, when longer than the ``data`` kept."""
        captured = max(captured, len(data))
        self.cut += orig_len > captured
        self.over_snap += 0 < snaplen < captured
        if linktype not in _DISSECTED:
            self.odd_links[linktype] += 1

    def summary(self, path: str) -> list[str]:
        notes = [
            (self.cut, "frame(s) were cut short by the snap length; Frame.orig_len keeps "
                       "their length on the wire"),
            (self.over_snap, "frame(s) hold more bytes than the snap length their header declares"),
            (self.no_ts, "Simple Packet Block(s) carry no time stamp; their frames get time 0"),
            (self.custom, "pcapng Custom Block(s): a tool's private data, not packets; "
                          "numbered as frames, as Wireshark numbers them"),
        ]  # fmt: skip
        out = [f"{path}: {n} {text}" for n, text in notes if n]
        if self.long:
            index, length = self.first_long
            out.append(f"{path}: {self.long} frame(s) hold more than {MAX_FRAME} bytes and "
                       f"keep only their first {MAX_FRAME} (frame {index}: {length} bytes)")
        odd = "is not one wirelens dissects; its {} frame(s) stay raw bytes"
        out += [
            f"{path}: link type {lt} {odd.format(n)}" for lt, n in sorted(self.odd_links.items())
        ]
        if self.unknown_blocks:
            kinds = ", ".join(f"0x{t:08x}" for t in sorted(self.unknown_blocks))
            n = sum(self.unknown_blocks.values())
            out.append(f"{path}: skipped {n} pcapng block(s) of unknown type ({kinds})")
        return out


@dataclass
class CaptureFile:
    """An open capture; iterating reads Frames lazily from the start, one pass at a time."""

    path: str
    format: str  # "pcap" | "pcapng"
    compressed: bool  # gzip
    comments: list[str]  # SHB opt_comment strings, in order; [] for pcap
    warnings: list[str]  # filled while iterating
    _stream: _Stream = field(repr=False)
    _pcap_header: tuple[str, int, int, int] = field(repr=False, default=("<", 1000, 0, 1))
    _record_len: int = field(repr=False, default=RECORD_HEADER)  # bytes of a record's header
    # Called with the body of each pcapng Custom Block (its PEN, then its data), in stream
    # order between the frames: how a live capture's judge gets its instructions.
    on_custom: Callable[[bytes], None] | None = field(repr=False, default=None)

    def __iter__(self) -> Iterator[Frame]:
        self._stream.rewind()
        self.warnings.clear()
        tally = _Tally()
        if self.format == "pcap":
            yield from self._pcap_frames(tally)
        else:
            yield from self._pcapng_frames(tally)
        self.warnings.extend(tally.summary(self.path))

    def close(self) -> None:
        self._stream.fh.close()

    def __enter__(self) -> CaptureFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _stop(self, problem: _Problem) -> None:
        tail = "the frames before it were read" if problem.truncated else "stopped reading there"
        self.warnings.append(f"{self.path}: {problem.text}; {tail}")

    def _pcap_frames(self, tally: _Tally) -> Iterator[Frame]:
        endian, ns_per_tick, snaplen, linktype = self._pcap_header
        record = struct.Struct(endian + "IIII")
        s = self._stream
        s.read(24)  # the global header, checked by open_capture
        index = 0
        while True:
            start = s.pos
            head = s.read(self._record_len)
            if not head and s.error is None:
                return
            index += 1
            if len(head) < self._record_len:
                return self._stop(_truncated(s, f"record header of frame {index}"))
            sec, frac, caplen, orig_len = record.unpack_from(head)
            if caplen > MAX_RECORD:
                problem = f"frame {index} at byte {start} claims {caplen} captured bytes"
                return self._stop(_Problem(problem, truncated=False))
            kept = min(caplen, MAX_FRAME)
            data = s.read(kept)
            if len(data) < kept or s.skip(caplen - kept) < caplen - kept:
                return self._stop(_truncated(s, f"data of frame {index}"))
            if caplen > MAX_FRAME:
                tally.longer(index, caplen)
            tally.frame(linktype, snaplen, data, orig_len, caplen)
            yield Frame(index, sec * 10**9 + frac * ns_per_tick, data, linktype, orig_len)

    def _pcapng_frames(self, tally: _Tally) -> Iterator[Frame]:
        s, endian = self._stream, "<"
        ifaces: list[_Iface] = []
        self.comments.clear()
        kept_comments = 0
        index = 0
        pending: list[Frame] = []  # Custom Blocks waiting for a time
        seen_packet, last_ns = False, 0
        while True:
            got = _read_block(s, endian)
            if got is None:
                yield from pending
                return
            if isinstance(got, _Problem):
                yield from pending
                return self._stop(got)
            endian, body, where = got.endian, got.body, f"{_name(got.btype)} at byte {got.start}"
            if got.btype == _SHB:
                major, comments = _section(body, endian)
                if major != 1:
                    return self._stop(_Problem(f"{where} is pcapng version {major}", False))
                for comment in comments:  # thousands of sections: their comments are bounded
                    if kept_comments + len(comment) <= MAX_COMMENTS:
                        self.comments.append(comment)
                        kept_comments += len(comment)
                ifaces = []
            elif got.btype == _IDB:
                iface = _interface(body, endian)
                if iface is None:
                    self.warnings.append(f"{self.path}: {where} is too short; skipped")
                    iface = _Iface(LINKTYPE_ETHERNET, 0)  # keep later interface numbers right
                ifaces.append(iface)
            elif got.btype in (_EPB, _PB, _SPB):
                packet = _packet(got.btype, body, endian, ifaces, got.cut)
                if isinstance(packet, str):
                    self.warnings.append(f"{self.path}: {where} {packet}; skipped")
                    continue
                iid, ticks, data, orig_len = packet
                captured = len(data) + got.cut
                if captured > MAX_FRAME:  # cut to the bytes a frame keeps
                    tally.longer(index + 1, captured)
                    data = data[:MAX_FRAME]
                iface = ifaces[iid]
                if ticks is None:
                    tally.no_ts += 1
                    ts_ns = 0
                else:  # floor division is exact whenever the tick is a whole number of ns
                    ts_ns = ticks * 10**9 // iface.ticks_per_s + iface.offset_s * 10**9
                index += 1
                tally.frame(iface.linktype, iface.snaplen, data, orig_len, captured)
                if pending:  # Custom Blocks before the first packet take its time
                    yield from (replace(f, ts_ns=ts_ns) for f in pending)
                    pending.clear()
                seen_packet, last_ns = True, ts_ns
                yield Frame(index, ts_ns, data, iface.linktype, orig_len, iface.name)
            elif got.btype in _CUSTOM_BLOCKS and self.on_custom is not None:
                self.on_custom(body)
            elif got.btype in _CUSTOM_BLOCKS:
                tally.custom += 1
                index += 1
                data = body[4 : 4 + MAX_FRAME]  # after its Private Enterprise Number
                pending.append(Frame(index, last_ns, data, LINKTYPE_PCAPNG_BLOCK, len(data)))
                if seen_packet:  # else held until a packet gives them a time
                    yield from pending
                    pending.clear()
            elif got.btype not in _SILENT_BLOCKS:
                tally.unknown_blocks[got.btype] += 1


def _name(btype: int) -> str:
    return _BLOCK_NAMES.get(btype, f"block of type 0x{btype:08x}")


def _truncated(s: _Stream, what: str) -> _Problem:
    why = f"; {s.error}" if s.error else ""
    return _Problem(f"truncated at byte {s.pos} ({what}{why})", truncated=True)


def _read_block(s: _Stream, endian: str) -> _Block | _Problem | None:
    """The next pcapng block; None at a clean end of data. An SHB sets its own byte order."""
    start = s.pos
    head = s.read(8)
    if len(head) < 8:
        return _truncated(s, f"block header at byte {start}") if head or s.error else None
    prefix = b""
    (btype,) = struct.unpack_from("<I", head)
    if btype == _SHB:
        prefix = s.read(4)
        if len(prefix) < 4:
            return _truncated(s, f"{_name(_SHB)} at byte {start}")
        for endian in "<>":
            if struct.unpack(endian + "I", prefix)[0] == _BOM:
                break
        else:
            problem = f"{_name(_SHB)} at byte {start} has an unknown byte-order magic {prefix!r}"
            return _Problem(problem, truncated=False)
    else:
        (btype,) = struct.unpack_from(endian + "I", head)
    (length,) = struct.unpack_from(endian + "I", head, 4)
    claim = f"pcapng block at byte {start} claims a length of {length} bytes"
    if length < (28 if btype == _SHB else 12) or length % 4 or length > MAX_RECORD:
        return _Problem(claim, truncated=False)
    size = length - 8 - len(prefix)  # the rest of the body and the trailing length
    cut = max(0, size - 4 - _MAX_BODY)  # a longer body's end is read past, not kept
    rest = s.read(size - 4 - cut)
    if len(rest) < size - 4 - cut or s.skip(cut) < cut:
        return _truncated(s, f"{_name(btype)} at byte {start}")
    tail = s.read(4)
    if len(tail) < 4:
        return _truncated(s, f"{_name(btype)} at byte {start}")
    (trailer,) = struct.unpack(endian + "I", tail)
    if trailer != length:
        return _Problem(f"{claim} but ends with {trailer}", truncated=False)
    return _Block(start, btype, endian, prefix + rest, cut)


def _options(data: bytes, endian: str) -> Iterator[tuple[int, bytes]]:
    """(code, value) pairs of a pcapng option list; a damaged list just ends early."""
    pos = 0
    while pos + 4 <= len(data):
        code, size = struct.unpack_from(endian + "HH", data, pos)
        pos += 4
        if code == 0 or pos + size > len(data):
            return
        yield code, data[pos : pos + size]
        pos += size + (-size % 4)


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace").rstrip("\0")  # some writers add a C terminator


def _section(body: bytes, endian: str) -> tuple[int, list[str]]:
    """(major version, opt_comment strings) of an SHB body, which starts at the BOM."""
    (major,) = struct.unpack_from(endian + "H", body, 4)
    return major, [_text(v) for code, v in _options(body[16:], endian) if code == _OPT_COMMENT]


def _interface(body: bytes, endian: str) -> _Iface | None:
    if len(body) < 8:
        return None
    linktype, _reserved, snaplen = struct.unpack_from(endian + "HHI", body)
    iface = _Iface(linktype, snaplen)
    for code, value in _options(body[8:], endian):
        if code == _IF_NAME:
            iface.name = _text(value)
        elif code == _IF_TSRESOL and len(value) >= 1:
            exponent = value[0] & 0x7F  # high bit set: a power of 2 rather than of 10
            iface.ticks_per_s = (2 if value[0] & 0x80 else 10) ** exponent
        elif code == _IF_TSOFFSET and len(value) >= 8:
            (iface.offset_s,) = struct.unpack_from(endian + "q", value)
    return iface


def _packet(
    btype: int, body: bytes, endian: str, ifaces: list[_Iface], cut: int = 0
) -> tuple[int, int | None, bytes, int] | str:
    """(interface, time stamp in ticks or None, data, orig_len) of EPB/PB/SPB, or what's
    wrong; ``cut`` bytes of the body were read past (the data is then cut short too)."""
    if btype == _SPB:
        if len(body) < 4 or not ifaces:
            return "is too short" if len(body) < 4 else "comes before any interface"
        (orig_len,) = struct.unpack_from(endian + "I", body)
        caplen = min(orig_len, len(body) + cut - 4, ifaces[0].snaplen or MAX_RECORD)
        return 0, None, body[4 : 4 + caplen], orig_len
    if len(body) < 20:
        return "is too short"
    if btype == _EPB:
        iid, high, low, caplen, orig_len = struct.unpack_from(endian + "5I", body)
    else:
        iid, _drops, high, low, caplen, orig_len = struct.unpack_from(endian + "HH4I", body)
    if caplen > len(body) + cut - 20:
        return f"claims {caplen} captured bytes but holds {len(body) + cut - 20}"
    if iid >= len(ifaces):
        return f"names interface {iid} but its section has {len(ifaces)}"
    return iid, high << 32 | low, body[20 : 20 + caplen], orig_len


def open_capture(path: str | os.PathLike[str], *, fd: int | None = None) -> CaptureFile:
    """Open a pcap or pcapng file, gzip-compressed or not, and check its header.

    With ``fd``, read that already-open descriptor instead and use ``path`` only to name it:
    a process that dropped root reads what its privileged parent opened. A pipe (the live
    demo's frames, streamed by the capturing process) is read once, in a single pass, and is
    never gzip-compressed.
    """
    name = os.fspath(path)
    if fd is None:
        fd = descriptor(name)
    try:
        if fd is not None and not _seekable(fd):
            cap = CaptureFile(name, "pcap", False, [], [],
                              _Stream(os.fdopen(os.dup(fd), "rb"), seekable=False))
            try:
                _check_header(cap)
            except CaptureError:
                cap.close()
                raise
            return cap
        if fd is not None:
            compressed = os.pread(fd, 2, 0) == b"\x1f\x8b"
            raw: io.BufferedIOBase = os.fdopen(os.dup(fd), "rb")
            raw.seek(0)  # a dup shares the offset: an earlier pass may have left it at the end
            fh: io.BufferedIOBase = (
                gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
            )
        else:
            with open(name, "rb") as probe:
                compressed = probe.read(2) == b"\x1f\x8b"
            fh = gzip.open(name, "rb") if compressed else open(name, "rb")
    except OSError as exc:
        raise CaptureError(name, 0, f"cannot read it ({exc.strerror or exc}) at byte 0") from None
    cap = CaptureFile(name, "pcap", compressed, [], [], _Stream(fh))
    try:
        _check_header(cap)
    except CaptureError:
        fh.close()
        raise
    return cap


def _seekable(fd: int) -> bool:
    try:
        os.lseek(fd, 0, os.SEEK_CUR)
    except OSError:
        return False
    return True


def _check_header(cap: CaptureFile) -> None:
    s = cap._stream
    head = s.read(24)
    why = f" ({s.error})" if s.error else ""
    if not head:
        empty = "the gzip data is empty" if cap.compressed else "empty file"
        raise CaptureError(cap.path, 0, f"{empty}, nothing to read at byte 0{why}")
    if len(head) < 4:
        raise CaptureError(cap.path, s.pos, f"file ends at byte {s.pos}, inside the capture header")
    if head[:4] in _PCAP_MAGICS:
        if len(head) < 24:
            problem = f"file ends at byte {s.pos}, inside the 24-byte pcap header{why}"
            raise CaptureError(cap.path, s.pos, problem)
        endian, ns_per_tick = _PCAP_MAGICS[head[:4]]
        snaplen, network = struct.unpack_from(endian + "II", head, 16)
        cap._pcap_header = (endian, ns_per_tick, snaplen, network & _LINKTYPE_MASK)
        if head[:4] in _MODIFIED_MAGICS:
            cap._record_len = MODIFIED_RECORD_HEADER
        return
    if head[:4] != struct.pack("<I", _SHB):
        what = "gzip data inside is" if cap.compressed else "file is"
        problem = f"{what} not a pcap or pcapng file (starts with {head[:8]!r} at byte 0)"
        raise CaptureError(cap.path, 0, problem)
    s.rewind()
    cap.format = "pcapng"
    got = _read_block(s, "<")
    if not isinstance(got, _Block):  # never None: the file has at least 4 bytes
        raise CaptureError(cap.path, s.pos if got and got.truncated else 0, str(got and got.text))
    major, cap.comments = _section(got.body, got.endian)
    if major != 1:
        raise CaptureError(cap.path, 12, f"pcapng version {major} at byte 12 is not supported")


class BinaryWriter(Protocol):
    def write(self, data: bytes, /) -> object: ...


Target = str | os.PathLike[str] | BinaryWriter


@contextmanager
def _opened(target: Target) -> Iterator[BinaryWriter]:
    if isinstance(target, str | os.PathLike):
        with open(target, "wb") as fh:
            yield fh
    else:
        yield target


def _check(frame: Frame, seconds_limit: int) -> None:
    if not 0 <= frame.ts_ns < seconds_limit * 10**9:
        raise ValueError(f"frame {frame.index}: time stamp {frame.ts_ns} ns cannot be written")
    if not 0 <= frame.wire_len <= 0xFFFFFFFF:
        raise ValueError(f"frame {frame.index}: length on the wire {frame.wire_len} is invalid")


def _option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def _block(btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


class PcapngStream:
    """Encodes one little-endian pcapng section block by block, for a file or a pipe.

    One interface per (link type, interface name), described the first time a frame of it
    comes; time stamps in nanoseconds unless ``tsresol_ns`` is False (microseconds).
    """

    def __init__(self, *, comment: str | None = None, tsresol_ns: bool = True) -> None:
        self.comment = comment
        self.tsresol_ns = tsresol_ns
        self._ifaces: dict[tuple[int, str], int] = {}

    def header(self) -> bytes:
        text = self.comment
        options = _option(_OPT_COMMENT, text.encode()) + _option(0, b"") if text else b""
        return _block(_SHB, struct.pack("<IHHq", _BOM, 1, 0, -1) + options)

    def frame(self, frame: Frame) -> bytes:
        """The frame's Enhanced Packet Block, after its interface's block the first time."""
        _check(frame, 2**64 // 10**9)
        if not 0 <= frame.linktype <= 0xFFFF:
            raise ValueError(f"frame {frame.index}: link type {frame.linktype} is invalid")
        key = (frame.linktype, frame.interface)
        out = b""
        if key not in self._ifaces:
            self._ifaces[key] = len(self._ifaces)
            opts = _option(_IF_NAME, frame.interface.encode()) if frame.interface else b""
            opts += _option(_IF_TSRESOL, b"\x09") if self.tsresol_ns else b""
            opts += _option(0, b"") if opts else b""
            out = _block(_IDB, struct.pack("<HHI", frame.linktype, 0, 0) + opts)
        ticks = frame.ts_ns if self.tsresol_ns else frame.ts_ns // 1000
        lengths = (len(frame.data), frame.wire_len)
        head = struct.pack("<5I", self._ifaces[key], ticks >> 32, ticks & 0xFFFFFFFF, *lengths)
        return out + _block(_EPB, head + frame.data)

    @staticmethod
    def custom(pen: int, data: bytes) -> bytes:
        """A Custom Block that must not be copied into other files (0x40000BAD)."""
        return _block(0x40000BAD, struct.pack("<I", pen) + data)


def write_pcapng(
    path_or_binary_file: Target, frames: Iterable[Frame], *,
    comment: str | None = None, tsresol_ns: bool = True,
) -> int:  # fmt: skip
    """Write one little-endian section; one interface per (link type, interface name)."""
    stream = PcapngStream(comment=comment, tsresol_ns=tsresol_ns)
    count = 0
    with _opened(path_or_binary_file) as out:
        out.write(stream.header())
        for frame in frames:
            out.write(stream.frame(frame))
            count += 1
    return count


def write_pcap(
    path_or_binary_file: Target, frames: Iterable[Frame], *,
    linktype: int = LINKTYPE_ETHERNET, nanosecond: bool = True,
) -> int:  # fmt: skip
    """Write classic little-endian pcap; every frame must have the file's link type."""
    magic = 0xA1B23C4D if nanosecond else 0xA1B2C3D4
    snaplen = 262144  # libpcap's maximum; 0 ("no limit") confuses some older readers
    count = 0
    with _opened(path_or_binary_file) as out:
        out.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))
        for frame in frames:
            _check(frame, 2**32)
            if frame.linktype != linktype:
                problem = f"frame {frame.index} has link type {frame.linktype}, not {linktype}"
                raise ValueError(f"{problem}; write_pcapng can mix link types")
            sec, ns = divmod(frame.ts_ns, 10**9)
            frac = ns if nanosecond else ns // 1000
            out.write(struct.pack("<IIII", sec, frac, len(frame.data), frame.wire_len))
            out.write(frame.data)
            count += 1
    return count
