"""IPv6's fixed header and the extension headers walked to the transport behind them."""

from __future__ import annotations

import pytest
from scapy.layers.inet import TCP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from tests.explain.builders import walked_and_dissected
from wirelens.explain.layers import ipv6
from wirelens.explain.layers.decoded import TooDeep, Truncated
from wirelens.explain.records import Frame

ENDS = dict(src="2001:db8::1", dst="2001:db8::2")


def read(packet: bytes):
    return ipv6.dissect(packet, 0, len(packet), {})


def test_addresses_and_the_next_header() -> None:
    decoded = read(bytes(IPv6(**ENDS, hlim=9) / TCP()))
    f = decoded.facts
    assert (f["src"], f["dst"], f["proto"], f["ip_version"], f["fragment"]) == (
        "2001:db8::1", "2001:db8::2", 6, 6, False)
    assert decoded.next_key == 6 and (decoded.payload_start, decoded.payload_end) == (40, 60)
    assert {x.name: x.display for x in decoded.layer.fields}["ipv6.hlim"] == "9"


def test_extension_headers_are_walked_and_each_named() -> None:
    packet = bytes(IPv6(**ENDS) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / TCP())
    decoded = read(packet)
    ext = [(x.display, x.offset, x.length) for x in decoded.layer.fields if x.name == "ipv6.ext"]
    assert ext == [("Hop-by-Hop", 40, 8), ("Destination Options", 48, 8)]
    assert (decoded.layer.length, decoded.payload_start, decoded.next_key) == (56, 56, 6)


def test_a_fragment_is_not_read_as_tcp() -> None:
    decoded = read(bytes(IPv6(**ENDS) / IPv6ExtHdrFragment(m=1) / TCP()))
    assert decoded.next_key is None and decoded.facts["fragment"]
    assert decoded.facts["proto"] == 6  # what the fragments carry, all the same


def test_a_chain_of_more_extension_headers_than_any_real_packet_stops() -> None:
    chain = IPv6(**ENDS)
    for _ in range(ipv6.MAX_EXTENSIONS + 1):
        chain = chain / IPv6ExtHdrHopByHop()
    with pytest.raises(TooDeep):
        read(bytes(chain / TCP()))


def test_short_headers_are_truncated() -> None:
    with pytest.raises(Truncated):
        read(bytes(IPv6(**ENDS))[:39])
    packet = bytes(IPv6(**ENDS) / IPv6ExtHdrHopByHop())
    with pytest.raises(Truncated):
        read(packet[:44])


def test_bytes_after_the_payload_length_are_padding() -> None:
    decoded = read(bytes(IPv6(**ENDS) / TCP()) + b"\0" * 4)
    assert (decoded.payload_end, decoded.facts["padding"], decoded.facts["declared_end"]) == (
        60, 4, 60)


def test_the_pseudo_header_tcp_and_udp_checksums_cover() -> None:
    src, dst = bytes(16), bytes(15) + b"\x01"
    assert ipv6.pseudo_header(src, dst, 6, 20) == src + dst + bytes([0, 0, 0, 20, 0, 0, 0, 6])


def test_tcp_behind_an_ipv6_authentication_header_and_a_tunnel_is_read():
    """libpcap-AH-IPcomp-IPv6.pcap: IPv6, AH (RFC 4302: (length + 2) * 4 bytes), IPv6 in
    IPv6 (protocol 41), TCP: the inner addresses name the conversation, as Wireshark's."""
    ah = bytes([41, 4]) + b"\x00\x00" + (0x1234).to_bytes(4, "big") + (1).to_bytes(4, "big") \
        + b"\xab" * 12  # next header, 4 => 24 bytes, reserved, SPI, sequence, ICV
    inner = IPv6(src="2000::1", dst="2003::1") / TCP(sport=1234, dport=80, flags="S", seq=7)
    outer = IPv6(src="2002::2", dst="4000::1", nh=51) / Raw(ah + bytes(inner))
    walked, dissected = walked_and_dissected(Frame(1, 0, bytes(Ether() / outer)))
    assert dissected is not None and walked == dissected
    assert (dissected.src, dissected.dst, dissected.seq) == ("2000::1", "2003::1", 7)
