"""The ladder as plain lines (render/ladder.py): arrows, their labels, socket calls beside
the lanes, and what a misbehaving wire did to a packet."""

from __future__ import annotations

from dataclasses import replace

from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from tests.capture.wirebuild import CLOSE, ENDS, MESSAGE, run
from tests.capture.wirebuild import HANDSHAKE as WIRE_HANDSHAKE
from tests.explain.builders import CLOSE_THREE, DATA, HANDSHAKE, frames
from tests.render.pages import textbook_with_calls, wire_loss
from wirelens.capture.ends import merge
from wirelens.explain.catalog import Catalog
from wirelens.explain.explainer import explain
from wirelens.explain.model import Explanation
from wirelens.explain.records import Frame, SocketCall
from wirelens.explain.wirestory import explain_wire
from wirelens.render.ladder import (
    arrow_label,
    draw_arrow,
    dropped_arrow,
    home,
    in_ladder,
    rows,
    text_lines,
)

EN = Catalog("en")


def test_ladder_exact_at_80_columns() -> None:
    lines = text_lines(textbook_with_calls(), 1, 80, EN)
    assert lines == [
        "client 127.0.0.1:40000" + " " * 37 + "server 127.0.0.1:8080",
        "   connect()│─────────────────── #1 [S] seq 0 ────────────────────▶│",
        "            │◀──────────────── #2 [S.] seq 0 ack 1 ────────────────│",
        "            │─────────────────── #3 [.] ack 1 ────────────────────▶│accept()",
        "            │──────────── #4 [P.] seq 1 ack 1 len 14 ─────────────▶│",
        "            │◀─────────────────── #5 [.] ack 15 ───────────────────│",
        "            │◀──────────── #6 [P.] seq 1 ack 15 len 14 ────────────│",
        "            │─────────────────── #7 [.] ack 15 ───────────────────▶│",
        "     close()│─────────────── #8 [F.] seq 15 ack 15 ───────────────▶│",
        "            │◀─────────────── #9 [F.] seq 15 ack 16 ───────────────│",
        "            │────────────────── #10 [.] ack 16 ───────────────────▶│",
    ]


# ---------------------------------------------------------------- arrows


def test_an_arrow_fills_its_width_and_points_the_way_the_packet_went() -> None:
    assert draw_arrow("abc", 11, True) == "── abc ───▶"
    assert draw_arrow("abc", 11, False) == "◀── abc ───"


def test_a_label_too_long_for_the_arrow_is_cut_with_an_ellipsis() -> None:
    arrow = draw_arrow("abcdefghij", 10, True)
    assert arrow == "─ abcd…──▶" and len(arrow) == 10


def test_a_dropped_arrow_stops_half_way_with_a_cross() -> None:
    right = dropped_arrow("#4 [P.] seq 1 len 14", 60, True)
    assert len(right) == 60 and right.rstrip().endswith("✗")
    assert right.index("✗") <= 32 and right.startswith("── #4")
    left = dropped_arrow("#4 [P.] seq 1 len 14", 60, False)
    assert len(left) == 60 and left.lstrip().startswith("✗") and left.endswith("──")
    assert left.index("✗") >= 28


# ---------------------------------------------------------------- labels


def test_a_zero_window_is_said_on_the_arrow() -> None:
    steps = HANDSHAKE + [("s", "A", 1, 1, b"")]
    data = bytearray(frames(steps)[-1].data)
    data[14 + 20 + 14 : 14 + 20 + 16] = b"\x00\x00"  # the TCP window field
    data[14 + 20 + 16 : 14 + 20 + 18] = b"\x00\x00"  # checksum: not checked here
    exp = explain([*frames(HANDSHAKE), Frame(4, 10**18 + 4000, bytes(data))])
    assert arrow_label(exp.packets[3]) == "#4 [.] ack 1 win 0"
    assert "win" not in arrow_label(exp.packets[2])


def test_a_udp_datagram_of_no_conversation_has_its_own_ladder() -> None:
    datagram = (Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=4000, dport=53)
                / b"hi")
    exp = explain([Frame(1, 10**18, bytes(datagram))])
    (p,) = exp.packets
    assert arrow_label(p) == "#1 UDP len 2"
    assert in_ladder(p, 0) and not in_ladder(p, 1)
    assert text_lines(exp, 0, 60, EN) == [
        "client 10.0.0.1:4000                      server 10.0.0.2:53",
        "            │───────── #1 UDP len 2 ──────────▶│",
    ]


def test_a_dns_question_and_its_answer_are_said_as_tcpdump_says_them() -> None:
    a, b = "02:00:00:00:00:01", "02:00:00:00:00:02"
    question = DNS(id=0x1234, rd=1, qd=DNSQR(qname="example.com"))
    answer = DNS(id=0x1234, qr=1, qd=DNSQR(qname="example.com"),
                 an=DNSRR(rrname="example.com", rdata="93.184.216.34"))
    exp = explain([
        Frame(1, 10**18, bytes(Ether(src=a, dst=b) / IP(src="10.0.0.1", dst="10.0.0.2")
                               / UDP(sport=5000, dport=53) / question)),
        Frame(2, 10**18 + 1000, bytes(Ether(src=b, dst=a) / IP(src="10.0.0.2", dst="10.0.0.1")
                                      / UDP(sport=53, dport=5000) / answer)),
    ])
    assert [arrow_label(p) for p in exp.packets] == [
        "#1 DNS 0x1234 example.com?", "#2 DNS 0x1234 → 93.184.216.34"]
    assert text_lines(exp, 0, 80, EN)[2].startswith("            │◀───")  # the answer comes back


def test_a_dns_error_is_said_by_its_name() -> None:
    a, b = "02:00:00:00:00:01", "02:00:00:00:00:02"
    failed = DNS(id=0x1234, qr=1, rcode=3, qd=DNSQR(qname="nowhere.example"))
    exp = explain([Frame(1, 10**18, bytes(Ether(src=b, dst=a) / IP(src="10.0.0.2", dst="10.0.0.1")
                                          / UDP(sport=53, dport=5000) / failed))])
    assert arrow_label(exp.packets[0]) == "#1 DNS 0x1234 → NXDOMAIN"


# ---------------------------------------------------------------- the wire


def test_the_ladder_shows_the_drop() -> None:
    lines = text_lines(wire_loss(), 1, 80, EN)
    (dropped,) = [line for line in lines if "#4 " in line]
    assert "✗" in dropped and "▶" not in dropped
    (resent,) = [line for line in lines if "#5 " in line]
    assert "▶" in resent


def test_a_copy_the_wire_made_names_its_original() -> None:
    steps = WIRE_HANDSHAKE + [("c", "PA", 1, 1, MESSAGE, "dup"),
                              ("s", "A", 1, 15, b"", "pass")] + CLOSE
    client, server, log = run(steps)
    merged, passages, lines = merge(client, server, ENDS, log)
    exp = replace(explain(merged),
                  wire=explain_wire(merged, passages, lines, rules=["--duplicate 1"]))
    by_packet = {row.packet: row for row in rows(exp, 1, 80)}
    assert "#4 [P.] seq 1 ack 1 len 14 ─" in by_packet[4].arrow  # the original: as usual
    assert "#5 [P.] seq 1 ack 1 len 14 =#4 " in by_packet[5].arrow
    assert by_packet[5].arrow.endswith("▶")


# ---------------------------------------------------------------- socket calls


T0 = 10**18  # builders.frames: the first frame 1 us after this
FIRST_ENDS = T0 + 10_000  # the first conversation's last frame
SECOND_ENDS = T0 + 10**6 + 10_000


def two_conversations(calls: list[SocketCall]) -> Explanation:
    """The textbook exchange over IPv4, then the same over IPv6 a millisecond later."""
    first = frames(HANDSHAKE + DATA + CLOSE_THREE)
    second = frames(HANDSHAKE + DATA + CLOSE_THREE, ipv6=True, start_ns=T0 + 10**6)
    together = [replace(f, index=i) for i, f in enumerate(first + second, start=1)]
    return explain(together, socket_calls=calls)


def test_a_call_tied_to_no_packet_goes_to_the_conversation_going_on() -> None:
    exp = two_conversations([
        SocketCall("client", "getsockopt", T0 + 1500, T0 + 1600),  # during the first
        SocketCall("client", "recv", FIRST_ENDS + 5, FIRST_ENDS + 6),  # between them
        SocketCall("client", "shutdown", SECOND_ENDS + 5, SECOND_ENDS + 6),  # after both
    ])
    assert [c.call for c in exp.socket_calls] == ["getsockopt", "recv", "shutdown"]
    during, between, after = exp.socket_calls
    assert home(exp, during) == 1
    assert home(exp, between) == 2  # nothing going on: the next to begin
    assert home(exp, after) == 2  # nothing begins later: the last one


def test_a_new_socket_belongs_to_the_next_connection_whatever_is_going_on() -> None:
    exp = two_conversations([SocketCall("client", "socket", T0 + 1500, T0 + 1600)])
    assert home(exp, exp.socket_calls[0]) == 2


def test_with_one_conversation_every_call_is_home_anywhere() -> None:
    exp = textbook_with_calls()
    assert home(exp, exp.socket_calls[0]) == 0


def test_an_unlinked_call_is_drawn_before_the_first_later_packet() -> None:
    fr = frames(HANDSHAKE + DATA + CLOSE_THREE)
    t = [f.ts_ns for f in fr]
    exp = explain(fr, socket_calls=[SocketCall("server", "listen", t[0] - 100, t[0] - 90),
                                    SocketCall("client", "getsockopt", t[4] + 1, t[4] + 2)])
    assert all(not c.packets for c in exp.socket_calls)
    drawn = [(row.left, row.right, row.packet) for row in rows(exp, 1, 80)]
    assert drawn[0] == ("", "listen()", 0)  # before packet #1, on the server's side
    assert drawn[6] == ("getsockopt()", "", 0)  # after #5, before #6
    assert [packet for _, _, packet in drawn if packet] == list(range(1, 11))
