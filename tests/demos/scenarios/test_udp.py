"""``udp``: the datagram calls the UDP scenarios share (logged as the notes write them), on
loopback without a capture; and the scenario, one datagram each way, run for real."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.demos.scenarios.runs import calls, has, ran, raw
from wirelens.demos.place import Loopback
from wirelens.demos.scenarios import udp
from wirelens.demos.scenarios.base import Demo, DemoOptions


@pytest.fixture()
def demo() -> Iterator[Demo]:
    made = Demo(udp.SCENARIO, Loopback(), DemoOptions(), timeout=5.0)
    yield made
    made.close_all()


def test_the_filter_is_the_udp_port() -> None:
    assert udp.udp_port(5353) == "udp port 5353"
    assert udp.SCENARIO.bpf is not None and udp.SCENARIO.bpf(9) == "udp port 9"


def test_a_datagram_there_and_back_is_logged_with_who_sent_it(demo: Demo) -> None:
    server, port = udp.bound_server(demo)
    client = demo.open("client", socket.SOCK_DGRAM)
    udp.sendto(demo, "client", client, b"hi", ("127.0.0.1", port))
    data, sender = udp.recvfrom(demo, "server", server)
    assert data == b"hi"
    by_call = {c.call: c for c in demo.log.calls}
    assert by_call["bind"].result == "127.0.0.1:0"
    assert (by_call["sendto"].result, by_call["sendto"].nbytes) == (
        f"b'hi' to 127.0.0.1:{port}", 2)
    assert (by_call["recvfrom"].result, by_call["recvfrom"].nbytes) == (
        f"b'hi' from 127.0.0.1:{sender[1]}", 2)


def test_a_recvfrom_that_times_out_is_none_and_logged(demo: Demo) -> None:
    server, _ = udp.bound_server(demo)
    server.settimeout(0.01)
    assert udp.recvfrom_or_timeout(demo, "server", server) is None
    assert demo.log.calls[-1].result == "TimeoutError"


@pytest.mark.live
def test_udp_has_no_handshake_and_an_8_byte_header() -> None:
    doc = ran("udp").doc
    packets = doc["packets"]
    assert not any(has(p, "tcp.flags.syn") for p in packets)
    assert doc["conversations"] == []
    assert [p["sender"] for p in packets] == ["client", "server"]
    for p in packets:
        assert raw(p, "udp.length") == 8 + p["payload_length"]
        assert bytes.fromhex(raw(p, "udp.payload"))
    assert [(c["call"], c["packets"]) for c in calls(doc, "client", "sendto")] == [
        ("sendto", [1])]
    topics = {f["note"]["topic"] for p in packets for layer in p["layers"]
              for f in layer["fields"] if "note" in f}
    assert {"udp_header", "udp_unreliable"} <= topics
