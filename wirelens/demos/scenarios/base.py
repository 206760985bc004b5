"""What every scenario is made of, and the ``Demo`` it runs in.

A ``Scenario`` is data: its name, the catalog key of its one-line summary, its transport,
the BPF filter for its port, the event that ends its capture, and a ``run`` function
that plays both sides through a ``Demo``. The demo gives that function what it needs and
nothing else: the call log, the place (each side's sockets are made inside
``place.enter(side)``), the capture to start once the server's port is known, events to
wait for instead of sleeping, and checkpoints at which the kernel is asked for its states.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wirelens.capture.live import LiveCapture
from wirelens.demos.calllog import CallLog
from wirelens.demos.kernel import KernelUnavailable, ask
from wirelens.demos.place import Place
from wirelens.demos.tcp import DEFAULT_MESSAGE, TIMEOUT, DemoError
from wirelens.explain.closewatch import CloseWatcher
from wirelens.explain.records import Frame, KernelSnapshot
from wirelens.explain.text import Message, msg
from wirelens.explain.watchers import Watcher

STOP_WITHIN = 3.0  # seconds to wait for the stop event once both sides are done
EVENT_WITHIN = 3.0  # seconds to wait for an event in the middle of an exchange


class ScenarioUnavailable(DemoError):
    """The scenario cannot show what it is for in this place; the message says what it needs."""


@dataclass(frozen=True)
class DemoOptions:
    port: int = 0  # the server's port; 0 lets the kernel pick a free one
    message: str = DEFAULT_MESSAGE  # what the client sends, where a scenario sends one text


def closed(port: int) -> Watcher:
    """The usual stop event: every TCP conversation has closed (or been reset)."""
    return CloseWatcher()


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str  # catalog key of the one-line summary (explain-demo --list)
    run: Callable[[Demo], None]
    transport: str = "tcp"  # "tcp" or "udp"
    stop: Callable[[int], Watcher] = closed  # the event that ends the capture, for a port
    bpf: Callable[[int], str] | None = None  # None: the place's own filter for the TCP port
    stop_within: float = STOP_WITHIN
    server_listening: bool = True  # False: nothing listens (the server starts CLOSED)
    decode: str = ""  # the application protocol on the demo's port ("dns"), for the dissector
    needs_delayed_wire: bool = False  # the two FINs must cross on the wire (issue 8)
    unavailable_reason: str = ""  # said instead of running, where the place cannot show it

    def unavailable(self, place: Place) -> str:
        """Why this scenario cannot run in ``place`` ("" when it can)."""
        if self.needs_delayed_wire and not float(getattr(place, "wire_delay", 0.0)) > 0:
            return self.unavailable_reason
        return ""


@dataclass
class Demo:
    scenario: Scenario
    place: Place
    options: DemoOptions
    log: CallLog = field(default_factory=CallLog)
    port: int = 0
    bpf: str = ""
    reply: bytes = b""  # what the client finally received, where that is one thing
    warnings: list[Message] = field(default_factory=list)
    kernel: list[KernelSnapshot] = field(default_factory=list)
    finished: bool = False
    judge_pid: int = 0  # the process that judged the capture's events (0: this one)
    # how long a step may wait (a socket call, the other side, a thread): longer when a class
    # holds each packet on the wire (--live)
    timeout: float = TIMEOUT
    lossy: bool = False  # a datagram may be dropped on purpose: a recvfrom() may give up
    _capture: LiveCapture | None = None
    _sockets: list[socket.socket] = field(default_factory=list)
    _threads: list[tuple[threading.Thread, list[BaseException]]] = field(default_factory=list)
    _kernel_problem: str = ""
    _conns: dict[socket.socket, str] = field(default_factory=dict)  # socket -> its client

    # -- addresses and sockets

    @property
    def host(self) -> str:
        return self.place.server_address

    @property
    def family(self) -> socket.AddressFamily:
        return socket.AF_INET6 if ":" in self.host else socket.AF_INET

    def open(self, side: str, kind: socket.SocketKind = socket.SOCK_STREAM) -> socket.socket:
        """A new socket of ``side``, made in that side's network, logged, closed at the end."""
        family = self.family
        words = ("AF_INET6" if family == socket.AF_INET6 else "AF_INET") + ", " + (
            "SOCK_DGRAM" if kind == socket.SOCK_DGRAM else "SOCK_STREAM")
        with self.place.enter(side):
            sock = self.log.call(side, "socket", socket.socket, family, kind,
                                 describe=lambda _: words)
        sock.settimeout(self.timeout)
        self._sockets.append(sock)
        return sock

    def call(self, side: str, name: str, fn: Callable[..., Any], *args: Any,
             describe: Callable[[Any], str] | None = None,
             nbytes: Callable[[Any], int] | None = None) -> Any:
        """Makes and logs one socket call. When ``fn`` is a method of a connected socket,
        the log also says which connection it used (by the client's address), so that
        with several connections at once each call is tied to its own packets."""
        sock = getattr(fn, "__self__", None)
        with self.log.naming(lambda result: self._conn(name, sock, result)):
            return self.log.call(side, name, fn, *args, describe=describe, nbytes=nbytes)

    def _conn(self, name: str, sock: object, result: Any) -> str:
        if name == "accept" and isinstance(result, tuple):
            conn, peer = result
            self._conns[conn] = address(peer[0], peer[1])
            return self._conns[conn]
        if not isinstance(sock, socket.socket):
            return ""
        if name == "connect" and sock.type == socket.SOCK_STREAM:
            try:
                host, port = sock.getsockname()[:2]
            except OSError:
                return ""
            self._conns[sock] = address(host, port)
        return self._conns.get(sock, "")

    def keep(self, sock: socket.socket) -> socket.socket:
        """A socket made elsewhere, to be closed at the end all the same."""
        self._sockets.append(sock)
        return sock

    def close_all(self) -> None:
        for sock in self._sockets:
            sock.close()

    # -- the capture

    def start_capture(self, port: int) -> None:
        """Starts the sniffer on the scenario's port; returns once it really listens."""
        self.port = port
        self.bpf = self._filter(port)
        # The stop event and the events waited for are judged without root (capture/judge.py).
        self._capture = LiveCapture(self.place.interface, self.bpf,
                                    until=self.scenario.stop(port))
        with self.place.enter("sniffer"):
            self._capture.start()

    def _filter(self, port: int) -> str:
        if self.scenario.bpf is None:
            return self.place.capture_filter(port)
        own = self.scenario.bpf(port)
        neighbours = getattr(self.place, "neighbour_filter", None)
        return f"({neighbours()}) or ({own})" if callable(neighbours) else own

    def wait_for(self, event: Watcher, what: str, timeout: float = EVENT_WITHIN) -> bool:
        """Waits until the capture shows ``event``; says so (and goes on) when it does not."""
        if self._capture is None:
            raise DemoError("the capture has not started")
        if self._capture.wait_for(event, timeout):
            return True
        self.warnings.append(msg("warning.scenario_step", event=what, seconds=timeout))
        return False

    def finish(self) -> None:
        """Waits (bounded) for the stop event; then the capture may stop."""
        if self.finished or self._capture is None:
            return
        self.finished = True
        within = self.scenario.stop_within
        if not self._capture.finished.wait(within):
            self.warnings.append(msg("warning.capture_incomplete", reason=f"{within} s"))

    def end(self) -> None:
        """The exchange is over: wait for the stop event, then ask the kernels once more
        (the side that closed first should be in TIME-WAIT). Done once."""
        if self.finished:
            return
        self.finish()
        self.checkpoint("end")

    def stop_capture(self) -> list[Frame]:
        if self._capture is None:
            return []
        self.judge_pid = self._capture.judge_pid
        return self._capture.stop()

    # -- the kernel's word

    def checkpoint(self, label: str) -> None:
        """Asks both sides' kernels for their sockets on the demo's port (TCP only)."""
        if self.scenario.transport != "tcp" or self._kernel_problem or not self.port:
            return
        for side in ("client", "server"):
            try:
                self.kernel.append(ask(self.place, side, self.port, label))
            except KernelUnavailable as exc:
                self._kernel_problem = str(exc)
                self.warnings.append(msg("warning.kernel_not_asked", reason=str(exc)))
                return

    # -- the two sides

    def thread(self, side: str, fn: Callable[[], None]) -> None:
        """Runs one side's part in a thread; ``join`` reports its failure."""
        errors: list[BaseException] = []

        def body() -> None:
            try:
                fn()
            except BaseException as exc:  # handed to join(), which raises DemoError
                errors.append(exc)

        thread = threading.Thread(target=body, name=f"wirelens-{self.scenario.name}-{side}",
                                  daemon=True)
        self._threads.append((thread, errors))
        thread.start()

    def join(self) -> None:
        for thread, errors in self._threads:
            thread.join(self.timeout * 3)
            if thread.is_alive():
                raise DemoError(f"{thread.name} did not finish")
            if errors:
                raise DemoError(f"{thread.name} failed: {errors[0]}") from errors[0]
        self._threads.clear()


def describe_bytes(data: bytes) -> str:
    return repr(data) if len(data) <= 32 else f"{len(data)} bytes"


def address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
