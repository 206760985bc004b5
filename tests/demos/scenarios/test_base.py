"""base: a scenario as data, and the ``Demo`` it runs in: sockets made and logged, each
call tied to its connection, the capture's filter, the two sides' threads. No capture:
these parts run on loopback without root."""

from __future__ import annotations

import socket
import threading

import pytest

from wirelens.demos.place import Loopback
from wirelens.demos.scenarios.base import (
    Demo,
    DemoOptions,
    Scenario,
    address,
    describe_bytes,
)
from wirelens.demos.tcp import DemoError
from wirelens.explain.watchers import ResetSeen


def nothing(demo: Demo) -> None:
    pass


TCP = Scenario("t", "scenario.tcp.summary", nothing)
UDP = Scenario("u", "scenario.udp.summary", nothing, transport="udp",
               bpf=lambda port: f"udp port {port}")


def demo(scenario: Scenario = TCP, place: Loopback | None = None) -> Demo:
    return Demo(scenario, place or Loopback(), DemoOptions(), timeout=5.0)


@pytest.mark.parametrize(("host", "port", "text"), [
    ("127.0.0.1", 80, "127.0.0.1:80"), ("::1", 443, "[::1]:443")])
def test_an_address_is_written_as_tcpdump_writes_it(host: str, port: int, text: str) -> None:
    assert address(host, port) == text


def test_short_data_is_shown_and_long_data_counted() -> None:
    assert describe_bytes(b"hi") == "b'hi'"
    assert describe_bytes(b"x" * 33) == "33 bytes"


def test_the_default_stop_is_every_conversation_closed() -> None:
    assert type(TCP.stop(80)).__name__ == "CloseWatcher"
    assert isinstance(Scenario("r", "s", nothing, stop=lambda p: ResetSeen()).stop(1),
                      ResetSeen)


def test_the_filter_is_the_places_for_tcp_and_the_scenarios_own_otherwise() -> None:
    assert demo()._filter(8080) == "tcp port 8080"
    assert demo(UDP)._filter(53) == "udp port 53"


def test_a_place_with_neighbours_adds_them_to_the_scenarios_filter() -> None:
    class Lab(Loopback):
        def neighbour_filter(self) -> str:
            return "arp"

    assert demo(UDP, Lab())._filter(53) == "(arp) or (udp port 53)"


def test_the_family_follows_the_servers_address() -> None:
    assert demo().family == socket.AF_INET
    assert demo(place=Loopback("::1")).family == socket.AF_INET6


def test_a_socket_is_logged_with_its_kind_and_closed_at_the_end() -> None:
    d = demo()
    sock = d.open("client", socket.SOCK_DGRAM)
    assert sock.gettimeout() == 5.0
    (call,) = d.log.calls
    assert (call.side, call.call, call.result) == ("client", "socket", "AF_INET, SOCK_DGRAM")
    d.close_all()
    assert sock.fileno() == -1


def test_each_call_on_a_connection_names_its_client() -> None:
    d = demo()
    server = d.keep(socket.create_server(("127.0.0.1", 0)))
    client = d.open("client")
    d.call("client", "connect", client.connect, server.getsockname())
    conn, _ = d.call("server", "accept", server.accept)
    d.keep(conn)
    d.call("client", "send", client.send, b"hi")
    d.call("server", "recv", conn.recv, 16)
    d.call("server", "listen", server.listen, 1)  # a listening socket has no connection
    ours = address(*client.getsockname()[:2])
    assert [(c.call, c.conn) for c in d.log.calls[1:]] == [
        ("connect", ours), ("accept", ours), ("send", ours), ("recv", ours), ("listen", "")]
    d.close_all()


def test_a_sides_failure_is_raised_by_join() -> None:
    def reset() -> None:
        raise ConnectionResetError("gone")

    d = demo()
    d.thread("server", lambda: None)
    d.thread("client", reset)
    with pytest.raises(DemoError, match="wirelens-t-client failed: gone"):
        d.join()


def test_a_side_that_never_ends_is_said_by_join() -> None:
    d = Demo(TCP, Loopback(), DemoOptions(), timeout=0.01)
    stop = threading.Event()
    d.thread("server", lambda: stop.wait(5))
    try:
        with pytest.raises(DemoError, match="did not finish"):
            d.join()
    finally:
        stop.set()


def test_before_the_capture_starts_nothing_can_be_waited_for() -> None:
    d = demo()
    with pytest.raises(DemoError, match="has not started"):
        d.wait_for(ResetSeen(), "a reset")
    assert d.stop_capture() == []
    d.finish()  # nothing to wait for
    assert not d.finished


def test_the_kernel_is_asked_for_tcp_only_and_once_a_port_is_known() -> None:
    d = demo(UDP)
    d.port = 53
    d.checkpoint("end")
    assert d.kernel == [] and d.warnings == []
    tcp = demo()
    tcp.checkpoint("end")  # no port yet: nothing to ask about
    assert tcp.kernel == []
