"""Address arithmetic as the notes do it by hand (the notes checks: test_notes.py)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import pytest

from wirelens.explain.addresses import (
    common_prefix,
    dotted_binary,
    mac_bits,
    masked,
    multicast_mac,
    solicited_node,
    subnet_test,
)


def test_the_notes_own_example() -> None:
    # 172.16.10.1 and 172.16.10.2 with 255.255.255.0: both give 172.16.10.0
    test = subnet_test("172.16.10.1", "172.16.10.2", "172.16.10.0/24")
    assert test.same and test.sender_net == test.target_net == "172.16.10.0"
    assert test.mask == "255.255.255.0"
    assert test.working.splitlines()[0] == (
        "10101100.00010000.00001010.00000001 AND 11111111.11111111.11111111.00000000 = "
        "10101100.00010000.00001010.00000000 (172.16.10.0)")


def test_other_subnet() -> None:
    test = subnet_test("10.199.0.1", "10.199.1.2", "10.199.0.0/24")
    assert not test.same and test.target_net == "10.199.1.0"


def test_ipv6_prefix_and_groups() -> None:
    assert masked(IPv6Address("fd00:199::2"), 64) == IPv6Address("fd00:199::")
    assert masked(IPv4Address("10.199.0.2"), 24) == IPv4Address("10.199.0.0")
    assert solicited_node("fd00:199::2") == "ff02::1:ff00:2"
    assert solicited_node("2001:db8::abcd:1234") == "ff02::1:ffcd:1234"
    assert multicast_mac("ff02::1:ff00:2") == "33:33:ff:00:00:02"
    assert dotted_binary(IPv4Address("10.199.0.1")) == "00001010.11000111.00000000.00000001"
    assert common_prefix(IPv4Address("10.199.0.1"), IPv4Address("10.199.0.2")) == 30


@pytest.mark.parametrize(("mac", "group", "local"), [
    ("02:77:6c:00:00:01", False, True),
    ("00:16:3e:1a:83:a0", False, False),
    ("33:33:ff:00:00:02", True, True),
    ("00:00:00:00:00:00", False, False),
])
def test_mac_bits(mac: str, group: bool, local: bool) -> None:
    bits = mac_bits(mac)
    assert (bits.group, bits.local, bits.oui) == (group, local, mac[:8])

