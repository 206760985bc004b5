"""A demo over the misbehaving wire: the lab with TAP devices, a capture at each end,
TCP_INFO of both sockets at the end, and the two captures merged into one.

``run_wired`` builds the lab with ``link="wire"`` and the ``impair.Plan``, runs the
``tcp`` exchange (demos/tcp.py, unchanged), a bulk ``transfer``, or the ``udp``
scenario's loss-tolerant exchange (each recvfrom() gives up after a bounded wait, nobody
resends), and tears it all down, however it ends. ``run_library`` plays any other scenario
of the library over the gated wire, for ``--live``. Two hooks ride on the call log
rather than on the exchange's code: before each TCP socket's ``close()`` its TCP_INFO is
read (the kernel's own count of retransmissions, its RTT and congestion window), and
with ``--reorder`` the client's one ``send()`` becomes two (with TCP_NODELAY), so there
are two segments to swap.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, TextIO, TypeVar, cast

from wirelens.capture import gateline, tcpinfo
from wirelens.capture.ends import End, merge
from wirelens.capture.impair import ImpairError, Plan, check_fits, parse_plan
from wirelens.capture.lab import IPV4, IPV6, Lab
from wirelens.capture.live import LiveCapture
from wirelens.capture.wire import Wire
from wirelens.demos import scenarios
from wirelens.demos.calllog import CallLog
from wirelens.demos.scenarios import udp
from wirelens.demos.scenarios.base import EVENT_WITHIN, Demo, DemoOptions
from wirelens.demos.tcp import TIMEOUT, DemoError, PreparedServer, prepare_server, run_exchange
from wirelens.explain.closewatch import CloseWatcher
from wirelens.explain.dissect import DissectOptions
from wirelens.explain.explainer import explain
from wirelens.explain.model import Explanation
from wirelens.explain.records import Frame, KernelSnapshot, SocketCall
from wirelens.explain.text import Message, msg
from wirelens.explain.tseq import time_sequence
from wirelens.explain.watchers import ReplySeen, Watcher
from wirelens.explain.wirestory import KernelInfo, Passage, WireLogLine, explain_wire

T = TypeVar("T")
CLOSE_WAIT_SECONDS = 3.0  # after both sockets closed, for the last ACK at both ends
SPLIT_GAP = 0.01  # s between the two halves of a split send, so they leave as two segments
SAMPLE_EVERY = 0.001  # s between two TCP_INFO samples of a transfer's sender
WAIT_STEP = 0.05  # s between two looks at either end's judge, waiting for an event
CHUNK = 65536
SCENARIOS = ("tcp", "transfer", "udp")
UDP_WAIT = 1.0  # s a recvfrom() of the udp demo waits, beyond the wire's delays, for a datagram
# c2s + s2c at most: ARP asks three times a second apart, then the client's kernel drops the
# datagram waiting for the answer (it never leaves); on a slower wire the demo shows nothing
UDP_MAX_ROUND_TRIP_NS = 2_000_000_000
UDP_SETTLE = 0.3  # s for libpcap to hand over frames it batches (for up to 100 ms) when no
# answer will come to end the capture
KIB = 1024
MAX_SIZE = 64 * KIB * KIB  # the transfer demo's largest --size


class ProbedCallLog(CallLog):
    """A call log that reads TCP_INFO before each close() and can split the client's send."""

    def __init__(self, split: bool = False) -> None:
        super().__init__()
        self.kernel: list[tcpinfo.TcpInfo] = []
        self.split = split

    def call(self, side: str, name: str, fn: Callable[..., T], *args: Any,
             **options: Any) -> T:
        sock = getattr(fn, "__self__", None)
        if name == "close" and isinstance(sock, socket.socket) \
                and sock.type == socket.SOCK_STREAM:
            info = tcpinfo.read(sock, side)
            if info is not None:
                self.kernel.append(info)
        if (name == "send" and side == "client" and self.split and isinstance(sock, socket.socket)
                and args and isinstance(args[0], bytes) and len(args[0]) >= 2):
            data = args[0]
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            half = len(data) // 2
            first = super().call(side, name, fn, data[:half], **options)
            time.sleep(SPLIT_GAP)
            second = super().call(side, name, fn, data[half:], **options)
            return cast(T, cast(int, first) + cast(int, second))
        result: T = super().call(side, name, fn, *args, **options)
        return result


@dataclass
class WiredRun:
    scenario: str
    plan: Plan
    frames: list[Frame]  # merged, numbered from 1
    passages: list[Passage]
    log: list[WireLogLine]
    calls: list[SocketCall]
    kernel: list[KernelInfo]
    samples: list[tcpinfo.TcpInfo]  # a transfer's sender over time
    lab: dict[str, str]
    bpf: str
    port: int
    sent: int  # application bytes the client sent
    received: int  # and the server received
    wall_ns: int  # connect() to the last close()
    ends: tuple[End, End]
    raw: dict[str, list[Frame]] = field(default_factory=dict)  # each end's own capture
    warnings: list[Message] = field(default_factory=list)
    wire: Wire | None = None  # stopped; its log is decoded by ``merged``, without root
    # a library scenario stepped live (``run_library``): what its ``DemoRun`` would say
    server_listening: bool = True  # False: nothing listened on the port (``refused``)
    decode: str = ""  # the application protocol on ``port`` ("dns"), for the dissector
    snapshots: list[KernelSnapshot] = field(default_factory=list)  # the kernels' checkpoints

    def raw_frames(self) -> list[Frame]:
        """Both ends' captures, the client's first: what is handed to the unprivileged side."""
        return [*self.raw.get("client", []), *self.raw.get("server", [])]


def merged(run: WiredRun, frames: Sequence[Frame] | None = None,
           calls: Sequence[SocketCall] | None = None) -> WiredRun:
    """The run with both ends' captures merged into one and the wire's log read: the work
    that reads captured bytes, done on the unprivileged side. ``frames`` and ``calls``: what
    that side read back from the handoff pipe (each end's frames told by their interface)."""
    raw = run.raw
    if frames is not None:
        by_device = {end.device: end.side for end in run.ends}
        split: dict[str, list[Frame]] = {"client": [], "server": []}
        for frame in frames:
            side = by_device.get(frame.interface)
            if side is not None:
                split[side].append(replace(frame, index=len(split[side]) + 1))
        raw = split
    entries = run.wire.log() if run.wire is not None else []
    joined, passages, lines = merge(raw.get("client", []), raw.get("server", []), run.ends,
                                    entries)
    return replace(run, frames=joined, passages=passages, log=lines, raw=raw,
                   calls=list(calls) if calls is not None else run.calls)


def kernel_info(info: tcpinfo.TcpInfo) -> KernelInfo:
    return KernelInfo(info.side, info.ts_ns, info.state, info.total_retrans, info.rtt_us,
                      info.min_rtt_us, info.rto_us, info.snd_cwnd, info.snd_ssthresh,
                      info.dsack_dups, info.reord_seen, info.rcv_ooopack)


def _transfer(log: ProbedCallLog, server: PreparedServer, size: int, lab: Lab,
              samples: list[tcpinfo.TcpInfo]) -> int:
    """The client sends ``size`` bytes with sendall(); the server reads them all, says how
    many it got, and both close. Returns the bytes the server received."""
    received = [0]
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            conn, _ = log.call("server", "accept", server.sock.accept,
                               describe=lambda r: f"{r[1][0]}:{r[1][1]}")
            conn.settimeout(TIMEOUT)
            with conn:
                while received[0] < size:
                    chunk = conn.recv(CHUNK)
                    if not chunk:
                        break
                    received[0] += len(chunk)
                log.calls.append(SocketCall("server", "recv", time.time_ns(), time.time_ns(),
                                            f"{received[0]} bytes in all", received[0]))
                log.call("server", "send", conn.send, f"got {received[0]} bytes".encode(),
                         describe=str, nbytes=lambda n: n)
                log.call("server", "recv", conn.recv, 1024, describe=repr, nbytes=len)
                log.call("server", "close", conn.close)
        except BaseException as exc:
            errors.append(exc)
        finally:
            server.sock.close()

    thread = threading.Thread(target=serve, name="wirelens-transfer-server", daemon=True)
    thread.start()
    with lab.enter("client"):
        client = log.call("client", "socket", socket.socket, server.sock.family,
                          socket.SOCK_STREAM, describe=lambda s: "SOCK_STREAM")
    client.settimeout(TIMEOUT * 4)
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(SAMPLE_EVERY):
            info = tcpinfo.read(client, "client")
            if info is not None:
                samples.append(info)

    sampler = threading.Thread(target=sample, name="wirelens-tcpinfo", daemon=True)
    try:
        with client:
            log.call("client", "connect", client.connect, (server.host, server.port),
                     describe=lambda _: f"{server.host}:{server.port}")
            sampler.start()
            data = os.urandom(size)
            log.call("client", "sendall", client.sendall, data,
                     describe=lambda _: f"{size} bytes", nbytes=lambda _: size)
            log.call("client", "recv", client.recv, 1024, describe=repr, nbytes=len)
            stop.set()
            sampler.join()
            log.call("client", "close", client.close)
    except OSError as exc:
        raise DemoError(f"the client failed: {exc}") from exc
    finally:
        stop.set()
    thread.join(TIMEOUT * 4)
    if errors:
        raise DemoError(f"the server failed: {errors[0]}")
    return received[0]


def _check_wire(wire: Wire) -> None:
    if wire.error is not None:
        raise DemoError(f"the wire failed: {wire.error}")


def _udp(demo: Demo, server: socket.socket, port: int, plan: Plan) -> None:
    """The udp scenario's exchange over the wire: a recvfrom() waits for what the wire's
    delays need and a bounded second more, then gives up (TimeoutError). The client's
    first datagram waits for ARP (or neighbour discovery): a question and its answer cross
    the wire before it, so it reaches the server after 2 x c2s + s2c."""
    c2s, s2c = plan.delay_of("c2s") / 1e9, plan.delay_of("s2c") / 1e9
    udp.exchange(demo, server, port, server_wait=UDP_WAIT + 2 * c2s + s2c,
                 client_wait=UDP_WAIT + 2 * (c2s + s2c))


@dataclass(frozen=True)
class Live:
    """What a live run (``--live``, live/job.py) adds: the pipes of the wire's gate, its
    own call log (which says each call as it happens) and how long to wait for the end."""

    gate: gateline.Fds
    log: ProbedCallLog
    patience: float
    ready: Callable[[], None]  # returns when the class is there to watch the exchange


def run_wired(scenario: str, plan: Plan, *, message: str = "Hello, Server!", size: int = 0,
              port: int = 0, ipv6: bool = False, verbose: TextIO | None = None,
              live: Live | None = None) -> WiredRun:
    """Runs ``scenario`` over the wire; the lab, both TAPs and the loop are gone on return."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}")
    wire = Wire(plan, live.gate if live else None)
    lab = Lab(IPV6 if ipv6 else IPV4, verbose=verbose, link="wire", wire=wire)
    lab.start()
    log = live.log if live else ProbedCallLog(split=scenario == "tcp" and bool(plan.reorder))
    samples: list[tcpinfo.TcpInfo] = []
    captures: dict[str, LiveCapture] = {}
    warnings: list[Message] = []
    sent = received = 0
    demo = Demo(udp.SCENARIO, lab, DemoOptions(port, message), log=log)
    server: PreparedServer | None = None
    udp_server: socket.socket | None = None
    try:
        if scenario == "udp":
            udp_server, port = udp.bound_server(demo)
            bpf = f"({lab.neighbour_filter()}) or ({udp.udp_port(port)})"
        else:
            server = prepare_server(log, lab.server_address, port, lab)
            port, bpf = server.port, lab.capture_filter(server.port)
        for host in (lab.client, lab.server):
            # the stop event, judged on each end's frames: every TCP conversation closed,
            # or (udp) the server's answer seen
            until = ReplySeen(port) if scenario == "udp" else CloseWatcher()
            captures[host.side] = LiveCapture(host.device, bpf, until=until)
            with lab.enter(host.side):
                captures[host.side].start()
        if live is not None:
            live.ready()
        start = time.time_ns()
        _check_wire(wire)
        if scenario == "tcp" and server is not None:
            data = message.encode("utf-8")
            run_exchange(log, server, data, lab)
            sent, received = len(data), _received(log, "recv")
        elif udp_server is not None:
            _udp(demo, udp_server, port, plan)
            sent, received = len(message.encode("utf-8")), _received(log, "recvfrom")
        elif server is not None:
            sent, received = size, _transfer(log, server, size, lab, samples)
        wall = time.time_ns() - start
        patience = live.patience if live else CLOSE_WAIT_SECONDS + 4 * max(
            plan.delay_of("c2s"), plan.delay_of("s2c")) / 1e9
        # A udp exchange whose answer never came has no last packet to wait for: only the
        # frames libpcap still batches.
        expected = scenario != "udp" or bool(demo.reply)
        for side, capture in captures.items():
            if not capture.finished.wait(patience if expected else UDP_SETTLE) and expected:
                warnings.append(msg("warning.capture_incomplete",
                                    reason=f"{side}: {patience:.1f} s"))
    except DemoError:
        _check_wire(wire)  # a broken wire explains a failed exchange better than a timeout
        raise
    finally:
        raw = {side: capture.stop() for side, capture in captures.items()}
        demo.close_all()
        lab.close()
    _check_wire(wire)
    ends = (End("client", lab.client.device, lab.client.mac),
            End("server", lab.server.device, lab.server.mac))
    # Not merged here: merging reads the frames (source MACs, digests) and the wire's log,
    # which is for the unprivileged side (``merged``).
    return WiredRun(scenario, plan, [], [], [], log.ordered(),
                    [kernel_info(k) for k in log.kernel], samples, lab.describe(), bpf,
                    port, sent, received, wall, ends, raw, warnings, wire)


# ---------------------------------------------------------------- the library, stepped live


@dataclass
class WireDemo(Demo):
    """A scenario of the library played over the gated wire (``--live``): captured at both
    ends, as every run over the wire is; each wait lasts as long as the class may take."""

    ready: Callable[[], None] | None = None  # returns when the class is there
    captures: dict[str, LiveCapture] = field(default_factory=dict)
    raw: dict[str, list[Frame]] = field(default_factory=dict)

    @property
    def lab(self) -> Lab:
        return cast(Lab, self.place)

    def start_capture(self, port: int) -> None:
        """Both ends listen; then the exchange waits for the class (its first packet comes
        after this, in every scenario)."""
        self.port = port
        self.bpf = self._filter(port)
        for host in (self.lab.client, self.lab.server):
            capture = LiveCapture(host.device, self.bpf, until=self.scenario.stop(port))
            self.captures[host.side] = capture
            with self.lab.enter(host.side):
                capture.start()
        if self.ready is not None:
            self.ready()

    def wait_for(self, event: Watcher, what: str, timeout: float = EVENT_WITHIN) -> bool:
        """The event seen at either end (a kernel's own packet is seen at its end first)."""
        seen = [c.judge.watch(event) for c in self.captures.values() if c.judge is not None]
        if not seen:
            raise DemoError("the capture has not started")
        deadline = time.monotonic() + max(timeout, self.timeout)
        while time.monotonic() < deadline:
            if any(s.wait(WAIT_STEP) for s in seen):
                return True
        self.warnings.append(msg("warning.scenario_step", event=what, seconds=self.timeout))
        return False

    def finish(self) -> None:
        if self.finished or not self.captures:
            return
        self.finished = True
        # a datagram the class dropped: no answer will end the capture, only libpcap's batch
        over = self.scenario.transport == "udp" and not self.reply
        within = UDP_SETTLE if over else self.timeout
        for side, capture in self.captures.items():
            if not capture.finished.wait(within) and not over:
                self.warnings.append(msg("warning.capture_incomplete",
                                         reason=f"{side}: {within:.1f} s"))

    def stop_capture(self) -> list[Frame]:
        for side, capture in self.captures.items():
            self.raw[side] = capture.stop()
        self.captures.clear()
        return self.raw.get("client", [])


def run_library(scenario: str, plan: Plan, live: Live, *, message: str = "Hello, Server!",
                port: int = 0, ipv6: bool = False, verbose: TextIO | None = None) -> WiredRun:
    """A scenario of the library (refused, half-close, dns ...) over the gated wire, for
    ``--live``: the scenario's own code, unchanged, in the lab joined by the wire. Both
    ends are captured; every frame waits for the class, so a simultaneous close's two FINs
    cross whenever the class holds both."""
    chosen = scenarios.get(scenario)
    wire = Wire(plan, live.gate)
    lab = Lab(IPV6 if ipv6 else IPV4, verbose=verbose, link="wire", wire=wire)
    lab.start()
    demo = WireDemo(chosen, lab, DemoOptions(port, message), log=live.log,
                    timeout=live.patience, lossy=True, ready=live.ready)
    start = time.time_ns()
    try:
        _check_wire(wire)
        chosen.run(demo)
        demo.join()
        demo.end()
    except DemoError:
        _check_wire(wire)
        raise
    finally:
        demo.stop_capture()
        demo.close_all()
        lab.close()
    wall = time.time_ns() - start
    _check_wire(wire)
    ends = (End("client", lab.client.device, lab.client.mac),
            End("server", lab.server.device, lab.server.mac))
    calls = live.log.ordered()
    return WiredRun(scenario, plan, [], [], [], calls,
                    [kernel_info(k) for k in live.log.kernel], [], lab.describe(), demo.bpf,
                    demo.port, 0, 0, wall, ends, demo.raw, demo.warnings, wire,
                    server_listening=chosen.server_listening, decode=chosen.decode,
                    snapshots=demo.kernel)


def _received(log: CallLog, call: str) -> int:
    """The bytes the server's ``call`` (recv, recvfrom) returned, in all."""
    return sum(c.nbytes for c in log.calls if c.side == "server" and c.call == call
               and c.nbytes > 0)


# ---------------------------------------------------------------- the command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The wire's options of ``explain-demo`` (any of them runs the demo over the wire)."""
    group = parser.add_argument_group("a wire that misbehaves on purpose (two-host lab)")
    group.add_argument("--loss", action="append", metavar="WHICH",
                       help="drop frames: 1 (the first data segment), 1,3, syn, fin, 25%% "
                            "(at random); :c2s or :s2c for one direction")
    group.add_argument("--delay", action="append", metavar="TIME",
                       help="one-way delay of every frame: 100ms, 0.2s (:c2s or :s2c)")
    group.add_argument("--reorder", action="append", nargs="?", const="1", metavar="N",
                       help="deliver data segment N (default 1) after the next one")
    group.add_argument("--duplicate", action="append", metavar="WHICH",
                       help="deliver frames twice: 1, syn, 10%% ... (as --loss)")
    group.add_argument("--seed", type=int, default=None,
                       help="seed of the random choices (the same seed drops the same frames)")
    group.add_argument("--live", action="store_true",
                       help="hold each packet on the wire until the class releases it: a "
                            "local page (its address is printed; --open opens it), or the "
                            "terminal with --step")
    group.add_argument("--size", default="200k",
                       help="bytes the 'transfer' demo sends: 200k, 1m, 5000 (default 200k)")


def wanted(args: argparse.Namespace) -> bool:
    """Whether this command line runs over the wire."""
    return args.scenario == "transfer" or any(
        getattr(args, name, None) for name in ("loss", "delay", "reorder", "duplicate", "live"))


def parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+)([km]?)", text.strip().lower())
    if not match:
        raise ImpairError(f"--size {text}: allowed: a number of bytes, with k or m "
                          f"(200k, 1m, 5000), from 1 to {MAX_SIZE // KIB // KIB}m")
    size = int(match.group(1)) * {"": 1, "k": KIB, "m": KIB * KIB}[match.group(2)]
    if not 1 <= size <= MAX_SIZE:
        raise ImpairError(f"--size {text}: allowed: from 1 byte to "
                          f"{MAX_SIZE // KIB // KIB}m")
    return size


def plan_from(args: argparse.Namespace) -> Plan:
    """The checked plan of a command line; ImpairError (one line) before anything exists."""
    live = getattr(args, "live", False)
    # a library scenario stepped live (run_library): the class decides, --delay is the rule
    library = live and args.scenario in scenarios.SCENARIOS and args.scenario not in SCENARIOS
    if args.scenario not in SCENARIOS and not library:
        raise ImpairError(f"the wire's options work with the demos: {', '.join(SCENARIOS)}; "
                          f"not with {args.scenario!r}")
    if getattr(args, "loopback", False) or getattr(args, "host", None) is not None:
        used = [f"--{n}" for n in ("loss", "delay", "reorder", "duplicate", "live")
                if getattr(args, n, None)]
        what = f"{used[0]} needs" if used else f"the {args.scenario} demo needs"
        raise ImpairError(f"{what} the two-host lab's wire: leave out --loopback and --host")
    if library:
        plan = parse_plan(None, args.delay, None, None, args.seed,
                          default_seed=secrets.randbelow(2**32))
        args.size_bytes = 0
        return replace(plan, gate=True)
    plan = parse_plan(args.loss, args.delay, args.reorder, args.duplicate, args.seed,
                      default_seed=secrets.randbelow(2**32))
    size = parse_size(args.size)
    if args.scenario == "tcp":
        split = 2 if plan.reorder and len(args.message.encode()) >= 2 else 1
        check_fits(plan, {"c2s": split, "s2c": 1}, "tcp")
    elif args.scenario == "udp":  # one datagram each way: the message and the answer
        check_fits(plan, {"c2s": 1, "s2c": 1}, "udp", unit="datagram", tcp=False)
        if plan.delay_of("c2s") + plan.delay_of("s2c") > UDP_MAX_ROUND_TRIP_NS:
            raise ImpairError(f"--delay {' '.join(args.delay)}: allowed with the udp demo: "
                              f"at most {UDP_MAX_ROUND_TRIP_NS // 10**9}s there and back "
                              f"(c2s + s2c); on a slower wire the client's ARP gives up "
                              f"and its kernel drops the datagram before it leaves")
    else:
        check_fits(plan, {"c2s": -1 if size > 1 else 1, "s2c": 1}, "transfer")
    args.size_bytes = size
    return replace(plan, gate=True) if getattr(args, "live", False) else plan


def explanation(run: WiredRun) -> Explanation:
    """The whole explanation of a run over the wire, its ``wire`` part filled in."""
    delays = (run.plan.delay_of("c2s"), run.plan.delay_of("s2c"))
    c_end, s_end = run.ends
    source = msg("wire.where.source", client_dev=c_end.device, server_dev=s_end.device,
                 filter=run.bpf)
    library = run.scenario not in SCENARIOS
    dissect = DissectOptions(MappingProxyType({("udp", run.port): run.decode})) \
        if run.decode else DissectOptions()
    exp = explain(run.frames, socket_calls=run.calls,
                  source=f"live capture at both ends of the wire ({c_end.device}, "
                         f"{s_end.device}), filter \"{run.bpf}\"",
                  source_text=source, subnets=(run.lab.get("network", ""),),
                  server_listening=run.server_listening, kernel=run.snapshots,
                  dissect_options=dissect)
    extra: list[Message] = []
    if run.plan.random:
        extra.append(msg("wire.ui.seed", seed=run.plan.seed))
    series = None
    if run.scenario == "transfer":
        extra.append(msg("wire.ui.wall", bytes=run.sent, ms=f"{run.wall_ns / 1e6:.1f}",
                         received=run.received))
        series = time_sequence(run.frames, [(s.ts_ns, s.snd_cwnd) for s in run.samples])
    view = explain_wire(run.frames, run.passages, run.log, rules=run.plan.describe(),
                        delays=delays, kernel=run.kernel,
                        delivered=None if library else run.received == run.sent,
                        series=series, extra=extra, calls=run.calls)
    return replace(exp, wire=view, warnings=tuple(run.warnings) + exp.warnings)


VALUE_OPTIONS = ("--loss", "--delay", "--duplicate", "--seed", "--size")


def join_negative(argv: Sequence[str]) -> list[str]:
    """``--delay -5ms`` as ``--delay=-5ms``: argparse would take "-5ms" for an option and
    say only "expected one argument"; joined, the value reaches our check and its message."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] in VALUE_OPTIONS and i + 1 < len(argv) and re.match(r"-\d", argv[i + 1]):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
            continue
        out.append(argv[i])
        i += 1
    return out
