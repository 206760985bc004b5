"""A copy of a capture with comments added: the explanation inside Wireshark.

The copy is made from the input's own records, not from frames decoded and encoded again,
so frames, time stamps (at their resolution), interfaces, every other block and option, and
the comments already there stay byte for byte. What changes: each commented packet block
gets one more ``opt_comment`` before its end of options, and the first section header gets
the section's comments (its section length becomes -1, "not given", since the section
grew). A pcap input becomes pcapng: one section, one interface with the pcap header's link
type and snap length, ``if_tsresol`` 9 for a nanosecond pcap, every record's time stamp in
the file's own ticks. A comment identical to one the block already holds is not repeated,
so annotating an annotated file in the same language changes nothing.

Packet blocks are numbered as ``pcapfile`` numbers frames (blocks it skips as damaged are
copied but not counted), so comments keyed by frame number land on the right frames.
Reading stops where the reader stops: the copy holds every frame the explanation saw.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping, Sequence

from wirelens.capture.pcapfile import (
    _CUSTOM_BLOCKS,
    _EPB,
    _IDB,
    _OPT_COMMENT,
    _PB,
    _SHB,
    _SPB,
    MAX_RECORD,
    BinaryWriter,
    CaptureFile,
    _Block,
    _Iface,
    _interface,
    _packet,
    _Problem,
    _read_block,
    _Stream,
)
from wirelens.explain.wirenumbers import LINKTYPE_ETHERNET

__all__ = ["write_annotated"]

_BOM = 0x1A2B3C4D
_NS_RESOLUTION = b"\x09"  # if_tsresol: 10^-9 s
_IF_TSRESOL = 9


def write_annotated(capture: CaptureFile, out: BinaryWriter, comments: Mapping[int, str],
                    section: Sequence[str] = ()) -> int:
    """Copy ``capture`` (open, from its start) to ``out`` as pcapng, frame number ->
    comment added; ``section``: comments for the section header. Returns the frames copied."""
    if capture.format == "pcap":
        return _from_pcap(capture, out, comments, section)
    return _from_pcapng(capture, out, comments, section)


def _option(endian: str, code: int, value: bytes) -> bytes:
    return struct.pack(endian + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def _block(endian: str, btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    size = len(body) + 12
    return struct.pack(endian + "II", btype, size) + body + struct.pack(endian + "I", size)


def _with_comments(options: bytes, endian: str, texts: Sequence[str]) -> bytes | None:
    """The option list with ``texts`` as comments before its end; None when the list is
    damaged (then the block is copied as it is). Comments already there are not repeated."""
    pos, present = 0, set()
    while pos + 4 <= len(options):
        code, size = struct.unpack_from(endian + "HH", options, pos)
        if code == 0:
            break
        if pos + 4 + size > len(options):
            return None
        if code == _OPT_COMMENT:
            present.add(options[pos + 4: pos + 4 + size].rstrip(b"\0"))
        pos += 4 + size + (-size % 4)
    if options[pos:].strip(b"\0") or pos % 4:
        return None  # bytes after the end of options, or an odd length: leave them alone
    new = [t.encode("utf-8") for t in texts if t]
    new = [t for t in new if t not in present]
    if not new:
        return None
    added = b"".join(_option(endian, _OPT_COMMENT, t) for t in new)
    return options[:pos] + added + _option(endian, 0, b"")


def _raw(block: _Block) -> bytes:
    """The block as it was read (its lengths, body and padding unchanged)."""
    size = len(block.body) + 12
    head = struct.pack(block.endian + "II", block.btype, size)
    return head + block.body + struct.pack(block.endian + "I", size)


def _section_header(block: _Block, texts: Sequence[str]) -> bytes:
    body, endian = block.body, block.endian
    options = _with_comments(body[16:], endian, texts)
    if options is None:
        return _raw(block)
    head = body[:8] + struct.pack(endian + "q", -1)  # BOM, version; the length not given
    return _block(endian, _SHB, head + options)


def _packet_block(block: _Block, caplen: int, text: str | None) -> bytes:
    if text is None:
        return _raw(block)
    data_end = 20 + caplen + (-caplen % 4)
    options = _with_comments(block.body[data_end:], block.endian, [text])
    if options is None:
        return _raw(block)
    return _block(block.endian, block.btype, block.body[:data_end] + options)


def _from_pcapng(capture: CaptureFile, out: BinaryWriter, comments: Mapping[int, str],
                 section: Sequence[str]) -> int:
    stream = capture._stream
    stream.rewind()
    endian, index, first = "<", 0, True
    ifaces: list[_Iface] = []
    while True:
        got = _read_block(stream, endian)
        if got is None or isinstance(got, _Problem):
            return index
        endian = got.endian
        if got.btype == _SHB:
            ifaces = []
            out.write(_section_header(got, section) if first else _raw(got))
            first = False
            continue
        if got.btype == _IDB:
            # as the reader does: a damaged one still keeps later interface numbers right
            ifaces.append(_interface(got.body, endian) or _Iface(LINKTYPE_ETHERNET, 0))
        elif got.btype in _CUSTOM_BLOCKS:
            index += 1  # numbered as a frame by the reader, as Wireshark numbers it
        elif got.btype in (_EPB, _PB, _SPB):
            fields = _packet(got.btype, got.body, endian, ifaces)
            if not isinstance(fields, str):
                index += 1
                if got.btype != _SPB:  # a Simple Packet Block has no options
                    caplen = len(fields[2])
                    out.write(_packet_block(got, caplen, comments.get(index)))
                    continue
        out.write(_raw(got))


def _from_pcap(capture: CaptureFile, out: BinaryWriter, comments: Mapping[int, str],
               section: Sequence[str]) -> int:
    endian, ns_per_tick, snaplen, linktype = capture._pcap_header
    record = struct.Struct(endian + "IIII")
    ticks_per_s = 10**9 // ns_per_tick
    stream = capture._stream
    stream.rewind()
    stream.read(24)
    shb_options = b"".join(_option("<", _OPT_COMMENT, t.encode("utf-8")) for t in section if t)
    shb_options += _option("<", 0, b"") if shb_options else b""
    out.write(_block("<", _SHB, struct.pack("<IHHq", _BOM, 1, 0, -1) + shb_options))
    idb_options = _option("<", _IF_TSRESOL, _NS_RESOLUTION) + _option("<", 0, b"") \
        if ticks_per_s == 10**9 else b""
    out.write(_block("<", _IDB, struct.pack("<HHI", linktype, 0, snaplen) + idb_options))
    index = 0
    while True:
        head = stream.read(16)
        if len(head) < 16:
            return index
        sec, frac, caplen, orig_len = record.unpack(head)
        if caplen > MAX_RECORD:
            return index
        data = stream.read(caplen)
        if len(data) < caplen:
            return index
        index += 1
        ticks = sec * ticks_per_s + frac
        text = comments.get(index)
        options = (_option("<", _OPT_COMMENT, text.encode("utf-8")) + _option("<", 0, b"")
                   if text else b"")
        body = struct.pack("<5I", 0, ticks >> 32, ticks & 0xFFFFFFFF, caplen, orig_len)
        out.write(_block("<", _EPB, body + data + b"\0" * (-caplen % 4) + options))



def annotate_pcapng(data: bytes, out: BinaryWriter, comments: Mapping[int, str],
                    section: Sequence[str] = ()) -> int:
    """``write_annotated`` for a pcapng held in memory (a demo's capture, as ``--save``
    writes it)."""
    capture = CaptureFile("<memory>", "pcapng", False, [], [], _Stream(io.BytesIO(data)))
    return write_annotated(capture, out, comments, section)
