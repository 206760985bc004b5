"""Socket calls tied to packets: the rules for failures, UDP, and several connections."""

from __future__ import annotations

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from tests.explain.builders import DATA, HANDSHAKE, REFUSED, frames
from wirelens.explain.catalog import Catalog
from wirelens.explain.explainer import explain
from wirelens.explain.model import CallView
from wirelens.explain.records import Frame, SocketCall
from wirelens.explain.socketcalls import error_of

START = 10**18  # builders.frames: packet i is captured at START + i * 1000


def t(packet: float) -> int:
    return START + int(packet * 1000)


def linked(steps: list, *calls: SocketCall, server_listening: bool = True) -> list[CallView]:
    return list(explain(frames(steps), socket_calls=calls,
                        server_listening=server_listening).socket_calls)


def test_a_failure_is_read_from_the_result() -> None:
    assert error_of(SocketCall("client", "connect", 0, 1, "ConnectionRefusedError")) == \
        "ConnectionRefusedError"
    assert error_of(SocketCall("server", "bind", 0, 1, "OSError (EADDRINUSE)")) == "OSError"
    assert error_of(SocketCall("client", "recv", 0, 1, "b'x'", 1)) == ""


def test_connect_refused_returned_after_the_rst() -> None:
    (call,) = linked(REFUSED, SocketCall("client", "connect", t(0.5), t(2.5),
                                         "ConnectionRefusedError"), server_listening=False)
    assert (call.packets, call.relation, call.text.key) == ((2,), "returned-after",
                                                            "call.connect_refused")


def test_recv_reset_returned_after_the_rst_and_close_caused_it() -> None:
    steps = HANDSHAKE + [("s", "RA", 1, 1, b"")]
    recv, close = linked(steps, SocketCall("client", "recv", t(3.5), t(4.5),
                                           "ConnectionResetError"),
                         SocketCall("server", "close", t(3.5), t(4.2)))
    assert (recv.packets, recv.text.key) == ((4,), "call.recv_reset")
    assert (close.packets, close.relation, close.text.key) == ((4,), "caused", "call.close_rst")


def test_shutdown_causes_the_fin() -> None:
    steps = HANDSHAKE + [("c", "FA", 1, 1, b"")]
    (call,) = linked(steps, SocketCall("client", "shutdown", t(3.5), t(3.6), "SHUT_WR"))
    assert call.packets == (4,) and call.text.key == "call.shutdown"


def test_a_close_after_the_end_takes_no_later_connections_packet() -> None:
    first = HANDSHAKE + [("s", "RA", 1, 1, b"")]
    two = frames(first) + [Frame(5 + i, f.ts_ns + 4000, f.data) for i, f in enumerate(
        frames([("c", "S", 100, None, b""), ("s", "SA", 0, 101, b""), ("c", "RA", 101, 1, b"")],
               start_ns=START + 4000))]
    # the second connection reuses the port pair: it starts after the first one's RST, with
    # a new ISN (a SYN with the old one would be a retransmission, as in Wireshark)
    exp = explain(two, socket_calls=[SocketCall("client", "close", t(4.5), t(4.6))])
    (close,) = exp.socket_calls
    assert close.packets == () and close.text.key == "call.close_silent"


def test_a_call_that_names_its_connection_takes_only_that_connections_packets() -> None:
    other = [Frame(f.index, f.ts_ns, f.data.replace(b"\x9c\x40", b"\x9c\x41"))  # port 40001
             for f in frames(HANDSHAKE + DATA)]
    mixed = sorted(frames(HANDSHAKE + DATA) + [Frame(f.index + 100, f.ts_ns + 1, f.data)
                                               for f in other], key=lambda f: f.ts_ns)
    mixed = [Frame(i, f.ts_ns, f.data) for i, f in enumerate(mixed, start=1)]
    exp = explain(mixed, socket_calls=[
        SocketCall("server", "recv", t(4), t(8), "14 bytes", 14, "127.0.0.1:40000"),
        SocketCall("server", "recv", t(4), t(8), "14 bytes", 14, "127.0.0.1:40001")])
    first, second = exp.socket_calls
    assert first.packets != second.packets
    conversations = {p.index: p.conversation for p in exp.packets}
    assert {conversations[first.packets[0]], conversations[second.packets[0]]} == {1, 2}


def _datagram(index: int, payload: bytes, to_server: bool) -> Frame:
    src, dst = (("127.0.0.1", 40000), ("127.0.0.1", 9999))[:: 1 if to_server else -1]
    packet = Ether() / IP(src=src[0], dst=dst[0]) / UDP(sport=src[1], dport=dst[1]) / payload
    return Frame(index, t(index), bytes(packet))


def test_sendto_causes_the_datagram_and_recvfrom_returns_after_it() -> None:
    exp = explain([_datagram(1, b"ping", True), _datagram(2, b"pong!", False)], socket_calls=[
        SocketCall("client", "sendto", t(0.5), t(0.6), "4 bytes", 4),
        SocketCall("server", "recvfrom", t(0), t(1.5), "4 bytes", 4),
        SocketCall("server", "sendto", t(1.6), t(1.7), "5 bytes", 5),
        SocketCall("client", "recvfrom", t(0.7), t(2.5), "5 bytes", 5),
        SocketCall("client", "close", t(3), t(3.1))])
    assert [(c.call, c.packets, c.relation) for c in exp.socket_calls] == [
        ("sendto", (1,), "caused"), ("recvfrom", (1,), "returned-after"),
        ("sendto", (2,), "caused"), ("recvfrom", (2,), "returned-after"),
        ("close", (), "")]
    assert [(p.sender, p.role, p.payload_len) for p in exp.packets] == [
        ("client", "datagram", 4), ("server", "datagram", 5)]


def test_a_recvfrom_that_timed_out_says_how_long_it_waited() -> None:
    exp = explain([_datagram(1, b"ping", True)], socket_calls=[
        SocketCall("client", "sendto", t(0.5), t(0.6), "4 bytes", 4),
        SocketCall("server", "recvfrom", t(0), t(0) + 1_000_000_000, "TimeoutError")])
    sent, gave_up = exp.socket_calls
    assert gave_up.packets == () and gave_up.text.key == "call.recvfrom_timeout"
    assert Catalog("en")(gave_up.text).startswith("recvfrom(): waited 1.0 s, then raised "
                                                  "TimeoutError")
    assert sent.packets == (1,)


def test_a_bind_refused_by_time_wait_carries_the_rebind_note() -> None:
    failed, again = linked(HANDSHAKE, SocketCall("server", "bind", t(9), t(9.1),
                                                 "OSError (EADDRINUSE)"),
                           SocketCall("server", "bind", t(10), t(10.1), "127.0.0.1:8080"))
    assert failed.text.key == "call.bind_failed"
    assert failed.note is not None and failed.note.topic == "rebind"
    assert failed.note.reason.key == "note.rebind.reason_ok"
    assert again.note is None


def test_listen_with_a_syn_sent_again_names_both_packets() -> None:
    dropped_then_in = [("c", "S", 0, None, b"")] + HANDSHAKE
    (listen,) = linked(dropped_then_in, SocketCall("server", "listen", t(0), t(0.1), "1"))
    assert listen.note is not None and listen.note.reason.key == "note.listen.reason_overflow"
    params = dict(listen.note.reason.params)
    assert (params["dropped"], params["again"], params["opened"]) == (1, 2, 1)
