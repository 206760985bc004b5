"""UDP: 8 bytes of header, its length, and a checksum that may be absent."""

from __future__ import annotations

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether

from tests.explain.builders import field_map
from wirelens.explain.dissect import dissect as dissect_frame
from wirelens.explain.layers import udp
from wirelens.explain.layers.decoded import Truncated
from wirelens.explain.records import Frame


def read(datagram: bytes):
    return udp.dissect(datagram, 0, len(datagram), {})


def test_ports_length_and_payload() -> None:
    decoded = read(bytes(UDP(sport=5353, dport=53) / b"question") + b"\0\0")
    assert (decoded.facts["sport"], decoded.facts["dport"]) == (5353, 53)
    assert (decoded.payload_start, decoded.payload_end) == (8, 16)  # the length trims the rest
    length = next(f for f in decoded.layer.fields if f.name == "udp.length")
    assert (length.display, length.params["payload"]) == ("16", 8)


def test_a_length_below_the_header_is_ignored() -> None:
    datagram = bytearray(bytes(UDP() / b"abc"))
    datagram[4:6] = (3).to_bytes(2, "big")
    assert read(bytes(datagram)).payload_end == 11


def test_a_zero_checksum_means_none() -> None:
    decoded = read(bytes(UDP(chksum=0)))
    assert next(f for f in decoded.layer.fields if f.name == "udp.checksum").key == \
        "field.udp.checksum.none"


@pytest.mark.parametrize("ip", [IP(src="10.0.0.1", dst="10.0.0.2"), IPv6(src="::1", dst="::2")])
def test_the_checksum_over_either_ips_pseudo_header(ip) -> None:
    right = field_map(dissect_frame(Frame(1, 0, bytes(Ether() / ip / UDP() / b"x"))))
    assert right["udp.checksum"].key == "field.udp.checksum.correct"
    wrong = field_map(dissect_frame(Frame(1, 0, bytes(Ether() / ip / UDP(chksum=1) / b"x"))))
    assert wrong["udp.checksum"].key == "field.udp.checksum.wrong"


def test_fewer_than_8_bytes_is_truncated() -> None:
    with pytest.raises(Truncated):
        read(bytes(7))
