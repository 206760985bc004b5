"""The demo exchange: a TCP server and client written as the course notes write them.

Server: socket, setsockopt(SO_REUSEADDR), bind, listen, accept, recv, send, recv (b''
when the client's FIN arrives), close. Client: socket, connect, send, recv, close.
The client closes first, as the notes' close sequence has it.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass

from wirelens.demos.calllog import CallLog
from wirelens.demos.place import Loopback, Place

DEFAULT_MESSAGE = "Hello, Server!"
REPLY = "Hello, Client!"
BACKLOG = 128
TIMEOUT = 5.0  # seconds any one socket call may block before the demo gives up


class DemoError(RuntimeError):
    """The exchange did not complete (a port in use, a timeout ...)."""


@dataclass
class PreparedServer:
    """A server socket already listening, so the sniffer can be told its port first."""

    sock: socket.socket
    host: str
    port: int
    port_changed: bool  # the asked-for port was busy and another was taken


def _describe_bytes(data: bytes) -> str:
    return repr(data) if len(data) <= 24 else f"{len(data)} bytes"


def prepare_server(log: CallLog, host: str, port: int,
                   place: Place | None = None) -> PreparedServer:
    with (place or Loopback(host)).enter("server"):
        return _prepare_server(log, host, port)


def _prepare_server(log: CallLog, host: str, port: int) -> PreparedServer:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = log.call("server", "socket", socket.socket, family, socket.SOCK_STREAM,
                    describe=lambda s: "AF_INET6, SOCK_STREAM" if family == socket.AF_INET6
                    else "AF_INET, SOCK_STREAM")
    log.call("server", "setsockopt", sock.setsockopt, socket.SOL_SOCKET, socket.SO_REUSEADDR,
             1, describe=lambda _: "SO_REUSEADDR")
    changed = False
    try:
        log.call("server", "bind", sock.bind, (host, port), describe=lambda _: f"{host}:{port}")
    except OSError:
        if port == 0:
            sock.close()
            raise
        changed = True  # the port is taken: let the kernel pick a free one and say so
        log.call("server", "bind", sock.bind, (host, 0), describe=lambda _: f"{host}:0")
    log.call("server", "listen", sock.listen, BACKLOG, describe=lambda _: str(BACKLOG))
    sock.settimeout(TIMEOUT)
    return PreparedServer(sock, host, sock.getsockname()[1], changed)


def run_exchange(log: CallLog, server: PreparedServer, message: bytes,
                 place: Place | None = None) -> bytes:
    """Runs both sides; returns what the client received. Raises DemoError on failure."""
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            conn, _ = log.call("server", "accept", server.sock.accept,
                               describe=lambda r: f"{r[1][0]}:{r[1][1]}")
            conn.settimeout(TIMEOUT)
            with conn:
                log.call("server", "recv", conn.recv, 1024, describe=_describe_bytes,
                         nbytes=len)
                log.call("server", "send", conn.send, REPLY.encode(), describe=str,
                         nbytes=lambda n: n)
                log.call("server", "recv", conn.recv, 1024, describe=_describe_bytes,
                         nbytes=len)
                log.call("server", "close", conn.close)
        except BaseException as exc:  # reported to the main thread, which raises DemoError
            errors.append(exc)
        finally:
            server.sock.close()

    thread = threading.Thread(target=serve, name="wirelens-demo-server", daemon=True)
    thread.start()
    family = server.sock.family
    with (place or Loopback(server.host)).enter("client"):
        client = log.call("client", "socket", socket.socket, family, socket.SOCK_STREAM,
                          describe=lambda s: "SOCK_STREAM")
    client.settimeout(TIMEOUT)
    try:
        with client:
            log.call("client", "connect", client.connect, (server.host, server.port),
                     describe=lambda _: f"{server.host}:{server.port}")
            log.call("client", "send", client.send, message, describe=str, nbytes=lambda n: n)
            reply: bytes = log.call("client", "recv", client.recv, 1024,
                                    describe=_describe_bytes, nbytes=len)
            log.call("client", "close", client.close)
    except OSError as exc:
        raise DemoError(f"the client failed: {exc}") from exc
    thread.join(TIMEOUT * 2)
    if errors:
        raise DemoError(f"the server failed: {errors[0]}")
    return reply
