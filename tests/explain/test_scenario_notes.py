"""The scenario library's notes checks, with their evidence read from the capture."""

from __future__ import annotations

from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from tests.explain.builders import HANDSHAKE, REFUSED, Step, frames
from wirelens.explain.conversation import ConversationTracker
from wirelens.explain.dissect import dissect, segment_of
from wirelens.explain.model import NoteCheck, Verdict
from wirelens.explain.records import Frame
from wirelens.explain.scenario_notes import Tracked, conversation_notes, field_note

CHAT: list[Step] = [
    ("c", "PA", 1, 1, b"hi"),
    ("s", "PA", 1, 3, b"hello"),
    ("c", "PA", 3, 6, b"quit\n"),  # the chat's last word; then its sender closes
    ("s", "A", 6, 8, b""),
    ("c", "FA", 8, 6, b""),
]


def tracked(steps: list[Step]):
    tracker = ConversationTracker()
    out: list[Tracked] = []
    for frame in frames(steps):
        d = dissect(frame)
        seg = segment_of(d)
        out.append((d, seg, tracker.feed(seg) if seg else None))
    [summary] = tracker.summaries()
    return summary, out


def test_a_refused_connection_cites_its_syn_and_rst() -> None:
    summary, seen = tracked(REFUSED)
    [check] = conversation_notes(summary, seen)
    assert (check.topic, check.verdict) == ("refused", Verdict.AGREES)
    assert (check.observed.params["syn"], check.observed.params["rst"]) == (1, 2)


def test_a_quit_followed_by_its_senders_fin() -> None:
    summary, seen = tracked(HANDSHAKE + CHAT)
    [check] = conversation_notes(summary, seen)
    assert check.topic == "chat_quit"
    p = check.observed.params
    assert (p["to_server"], p["to_client"], p["quit"], p["fin"]) == (2, 1, 6, 8)


def test_no_quit_or_a_fin_from_the_other_side_is_no_chat_check() -> None:
    summary, seen = tracked(HANDSHAKE + CHAT[:4] + [("s", "FA", 6, 8, b"")])
    assert conversation_notes(summary, seen) == []
    summary, seen = tracked(HANDSHAKE + [("c", "PA", 1, 1, b"bye"), ("c", "FA", 4, 1, b"")])
    assert conversation_notes(summary, seen) == []


def field_notes(packet) -> dict[str, NoteCheck]:
    d = dissect(Frame(1, 0, bytes(packet)))
    notes = {f.name: field_note(f, d) for layer in d.layers for f in layer.fields}
    return {name: note for name, note in notes.items() if note is not None}


def test_udp_header_fields_and_a_dns_answer_bear_on_the_notes() -> None:
    udp = Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1, dport=2) / b"x"
    found = field_notes(udp)
    assert {name: note.topic for name, note in found.items()} == {
        "udp.length": "udp_header", "udp.checksum": "udp_unreliable"}
    assert found["udp.length"].observed.params["payload"] == 1
    answer = DNS(id=1, qr=1, qd=DNSQR(qname="example.test"),
                 an=DNSRR(rrname="example.test", rdata="10.0.0.9"))
    response = Ether() / IP(src="10.0.0.2", dst="10.0.0.1") / UDP(sport=53, dport=4000) / answer
    told = field_notes(response)["dns.a"].observed.params
    assert (told["name"], told["answer"]) == ("example.test.", "10.0.0.9")
    query = Ether() / IP() / UDP(sport=4000, dport=53) / DNS(qd=DNSQR(qname="example.test"))
    assert "dns.a" not in field_notes(query)
