"""Ethernet II: two MAC addresses and the EtherType, or an 802.3 frame's length."""

from __future__ import annotations

import pytest
from scapy.layers.l2 import Ether

from wirelens.explain.layers import ethernet
from wirelens.explain.layers.decoded import Truncated
from wirelens.explain.wirenumbers import ETHERTYPE_IPV6


@pytest.mark.parametrize(("address", "kind"), [
    ("ff:ff:ff:ff:ff:ff", "broadcast"),
    ("00:00:00:00:00:00", "zero"),  # loopback's
    ("33:33:ff:00:00:02", "multicast"),  # the I/G bit
    ("02:77:6c:00:00:01", "local"),  # the U/L bit
    ("00:16:3e:1a:83:a0", "global"),
])
def test_mac_kind_picks_the_catalog_variant(address, kind) -> None:
    assert ethernet.mac_kind(address) == kind


def test_addresses_type_and_what_follows() -> None:
    header = bytes(Ether(dst="33:33:ff:00:00:02", src="02:77:6c:00:00:01", type=ETHERTYPE_IPV6))
    decoded = ethernet.dissect(header + b"payload", 0, len(header) + 7, {})
    got = {f.name: f for f in decoded.layer.fields}
    assert got["eth.dst"].key == "field.eth.dst.multicast"
    assert (got["eth.src"].key, got["eth.src"].params["oui"]) == ("field.eth.src.local", "02:77:6c")
    assert got["eth.type"].params["name"] == "IPv6"
    assert decoded.next_key == ETHERTYPE_IPV6
    assert (decoded.payload_start, decoded.payload_end) == (14, 21)
    assert decoded.facts == {"eth.src": "02:77:6c:00:00:01", "eth.dst": "33:33:ff:00:00:02"}


def test_a_type_of_1500_or_less_is_an_8023_length() -> None:
    header = bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:00:01", type=46))
    decoded = ethernet.dissect(header, 0, 14, {})
    names = {f.name: f.display for f in decoded.layer.fields}
    assert decoded.next_key is None and names["eth.len"] == "46" and "eth.type" not in names


def test_an_unknown_ethertype_is_named_so() -> None:
    decoded = ethernet.dissect(bytes(Ether(type=0x88B5)), 0, 14, {})
    assert {f.name: f for f in decoded.layer.fields}["eth.type"].params["name"] == "unknown"
    assert decoded.next_key == 0x88B5


def test_fewer_than_14_bytes_is_truncated() -> None:
    with pytest.raises(Truncated):
        ethernet.dissect(bytes(13), 0, 13, {})
