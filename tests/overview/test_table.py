"""Why a file holds no complete handshake, from its overview alone."""

from __future__ import annotations

from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether

from wirelens.explain.records import Frame
from wirelens.overview.builder import overview
from wirelens.overview.table import rows_of

C, S = ("10.0.0.1", 40000), ("10.0.0.2", 80)


def seg(i: int, from_client: bool, flags: str, seq: int = 0, ack: int = 0) -> Frame:
    (src, sport), (dst, dport) = (C, S) if from_client else (S, C)
    packet = Ether() / IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags=flags,
                                                  seq=seq, ack=ack)
    return Frame(i, 1_700_000_000 * 10**9 + i * 10**6, bytes(packet))


def reason(frames: list[Frame]) -> str:
    rows = rows_of("f.pcap", overview(frames, "f.pcap"))
    return rows[0].reason if rows[0].kind == "file" else ""


def test_reasons() -> None:
    handshake = [seg(1, True, "S", 100), seg(2, False, "SA", 500, 101),
                 seg(3, True, "A", 101, 501)]
    assert reason(handshake) == ""
    assert reason(handshake[1:]) == "partial"  # the SYN-ACK and the ACK, no SYN
    assert reason(handshake[:1]) == "unanswered"
    assert reason([seg(1, True, "A", 101, 501), seg(2, False, "A", 501, 101)]) == "no-syn"
    assert reason([seg(1, True, "PA", 101, 501), seg(2, True, "PA", 101, 501)]) == \
        "one-direction"
    udp = Ether() / IP(src=C[0], dst=S[0]) / UDP(sport=5353, dport=53)
    assert reason([Frame(1, 0, bytes(udp))]) == "no-tcp"
    assert reason([]) == "empty"


def test_a_file_row_comes_first_and_says_why_in_words() -> None:
    rows = rows_of("f.pcap", overview([seg(1, True, "S", 100)], "f.pcap"))
    assert [r.kind for r in rows] == ["file", "conversation"]
    assert rows[0].why is not None and rows[0].why.key == "table.why.unanswered"
