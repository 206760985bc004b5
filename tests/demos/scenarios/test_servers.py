"""servers: the listening server most scenarios share, set up as the course notes set it
up, and the client's connect and the server's accept, each call logged. On loopback,
without a capture."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from wirelens.demos.place import Loopback
from wirelens.demos.scenarios.base import Demo, DemoOptions, Scenario
from wirelens.demos.scenarios.servers import accept, connect, listening
from wirelens.demos.tcp import BACKLOG


@pytest.fixture()
def demo() -> Iterator[Demo]:
    made = Demo(Scenario("t", "scenario.tcp.summary", lambda d: None), Loopback(),
                DemoOptions(), timeout=5.0)
    yield made
    made.close_all()


def test_the_server_is_set_up_as_the_notes_do(demo: Demo) -> None:
    server, port = listening(demo)
    assert port == server.getsockname()[1] > 0
    assert server.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
    assert [(c.call, c.result) for c in demo.log.calls] == [
        ("socket", "AF_INET, SOCK_STREAM"), ("setsockopt", "SO_REUSEADDR"),
        ("bind", "127.0.0.1:0"), ("listen", str(BACKLOG))]


def test_without_reuse_and_with_a_small_buffer(demo: Demo) -> None:
    server, _ = listening(demo, backlog=1, reuse=False, rcvbuf=4096)
    calls = [(c.call, c.result) for c in demo.log.calls]
    assert ("setsockopt", "SO_REUSEADDR") not in calls and ("listen", "1") in calls
    (buffer,) = [r for c, r in calls if c == "setsockopt"]
    # the kernel doubles what it is asked for (socket(7)): the log says what it made
    made = server.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    assert buffer == f"SO_RCVBUF 4096; the kernel made it {made}"


def test_connect_and_accept_name_the_same_client(demo: Demo) -> None:
    server, port = listening(demo)
    client = connect(demo, port)
    conn = accept(demo, server)
    assert conn.gettimeout() == 5.0
    mine = client.getsockname()
    by_call = {c.call: c for c in demo.log.calls}
    assert by_call["connect"].result == f"127.0.0.1:{port}"
    assert by_call["accept"].result == f"127.0.0.1:{mine[1]}"
    assert by_call["connect"].conn == by_call["accept"].conn == f"127.0.0.1:{mine[1]}"
    demo.close_all()
    assert conn.fileno() == -1  # kept, so closed with the rest
