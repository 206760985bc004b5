"""The ladder as inline SVG and as a standalone file (render/svg.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from tests.explain.builders import CLOSE_THREE, DATA, HANDSHAKE, REFUSED, frames
from tests.render.pages import sample, wire_loss
from wirelens.explain.explainer import explain
from wirelens.explain.records import Frame
from wirelens.render.svg import (
    arrow_parts,
    flag_names,
    ladder_document,
    ladder_packets,
    ladder_svg,
    phase_of,
)

SVG = "{http://www.w3.org/2000/svg}"


def packet_groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "pkt" in g.get("class", "").split()]


def test_the_ladder_has_an_arrow_per_packet_with_flags_and_relative_numbers() -> None:
    root = ET.fromstring(ladder_svg(sample(), 1, ("en",)))
    labels = [g.get("aria-label") for g in packet_groups(root)]
    assert labels[:3] == ["#1 SYN seq 0", "#2 SYN+ACK seq 0 ack 1", "#3 ACK ack 1"]
    assert labels[3] == "#4 PSH+ACK seq 1 ack 1 len 14"
    assert labels[8] == "#9 FIN+ACK seq 15 ack 16"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "client" in texts and "127.0.0.1:41062" in texts and "connect()" in texts
    assert {"handshake", "data", "close"} <= set(texts)  # the phases, bracketed


def test_the_standalone_ladder_is_one_svg_file_in_one_language() -> None:
    document = ladder_document(sample(), "zh")
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(document)
    assert root.tag == f"{SVG}svg" and "data-lang" not in document
    assert "客户端" in document and "<style>" in document


# ---------------------------------------------------------------- words on the arrows


def test_flag_letters_are_said_in_words() -> None:
    assert flag_names("S.") == "SYN+ACK"
    assert flag_names("FP.") == "FIN+PSH+ACK"  # always in the same order
    assert flag_names("R") == "RST"
    assert flag_names("") == "none"


def test_each_role_belongs_to_its_phase() -> None:
    assert [phase_of(r) for r in ("handshake-1", "handshake-3", "data", "ack", "close-1",
                                  "close-ack", "data+close-1", "reset", "datagram", "")] == [
        "handshake", "handshake", "data", "data", "close", "close", "close", "reset", "", ""]


def datagram() -> Frame:
    packet = Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=4000, dport=53) / b"hi"
    return Frame(1, 10**18, bytes(packet))


def test_a_packet_that_is_not_tcp_is_named_by_its_innermost_header() -> None:
    (p,) = explain([datagram()]).packets
    assert arrow_parts(p) == ("#1 UDP", "len 2")


def test_only_the_numbers_that_matter_go_under_the_arrow() -> None:
    exp = explain(frames(HANDSHAKE + DATA))
    parts = [arrow_parts(p) for p in exp.packets]
    assert parts[2] == ("#3 ACK", "ack 1")  # no payload, no SYN or FIN: seq says nothing
    assert parts[3] == ("#4 PSH+ACK", "seq 1 ack 1 len 14")
    assert parts[0] == ("#1 SYN", "seq 0")  # no ACK flag: no ack number


# ---------------------------------------------------------------- the drawing


def two_conversations() -> list[Frame]:
    first = frames(HANDSHAKE + DATA + CLOSE_THREE)
    second = frames(HANDSHAKE + DATA + CLOSE_THREE, ipv6=True, start_ns=10**18 + 10**6)
    return [replace(f, index=i) for i, f in enumerate(first + second, start=1)]


def test_each_conversation_has_its_own_ladder() -> None:
    exp = explain(two_conversations())
    assert [p.index for p in ladder_packets(exp, 2)] == list(range(11, 21))
    root = ET.fromstring(ladder_svg(exp, 2, ("en",)))
    assert root.get("data-conversation") == "2"
    assert [int(g.get("data-packet", "")) for g in packet_groups(root)] == list(range(11, 21))


def test_a_packet_of_no_conversation_goes_on_the_first_ladder() -> None:
    exp = explain([*frames(HANDSHAKE), replace(datagram(), index=4, ts_ns=10**18 + 4000)])
    assert [p.index for p in ladder_packets(exp, 1)] == [1, 2, 3, 4]
    root = ET.fromstring(ladder_svg(exp, 1, ("en",)))
    (udp,) = [g for g in packet_groups(root) if g.get("data-packet") == "4"]
    assert "other" in udp.get("class", "").split()  # drawn dashed, not as TCP


def test_the_current_packet_and_a_reset_are_marked() -> None:
    root = ET.fromstring(ladder_svg(explain(frames(REFUSED)), 1, ("en",), current=2))
    classes = [g.get("class", "").split() for g in packet_groups(root)]
    assert classes[0] == ["pkt", "from-client", "phase-handshake"]
    assert classes[1] == ["pkt", "from-server", "phase-reset", "rst", "current"]


def test_a_dropped_packet_stops_half_way_under_a_cross() -> None:
    root = ET.fromstring(ladder_svg(wire_loss(), 1, ("en",)))
    by_packet = {g.get("data-packet"): g for g in packet_groups(root)}
    dropped, resent = by_packet["4"], by_packet["5"]
    assert [e.get("class") for e in dropped if e.tag == f"{SVG}path"] == ["cross"]
    assert [e.get("class") for e in dropped if e.tag == f"{SVG}line"] == ["arrow dropped"]
    assert [e.get("class") for e in resent if e.tag == f"{SVG}polygon"] == ["head"]


def test_two_languages_give_each_lane_title_twice() -> None:
    root = ET.fromstring(ladder_svg(sample(), 1, ("zh", "en")))
    titles = [(t.get("data-lang"), t.text) for t in root.iter(f"{SVG}text")
              if "lane-client" in t.get("class", "")]
    assert titles == [("zh", "客户端"), ("en", "client")]


def test_the_standalone_file_stacks_every_conversation() -> None:
    exp = explain(two_conversations())
    root = ET.fromstring(ladder_document(exp, "en"))
    ladders = [s for s in root if s.tag == f"{SVG}svg"]
    assert [s.get("data-conversation") for s in ladders] == ["1", "2"]
    first_bottom = float(ladders[0].get("height", "0"))
    assert float(ladders[1].get("y", "0")) == first_bottom + 20
    assert float(root.get("height", "0")) == first_bottom + 20 + float(
        ladders[1].get("height", "0")) + 20
