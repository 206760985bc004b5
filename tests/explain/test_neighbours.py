"""ARP and neighbour discovery in an explanation: who sent them, their texts, their notes,
and their place in the ladder. The frames are what the two-host lab captures, built here."""

from __future__ import annotations

import re

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import (
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
)
from scapy.layers.l2 import ARP, Ether

from tests.explain.builders import C_ISN, CLOSE_THREE, DATA, HANDSHAKE, S_ISN, Step
from tests.explain.test_catalog import messages_of
from wirelens.explain.catalog import LANGUAGES, Catalog
from wirelens.explain.explainer import explain
from wirelens.explain.model import Explanation, FieldView, PacketView, Verdict
from wirelens.explain.records import Frame
from wirelens.render.ladder import text_lines

CLIENT_MAC, SERVER_MAC = "02:77:6c:00:00:01", "02:77:6c:00:00:02"
V4 = ("10.199.0.1", "10.199.0.2")
V6 = ("fd00:199::1", "fd00:199::2")
PORTS = (40000, 8080)
EN = Catalog("en")


def arp_pair() -> list[bytes]:
    return [
        bytes(Ether(src=CLIENT_MAC, dst="ff:ff:ff:ff:ff:ff")
              / ARP(op=1, hwsrc=CLIENT_MAC, psrc=V4[0], hwdst="00:00:00:00:00:00", pdst=V4[1])),
        bytes(Ether(src=SERVER_MAC, dst=CLIENT_MAC)
              / ARP(op=2, hwsrc=SERVER_MAC, psrc=V4[1], hwdst=CLIENT_MAC, pdst=V4[0])),
    ]


def nd_pair() -> list[bytes]:
    return [
        bytes(Ether(src=CLIENT_MAC, dst="33:33:ff:00:00:02")
              / IPv6(src=V6[0], dst="ff02::1:ff00:2", hlim=255) / ICMPv6ND_NS(tgt=V6[1])
              / ICMPv6NDOptSrcLLAddr(lladdr=CLIENT_MAC)),
        bytes(Ether(src=SERVER_MAC, dst=CLIENT_MAC)
              / IPv6(src=V6[1], dst=V6[0], hlim=255) / ICMPv6ND_NA(tgt=V6[1], R=0, S=1, O=1)
              / ICMPv6NDOptDstLLAddr(lladdr=SERVER_MAC)),
    ]


def tcp(steps: list[Step], ipv6: bool) -> list[bytes]:
    ends = V6 if ipv6 else V4
    out = []
    for who, flags, seq, ack, payload in steps:
        client = who == "c"
        src, dst = ends if client else ends[::-1]
        sport, dport = PORTS if client else PORTS[::-1]
        own, peer = (C_ISN, S_ISN) if client else (S_ISN, C_ISN)
        ip = IPv6(src=src, dst=dst) if ipv6 else IP(src=src, dst=dst)
        segment = TCP(sport=sport, dport=dport, flags=flags, seq=own + seq,
                      ack=0 if ack is None else peer + ack, window=502)
        macs = (CLIENT_MAC, SERVER_MAC) if client else (SERVER_MAC, CLIENT_MAC)
        out.append(bytes(Ether(src=macs[0], dst=macs[1]) / ip / segment / payload))
    return out


def frames(packets: list[bytes]) -> list[Frame]:
    return [Frame(i, 10**18 + i * 1000, data) for i, data in enumerate(packets, start=1)]


def lab_exchange(ipv6: bool = False, subnets: tuple[str, ...] = ()) -> Explanation:
    first = nd_pair() if ipv6 else arp_pair()
    return explain(frames(first + tcp(HANDSHAKE + DATA + CLOSE_THREE, ipv6)), subnets=subnets)


def field(packet: PacketView, name: str) -> FieldView:
    return next(f for layer in packet.layers for f in layer.fields if f.field.name == name)


# ---------------------------------------------------------------- who sent it, what it is


@pytest.mark.parametrize("ipv6", [False, True], ids=["arp", "nd"])
def test_the_question_comes_from_the_client_and_the_answer_from_the_server(ipv6: bool) -> None:
    exp = lab_exchange(ipv6)
    ask, answer, syn = exp.packets[:3]
    assert (ask.sender, answer.sender, syn.sender) == ("client", "server", "client")
    assert (ask.conversation, ask.related, ask.role) == (0, 1, "")
    assert syn.role == "handshake-1" and syn.conversation == 1
    assert exp.conversations[0].summary.packets == tuple(range(3, 13))


def test_arp_role_texts_say_who_has_and_is_at() -> None:
    ask, answer = lab_exchange().packets[:2]
    assert EN(ask.role_text) == ("ARP request: who has 10.199.0.2? tell 10.199.0.1 "
                                 "(to everyone on the link)")
    assert EN(answer.role_text) == f"ARP reply: 10.199.0.2 is at {SERVER_MAC} (to the asker only)"
    assert ask.summary == "ARP, Request who-has 10.199.0.2 tell 10.199.0.1, length 28"


def test_nd_summary_in_tcpdump_notation() -> None:
    ask, answer = lab_exchange(ipv6=True).packets[:2]
    assert ask.summary == ("IP6 fd00:199::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, "
                           "who has fd00:199::2, length 32")
    assert answer.summary == ("IP6 fd00:199::2 > fd00:199::1: ICMP6, neighbor advertisement, "
                              "tgt is fd00:199::2, length 32")
    assert EN(answer.role_text) == (f"neighbour advertisement: fd00:199::2 is at {SERVER_MAC} "
                                    "(IPv6's ARP reply)")


def test_arp_fields_are_explained_for_a_request_and_for_a_reply() -> None:
    ask, answer = lab_exchange().packets[:2]
    assert EN(field(ask, "arp.dst.hw_mac").text).startswith(
        "target MAC 00:00:00:00:00:00: unknown yet")
    assert EN(field(answer, "arp.src.hw_mac").text) == (
        f"sender MAC {SERVER_MAC}: the answer: the MAC of 10.199.0.2")
    assert EN(field(ask, "arp.opcode").text) == (
        'opcode 1 = request: "who has 10.199.0.2? tell 10.199.0.1"')


def test_solicited_node_addresses_are_worked_out() -> None:
    ask = lab_exchange(ipv6=True).packets[0]
    assert "the last 4 bytes of the group ff02::1:ff00:2" in EN(field(ask, "eth.dst").text)
    assert EN(field(ask, "ipv6.dst").text) == (
        "destination address ff02::1:ff00:2: the solicited-node group of fd00:199::2 "
        "(ff02::1:ff followed by its last 24 bits)")
    assert "255" in EN(field(ask, "ipv6.hlim").text)


# ---------------------------------------------------------------- the notes


def test_arp_subnet_note_works_out_the_and_when_the_mask_is_known() -> None:
    ask = lab_exchange(subnets=("10.199.0.0/24",)).packets[0]
    note = field(ask, "arp.dst.proto_ipv4").note
    assert note is not None and note.topic == "arp_subnet" and note.verdict is Verdict.AGREES
    observed = EN(note.observed)
    assert "255.255.255.0 (/24)" in observed
    assert ("00001010.11000111.00000000.00000001 AND 11111111.11111111.11111111.00000000 = "
            "00001010.11000111.00000000.00000000 (10.199.0.0)") in observed
    assert "00001010.11000111.00000000.00000010 AND" in observed
    assert EN(note.reason).startswith("Both give 10.199.0.0: one subnet")


def test_arp_subnet_note_without_the_mask_shows_the_shared_bits() -> None:
    note = field(lab_exchange().packets[0], "arp.dst.proto_ipv4").note
    assert note is not None and note.verdict is Verdict.NUANCE
    assert "share their first 30 bits" in EN(note.observed)


def test_nd_subnet_note_uses_the_prefix() -> None:
    ask = lab_exchange(ipv6=True, subnets=("fd00:199::/64",)).packets[0]
    note = field(ask, "icmpv6.nd.ns.target_address").note
    assert note is not None and note.verdict is Verdict.AGREES
    assert "ffff:ffff:ffff:ffff:: (/64)" in EN(note.observed)
    assert "neighbour solicitation" in EN(note.reason)


def test_broadcast_against_multicast() -> None:
    arp = field(lab_exchange().packets[0], "eth.dst").note
    nd = field(lab_exchange(ipv6=True).packets[0], "eth.dst").note
    assert arp is not None and arp.topic == "arp_broadcast" and arp.verdict is Verdict.AGREES
    assert nd is not None and nd.topic == "arp_broadcast" and nd.verdict is Verdict.NUANCE
    assert "ff02::1:ff00:2" in EN(nd.observed)


@pytest.mark.parametrize(("mac", "verdict", "reason"), [
    (SERVER_MAC, Verdict.NUANCE, "U/L = 1"),
    ("00:16:3e:1a:83:a0", Verdict.AGREES, "U/L = 0"),
])
def test_the_answers_mac_bits_are_read(mac: str, verdict: Verdict, reason: str) -> None:
    reply = bytes(Ether(src=mac, dst=CLIENT_MAC)
                  / ARP(op=2, hwsrc=mac, psrc=V4[1], hwdst=CLIENT_MAC, pdst=V4[0]))
    exp = explain(frames([arp_pair()[0], reply]))
    note = field(exp.packets[1], "arp.src.hw_mac").note
    assert note is not None and note.topic == "mac_oui" and note.verdict is verdict
    assert EN(note.reason).startswith(reason)
    assert f"first three bytes {mac[:8]}" in EN(note.observed)


def test_ip_versions_are_compared_on_the_destination_address() -> None:
    v4 = field(lab_exchange().packets[2], "ip.dst").note
    v6 = field(lab_exchange(ipv6=True).packets[2], "ipv6.dst").note
    assert v4 is not None and v4.topic == "ip_versions"
    assert EN(v4.observed) == ("10.199.0.2 is the 4 bytes 0a c7 00 02 in the header: 32 bits, "
                               "one decimal number per byte.")
    assert v6 is not None
    assert "fd00:0199:0000:0000:0000:0000:0000:0002" in EN(v6.observed)
    assert "128 bits" in EN(v6.observed)


# ---------------------------------------------------------------- the ladder, both languages


def test_ladder_shows_the_question_and_the_answer_before_the_syn() -> None:
    lines = text_lines(lab_exchange(), 1, 80, EN)
    assert lines[1].strip("│ ").startswith("─") and "#1 ARP who-has 10.199.0.2? (broadcast)" in \
        lines[1] and lines[1].rstrip().endswith("▶│")
    assert "#2 ARP 10.199.0.2 is-at 02:77:6c:00:00:02" in lines[2] and "◀" in lines[2]
    assert "#3 [S]" in lines[3]
    assert all(len(line) <= 80 for line in lines)


def test_a_capture_of_arp_alone_gets_a_ladder_of_its_own() -> None:
    exp = explain(frames(arp_pair()))
    assert exp.conversations == () and exp.endpoints == V4
    lines = text_lines(exp, 0, 80, EN)
    assert lines[0].startswith("client 10.199.0.1") and lines[0].endswith("server 10.199.0.2")
    assert len(lines) == 3


def test_a_packet_between_other_hosts_is_not_claimed() -> None:
    stray = bytes(Ether(src="02:00:00:00:00:09", dst="ff:ff:ff:ff:ff:ff")
                  / ARP(op=1, hwsrc="02:00:00:00:00:09", psrc="10.199.0.9", pdst="10.199.0.8"))
    exp = explain(frames(tcp(HANDSHAKE, False) + [stray]))
    assert exp.packets[3].sender == "" and exp.packets[3].related == 0
    assert "#4" not in "".join(text_lines(exp, 1, 80, EN))


@pytest.mark.parametrize("ipv6", [False, True], ids=["arp", "nd"])
def test_every_message_renders_in_both_languages(ipv6: bool) -> None:
    prefix = "fd00:199::/64" if ipv6 else "10.199.0.0/24"
    for subnets in ((), (prefix,)):
        exp = lab_exchange(ipv6, subnets)
        for lang in LANGUAGES:
            cat = Catalog(lang)
            for message in messages_of(exp):
                text = cat(message)
                assert not text.startswith("["), (lang, message.key)
                assert not re.search(r"\{[a-z_]+\}", text), (lang, message.key, text)
