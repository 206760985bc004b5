"""The header walk over a block of frames at once: numpy columns instead of one ``Segment`` each.

A capture reader hands over ``Records``: many frames' bytes side by side in one buffer,
with each frame's offset, captured length, time and link type. ``decode`` reads the
fixed headers of the common frame (Ethernet with at most one VLAN tag, Linux cooked v1
or v2, raw IP or BSD loopback, carrying IPv4 without fragmentation, carrying TCP) with
vectorised gathers, and sends every other frame through ``fastwalk.walk``, one by one,
so that each frame gets exactly the answer the walk gives; tests/overview/test_columns.py
checks that on generated and mutated frames. The TCP segments come out as ``TcpColumns``
in frame order, keyed by ``endpoint_key`` numbers; the rest as ``fastwalk.Other``.
Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from ipaddress import IPv4Address, IPv6Address
from typing import Any

import numpy as np
import numpy.typing as npt

from wirelens.explain.conversation import Address
from wirelens.explain.conversation_summary import addr_text
from wirelens.explain.records import Frame
from wirelens.explain.segment import Segment
from wirelens.explain.wirenumbers import (
    ETHERTYPE_IPV4,
    LINKTYPE_ETHERNET,
    LINKTYPE_IPV4,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_LOOP,
    LINKTYPE_NULL,
    LINKTYPE_RAW,
    PROTO_TCP,
    SYN,
    VLAN_TAGS,
)
from wirelens.overview.fastwalk import Other, walk

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

_IPV6_TAG = 1 << 160  # endpoint keys above this hold an IPv6 address
_PORT_BITS = 16
_REACH = 20 + 60 + 16  # link header, IPv4 header with options, TCP fields


def endpoint_key(host: str, port: int) -> int:
    """The number that stands for (host, port): IPv4 address << 16 | port below 2**48,
    IPv6 ones tagged above 2**160 so the two never meet."""
    if ":" in host:
        return _IPV6_TAG | int(IPv6Address(host)) << _PORT_BITS | port
    return int(IPv4Address(host)) << _PORT_BITS | port


def endpoint_text(key: int) -> str:
    """``addr_text(endpoint_address(key))``, sooner (a million conversations' ends may be
    written out)."""
    if key >= _IPV6_TAG:
        return addr_text(endpoint_address(key))
    o = _OCTETS
    return (f"{o[key >> 40]}.{o[(key >> 32) & 255]}.{o[(key >> 24) & 255]}."
            f"{o[(key >> 16) & 255]}:{key & 0xFFFF}")


_OCTETS = [str(i) for i in range(256)]


def endpoint_address(key: int) -> Address:
    """The (host, port) that ``endpoint_key`` numbered, spelled as ``fastwalk`` spells it."""
    port = key & 0xFFFF
    if key >= _IPV6_TAG:
        return IPv6Address((key >> _PORT_BITS) & ((1 << 128) - 1)).compressed, port
    ip = key >> _PORT_BITS
    return f"{ip >> 24}.{(ip >> 16) & 255}.{(ip >> 8) & 255}.{ip & 255}", port


@dataclass(frozen=True, slots=True)
class Records:
    """A block of frames: their bytes one after another in ``buf`` (other bytes may sit
    between them), numbered from ``first_index``."""

    buf: bytes | bytearray | memoryview
    first_index: int
    start: I64  # offset of each frame's first byte in buf
    caplen: I64
    ts_ns: I64
    linktype: I64
    orig_len: I64  # -1 when the format does not say

    def __len__(self) -> int:
        return len(self.start)

    def frame(self, row: int) -> Frame:
        start, caplen = int(self.start[row]), int(self.caplen[row])
        return Frame(self.first_index + row, int(self.ts_ns[row]),
                     bytes(self.buf[start : start + caplen]), int(self.linktype[row]),
                     int(self.orig_len[row]))


@dataclass(frozen=True, slots=True)
class TcpColumns:
    """The TCP segments of a block, in frame order: what ``Segment`` holds, as columns.

    ``src``/``dst`` are ``endpoint_key`` numbers; those too big for 64 bits (IPv6) are 0
    in the arrays and listed in ``wide`` as {row: (src key, dst key)}."""

    row: I64  # the frame's row in its Records
    index: I64
    ts_ns: I64
    src: U64
    dst: U64
    seq: I64
    ack: I64
    flags: I64
    window: I64
    payload_len: I64
    wscale: I64
    ident: I64  # ``Segment.ident``
    wide: dict[int, tuple[int, int]]

    def __len__(self) -> int:
        return len(self.row)

    def take(self, rows: I64) -> TcpColumns:
        """The segments at ``rows`` (increasing), as columns of their own."""
        taken: dict[str, Any] = {name: getattr(self, name)[rows] for name in COLUMNS}
        return TcpColumns(**taken, wide=self.wide_at(rows))

    def wide_at(self, rows: I64) -> dict[int, tuple[int, int]]:
        """``wide`` of ``take(rows)``."""
        if not self.wide:
            return {}
        found = np.searchsorted(rows, list(self.wide)).tolist()
        return {at: key for at, (row, key) in zip(found, self.wide.items(), strict=True)
                if at < len(rows) and rows[at] == row}


def joined(pieces: list[tuple[TcpColumns, int, int]]) -> TcpColumns:
    """Rows lo:hi of each piece, one piece after the other (``row`` numbers each of its
    own block)."""
    cols: dict[str, Any] = {name: np.concatenate([getattr(c, name)[lo:hi] for c, lo, hi in pieces])
                            for name in COLUMNS}
    wide: dict[int, tuple[int, int]] = {}
    at = 0
    for c, lo, hi in pieces:
        wide.update((at + row - lo, key) for row, key in c.wide.items() if lo <= row < hi)
        at += hi - lo
    return TcpColumns(**cols, wide=wide)


COLUMNS = ("row", "index", "ts_ns", "src", "dst", "seq", "ack", "flags", "window",
            "payload_len", "wscale", "ident")


@dataclass(frozen=True, slots=True)
class Decoded:
    tcp: TcpColumns
    others: list[tuple[int, Other]]  # (row, what the frame was), in frame order


def _wscales(buf: npt.NDArray[np.uint8], at: I64, end: I64) -> I64:
    """``fastwalk._wscale`` for many option lists at once: the window-scale shift, or -1."""
    out = np.full(len(at), -1, dtype=np.int64)
    rows = np.arange(len(at))
    at, end = at.copy(), end.copy()
    while len(rows):  # each turn moves every list on by one option (at least one byte)
        going = at < end
        rows, at, end = rows[going], at[going], end[going]
        kind = buf[at].astype(np.int64)
        nop = kind == 1
        more = ~nop & (kind != 0) & (at + 1 < end)
        length = buf[np.minimum(at + 1, len(buf) - 1)].astype(np.int64)
        more &= (length >= 2) & (at + length <= end)
        found = more & (kind == 3) & (length == 3)
        out[rows[found]] = buf[at[found] + 2]
        keep = nop | (more & ~found)
        step = np.where(nop, 1, length)
        rows, at, end = rows[keep], at[keep] + step[keep], end[keep]
    return out


# The fixed 20 bytes of an IPv4 header and of a TCP header, read as records in one go.
_IPV4 = np.dtype([("vihl", "u1"), ("tos", "u1"), ("total", ">u2"), ("id", ">u2"),
                  ("frag", ">u2"), ("ttl", "u1"), ("proto", "u1"), ("check", ">u2"),
                  ("src", ">u4"), ("dst", ">u4")])
_TCP = np.dtype([("sport", ">u2"), ("dport", ">u2"), ("seq", ">u4"), ("ack", ">u4"),
                 ("offset", "u1"), ("flags", "u1"), ("window", ">u2"), ("check", ">u2"),
                 ("urgent", ">u2")])
_LINK = np.dtype([("b0", "u1"), ("b1", "u1"), ("b2", "u1"), ("b3", "u1"), ("pad", "V8"),
                  ("etype", ">u2"), ("w14", ">u2"), ("w16", ">u2")])
_WINDOW = 20  # bytes copied from each frame at a time: all three fit
_HEAD = 64  # a frame's first bytes, copied at once: the link, IPv4 and TCP headers mostly


def bytes_at(buf: Any, at: I64, size: int) -> Any:
    """The ``size`` bytes at each offset in ``buf`` (each at most ``len(buf) - size``),
    copied as one raw item each: one pass over the frames, where a gather per field (or
    per byte) would visit every frame again for each."""
    every = np.ndarray(shape=(len(buf) - size + 1,), dtype=np.dtype(("V", size)), buffer=buf,
                       strides=(1,))
    return every[at]


def _windows(buf: npt.NDArray[np.uint8], at: I64, dtype: np.dtype[Any]) -> Any:
    """``bytes_at`` as records of ``dtype`` (``_WINDOW`` bytes)."""
    return bytes_at(buf, at, _WINDOW).view(dtype)


@cache
def _within(dtype: np.dtype[Any], offset: int) -> np.dtype[Any]:
    """``dtype``'s fields ``offset`` bytes into a frame's first ``_HEAD`` bytes."""
    fields = [(name, dtype.fields[name]) for name in dtype.names or ()]  # type: ignore[index]
    return np.dtype({"names": [name for name, _ in fields],
                     "formats": [f[0] for _, f in fields],
                     "offsets": [f[1] + offset for _, f in fields], "itemsize": _HEAD})


def decode(rec: Records) -> Decoded:
    n = len(rec)
    buf = np.frombuffer(rec.buf, dtype=np.uint8)
    # Every read below stays within _REACH bytes of a frame's start; the few frames that
    # close to the buffer's end go through the walk instead.
    near_end = rec.start + _REACH > len(buf)
    if len(buf) < _REACH:  # the rows that near the end read from 0: leave room there
        buf = np.concatenate((buf, np.zeros(_REACH, dtype=np.uint8)))
    start = np.where(near_end, 0, rec.start)
    end, lt = rec.caplen, rec.linktype
    net = np.full(n, -1, dtype=np.int64)  # offset of the IPv4 header, -1: not the common case

    head = bytes_at(buf, start, _HEAD)  # raw: a copy of these keeps every byte
    link = head.view(_within(_LINK, 0))
    etype = link["etype"]
    eth = (lt == LINKTYPE_ETHERNET) & (end >= 14)
    vlan = eth & ((etype == VLAN_TAGS[0]) | (etype == VLAN_TAGS[1])) & (end >= 18)
    net[eth & (etype == ETHERTYPE_IPV4)] = 14
    net[vlan & (link["w16"] == ETHERTYPE_IPV4)] = 18
    net[(lt == LINKTYPE_LINUX_SLL) & (end >= 16) & (link["w14"] == ETHERTYPE_IPV4)] = 16
    b0, b1 = link["b0"].astype(np.int64), link["b1"].astype(np.int64)
    b2, b3 = link["b2"].astype(np.int64), link["b3"].astype(np.int64)
    net[(lt == LINKTYPE_LINUX_SLL2) & (end >= 20) & ((b0 << 8 | b1) == ETHERTYPE_IPV4)] = 20
    net[(lt == LINKTYPE_RAW) & (end >= 1) & (b0 >> 4 == 4)] = 0
    net[lt == LINKTYPE_IPV4] = 0
    family_be = b0 << 24 | b1 << 16 | b2 << 8 | b3
    family_le = b0 | b1 << 8 | b2 << 16 | b3 << 24
    null = (lt == LINKTYPE_NULL) & (end >= 4)
    net[null & ((family_le == 2) | ((family_le > 0xFFFF) & (family_be == 2)))] = 4
    net[(lt == LINKTYPE_LOOP) & (end >= 4) & (family_be == 2)] = 4
    net[near_end] = -1

    ok = net >= 0
    at = start + np.maximum(net, 0)
    room = end - np.maximum(net, 0)  # bytes from the IPv4 header to the frame's end
    # Mostly every frame's IPv4 header sits at one offset, within the bytes copied already.
    found = net[ok]
    one = int(found[0]) if len(found) and found.min() == found.max() else None
    ip = head.view(_within(_IPV4, one)) if one is not None else _windows(buf, at, _IPV4)
    hlen = (ip["vihl"] & 0x0F).astype(np.int64) * 4
    total = ip["total"].astype(np.int64)
    ok &= ((room >= 20) & (hlen >= 20) & (room >= hlen) & ((ip["frag"] & 0x3FFF) == 0)
           & (ip["proto"] == PROTO_TCP))
    ok &= (total < hlen) | (total <= room)  # a frame cut short goes through the walk
    payload_room = np.where(total >= hlen, np.minimum(room, total), room)  # from the IP header
    tcp_room = payload_room - hlen
    tcp_at = at + hlen
    thl = (buf[tcp_at + 12] >> 4).astype(np.int64) * 4
    ok &= (tcp_room >= 20) & (thl >= 20) & (tcp_room >= thl)

    rows = np.flatnonzero(ok)
    t = tcp_at[rows]
    ip = ip[rows]
    # And its TCP header after 20 bytes of IPv4 header, or else copied on its own.
    if one is not None and one + 40 <= _HEAD and np.all(hlen[rows] == 20):
        tcp = head[rows].view(_within(_TCP, one + 20))
    else:
        tcp = _windows(buf, t, _TCP)  # whole within the frame: tcp_room >= 20
    flags = tcp["flags"].astype(np.int64)
    wscale = np.full(len(rows), -1, dtype=np.int64)
    syn = np.flatnonzero(flags & SYN)
    wscale[syn] = _wscales(buf, t[syn] + 20, t[syn] + thl[rows[syn]])
    cols = {
        "row": rows,
        "index": rows + rec.first_index,
        "ts_ns": rec.ts_ns[rows],
        "src": ip["src"].astype(np.uint64) << np.uint64(16) | tcp["sport"],
        "dst": ip["dst"].astype(np.uint64) << np.uint64(16) | tcp["dport"],
        "seq": tcp["seq"].astype(np.int64),
        "ack": tcp["ack"].astype(np.int64),
        "flags": flags,
        "window": tcp["window"].astype(np.int64),
        "payload_len": tcp_room[rows] - thl[rows],
        "wscale": wscale,
        "ident": ip["id"].astype(np.int64) << 16 | tcp["check"],  # segment.ident, per block
    }
    others: list[tuple[int, Other]] = []
    walked: list[tuple[int, Segment]] = []
    for row in np.flatnonzero(~ok).tolist():
        got = walk(rec.frame(row))
        if isinstance(got, Segment):
            walked.append((row, got))
        else:
            others.append((row, got))
    wide: dict[int, tuple[int, int]] = {}
    if walked:
        cols, wide = _merge(cols, walked)
    return Decoded(TcpColumns(wide=wide, **cols), others)


def _merge(cols: dict[str, npt.NDArray[Any]], walked: list[tuple[int, Segment]]
           ) -> tuple[dict[str, npt.NDArray[Any]], dict[int, tuple[int, int]]]:
    """The walked segments put in their places among the decoded ones (by frame row)."""
    extra: dict[str, list[int]] = {name: [] for name in cols}
    keys: list[tuple[int, int]] = []
    for row, seg in walked:
        src, dst = endpoint_key(seg.src, seg.sport), endpoint_key(seg.dst, seg.dport)
        keys.append((src, dst))
        values = {"row": row, "index": seg.index, "ts_ns": seg.ts_ns,
                  "src": src if src < 1 << 64 else 0, "dst": dst if dst < 1 << 64 else 0,
                  "seq": seg.seq, "ack": seg.ack, "flags": seg.flags, "window": seg.window,
                  "payload_len": seg.payload_len, "wscale": seg.wscale, "ident": seg.ident}
        for name, value in values.items():
            extra[name].append(value)
    merged = {name: np.concatenate((col, np.array(extra[name], dtype=col.dtype)))
              for name, col in cols.items()}
    order = np.argsort(merged["row"], kind="stable")
    merged = {name: col[order] for name, col in merged.items()}
    wide = {}
    for (row, _), key in zip(walked, keys, strict=True):
        if key[0] >= 1 << 64 or key[1] >= 1 << 64:
            wide[int(np.searchsorted(merged["row"], row))] = key
    return merged, wide
