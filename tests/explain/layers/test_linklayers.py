"""Link-layer headers other than Ethernet: Linux cooked (v1, v2), BSD loopback, VLAN tags."""

from __future__ import annotations

import pytest
from scapy.layers.inet import IP, TCP

from wirelens.explain.dissect import dissect as dissect_frame
from wirelens.explain.layers import linklayers
from wirelens.explain.layers.decoded import Truncated
from wirelens.explain.records import Frame
from wirelens.explain.wirenumbers import (
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_NULL,
)

MAC = bytes.fromhex("0277 6c00 0001")


def sll(halen: int, address: bytes, ethertype: int = ETHERTYPE_IPV4) -> bytes:
    """A cooked v1 header: packet type (0: to us), ARPHRD_ETHER, address length, address."""
    return (0).to_bytes(2, "big") + (1).to_bytes(2, "big") + halen.to_bytes(2, "big") \
        + address.ljust(8, b"\0") + ethertype.to_bytes(2, "big")


def sll2(halen: int, address: bytes, ethertype: int = ETHERTYPE_IPV6) -> bytes:
    return ethertype.to_bytes(2, "big") + bytes(2) + (3).to_bytes(4, "big") \
        + (1).to_bytes(2, "big") + bytes([4, halen]) + address.ljust(8, b"\0")


def named(decoded) -> dict[str, str]:
    return {f.name: f.display for f in decoded.layer.fields}


def test_a_cooked_header_with_a_mac_and_two_unused_bytes() -> None:
    decoded = linklayers.dissect_sll(sll(6, MAC), 0, 16, {})
    got = named(decoded)
    assert got["sll.src.eth"] == "02:77:6c:00:00:01" and got["sll.unused"] == "00:00"
    assert (decoded.next_key, decoded.payload_start, decoded.layer.length) == (
        ETHERTYPE_IPV4, 16, 16)
    offsets = [f.offset for f in decoded.layer.fields]
    assert offsets == sorted(offsets)  # the address sits between the header's fields


def test_a_cooked_v2_header_with_an_ipv4_address_as_sender() -> None:
    decoded = linklayers.dissect_sll2(sll2(4, bytes([10, 0, 0, 1])), 0, 20, {})
    got = named(decoded)
    assert (got["sll.src.ipv4"], got["sll.ifindex"], got["sll.pkttype"]) == ("10.0.0.1", "3", "4")
    assert got["sll.unused"] == "00:00:00:00"
    assert (decoded.next_key, decoded.payload_start) == (ETHERTYPE_IPV6, 20)


def test_an_address_of_another_length_or_none() -> None:
    assert named(linklayers.dissect_sll(sll(3, b"\x01\x02\x03"), 0, 16, {}))[
        "sll.src.other"] == "01:02:03"
    got = named(linklayers.dissect_sll(sll(0, b""), 0, 16, {}))
    assert got["sll.unused"] == "00:" * 7 + "00" and not any(n.startswith("sll.src") for n in got)


def test_a_cooked_capture_is_read_down_to_tcp() -> None:
    ip = bytes(IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1, dport=80, flags="S"))
    d = dissect_frame(Frame(1, 0, sll(6, MAC) + ip, LINKTYPE_LINUX_SLL))
    assert d.protocols == ("sll", "ipv4", "tcp")


def test_a_vlan_tag_then_the_ethertype() -> None:
    tag = (5 << 13 | 1 << 12 | 42).to_bytes(2, "big") + ETHERTYPE_IPV4.to_bytes(2, "big")
    decoded = linklayers.dissect_vlan(tag, 0, 4, {})
    got = named(decoded)
    assert (got["vlan.priority"], got["vlan.dei"], got["vlan.id"]) == ("5", "1", "42")
    assert decoded.next_key == ETHERTYPE_IPV4


def test_a_vlan_tag_whose_type_is_an_8023_length() -> None:
    decoded = linklayers.dissect_vlan((42).to_bytes(2, "big") + (46).to_bytes(2, "big"), 0, 4, {})
    got = named(decoded)
    assert decoded.next_key is None and got["vlan.len"] == "46" and "vlan.etype" not in got


def test_a_service_tag_has_wiresharks_8021ad_names() -> None:
    tag = (7).to_bytes(2, "big") + (0x8100).to_bytes(2, "big")
    decoded = linklayers.dissect_service_tag(tag, 0, 4, {})
    assert named(decoded)["ieee8021ad.id"] == "7" and decoded.next_key == 0x8100


def test_the_loopback_family_in_either_byte_order() -> None:
    little = linklayers.dissect_null((2).to_bytes(4, "little"), 0, 4, {})
    assert little.next_key == 2 and named(little)["null.family"] == "2"
    # a capture written on a big-endian host: the family read little-endian is too big
    assert linklayers.dissect_null((30).to_bytes(4, "big"), 0, 4, {}).next_key == 30
    assert linklayers.dissect_loop((24).to_bytes(4, "big"), 0, 4, {}).next_key == 24


def test_a_null_frame_is_read_down_to_tcp() -> None:
    ip = bytes(IP(src="127.0.0.1", dst="127.0.0.1") / TCP(flags="S"))
    d = dissect_frame(Frame(1, 0, (2).to_bytes(4, "little") + ip, LINKTYPE_NULL))
    assert d.protocols == ("null", "ipv4", "tcp")


@pytest.mark.parametrize(("read", "size"), [
    (linklayers.dissect_sll, 16), (linklayers.dissect_sll2, 20), (linklayers.dissect_vlan, 4),
    (linklayers.dissect_service_tag, 4), (linklayers.dissect_null, 4),
    (linklayers.dissect_loop, 4)])
def test_a_header_cut_short_is_truncated(read, size) -> None:
    with pytest.raises(Truncated):
        read(bytes(size - 1), 0, size - 1, {})
