"""The ICMPv6 layer: neighbour discovery and MLD field by field, offsets and checksums."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.inet6 import (
    ICMPv6EchoRequest,
    ICMPv6MLDMultAddrRec,
    ICMPv6MLReport2,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6ND_RS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
    IPv6ExtHdrHopByHop,
    RouterAlert,
)
from scapy.layers.l2 import Ether

from wirelens.explain.dissect import Dissection, dissect
from wirelens.explain.fields import FieldValue
from wirelens.explain.layers import icmpv6
from wirelens.explain.records import Frame

CLIENT_MAC, SERVER_MAC = "02:77:6c:00:00:01", "02:77:6c:00:00:02"
ICMP_AT = 14 + 40  # Ethernet and the IPv6 header come first


def solicitation() -> bytes:
    return bytes(Ether(src=CLIENT_MAC, dst="33:33:ff:00:00:02")
                 / IPv6(src="fd00:199::1", dst="ff02::1:ff00:2", hlim=255)
                 / ICMPv6ND_NS(tgt="fd00:199::2") / ICMPv6NDOptSrcLLAddr(lladdr=CLIENT_MAC))


def advertisement() -> bytes:
    return bytes(Ether(src=SERVER_MAC, dst=CLIENT_MAC)
                 / IPv6(src="fd00:199::2", dst="fd00:199::1", hlim=255)
                 / ICMPv6ND_NA(tgt="fd00:199::2", R=0, S=1, O=1)
                 / ICMPv6NDOptDstLLAddr(lladdr=SERVER_MAC))


def of(data: bytes) -> Dissection:
    return dissect(Frame(1, 0, data))


def fields(d: Dissection) -> dict[str, FieldValue]:
    return {f.name: f for f in d.layers[-1].fields}


def test_neighbour_solicitation_field_by_field() -> None:
    d = of(solicitation())
    assert d.protocols == ("ethernet", "ipv6", "icmpv6") and d.problem == ""
    f = fields(d)
    assert (f["icmpv6.type"].value, f["icmpv6.type"].key) == (135, "field.icmpv6.type.ns")
    assert f["icmpv6.checksum"].key == "field.icmpv6.checksum.correct"
    target = f["icmpv6.nd.ns.target_address"]
    assert (target.display, target.offset, target.length) == ("fd00:199::2", ICMP_AT + 8, 16)
    option = f["icmpv6.opt.src_linkaddr"]
    assert (option.display, option.offset, option.length) == (CLIENT_MAC, ICMP_AT + 26, 6)
    assert f["icmpv6.opt.length"].params["bytes"] == 8
    assert d.facts["nd_target"] == "fd00:199::2"
    assert d.facts["nd_src_linkaddr"] == CLIENT_MAC
    assert d.layers[-1].offset == ICMP_AT and d.layers[-1].length == 32


def test_neighbour_advertisement_flags_and_answer() -> None:
    d = of(advertisement())
    f = fields(d)
    assert [f[f"icmpv6.nd.na.flag.{x}"].value for x in "rso"] == [0, 1, 1]
    assert f["icmpv6.nd.na.flag.s"].bit_offset == 1 and f["icmpv6.nd.na.flag.s"].bit_length == 1
    assert f["icmpv6.opt.target_linkaddr"].display == SERVER_MAC
    assert f["icmpv6.opt.type"].key == "field.icmpv6.opt.type.target_linkaddr"
    assert d.facts["nd_solicited"] is True
    assert d.facts["nd_target_linkaddr"] == SERVER_MAC


def test_a_wrong_checksum_is_caught_with_the_expected_value() -> None:
    data = bytearray(solicitation())
    good = data[ICMP_AT + 2 : ICMP_AT + 4].hex()
    data[ICMP_AT + 2 : ICMP_AT + 4] = b"\xbe\xef"
    checksum = fields(of(bytes(data)))["icmpv6.checksum"]
    assert checksum.key == "field.icmpv6.checksum.wrong"
    assert checksum.params["expected"] == f"0x{good}"


def test_mld_report_behind_a_hop_by_hop_header_is_named() -> None:
    data = bytes(Ether(src=SERVER_MAC, dst="33:33:00:00:00:16")
                 / IPv6(src="fe80::77:6cff:fe00:2", dst="ff02::16", hlim=1)
                 / IPv6ExtHdrHopByHop(options=[RouterAlert()])
                 / ICMPv6MLReport2(records=[ICMPv6MLDMultAddrRec(dst="ff02::1:ff00:2")]))
    d = of(data)
    f = fields(d)
    assert d.protocols[-1] == "icmpv6"
    assert f["icmpv6.type"].key == "field.icmpv6.type.mld2_report"
    assert f["icmpv6.mldr.nb_mcast_records"].value == 1
    assert f["icmpv6.checksum"].key == "field.icmpv6.checksum.correct"
    assert "icmpv6.mldr.records" in f


@pytest.mark.parametrize(("packet", "variant"), [
    (ICMPv6ND_RS(), "rs"),
    (ICMPv6ND_RA(routerlifetime=1800), "ra"),
    (ICMPv6EchoRequest(id=7, seq=3, data=b"ping"), "echo_request"),
], ids=["router-solicitation", "router-advertisement", "echo"])
def test_other_types_have_their_names(packet: object, variant: str) -> None:
    data = bytes(Ether(src=CLIENT_MAC, dst="33:33:00:00:00:02")
                 / IPv6(src="fe80::1", dst="ff02::2") / packet)  # type: ignore[operator]
    f = fields(of(data))
    assert f["icmpv6.type"].key == f"field.icmpv6.type.{variant}"
    assert f["icmpv6.checksum"].key == "field.icmpv6.checksum.correct"


def test_a_zero_length_option_stops_the_walk() -> None:
    data = bytearray(solicitation())
    data[ICMP_AT + 25] = 0  # the option's length: 0 units would loop forever
    f = fields(of(bytes(data)))
    assert "icmpv6.opt.bad" in f


def test_type_names_cover_every_variant_in_both_catalogs() -> None:
    from wirelens.explain.catalog import load

    for lang in ("en", "zh"):
        texts = load(lang)
        for variant in {*icmpv6.TYPE_VARIANTS.values(), "other"}:
            assert f"field.icmpv6.type.{variant}" in texts
            assert f"neigh.role.{variant}" in texts


@given(st.binary(max_size=120))
def test_any_bytes_after_the_ipv6_header_never_crash(body: bytes) -> None:
    header = IPv6(src="fd00:199::1", dst="fd00:199::2", nh=58, plen=len(body))
    d = of(bytes(Ether(src=CLIENT_MAC, dst=SERVER_MAC) / header) + body)
    assert d.protocols[:2] == ("ethernet", "ipv6")
    assert d.protocols[2:] == ("icmpv6",) or d.problem == "truncated ICMPv6 header"
