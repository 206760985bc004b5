"""IPv4's header read from its bytes: fields, options, its own length, fragments, checksum."""

from __future__ import annotations

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

from tests.explain.builders import field_map
from wirelens.explain.dissect import dissect as dissect_frame
from wirelens.explain.layers import ipv4
from wirelens.explain.layers.decoded import Truncated
from wirelens.explain.records import Frame


def read(packet: bytes, start: int = 0):
    return ipv4.dissect(packet, start, len(packet), {})


def fields_of(decoded):
    return {f.name: f for f in decoded.layer.fields}


def test_addresses_protocol_and_identification() -> None:
    decoded = read(bytes(IP(src="10.0.0.1", dst="10.0.0.2", id=77, ttl=64) / TCP()))
    f = decoded.facts
    assert (f["src"], f["dst"], f["proto"], f["ip_id"], f["ip_version"]) == (
        "10.0.0.1", "10.0.0.2", 6, 77, 4)
    assert (f["src_bytes"], f["fragment"]) == (bytes([10, 0, 0, 1]), False)
    assert decoded.next_key == 6 and (decoded.payload_start, decoded.payload_end) == (20, 40)
    got = fields_of(decoded)
    assert got["ip.proto"].params["name"] == "TCP"
    assert got["ip.hdr_len"].params == {"value": "20", "words": 5, "bytes": 20}
    assert (got["ip.ttl"].display, got["ip.id"].display) == ("64", "0x004d")


def test_offsets_are_counted_in_the_frame() -> None:
    frame = b"\xaa" * 14 + bytes(IP(src="10.0.0.1", dst="10.0.0.2"))
    decoded = ipv4.dissect(frame, 14, len(frame), {})
    assert fields_of(decoded)["ip.src"].offset == 26
    assert decoded.payload_start == 34


def test_options_are_one_field_after_the_fixed_header() -> None:
    decoded = read(bytes(IP(src="10.0.0.1", dst="10.0.0.2", options=b"\x01\x01\x01\x00")))
    options = fields_of(decoded)["ip.options"]
    assert (options.offset, options.length, options.display) == (20, 4, "01 01 01 00")
    assert decoded.layer.length == 24


def test_bytes_after_the_total_length_are_padding() -> None:
    packet = bytes(IP(src="10.0.0.1", dst="10.0.0.2") / TCP()) + b"\0" * 6
    decoded = read(packet)
    assert decoded.payload_end == 40
    assert (decoded.facts["padding"], decoded.facts["declared_end"]) == (6, 40)


def test_a_total_length_below_the_header_is_ignored() -> None:
    packet = bytearray(bytes(IP(src="10.0.0.1", dst="10.0.0.2") / TCP()))
    packet[2:4] = (8).to_bytes(2, "big")
    decoded = read(bytes(packet))
    assert decoded.payload_end == 40 and decoded.facts["padding"] == 0


@pytest.mark.parametrize(("flags", "frag"), [("MF", 0), (0, 100)])
def test_a_fragment_is_not_read_as_tcp(flags, frag) -> None:
    decoded = read(bytes(IP(src="10.0.0.1", dst="10.0.0.2", flags=flags, frag=frag) / TCP()))
    assert decoded.next_key is None and decoded.facts["fragment"]
    assert fields_of(decoded)["ip.frag_offset"].params["bytes"] == frag * 8


def test_a_header_that_is_not_all_there_is_truncated() -> None:
    packet = bytes(IP(src="10.0.0.1", dst="10.0.0.2", options=b"\x01\x01\x01\x00"))
    for cut in (packet[:19], packet[:22]):  # short of 20, short of its own 24
        with pytest.raises(Truncated):
            read(cut)
    bad = bytearray(packet)
    bad[0] = 0x44  # a header length of 16 bytes
    with pytest.raises(Truncated):
        read(bytes(bad))


def test_a_wrong_ip_checksum_is_named_with_the_expected_value():
    packet = Ether() / IP(src="10.0.0.1", dst="10.0.0.2", chksum=0x1234) / TCP()
    f = field_map(dissect_frame(Frame(1, 0, bytes(packet))))
    assert f["ip.checksum"].key == "field.ip.checksum.wrong"
    assert f["ip.checksum"].params["expected"] != "0x1234"
    right = fields_of(read(bytes(IP(src="10.0.0.1", dst="10.0.0.2"))))["ip.checksum"]
    assert right.key == "field.ip.checksum.correct"


def test_the_pseudo_header_tcp_and_udp_checksums_cover() -> None:
    pseudo = ipv4.pseudo_header(bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]), 6, 20)
    assert pseudo == bytes([10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0, 20])
