"""Runs a demo exchange under a live capture: the only place the two meet."""

from __future__ import annotations

from dataclasses import dataclass, field

from wirelens.capture.live import LiveCapture
from wirelens.demos.calllog import CallLog
from wirelens.demos.place import Loopback, Place
from wirelens.demos.tcp import prepare_server, run_exchange
from wirelens.explain.closewatch import CloseWatcher
from wirelens.explain.records import Frame, SocketCall
from wirelens.explain.text import Message, msg

CLOSE_WAIT_SECONDS = 3.0  # how long to wait for the last ACK after both sockets closed


@dataclass
class DemoRun:
    frames: list[Frame]
    calls: list[SocketCall]
    interface: str
    bpf: str
    host: str
    port: int
    reply: bytes
    warnings: list[Message] = field(default_factory=list)


def run_tcp_demo(host: str = "127.0.0.1", port: int = 0, message: str = "Hello, Server!",
                 place: Place | None = None) -> DemoRun:
    where: Place = place or Loopback(host)
    host, interface = where.server_address, where.interface
    log = CallLog()
    server = prepare_server(log, host, port, where)
    warnings: list[Message] = []
    if server.port_changed:
        warnings.append(msg("warning.port_changed", asked=port, port=server.port))
    bpf = f"tcp port {server.port}"
    capture = LiveCapture(interface, bpf, until=CloseWatcher())
    try:
        with where.enter("sniffer"):
            capture.start()
    except BaseException:
        server.sock.close()
        raise
    try:
        reply = run_exchange(log, server, message.encode("utf-8"), where)
        if not capture.finished.wait(CLOSE_WAIT_SECONDS):
            warnings.append(msg("warning.capture_incomplete", reason=f"{CLOSE_WAIT_SECONDS} s"))
    finally:
        frames = capture.stop()
    return DemoRun(frames, log.ordered(), interface, bpf, host, server.port, reply, warnings)
