"""PPPoE sessions and the PPP protocol field that says IPv4 or IPv6."""

from __future__ import annotations

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

from tests.explain.builders import field_map, walked_and_dissected
from wirelens.explain.dissect import dissect as dissect_frame
from wirelens.explain.layers import pppoe
from wirelens.explain.layers.decoded import Truncated
from wirelens.explain.records import Frame
from wirelens.explain.wirenumbers import ETHERTYPE_IPV4, ETHERTYPE_IPV6


def test_pppoe_session_then_ppp_protocol_then_ip():
    """pcapplusplus-one_http_stream_rst.pcap: EtherType 0x8864, 6 bytes of PPPoE (RFC 2516),
    PPP's protocol 0x0021 (IPv4), as Wireshark's pppoes and ppp layers."""
    ip = bytes(IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1, dport=80, flags="S"))
    pppoe_header = bytes([0x11, 0x00]) + (0xDDE5).to_bytes(2, "big") \
        + (len(ip) + 2).to_bytes(2, "big")
    frame = Frame(1, 0, bytes(Ether(dst="00:00:00:00:00:01", type=0x8864)) + pppoe_header
                  + b"\x00\x21" + ip)
    d = dissect_frame(frame)
    assert d.protocols == ("ethernet", "pppoes", "ppp", "ipv4", "tcp")
    got = field_map(d)
    assert (got["pppoe.session_id"].display, got["ppp.protocol"].display) == ("0xdde5", "0x0021")
    walked, dissected = walked_and_dissected(frame)
    assert dissected is not None and walked == dissected and dissected.dport == 80


def test_a_session_header_is_followed_by_ppp() -> None:
    header = bytes([0x11, 0x00, 0x12, 0x34, 0x00, 0x2A])
    decoded = pppoe.dissect_session(header, 0, 6, {})
    values = {f.name: f.display for f in decoded.layer.fields}
    assert (values["pppoe.version"], values["pppoe.type"], values["pppoe.payload_length"]) == (
        "1", "1", "42")
    assert (decoded.next_key, decoded.payload_start) == (pppoe.PPP, 6)


@pytest.mark.parametrize(("protocol", "next_key"), [
    (0x0021, ETHERTYPE_IPV4), (0x0057, ETHERTYPE_IPV6), (0xC021, None)])  # LCP: not dissected
def test_the_ppp_protocol_names_the_packet_inside(protocol, next_key) -> None:
    assert pppoe.dissect_ppp(protocol.to_bytes(2, "big"), 0, 2, {}).next_key == next_key


def test_short_headers_are_truncated() -> None:
    with pytest.raises(Truncated):
        pppoe.dissect_session(bytes(5), 0, 5, {})
    with pytest.raises(Truncated):
        pppoe.dissect_ppp(bytes(1), 0, 1, {})
