"""A header walk for the overview: from a frame's bytes straight to a ``Segment``, no fields.

``walk(frame)`` reads only the fixed headers the overview needs (link layer, IPv4 or IPv6
with its extension headers, TCP, UDP, ARP) with ``struct``, and returns either a
``Segment``, or a ``Other`` saying what the frame was (the overview's count kinds, with
the UDP flow or ARP operation). It agrees with the full dissector (``dissect`` +
``segment_of``) on every frame; tests/overview/test_fastwalk.py checks that on generated
captures of every link type. Pure: no I/O.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from ipaddress import IPv6Address

from wirelens.explain.records import Frame
from wirelens.explain.segment import Segment, ident
from wirelens.explain.wirenumbers import (
    ETHERTYPE_ARP,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    ETHERTYPE_MPLS,
    ETHERTYPE_PPPOE,
    IP_IN_IP,
    LINK_TYPES,
    LINKTYPE_ETHERNET,
    LINKTYPE_IPV4,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_NULL,
    LINKTYPE_PCAPNG_BLOCK,
    MPLS_PAYLOAD,
    PPP_PROTOCOLS,
    PROTO_AH,
    PROTO_IPV6_FRAGMENT,
    PROTO_TCP,
    PROTO_UDP,
    VLAN_TAGS,
)

_U16 = struct.Struct("!H").unpack_from
_U32LE = struct.Struct("<I").unpack_from
_U32BE = struct.Struct("!I").unpack_from
_IPV4 = struct.Struct("!BxHHHxB2x4s4s").unpack_from  # vihl, total, id, frag, proto, src, dst
_TCP = struct.Struct("!HHIIBBH").unpack_from  # sport, dport, seq, ack, offset, flags, window
_UDP = struct.Struct("!HH").unpack_from

IPV6_EXTENSIONS = (0, 43, 60)
# IP in IP (RFC 2003 protocol 4, RFC 2473 protocol 41): Wireshark reads the inner packet,
# so its TCP is the segment (as dissect.BINDINGS); deeper than dissect.MAX_LAYERS allows
# is no real packet.
MAX_TUNNELS = 8
RAW_IP = tuple(lt for lt, first in LINK_TYPES.items() if first.startswith("raw"))
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
    if lt == LINKTYPE_ETHERNET:
        if len(data) < 14:
            return TRUNCATED
        at, etype = 14, _U16(data, 12)[0]
        while etype in VLAN_TAGS:
            if len(data) < at + 4:
                return TRUNCATED
            etype = _U16(data, at + 2)[0]
            at += 4
        return etype, at
    if lt in RAW_IP:
        if lt not in (228, 229):  # the version nibble says which; others are unknown
            version = data[0] >> 4 if data else 0
            if version not in (4, 6):
                return UNKNOWN_LINK
        else:
            version = 4 if lt == LINKTYPE_IPV4 else 6
        return (ETHERTYPE_IPV4 if version == 4 else ETHERTYPE_IPV6), 0
    if lt == LINKTYPE_LINUX_SLL:
        return (_U16(data, 14)[0], 16) if len(data) >= 16 else TRUNCATED
    if lt == LINKTYPE_LINUX_SLL2:
        return (_U16(data, 0)[0], 20) if len(data) >= 20 else TRUNCATED
    if lt in (0, 108):
        if len(data) < 4:
            return TRUNCATED
        family = (_U32LE if lt == LINKTYPE_NULL else _U32BE)(data, 0)[0]
        if lt == LINKTYPE_NULL and family > 0xFFFF:
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
    if etype == ETHERTYPE_PPPOE:  # as layers/pppoe.py: 6 bytes of PPPoE, 2 of PPP protocol
        if end - at < 8:
            return TRUNCATED
        etype, at = PPP_PROTOCOLS.get(_U16(data, at + 6)[0], -1), at + 8
    while etype == ETHERTYPE_MPLS:  # as layers/mpls.py: label entries down to the bottom one
        if end - at < 4:
            return TRUNCATED
        bottom = data[at + 2] & 1
        at += 4
        if bottom:
            etype = MPLS_PAYLOAD.get(data[at] >> 4, -1) if at < end else -1
    for _ in range(MAX_TUNNELS + 1):
        got = _ip(data, etype, at, end)
        if isinstance(got, Other):
            return got
        proto, at, payload_end, declared_end, src, dst, ip_id = got
        if proto not in IP_IN_IP:
            break
        etype, end = IP_IN_IP[proto], payload_end  # a tunnel: the inner packet's header
    if proto == PROTO_TCP:
        if payload_end - at < 20:
            return TRUNCATED
        sport, dport, seq, ack, offset, flags, window = _TCP(data, at)
        hlen = (offset >> 4) * 4
        # as layers/tcp.py: the fixed header suffices; the length is the IP header's
        if hlen < 20 or max(declared_end, payload_end) - at < hlen:
            return TRUNCATED
        wscale = _wscale(data, at + 20, min(at + hlen, payload_end)) if flags & 0x02 else -1
        # as layers/tcp.py: an IP length beyond the frame's wire length is no snap-length cut
        length = max(max(min(declared_end, frame.wire_len), payload_end) - at - hlen, 0)
        return Segment(frame.index, frame.ts_ns, src, sport, dst, dport, seq, ack, flags, window,
                       length, wscale,
                       ident(ip_id, _U16(data, at + 16)[0]))
    if proto == PROTO_UDP:
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


_IpHeader = tuple[int, int, int, int, str, str, int]


def _ip(data: bytes, etype: int, at: int, end: int) -> _IpHeader | Other:
    """(protocol, its offset, payload end, declared end, src, dst, IP id) of the IP header
    at ``at``, or what stopped the walk."""
    if etype == ETHERTYPE_IPV4:
        if end - at < 20:
            return TRUNCATED
        vihl, total, ip_id, frag, proto, src_raw, dst_raw = _IPV4(data, at)
        hlen = (vihl & 0x0F) * 4
        if hlen < 20 or end - at < hlen:
            return TRUNCATED
        if frag & 0x3FFF:  # more fragments, or an offset: a fragment
            return FRAGMENT
        declared_end = at + total if total >= hlen else end  # cut by the snap length or not
        payload_end = min(end, declared_end)
        return (proto, at + hlen, payload_end, declared_end, _ipv4_text(src_raw),
                _ipv4_text(dst_raw), ip_id)
    if etype == ETHERTYPE_IPV6:
        if end - at < 40:
            return TRUNCATED
        plen = _U16(data, at + 4)[0]
        declared_end = at + 40 + plen if plen else end
        payload_end = min(end, declared_end)
        proto = data[at + 6]
        src = IPv6Address(data[at + 8 : at + 24]).compressed
        dst = IPv6Address(data[at + 24 : at + 40]).compressed
        at += 40
        fragment = False
        while proto in IPV6_EXTENSIONS or proto in (PROTO_IPV6_FRAGMENT, PROTO_AH):
            if payload_end - at < 8:
                return TRUNCATED
            fragment = fragment or proto == PROTO_IPV6_FRAGMENT
            if proto == PROTO_AH:
                length = (data[at + 1] + 2) * 4
            else:
                length = 8 if proto == PROTO_IPV6_FRAGMENT else (data[at + 1] + 1) * 8
            proto, at = data[at], at + length
        if fragment:
            return FRAGMENT
        return proto, at, payload_end, declared_end, src, dst, -1  # IPv6 has no identification
    if etype == ETHERTYPE_ARP:
        if end - at < 28:
            return TRUNCATED
        return Other("arp", arp_op=_U16(data, at + 6)[0])
    return OTHER_ETHERTYPE
