"""``udp``: the notes' UDP client (sendto) and a server that answers (recvfrom, sendto).

No connection: the first datagram leaves at once, with nothing before it, and nothing
closes after the answer. The capture ends when the answer has been captured (with a
short, bounded grace), since no FIN will ever say the exchange is over.

``exchange`` is the same conversation for a wire that may lose datagrams
(``explain-demo udp --loss 1``): each ``recvfrom()`` waits a bounded time and a timeout is
that call's result in the log (TimeoutError), the server answers only what it received,
and nobody sends anything twice: UDP does not, and this program does not either.
"""

from __future__ import annotations

import socket

from wirelens.demos.scenarios.base import Demo, Scenario, address, describe_bytes
from wirelens.explain.watchers import ReplySeen

REPLY = b"Got it, over UDP."
GRACE = 1.0  # seconds to wait for the answer to be captured once both sides are done


def udp_port(port: int) -> str:
    return f"udp port {port}"


def bound_server(demo: Demo) -> tuple[socket.socket, int]:
    server = demo.open("server", socket.SOCK_DGRAM)
    host, port = demo.host, demo.options.port
    demo.call("server", "bind", server.bind, (host, port), describe=lambda _: address(host, port))
    bound: int = server.getsockname()[1]
    return server, bound


def sendto(demo: Demo, side: str, sock: socket.socket, data: bytes,
           to: tuple[str, int]) -> None:
    demo.call(side, "sendto", sock.sendto, data, to,
              describe=lambda _: f"{describe_bytes(data)} to {address(to[0], to[1])}",
              nbytes=lambda n: n)


def recvfrom(demo: Demo, side: str, sock: socket.socket) -> tuple[bytes, tuple[str, int]]:
    got: tuple[bytes, tuple[str, int]] = demo.call(
        side, "recvfrom", sock.recvfrom, 2048,
        describe=lambda r: f"{describe_bytes(r[0])} from {address(r[1][0], r[1][1])}",
        nbytes=lambda r: len(r[0]))
    return got


def recvfrom_or_timeout(demo: Demo, side: str, sock: socket.socket
                        ) -> tuple[bytes, tuple[str, int]] | None:
    """recvfrom(), or None when the socket's timeout ran out first (the log keeps the
    call with TimeoutError as its result)."""
    try:
        return recvfrom(demo, side, sock)
    except TimeoutError:
        return None


def exchange(demo: Demo, server: socket.socket, port: int, *, server_wait: float,
             client_wait: float) -> None:
    """One datagram each way at most, on a wire that may drop either: the server's
    ``recvfrom()`` gives up after ``server_wait`` seconds, the client's after
    ``client_wait`` (its datagram and the answer both cross the wire); no one resends."""
    server.settimeout(server_wait)

    def serve() -> None:
        got = recvfrom_or_timeout(demo, "server", server)
        if got is not None:
            sendto(demo, "server", server, REPLY, (got[1][0], got[1][1]))
        demo.call("server", "close", server.close)

    demo.thread("server", serve)
    client = demo.open("client", socket.SOCK_DGRAM)
    client.settimeout(client_wait)
    sendto(demo, "client", client, demo.options.message.encode("utf-8"), (demo.host, port))
    got = recvfrom_or_timeout(demo, "client", client)
    demo.reply = got[0] if got is not None else b""
    demo.call("client", "close", client.close)
    demo.join()


def run(demo: Demo) -> None:
    server, port = bound_server(demo)
    demo.start_capture(port)

    def serve() -> None:
        _, sender = recvfrom(demo, "server", server)
        sendto(demo, "server", server, REPLY, (sender[0], sender[1]))
        demo.call("server", "close", server.close)

    demo.thread("server", serve)
    client = demo.open("client", socket.SOCK_DGRAM)
    sendto(demo, "client", client, demo.options.message.encode("utf-8"), (demo.host, port))
    demo.reply, _ = recvfrom(demo, "client", client)
    demo.call("client", "close", client.close)
    demo.join()


SCENARIO = Scenario("udp", "scenario.udp.summary", run, transport="udp",
                    stop=ReplySeen, bpf=udp_port, stop_within=GRACE)
