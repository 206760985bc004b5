"""The server side most scenarios share: a listening socket set up as the notes set it up
(socket, setsockopt SO_REUSEADDR, bind, listen), and accept()."""

from __future__ import annotations

import socket

from wirelens.demos.scenarios.base import Demo, address
from wirelens.demos.tcp import BACKLOG


def listening(demo: Demo, backlog: int = BACKLOG, reuse: bool = True,
              rcvbuf: int = 0) -> tuple[socket.socket, int]:
    """A listening server socket and its port; ``rcvbuf`` sets SO_RCVBUF before listen()
    (so the accepted connections get the small buffer, and the handshake its window)."""
    server = demo.open("server")
    if reuse:
        demo.call("server", "setsockopt", server.setsockopt, socket.SOL_SOCKET,
                  socket.SO_REUSEADDR, 1, describe=lambda _: "SO_REUSEADDR")
    if rcvbuf:
        demo.call("server", "setsockopt", server.setsockopt, socket.SOL_SOCKET,
                  socket.SO_RCVBUF, rcvbuf,
                  describe=lambda _: f"SO_RCVBUF {rcvbuf}; the kernel made it "
                                     f"{server.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)}")
    host, port = demo.host, demo.options.port
    demo.call("server", "bind", server.bind, (host, port), describe=lambda _: address(host, port))
    demo.call("server", "listen", server.listen, backlog, describe=lambda _: str(backlog))
    bound: int = server.getsockname()[1]
    return server, bound


def accept(demo: Demo, server: socket.socket) -> socket.socket:
    conn: socket.socket
    conn, _ = demo.call("server", "accept", server.accept,
                        describe=lambda r: address(r[1][0], r[1][1]))
    conn.settimeout(demo.timeout)
    demo.keep(conn)
    return conn


def connect(demo: Demo, port: int) -> socket.socket:
    client = demo.open("client")
    demo.call("client", "connect", client.connect, (demo.host, port),
              describe=lambda _: address(demo.host, port))
    return client
