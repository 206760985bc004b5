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
devices go.

Who runs the loop. Deciding what to do with a frame means reading its headers (is it TCP,
does it carry data, which sequence number), and no process running as root reads bytes off
a wire (issue 9). So, run as root, the wire forks the loop into a child that keeps only the
two TAP descriptors and two pipes, drops root for good (``privileges.drop_privileges``) and asks
the kernel to kill it if the demo dies (PR_SET_PDEATHSIG), so a killed run still leaves no
device behind. The child sends its log up a pipe when told to stop; the privileged side
keeps those bytes unread and ``log()`` decodes them where the explanation is made, in the
unprivileged side. Not root, the loop is a thread of the demo's process.

The gate (``--live``, ``impair`` holds every TCP or UDP frame): the loop also reads the
class's words, ``release N`` / ``drop N``, from a pipe and tells the class what it holds and
what it wrote on another (``gateline``); both pipes join it to a process without root.

The loop sleeps in ``select`` until a descriptor is readable, the next queued frame is
due, or ``stop`` writes to a pipe; it never polls. Frames wait in a heap ordered by
(due time, arrival order), so equal delays keep the order frames came in.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import heapq
import json
import os
import select
import struct
import threading
import time
from dataclasses import dataclass, field

from wirelens.capture import gateline
from wirelens.capture.impair import (
    GATE_OPTION,
    Action,
    Decision,
    Impairer,
    LogEntry,
    Plan,
    frame_facts,
)
from wirelens.capture.netns import entered
from wirelens.capture.privileges import drop_privileges, unprivileged_identity

TUNSETIFF = 0x400454CA  # linux/if_tun.h: _IOW('T', 202, int)
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000  # frames without the 4-byte packet-information header
IFNAMSIZ = 16
MAX_FRAME = 65536  # a TAP without offloads delivers at most MTU + 14; read room for any
STOP_TIMEOUT = 5.0
PR_SET_PDEATHSIG = 1  # linux/prctl.h
MAX_REPORT = 64 * 1024 * 1024  # the child's log, read unparsed: bounded all the same


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

    def __init__(self, plan: Plan | None = None, gate: gateline.Fds | None = None) -> None:
        self.plan = plan or Plan()
        self.gate = gate  # the pipes to the class, when the plan holds frames for it
        self._impairer = Impairer(self.plan)
        self._fds: dict[str, int] = {}  # "client" / "server" -> TAP descriptor
        self._wake_r, self._wake_w = -1, -1
        self._thread: threading.Thread | None = None
        self._records: list[_Record] = []
        self._lock = threading.Lock()
        self.error: BaseException | str | None = None
        self.wakeups = 0  # how many times select returned (a spinning loop would show here)
        self.loop_pid = 0  # the child without root that runs the loop (0: a thread here)
        self._report = b""  # the child's log, as it sent it: decoded only by log()
        self._report_r = -1
        self._thread_ran = False  # the loop was a thread: the gate's pipes are ours to close

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
        if os.geteuid() == 0:
            self._fork_loop()
            return
        self._thread = threading.Thread(target=self._run, name="wirelens-wire", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None or self.loop_pid:
            try:
                os.write(self._wake_w, b"x")
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)
            self._thread = None
            self._thread_ran = True
        if self.loop_pid:
            self._collect()
        gate = (self.gate.commands, self.gate.events) if self.gate and self._thread_ran else ()
        for fd in (*self._fds.values(), self._wake_r, self._wake_w, *gate):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._fds.clear()
        self._wake_r = self._wake_w = -1

    def log(self) -> list[LogEntry]:
        """What the wire did to each frame. From a child, its report is decoded here, in
        the process that asks (the unprivileged one that explains), never on the way up."""
        if self.loop_pid:
            raise WireError("the wire's log is ready once it has stopped")
        if self._report:
            return _decode_log(self._report)
        with self._lock:
            return [r.freeze() for r in self._records]

    # -- the loop in a child without root

    def _fork_loop(self) -> None:
        uid, gid = unprivileged_identity()
        report_r, report_w = os.pipe2(os.O_CLOEXEC)
        parent = os.getpid()
        libc = ctypes.CDLL(None, use_errno=True)
        pid = os.fork()
        if pid == 0:
            os.close(report_r)
            self._child(report_w, parent, uid, gid, libc)
        os.close(report_w)
        if self.gate is not None:  # the loop's own now: the class sees EOF when it ends
            os.close(self.gate.commands)
            os.close(self.gate.events)
        self.loop_pid, self._report_r = pid, report_r

    def _child(self, report: int, parent: int, uid: int, gid: int, libc: ctypes.CDLL) -> None:
        """The loop's process: nothing but the devices and its pipes, and no root."""
        status = b"ok"
        try:
            gate = (self.gate.commands, self.gate.events) if self.gate else ()
            keep = sorted({0, 1, 2, report, self._wake_r, *self._fds.values(), *gate})
            low = 0
            for fd in keep:  # the capture socket, the lab's namespaces ...: not ours to hold
                if fd > low:  # closerange(n, n) would close everything from n on
                    os.closerange(low, fd)
                low = fd + 1
            os.closerange(low, os.sysconf("SC_OPEN_MAX"))
            drop_privileges(uid, gid)
            libc.prctl(PR_SET_PDEATHSIG, 9)  # after setuid, which clears it; 9: SIGKILL
            if os.getppid() != parent:  # the demo died before the line above
                os._exit(1)
            self._loop()
        except BaseException as exc:
            status = b"error " + f"{type(exc).__name__}: {exc}".encode("utf-8", "replace")
        try:
            with os.fdopen(report, "wb") as out:
                out.write(status.replace(b"\n", b" ") + b" %d\n" % self.wakeups)
                out.write(_encode_log(self.log()))
        finally:
            os._exit(0)

    def _collect(self) -> None:
        """Reads the child's report (bounded, unparsed but for its first word) and reaps it."""
        parts: list[bytes] = []
        size = 0
        deadline = time.monotonic() + STOP_TIMEOUT
        stuck = False
        with os.fdopen(self._report_r, "rb", buffering=0) as report:
            while size < MAX_REPORT:
                wait = deadline - time.monotonic()
                if wait <= 0 or not select.select([report], [], [], wait)[0]:
                    stuck = True  # a loop that does not stop is ended, not waited for
                    break
                chunk = report.read(65536)
                if not chunk:
                    break
                parts.append(chunk)
                size += len(chunk)
        self._report_r = -1
        try:
            if stuck or size >= MAX_REPORT:
                os.kill(self.loop_pid, 9)
            os.waitpid(self.loop_pid, 0)
        except ChildProcessError:
            pass
        self.loop_pid = 0
        first, _, self._report = b"".join(parts).partition(b"\n")
        word, _, rest = first.partition(b" ")
        if word == b"error":
            text, _, _ = rest.rpartition(b" ")
            self.error = text.decode("utf-8", "replace")[:300]
        elif word != b"ok":
            self.error = "the wire's process ended without its report"
        else:
            self.wakeups = int(rest) if rest.isdigit() else 0
        if not self._report:
            self._report = b"[]"

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
        gate = _Gate(self.gate, self._impairer)
        while True:
            now = time.monotonic_ns()
            deadlines = [queue[0][0]] if queue else []
            hold_deadline = self._impairer.next_deadline()
            if hold_deadline is not None:
                deadlines.append(hold_deadline)
            timeout = max(min(deadlines) - now, 0) / 1e9 if deadlines else None
            readable, _, _ = select.select([client, server, self._wake_r, *gate.watched()],
                                           [], [], timeout)
            self.wakeups += 1
            if self._wake_r in readable:
                for left in self._impairer.gated():  # the exchange ended with it held
                    self._records[left - 1].decision = _still_held()
                return
            for released, decision in gate.words(readable):
                out_fd, held_frame = held.pop(released)
                with self._lock:
                    self._records[released - 1].decision = decision
                if not decision.delays_ns:
                    gate.say(gateline.dropped(released))
                for delay in decision.delays_ns:
                    order += 1
                    heapq.heappush(queue, (time.monotonic_ns() + delay, order, out_fd,
                                           held_frame, released))
            for fd in (f for f in readable if f in peer):
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
                        if decision.reason == GATE_OPTION:
                            gate.say(gateline.held(number, direction[fd], read_wall, frame))
                    for released in decision.release:
                        out_fd, held_frame = held.pop(released)
                        self._records[released - 1].after = number
                        order += 1
                        heapq.heappush(queue, (due, order, out_fd, held_frame, released))
            now = time.monotonic_ns()
            for released, _ in self._impairer.expired(now):  # --reorder's, never the gate's
                out_fd, held_frame = held.pop(released)
                order += 1
                heapq.heappush(queue, (now, order, out_fd, held_frame, released))
            while queue and queue[0][0] <= now:
                _, _, out_fd, frame, which = heapq.heappop(queue)
                _write(out_fd, frame)
                written = time.time_ns()
                with self._lock:
                    self._records[which - 1].written_ns.append(written)
                if self._records[which - 1].decision.reason.startswith(GATE_OPTION):
                    gate.say(gateline.out(which, written))
                now = time.monotonic_ns()


def _still_held() -> Decision:
    return Decision(Action.DROPPED, (), False, (), f"{GATE_OPTION}: still held at the end")


class _Gate:
    """The loop's side of the class's pipes: reads its words, tells it what happened.
    Without pipes (no --live) it watches nothing and says nothing."""

    def __init__(self, fds: gateline.Fds | None, impairer: Impairer) -> None:
        self._commands = fds.commands if fds else -1
        self._events = fds.events if fds else -1
        self._impairer = impairer
        self._lines = gateline.Lines()

    def watched(self) -> list[int]:
        return [self._commands] if self._commands >= 0 else []

    def words(self, readable: list[int]) -> list[tuple[int, Decision]]:
        """The frames the class released or dropped, with what now becomes of each."""
        if self._commands < 0 or self._commands not in readable:
            return []
        try:
            chunk = os.read(self._commands, 65536)
        except BlockingIOError:
            return []
        if not chunk:  # the class went away: its process ends the demo (livejob)
            self._commands = -1
            return []
        out = []
        for line in self._lines.feed(chunk):
            word = gateline.parse_command(line)
            if word is None:
                continue
            decision = self._impairer.open_gate(word[1], drop=word[0] == gateline.DROP)
            if decision is not None:
                out.append((word[1], decision))
        return out

    def say(self, line: bytes) -> None:
        if self._events < 0:
            return
        try:
            os.write(self._events, line)
        except OSError:  # the class went away; the loop goes on until it is stopped
            self._events = -1


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


def _encode_log(entries: list[LogEntry]) -> bytes:
    rows = [[e.number, e.direction, e.summary, e.digest, e.read_ns, e.action.value, e.reason,
             e.delay_ns, list(e.written_ns), e.after, e.seq, e.payload_len] for e in entries]
    return json.dumps(rows).encode()


def _decode_log(data: bytes) -> list[LogEntry]:
    """The child's log; a damaged one decodes to nothing rather than to a crash."""
    try:
        return [LogEntry(int(n), str(d), str(summary), str(dg), int(read), Action(action),
                         str(reason), int(delay), tuple(int(w) for w in written), int(after),
                         int(seq), int(plen))
                for n, d, summary, dg, read, action, reason, delay, written, after, seq, plen
                in json.loads(data)]
    except (ValueError, TypeError):
        return []


def to_action(entry: LogEntry) -> Action:
    return entry.action
