"""The ways a connection closes, other than the notes' own (the client first, ``tcp``).

``server-closes``: the server closes first, so TIME_WAIT falls on the server's port. The
kernel is asked (the server's socket is in TIME-WAIT), then the server is "restarted":
bind() without SO_REUSEADDR fails with EADDRINUSE, bind() with it succeeds.

``half-close``: the client's shutdown(SHUT_WR) sends its FIN but leaves the other
direction open: the server reads b"" and still sends its answer, then closes.

``simultaneous-close``: both sides call shutdown(SHUT_WR) at one shared moment, so each
FIN leaves before the other arrives: FIN_WAIT_1 -> CLOSING -> TIME_WAIT on both. On
loopback a FIN arrives within microseconds and the two seldom cross (measured: 1 to 14
of 200 tries; bench/simultaneous_close.py; 3 of 200 between the lab's two hosts), so the
scenario needs a wire that delays them (the lab's, issue 8) and says so instead of
showing an ordinary close. A place with such a wire says so with ``wire_delay`` > 0.
"""

from __future__ import annotations

import errno
import socket
import threading
import time

from wirelens.demos.scenarios.base import Demo, Scenario, address, describe_bytes
from wirelens.demos.scenarios.servers import accept, connect, listening
from wirelens.demos.tcp import REPLY, DemoError

REQUEST = b"What is the answer?"
ANSWER = (b"The answer, part 1. ", b"The answer, part 2.")
CROSS_LEAD = 0.05  # seconds from "both are ready" to the shared moment both sides close


def _recv(demo: Demo, side: str, sock: socket.socket) -> bytes:
    data: bytes = demo.call(side, "recv", sock.recv, 1024, describe=describe_bytes, nbytes=len)
    return data


def _send(demo: Demo, side: str, sock: socket.socket, data: bytes) -> None:
    demo.call(side, "send", sock.send, data, describe=lambda _: describe_bytes(data),
              nbytes=lambda n: n)


# ---------------------------------------------------------------- server-closes


def server_closes(demo: Demo) -> None:
    server, port = listening(demo)
    demo.start_capture(port)

    def serve() -> None:
        conn = accept(demo, server)
        _recv(demo, "server", conn)
        _send(demo, "server", conn, REPLY.encode())
        demo.call("server", "close", conn.close)
        demo.call("server", "close", server.close)  # the whole server stops

    demo.thread("server", serve)
    client = connect(demo, port)
    _send(demo, "client", client, demo.options.message.encode("utf-8"))
    demo.reply = _recv(demo, "client", client)
    while _recv(demo, "client", client):  # until b"": the server's FIN
        pass
    demo.call("client", "close", client.close)
    demo.join()
    demo.end()  # the kernel should list the server's port in TIME-WAIT
    restart(demo, port)


def restart(demo: Demo, port: int) -> None:
    """The server starts again on its port while TIME_WAIT holds it: first as a server
    that forgot SO_REUSEADDR, then as the notes' server, which sets it."""
    where = address(demo.host, port)
    forgetful = demo.open("server")
    try:
        demo.call("server", "bind", forgetful.bind, (demo.host, port), describe=lambda _: where)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise DemoError(f"bind to {where} failed: {exc}") from exc
    demo.call("server", "close", forgetful.close)
    careful = demo.open("server")
    demo.call("server", "setsockopt", careful.setsockopt, socket.SOL_SOCKET,
              socket.SO_REUSEADDR, 1, describe=lambda _: "SO_REUSEADDR")
    try:
        demo.call("server", "bind", careful.bind, (demo.host, port),
                  describe=lambda _: f"{where}, with SO_REUSEADDR")
    except OSError:
        pass  # recorded in the call log; the explanation says what it means
    demo.call("server", "close", careful.close)


# ---------------------------------------------------------------- half-close


def half_close(demo: Demo) -> None:
    server, port = listening(demo)
    demo.start_capture(port)

    def serve() -> None:
        conn = accept(demo, server)
        _recv(demo, "server", conn)
        if _recv(demo, "server", conn):
            raise DemoError("the client's FIN did not come")
        demo.checkpoint("half-closed")  # client FIN-WAIT-2, server CLOSE-WAIT
        for part in ANSWER:
            _send(demo, "server", conn, part)
        demo.call("server", "close", conn.close)
        demo.call("server", "close", server.close)

    demo.thread("server", serve)
    client = connect(demo, port)
    _send(demo, "client", client, REQUEST)
    demo.call("client", "shutdown", client.shutdown, socket.SHUT_WR,
              describe=lambda _: "SHUT_WR")
    received = b""
    while chunk := _recv(demo, "client", client):
        received += chunk
    demo.reply = received
    demo.call("client", "close", client.close)
    demo.join()


# ---------------------------------------------------------------- simultaneous-close


def close_at(deadline: float, sock: socket.socket) -> None:
    """Sleeps to just before ``deadline`` (the system clock both sides share), spins the
    last stretch, then sends this side's FIN."""
    rest = deadline - time.time()
    if rest > 0.002:
        time.sleep(rest - 0.002)
    while time.time() < deadline:
        pass
    sock.shutdown(socket.SHUT_WR)


def simultaneous_close(demo: Demo) -> None:
    server, port = listening(demo)
    demo.start_capture(port)
    ready = threading.Event()
    moment: list[float] = []

    def serve() -> None:
        conn = accept(demo, server)
        if not ready.wait(demo.timeout):
            raise DemoError("the client did not get ready")
        demo.call("server", "shutdown", close_at, moment[0], conn,
                  describe=lambda _: "SHUT_WR")
        _recv(demo, "server", conn)
        demo.call("server", "close", conn.close)
        demo.call("server", "close", server.close)

    demo.thread("server", serve)
    client = connect(demo, port)
    moment.append(time.time() + CROSS_LEAD)
    ready.set()
    demo.call("client", "shutdown", close_at, moment[0], client, describe=lambda _: "SHUT_WR")
    _recv(demo, "client", client)
    demo.call("client", "close", client.close)
    demo.join()


NEEDS_WIRE = ("simultaneous-close needs the lab's delayed wire (drop --loopback; issue 8): "
              "without a delay a FIN arrives within microseconds, so the two FINs crossed in "
              "only 1-14 of 200 tries on loopback (3 of 200 between the lab's hosts) and the "
              "demo would show an ordinary close")

SERVER_CLOSES = Scenario("server-closes", "scenario.server-closes.summary", server_closes)
HALF_CLOSE = Scenario("half-close", "scenario.half-close.summary", half_close)
SIMULTANEOUS_CLOSE = Scenario("simultaneous-close", "scenario.simultaneous-close.summary",
                              simultaneous_close, needs_delayed_wire=True,
                              unavailable_reason=NEEDS_WIRE)
