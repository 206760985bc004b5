"""The class's view of a live run (live/room.py) and the root side's news (live/news.py),
fed by hand: no root, no wire."""

from __future__ import annotations

import json

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from tests.capture.wirebuild import HANDSHAKE, segment
from wirelens.app.live import news
from wirelens.app.live.room import DROPPED, HELD, OUT, Room
from wirelens.capture import gateline
from wirelens.explain.catalog import Catalog
from wirelens.explain.records import SocketCall

T0 = 1_700_000_000_000_000_000


def held(room: Room, number: int, step: int, at_ms: int) -> None:
    who = HANDSHAKE[step][0]
    room.event(gateline.Event("held", number, "c2s" if who == "c" else "s2c",
                              T0 + at_ms * 1_000_000, segment(HANDSHAKE[step], number)))


def test_frames_are_held_then_delivered_or_dropped_in_the_wires_order() -> None:
    room = Room()
    held(room, 5, 0, 0)  # the wire's own numbers need not start at 1 (ARP passed first)
    assert [s.index for s in room.held()] == [1] and room.oldest_held().number == 5
    room.event(gateline.Event("out", 5, "", T0 + 400_000_000))
    held(room, 7, 1, 401)
    assert [(s.index, s.state) for s in room.frames] == [(1, OUT), (2, HELD)]
    room.event(gateline.Event("dropped", 7))
    assert room.frames[1].state == DROPPED and room.oldest_held() is None
    assert room.event(gateline.Event("out", 99, "", 0)) is None  # not one it knows
    exp = room.explanation()
    assert [p.role for p in exp.packets][:2] == ["handshake-1", "handshake-2"]


def test_a_held_syn_to_a_port_nobody_listens_on_is_not_told_as_reaching_a_listener() -> None:
    for listening, before in ((True, "LISTEN"), (False, "CLOSED")):
        room = Room(server_listening=listening)
        held(room, 1, 0, 0)  # the SYN, its answer not yet there
        packet = room.packet(room.frames[0])
        assert packet is not None and packet.states_before is not None
        assert packet.states_before[1].value == before


def test_a_resent_syn_is_told_with_the_kernels_timeout() -> None:
    room = Room()
    held(room, 1, 0, 0)
    room.news(news.Kernel("client", "SYN_SENT", 2_000_000, 1, 1, T0))
    held(room, 2, 0, 1000)  # the same SYN, a second later
    again = room.resend(room.frames[1])
    assert again is not None and again.of == 1 and again.gap_ms == 1000.0
    assert room.resend(room.frames[0]) is None
    text = Catalog("en")(room.resend_text(room.frames[1]))
    assert "Retransmission on timeout" in text and "RTO 2000 ms" in text and "#1" in text
    status = room.status(T0)
    assert [h["n"] for h in status["held"]] == [1, 2] and status["packets"] == 2


def test_socket_calls_are_ongoing_until_they_return() -> None:
    room = Room()
    assert room.news(("client", "connect", "", T0))
    assert room.status(T0)["ongoing"] == [{"side": "client", "call": "connect",
                                            "since_ns": T0}]
    call = SocketCall("client", "connect", T0 + 5, T0 + 9, "10.199.0.2:80")
    assert room.news(call)
    assert room.status(T0)["ongoing"] == [] and room.calls == [call]
    assert room.news("end") and room.ended
    assert not room.news(None)


def test_news_lines_are_read_back_and_anything_else_is_nothing() -> None:
    call = {"k": "call", "side": "client", "call": "connect", "start": 1, "end": 2,
            "result": "ok", "nbytes": -1, "conn": ""}
    assert news.read_news(json.dumps(call).encode()) == SocketCall("client", "connect", 1, 2,
                                                                   "ok", -1, "")
    assert news.read_news(b'{"k": "end"}') == "end"
    kernel = {"k": "kernel", "side": "client", "state": "SYN_SENT", "rto_us": 1000000,
              "retransmits": 1, "total_retrans": 1, "ts": 5}
    assert news.read_news(json.dumps(kernel).encode()) == news.Kernel(
        "client", "SYN_SENT", 1000000, 1, 1, 5)
    for bad in (b"", b"[]", b"{}", b'{"k": "call"}', b"not json",
                json.dumps({**call, "side": "<script>"}).encode(),
                json.dumps({**call, "start": "x"}).encode()):
        assert news.read_news(bad) is None, bad


def test_the_class_picks_a_held_packet_and_a_word_in_flight_is_not_repeated() -> None:
    room = Room()
    held(room, 1, 0, 0)
    held(room, 2, 1, 10)
    held(room, 3, 2, 20)
    assert room.pick(None).index == 1  # no choice: the oldest (what Play takes)
    newer = room.pick(3)
    assert newer is not None and newer.number == 3
    room.asked(newer)  # released; the wire has not said it wrote it yet
    assert room.pick(3) is None  # a second press does not release it again
    assert room.pick(99) is None  # not a held packet: nothing
    assert [s.index for s in room.held()] == [1, 2, 3]  # still held until the wire says
    room.asked(room.oldest_held())
    assert room.oldest_held().index == 2  # the next key goes to the next packet
    room.event(gateline.Event("out", 3, "", T0))
    assert [s.index for s in room.held()] == [1, 2]


def test_a_dropped_datagram_is_told_apart_from_a_dropped_segment() -> None:
    room = Room()
    datagram = bytes(Ether() / IP(src="10.199.0.1", dst="10.199.0.2") / UDP(sport=5, dport=6)
                     / b"hi")
    room.event(gateline.Event("held", 1, "c2s", T0, datagram))
    held(room, 2, 0, 5)
    room.event(gateline.Event("dropped", 1))
    room.event(gateline.Event("dropped", 2))
    assert [room.dropped_datagram(s) for s in room.frames] == [True, False]
    for lang in ("en", "zh"):
        assert Catalog(lang).text("live.dropped_udp", packet=1, side="client", s=1.0)


def test_a_recvfrom_gives_up_a_second_after_a_drop_and_not_before() -> None:
    drops = news.Drops()
    assert not drops.given_up(0, 100.0)  # nothing dropped: keep waiting
    drops.note()
    assert not drops.given_up(0, drops.last + 0.5)
    assert drops.given_up(0, drops.last + news.GIVE_UP)
    assert not drops.given_up(1, drops.last + 5)  # dropped before this wait began
