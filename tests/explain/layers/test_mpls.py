"""MPLS label entries down to the bottom of the stack, then IP by its first nibble."""

from __future__ import annotations

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

from tests.explain.builders import walked_and_dissected
from wirelens.explain.dissect import dissect as dissect_frame
from wirelens.explain.layers import mpls
from wirelens.explain.layers.decoded import Truncated
from wirelens.explain.records import Frame
from wirelens.explain.wirenumbers import ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_MPLS


def entry(label: int, bottom: bool, ttl: int = 64) -> bytes:
    return (label << 12 | int(bottom) << 8 | ttl).to_bytes(4, "big")


def test_mpls_labels_down_to_the_bottom_then_ip_by_its_first_nibble():
    """pcapplusplus-MplsPackets.pcap: EtherType 0x8847, label entries (20-bit label, 3 bits
    mpls.exp, the bottom-of-stack bit, TTL) until the bottom one, then IPv4 or IPv6."""
    labels = (16000 << 12 | 126).to_bytes(4, "big") + (18 << 12 | 1 << 8 | 254).to_bytes(4, "big")
    ip = bytes(IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1, dport=80, flags="S"))
    frame = Frame(1, 0, bytes(Ether(dst="00:00:00:00:00:01", type=0x8847)) + labels + ip)
    d = dissect_frame(frame)
    assert d.protocols == ("ethernet", "mpls", "mpls", "ipv4", "tcp")
    first, second = ({f.name: f.display for f in layer.fields} for layer in d.layers[2:4])
    assert (first["mpls.label"], first["mpls.bottom"], first["mpls.ttl"]) == ("16000", "0", "126")
    assert (second["mpls.label"], second["mpls.bottom"]) == ("18", "1")
    walked, dissected = walked_and_dissected(frame)
    assert dissected is not None and walked == dissected and dissected.dport == 80


def test_an_entry_not_at_the_bottom_is_followed_by_another() -> None:
    data = entry(5, bottom=False) + entry(6, bottom=True)
    decoded = mpls.dissect(data, 0, len(data), {})
    assert (decoded.next_key, decoded.payload_start) == (ETHERTYPE_MPLS, 4)


@pytest.mark.parametrize(("first_byte", "next_key"), [
    (0x45, ETHERTYPE_IPV4), (0x60, ETHERTYPE_IPV6), (0x00, None)])  # 0: a control word
def test_the_bottom_entry_names_what_follows_by_its_first_nibble(first_byte, next_key) -> None:
    data = entry(5, bottom=True) + bytes([first_byte])
    assert mpls.dissect(data, 0, len(data), {}).next_key == next_key


def test_a_bottom_entry_with_nothing_after_it_ends_the_frame() -> None:
    assert mpls.next_ethertype(entry(5, bottom=True), 4, 4) is None
    with pytest.raises(Truncated):
        mpls.dissect(b"\x00\x01\x02", 0, 3, {})
