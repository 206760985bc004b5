"""A header walk for the overview: from a frame's bytes straight to a ``Segment``, no fields.

``walk(frame)`` reads only the fixed headers the overview needs (link layer, IPv4 or IPv6
with its extension headers, TCP, UDP, ARP) with ``struct``, and returns either a
``Segment``, or a ``Other`` saying what the frame was (the overview's count kinds, with
the UDP flow or ARP operation). It agrees with the full dissector (``dissect`` +
``segment_of``) on every frame; tests/explain/test_fastwalk.py checks that on generated
captures of every link type. Pure: no I/O.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from ipaddress import IPv6Address

from wirelens.explain.records import LINKTYPE_PCAPNG_BLOCK, Frame
from wirelens.explain.segment import Segment, ident

_U16 = struct.Struct("!H").unpack_from
_U32LE = struct.Struct("<I").unpack_from
_U32BE = struct.Struct("!I").unpack_from
_IPV4 = struct.Struct("!BxHHHxB2x4s4s").unpack_from  # vihl, total, id, frag, proto, src, dst
_TCP = struct.Struct("!HHIIBBH").unpack_from  # sport, dport, seq, ack, offset, flags, window
_UDP = struct.Struct("!HH").unpack_from

ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_ARP = 0x0800, 0x86DD, 0x0806
VLAN_TAGS = (0x8100, 0x88A8)
IPV6_EXTENSIONS = (0, 43, 60)
IPV6_FRAGMENT = 44
NULL_IPV4 = (2,)
NULL_IPV6 = (10, 24, 28, 30)


@dataclass(frozen=True, slots=True)
class Other:
    """A frame that carries no TCP segment: what it was (an ``overview.COUNT_KINDS`` key)."""

    kind: str
    src: str = ""
    sport: int = 0
    dst: str = ""
    dport: int = 0
    length: int = 0  # UDP payload bytes
    arp_op: int = 0


TRUNCATED = Other("truncated")
OTHER_ETHERTYPE = Other("other-ethertype")
UNKNOWN_LINK = Other("unknown-link")
PCAPNG_BLOCK = Other("pcapng-block")
FRAGMENT = Other("ip-fragment")
OTHER_IP = Other("other-ip")


def _ipv4_text(raw: bytes) -> str:
    return f"{raw[0]}.{raw[1]}.{raw[2]}.{raw[3]}"


def _link(frame: Frame) -> tuple[int, int] | Other:
    """(EtherType-like number, offset of the network header), or what stopped the walk."""
    data, lt = frame.data, frame.linktype
    if lt == LINKTYPE_PCAPNG_BLOCK:
        return PCAPNG_BLOCK
    if lt == 1:
        if len(data) < 14:
            return TRUNCATED
        at, etype = 14, _U16(data, 12)[0]
        while etype in VLAN_TAGS:
            if len(data) < at + 4:
                return TRUNCATED
            etype = _U16(data, at + 2)[0]
            at += 4
        return etype, at
    if lt in (101, 228, 229):
        if lt == 101:  # the version nibble says which; the dissector calls others unknown
            version = data[0] >> 4 if data else 0
            if version not in (4, 6):
                return UNKNOWN_LINK
        else:
            version = 4 if lt == 228 else 6
        return (ETHERTYPE_IPV4 if version == 4 else ETHERTYPE_IPV6), 0
    if lt == 113:
        return (_U16(data, 14)[0], 16) if len(data) >= 16 else TRUNCATED
    if lt == 276:
        return (_U16(data, 0)[0], 20) if len(data) >= 20 else TRUNCATED
    if lt in (0, 108):
        if len(data) < 4:
            return TRUNCATED
        family = (_U32LE if lt == 0 else _U32BE)(data, 0)[0]
        if lt == 0 and family > 0xFFFF:
            family = _U32BE(data, 0)[0]
        if family in NULL_IPV4:
            return ETHERTYPE_IPV4, 4
        return (ETHERTYPE_IPV6, 4) if family in NULL_IPV6 else (-1, 4)
    return UNKNOWN_LINK


def walk(frame: Frame) -> Segment | Other:
    link = _link(frame)
    if isinstance(link, Other):
        return link
    etype, at = link
    data = frame.data
    end = len(data)
    if etype == ETHERTYPE_IPV4:
        if end - at < 20:
            return TRUNCATED
        vihl, total, ip_id, frag, proto, src_raw, dst_raw = _IPV4(data, at)
        hlen = (vihl & 0x0F) * 4
        if hlen < 20 or end - at < hlen:
            return TRUNCATED
        if frag & 0x3FFF:  # more fragments, or an offset: a fragment
            return FRAGMENT
        payload_end = min(end, at + total) if total >= hlen else end
        src, dst = _ipv4_text(src_raw), _ipv4_text(dst_raw)
        at += hlen
    elif etype == ETHERTYPE_IPV6:
        if end - at < 40:
            return TRUNCATED
        payload_end = min(end, at + 40 + _U16(data, at + 4)[0])
        proto = data[at + 6]
        src = IPv6Address(data[at + 8 : at + 24]).compressed
        dst = IPv6Address(data[at + 24 : at + 40]).compressed
        at += 40
        ip_id = -1  # IPv6 has no identification
        fragment = False
        while proto in IPV6_EXTENSIONS or proto == IPV6_FRAGMENT:
            if payload_end - at < 8:
                return TRUNCATED
            fragment = fragment or proto == IPV6_FRAGMENT
            length = 8 if proto == IPV6_FRAGMENT else (data[at + 1] + 1) * 8
            proto, at = data[at], at + length
        if fragment:
            return FRAGMENT
    elif etype == ETHERTYPE_ARP:
        if end - at < 28:
            return TRUNCATED
        return Other("arp", arp_op=_U16(data, at + 6)[0])
    else:
        return OTHER_ETHERTYPE
    if proto == 6:
        if payload_end - at < 20:
            return TRUNCATED
        sport, dport, seq, ack, offset, flags, window = _TCP(data, at)
        hlen = (offset >> 4) * 4
        if hlen < 20 or payload_end - at < hlen:
            return TRUNCATED
        wscale = _wscale(data, at + 20, at + hlen) if flags & 0x02 else -1
        return Segment(frame.index, frame.ts_ns, src, sport, dst, dport, seq, ack, flags, window,
                       max(payload_end - at - hlen, 0), wscale,
                       ident(ip_id, _U16(data, at + 16)[0]))
    if proto == 17:
        if payload_end - at < 8:
            return TRUNCATED
        sport, dport = _UDP(data, at)
        return Other("udp", src, sport, dst, dport, max(payload_end - at - 8, 0))
    return OTHER_IP


def _wscale(data: bytes, at: int, end: int) -> int:
    """The window-scale option's shift count, -1 when absent (as layers/tcp.py reads it)."""
    while at < end:
        kind = data[at]
        if kind == 0:
            return -1
        if kind == 1:
            at += 1
            continue
        if at + 1 >= end:
            return -1
        length = data[at + 1]
        if length < 2 or at + length > end:
            return -1
        if kind == 3 and length == 3:
            return data[at + 2]
        at += length
    return -1
