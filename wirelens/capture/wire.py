"""A wire the demo runs itself: two TAP devices and a forwarding loop between them.

Why. ``tc netem`` does not exist in this kernel (shared/LAB.md), so loss, delay,
duplication and reordering cannot come from the kernel. A TAP device is an Ethernet
interface whose other end is a file descriptor: what the host sends on it, we read;
what we write, the host receives. One TAP in each host's namespace and a loop that
copies frames from one descriptor to the other is a cable; ``impair.Impairer`` decides
on the way what happens to each frame, and the loop logs it (``impair.LogEntry``).

The devices. Each TAP is created from inside its host's namespace (the thread enters
it with ``setns``, opens /dev/net/tun, ``TUNSETIFF`` with ``IFF_TAP | IFF_NO_PI``), so it
is born there and never exists in the machine's own namespace (``ip link set NAME netns``
would move it there afterwards; creating it in place leaves no moment where a crash could
strand it outside the lab). A TAP that nobody set persistent vanishes when its last
descriptor closes: when we exit, however we exit, the kernel closes ours and both
devices go. The loop is a daemon thread of the demo's own process: it dies with it.

The loop sleeps in ``select`` until a descriptor is readable, the next queued frame is
due, or ``stop`` writes to a pipe; it never polls. Frames wait in a heap ordered by
(due time, arrival order), so equal delays keep the order frames came in.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import heapq
import os
import select
import struct
import threading
import time
from dataclasses import dataclass, field

from wirelens.capture.impair import (
    Action,
    Decision,
    Impairer,
    LogEntry,
    Plan,
    frame_facts,
)
from wirelens.capture.lab import entered

TUNSETIFF = 0x400454CA  # linux/if_tun.h: _IOW('T', 202, int)
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000  # frames without the 4-byte packet-information header
IFNAMSIZ = 16
MAX_FRAME = 65536  # a TAP without offloads delivers at most MTU + 14; read room for any
STOP_TIMEOUT = 5.0


class WireError(RuntimeError):
    """The wire could not be set up; the message says why."""


def digest(data: bytes) -> str:
    """A short name for a frame's bytes, to find it again in the captures."""
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def open_tap(name: str, ns_path: str | None = None) -> int:
    """Creates TAP device ``name`` (in the namespace at ``ns_path``, or ours) and returns
    its descriptor; the device lives as long as the descriptor stays open."""
    if not 0 < len(name.encode()) < IFNAMSIZ:
        raise WireError(f"bad interface name {name!r}")

    def create() -> int:
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            ifreq = struct.pack(f"{IFNAMSIZ}sH22x", name.encode(), IFF_TAP | IFF_NO_PI)
            fcntl.ioctl(fd, TUNSETIFF, ifreq)
        except BaseException:
            os.close(fd)
            raise
        return fd

    try:
        if ns_path is None:
            return create()
        with entered(ns_path):
            return create()
    except OSError as exc:
        raise WireError(f"TAP device {name}: {exc.strerror or exc}") from exc


@dataclass
class _Record:
    """A log entry while the loop still fills it in."""

    number: int
    direction: str
    summary: str
    digest: str
    read_ns: int
    decision: Decision
    seq: int
    payload_len: int
    written_ns: list[int] = field(default_factory=list)
    after: int = 0

    def freeze(self) -> LogEntry:
        d = self.decision
        delay = max(d.delays_ns, default=0)
        return LogEntry(self.number, self.direction, self.summary, self.digest, self.read_ns,
                        d.action, d.reason, delay, tuple(self.written_ns), self.after,
                        self.seq, self.payload_len)


class Wire:
    """Two TAP descriptors and the loop between them. ``start`` runs the loop in a thread;
    ``stop`` ends it, closes both devices and returns the log."""

    def __init__(self, plan: Plan | None = None) -> None:
        self.plan = plan or Plan()
        self._impairer = Impairer(self.plan)
        self._fds: dict[str, int] = {}  # "client" / "server" -> TAP descriptor
        self._wake_r, self._wake_w = -1, -1
        self._thread: threading.Thread | None = None
        self._records: list[_Record] = []
        self._lock = threading.Lock()
        self.error: BaseException | None = None
        self.wakeups = 0  # how many times select returned (a spinning loop would show here)

    # -- setting up and tearing down

    def attach(self, side: str, name: str, ns_path: str | None = None) -> None:
        """Creates the TAP of ``side`` ("client" or "server")."""
        if side not in ("client", "server") or side in self._fds:
            raise WireError(f"bad or repeated side {side!r}")
        self._fds[side] = open_tap(name, ns_path)

    def start(self) -> None:
        if set(self._fds) != {"client", "server"}:
            raise WireError("both ends must be attached before the wire starts")
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._thread = threading.Thread(target=self._run, name="wirelens-wire", daemon=True)
        self._thread.start()

    def stop(self) -> list[LogEntry]:
        if self._thread is not None:
            try:
                os.write(self._wake_w, b"x")
            except OSError:
                pass
            self._thread.join(STOP_TIMEOUT)
            self._thread = None
        for fd in (*self._fds.values(), self._wake_r, self._wake_w):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._fds.clear()
        self._wake_r = self._wake_w = -1
        return self.log()

    def log(self) -> list[LogEntry]:
        with self._lock:
            return [r.freeze() for r in self._records]

    def __enter__(self) -> Wire:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the loop

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # kept for the demo to report; the wire then carries nothing
            self.error = exc

    def _loop(self) -> None:
        client, server = self._fds["client"], self._fds["server"]
        peer = {client: server, server: client}
        direction = {client: "c2s", server: "s2c"}
        queue: list[tuple[int, int, int, bytes, int]] = []  # (due, order, fd, frame, number)
        held: dict[int, tuple[int, bytes]] = {}  # number -> (out fd, frame)
        order = 0
        number = 0
        while True:
            now = time.monotonic_ns()
            deadlines = [queue[0][0]] if queue else []
            hold_deadline = self._impairer.next_deadline()
            if hold_deadline is not None:
                deadlines.append(hold_deadline)
            timeout = max(min(deadlines) - now, 0) / 1e9 if deadlines else None
            readable, _, _ = select.select([client, server, self._wake_r], [], [], timeout)
            self.wakeups += 1
            if self._wake_r in readable:
                return
            for fd in readable:
                for frame in _drain(fd):
                    number += 1
                    # One moment for both clocks: delays run on the monotonic one, the log
                    # on the wall clock, and "written - read >= delay" must hold in the log.
                    now, read_wall = time.monotonic_ns(), time.time_ns()
                    facts = frame_facts(frame)
                    decision = self._impairer.feed(number, direction[fd], facts, now)
                    record = _Record(number, direction[fd], facts.summary(), digest(frame),
                                     read_wall, decision, facts.seq, facts.payload_len)
                    with self._lock:
                        self._records.append(record)
                    due = now + max(decision.delays_ns, default=self.plan.delay_of(
                        direction[fd]))
                    for delay in decision.delays_ns:
                        order += 1
                        heapq.heappush(queue, (now + delay, order, peer[fd], frame, number))
                    if decision.held:
                        held[number] = (peer[fd], frame)
                    for released in decision.release:
                        out_fd, held_frame = held.pop(released)
                        self._records[released - 1].after = number
                        order += 1
                        heapq.heappush(queue, (due, order, out_fd, held_frame, released))
            now = time.monotonic_ns()
            for released, _ in self._impairer.expired(now):
                out_fd, held_frame = held.pop(released)
                order += 1
                heapq.heappush(queue, (now, order, out_fd, held_frame, released))
            while queue and queue[0][0] <= now:
                _, _, out_fd, frame, which = heapq.heappop(queue)
                _write(out_fd, frame)
                with self._lock:
                    self._records[which - 1].written_ns.append(time.time_ns())
                now = time.monotonic_ns()


def _drain(fd: int) -> list[bytes]:
    """Every frame waiting on a non-blocking TAP descriptor."""
    frames = []
    while True:
        try:
            frames.append(os.read(fd, MAX_FRAME))
        except BlockingIOError:
            return frames
        except OSError as exc:
            if exc.errno == errno.EIO:  # the device is going away (link down)
                return frames
            raise


def _write(fd: int, frame: bytes) -> None:
    try:
        os.write(fd, frame)
    except BlockingIOError:
        pass  # the host's queue is full: the frame is lost, as on a congested cable
    except OSError as exc:
        if exc.errno not in (errno.EIO, errno.EINVAL):
            raise


def to_action(entry: LogEntry) -> Action:
    return entry.action
