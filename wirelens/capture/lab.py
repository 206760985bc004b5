"""The two-host lab: a "client" and a "server" host on one machine, joined by a virtual cable.

Each host is a network namespace with its own interfaces, addresses, ARP cache and TCP
stack. The two ends of a veth pair (a virtual Ethernet cable) sit one in each host, with
fixed locally administered MACs, 10.199.0.1/24 and .2/24 (or fd00:199::1/64 and ::2/64):
addresses that exist only inside the lab. Everything is done with iproute2's ``ip``,
``sysctl`` and ``ethtool`` through argument lists; ``verbose`` prints each command.

Crash-proofing. A namespace lives as long as something refers to it. Each host here is
held by a child process (``unshare --net -- cat``) that reads a pipe from us: when we
exit, however we exit (even SIGKILL), the kernel closes our end, ``cat`` sees end of
file and exits, and the kernel frees the namespace with the veth end inside it. The
veth pair is created inside the client host with its peer placed straight into the
server host, so nothing of the lab ever exists in the machine's own namespace, and no
name is bound under /run/netns. Objects a different design or an older run could leave
(named namespaces, root-namespace links, holder processes, all carrying the prefix
``wl-<pid>-``) are removed at start when their pid is dead; ``cleanup()`` does the same
on request (``explain-demo lab --cleanup``).

Sockets in a host. A thread's network namespace is its own (Python 3.11 has no
``os.setns``, so libc's ``setns`` through ctypes): ``enter(side)`` moves the calling
thread into a host for a block and back after it. A socket stays in the namespace it
was created in, and a thread started inside the block (scapy's sniffer) starts there.

Background IPv6 noise is turned off where the kernel allows it: no DAD (``nodad`` and
``accept_dad=0``), no router solicitations (``router_solicitations=0``); IPv6 is off in an
IPv4 lab. MLD reports cannot be turned off; the capture filter keeps them out.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from wirelens.capture.netns import entered, namespace_id
from wirelens.capture.privileges import effective_caps

if TYPE_CHECKING:
    from wirelens.capture.wire import Wire

PREFIX = "wl"  # every name the lab makes starts with wl-<pid>-
NAME = re.compile(r"^wl-(\d{1,7})-([cs])$")  # a device or namespace name: wl-<pid>-c|s
HOLDER_ENV = "WIRELENS_LAB"  # set to the lab's name in each holder process's environment
CLIENT_MAC = "02:77:6c:00:00:01"  # 0x02: locally administered unicast; 77:6c is "wl" in ASCII
SERVER_MAC = "02:77:6c:00:00:02"
COMMAND_TIMEOUT = 10.0  # seconds any one ip/sysctl/ethtool command may take
READY_TIMEOUT = 5.0  # seconds to wait for the holders' namespaces and for the links to be up
POLL = 0.005  # seconds between two looks while waiting
REQUIRED = ("ip", "unshare", "nsenter", "sysctl")
CAP_NET_ADMIN, CAP_SYS_ADMIN = 12, 21  # linux/capability.h


class LabError(RuntimeError):
    """The lab could not be built; the message says why, in words.

    ``code`` names the kind of reason for the catalogs (``lab.reason.<code>``):
    "not_root", "missing", "no_netns", "not_permitted" or "failed"; ``detail`` is the
    specific part."""

    def __init__(self, message: str, code: str = "failed", detail: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.detail = detail or message


@dataclass(frozen=True, slots=True)
class Addressing:
    """The two hosts' addresses in one IP version, on one subnet."""

    version: int
    client: str
    server: str
    prefix_len: int

    @property
    def network(self) -> str:
        return str(ipaddress.ip_interface(f"{self.client}/{self.prefix_len}").network)


IPV4 = Addressing(4, "10.199.0.1", "10.199.0.2", 24)
IPV6 = Addressing(6, "fd00:199::1", "fd00:199::2", 64)


# ---------------------------------------------------------------- can it run here?


def lab_problem() -> LabError | None:
    """Why the lab cannot be built here; None when it probably can (namespaces may still be
    refused, e.g. inside a restricted container, which ``Lab.start`` then reports)."""
    caps = effective_caps()
    if os.geteuid() != 0 and not (caps >> CAP_SYS_ADMIN & 1 and caps >> CAP_NET_ADMIN & 1):
        return LabError("making network namespaces needs root (CAP_SYS_ADMIN and "
                        "CAP_NET_ADMIN)", "not_root")
    missing = [name for name in REQUIRED if shutil.which(name) is None]
    if missing:
        return LabError(f"missing command(s): {', '.join(missing)} (Debian packages iproute2, "
                        "util-linux, procps)", "missing", ", ".join(missing))
    if not os.path.exists("/proc/thread-self/ns/net"):
        return LabError("this kernel has no network namespaces", "no_netns")
    return None


# ---------------------------------------------------------------- commands


@dataclass
class Commands:
    """Runs the lab's commands (never through a shell), printing each one when verbose."""

    verbose: TextIO | None = None
    run_count: int = 0

    def say(self, text: str) -> None:
        if self.verbose is not None:
            print(text, file=self.verbose, flush=True)

    def run(self, argv: Sequence[str], *, check: bool = True) -> str:
        """The command's output; a failure raises ``LabError`` unless ``check`` is False."""
        done = self._run(argv)
        if check and done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
            raise LabError(f"{shlex.join(argv)}: {reason}")
        return done.stdout

    def attempt(self, argv: Sequence[str]) -> bool:
        """Whether the command succeeded (for removals, where "already gone" is fine)."""
        try:
            return self._run(argv).returncode == 0
        except LabError:
            return False

    def _run(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.say("+ " + shlex.join(argv))
        self.run_count += 1
        try:
            return subprocess.run(list(argv), capture_output=True, text=True,
                                  timeout=COMMAND_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise LabError(f"{shlex.join(argv)}: {exc}") from exc


def _valid_device(name: str) -> str:
    if not NAME.match(name):
        raise LabError(f"not a lab device name: {name!r}")
    return name


# ---------------------------------------------------------------- the hosts


@dataclass
class Host:
    """One host of the lab: a network namespace held open by a child process."""

    side: str  # "client" or "server"
    device: str  # its end of the veth pair
    mac: str
    address: str
    holder: subprocess.Popen[bytes] | None = None

    @property
    def ns_path(self) -> str:
        if self.holder is None:
            raise LabError(f"the {self.side} host is not running")
        return f"/proc/{self.holder.pid}/ns/net"

    def nsenter(self, *argv: str) -> list[str]:
        """A command run inside this host: ``nsenter --net=/proc/<holder>/ns/net argv...``."""
        return ["nsenter", f"--net={self.ns_path}", *argv]


def _spawn_holder(host: Host, lab_name: str, commands: Commands) -> None:
    argv = ["unshare", "--net", "--", "cat"]
    commands.say(f"# the {host.side} host: a new network namespace, held open by "
                 f"`{shlex.join(argv)}` reading a pipe from us (it ends when we do)")
    commands.say("+ " + shlex.join(argv))
    try:
        holder = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env={**os.environ, HOLDER_ENV: f"{lab_name}-{host.side[0]}"},
            start_new_session=True,  # a Ctrl-C on the terminal reaches us, not the holders
        )
    except OSError as exc:
        raise LabError(f"unshare: {exc}") from exc
    host.holder = holder
    ours = namespace_id("/proc/self/ns/net")
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        if holder.poll() is not None:
            err = holder.stderr.read().decode(errors="replace").strip() if holder.stderr else ""
            detail = err or f"exit status {holder.returncode}"
            code = "not_permitted" if "not permitted" in detail else "failed"
            raise LabError(f"unshare --net failed: {detail}", code, detail)
        try:
            if namespace_id(f"/proc/{holder.pid}/ns/net") != ours:
                break  # unshare() has happened: configuring it now cannot touch our namespace
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise LabError("the namespace holder did not start in time")
        time.sleep(POLL)
    commands.say(f"#   pid {holder.pid}: its namespace is {namespace_id(host.ns_path)}")


def _stop_holder(holder: subprocess.Popen[bytes]) -> None:
    if holder.stdin is not None:
        try:
            holder.stdin.close()  # end of file for cat: it exits, the namespace goes with it
        except OSError:
            pass
    try:
        holder.wait(timeout=2.0)
    except subprocess.TimeoutExpired:
        holder.kill()
        holder.wait(timeout=2.0)
    if holder.stderr is not None:
        holder.stderr.close()


# ---------------------------------------------------------------- the lab


@dataclass
class Lab:
    """Two hosts and a cable. Use as a context manager; it is a ``demos.place.Place``."""

    addressing: Addressing = IPV4
    verbose: TextIO | None = None
    owner: int = field(default_factory=os.getpid)
    client: Host = field(init=False)
    server: Host = field(init=False)
    warnings: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # stale objects removed at start
    commands: Commands = field(init=False)
    name: str = "lab"
    # The cable: "veth" (the kernel's pair) or "wire" (two TAP devices and the loop of
    # capture/wire.py, which can drop, delay, duplicate or reorder frames by rule)
    link: str = "veth"
    wire: Wire | None = None  # the wire when link is "wire" (made at start if None)

    def __post_init__(self) -> None:
        base = f"{PREFIX}-{self.owner}"
        self.lab_name = base
        self.client = Host("client", _valid_device(f"{base}-c"), CLIENT_MAC,
                           self.addressing.client)
        self.server = Host("server", _valid_device(f"{base}-s"), SERVER_MAC,
                           self.addressing.server)
        self.commands = Commands(self.verbose)

    # -- the Place protocol

    @property
    def interface(self) -> str:
        return self.client.device  # the sniffer listens on the client's end of the cable

    @property
    def client_address(self) -> str:
        return self.client.address

    @property
    def server_address(self) -> str:
        return self.server.address

    def enter(self, side: str) -> AbstractContextManager[None]:
        """The block runs in the client's network ("client", "sniffer") or the server's."""
        if side not in ("client", "server", "sniffer"):
            raise ValueError(f"unknown side {side!r}")
        host = self.server if side == "server" else self.client
        return entered(host.ns_path)

    def capture_filter(self, port: int) -> str:
        """What the sniffer keeps: the demo's TCP port and how the hosts find each other's
        MAC (ARP; for IPv6 the neighbour discovery messages, ICMPv6 types 133-137).
        MLD reports carry a hop-by-hop header, so ``icmp6`` here never matches them."""
        tcp = f"tcp port {port}"
        if self.addressing.version == 4:
            return f"arp or {tcp}"
        return f"(icmp6 and ip6[40] >= 133 and ip6[40] <= 137) or {tcp}"

    def neighbour_filter(self) -> str:
        if self.addressing.version == 4:
            return "arp"
        return "icmp6 and ip6[40] >= 133 and ip6[40] <= 137"

    # -- building and removing

    def __enter__(self) -> Lab:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        problem = lab_problem()
        if problem:
            raise problem
        self.removed = cleanup(self.commands, keep_owner=self.owner)
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    def _build(self) -> None:
        say, run = self.commands.say, self.commands.run
        for host in (self.client, self.server):
            _spawn_holder(host, self.lab_name, self.commands)
        c, s = self.client, self.server
        if self.addressing.version == 4:
            say("# IPv6 off in both hosts: an IPv4 lab sends no IPv6 background traffic")
            settings = ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]
        else:
            say("# no duplicate address detection and no router solicitations: "
                "no IPv6 background traffic but MLD (which the capture filter keeps out)")
            settings = [f"net.ipv6.conf.{which}.{key}={value}"
                        for key, value in (("accept_dad", 0), ("dad_transmits", 0),
                                           ("router_solicitations", 0))
                        for which in ("all", "default")]
        for host in (c, s):
            run(host.nsenter("sysctl", "-q", "-w", *settings))
        if self.link == "wire":
            self._wire_cable()
        else:
            say("# the cable: a veth pair made in the client host, its far end put in the "
                "server host")
            run(c.nsenter("ip", "link", "add", c.device, "address", c.mac, "type", "veth",
                          "peer", "name", s.device, "address", s.mac,
                          "netns", str(s.holder.pid if s.holder else 0)))
        ethtool = shutil.which("ethtool") is not None
        if not ethtool:
            self.warnings.append("ethtool is missing: transmit checksum offload stays on, so "
                                 "captured checksums may be left unfilled")
        prefix = self.addressing.prefix_len
        for host in (c, s):
            if ethtool:
                say("# checksums computed by the kernel, not left to 'offload': "
                    "the capture in the client host then shows real ones")
                run(host.nsenter("ethtool", "-K", host.device, "tx", "off"))
            extra = ["nodad"] if self.addressing.version == 6 else []
            run(host.nsenter("ip", "addr", "add", f"{host.address}/{prefix}", "dev", host.device,
                             *extra))
            run(host.nsenter("ip", "link", "set", host.device, "up"))
        self._wait_ready()

    def _wait_ready(self) -> None:
        """Until both ends are up and no address is still tentative (IPv6 answers no
        neighbour solicitation for a tentative address)."""
        deadline = time.monotonic() + READY_TIMEOUT
        quiet = Commands(None)
        for host in (self.client, self.server):
            link = host.nsenter("ip", "-o", "link", "show", "dev", host.device)
            tentative = host.nsenter("ip", "-o", "addr", "show", "dev", host.device, "tentative")
            self.commands.say(f"# wait until `{shlex.join(link[2:])}` says state UP and "
                              f"`{shlex.join(tentative[2:])}` says nothing")
            while True:
                shown = quiet.run(link)  # a TAP with its descriptor open says state UNKNOWN
                up = " state UP " in shown or (self.link == "wire" and "LOWER_UP" in shown)
                if up and not quiet.run(tentative).strip():
                    break
                if time.monotonic() > deadline:
                    raise LabError(f"{host.device} did not come up in {READY_TIMEOUT} s")
                time.sleep(POLL)

    @property
    def wire_delay(self) -> float:
        """The wire's smaller one-way delay in seconds; 0.0 on a veth cable or a wire
        without delay (the crossing-FINs scenario needs one)."""
        if self.link != "wire" or self.wire is None:
            return 0.0
        return min(self.wire.plan.delay_of(d) for d in ("c2s", "s2c")) / 1e9

    def _wire_cable(self) -> None:
        # imported here: 12 ms saved at start-up when not needed
        from wirelens.capture.wire import Wire

        if self.wire is None:
            self.wire = Wire()
        self.commands.say("# the cable: a TAP device in each host, created from inside it; "
                          "our loop copies frames between their descriptors")
        for host in (self.client, self.server):
            self.wire.attach(host.side, host.device, host.ns_path)
            self.commands.run(host.nsenter("ip", "link", "set", "dev", host.device,
                                           "address", host.mac))
        self.wire.start()

    def close(self) -> None:
        if self.wire is not None:
            self.wire.stop()  # closing the descriptors removes both TAP devices
        for host in (self.client, self.server):
            if host.holder is not None:
                self.commands.say(f"# the {host.side} host ends: pid {host.holder.pid} sees end "
                                  f"of file; the kernel frees its namespace and {host.device}")
                _stop_holder(host.holder)
                host.holder = None

    def describe(self) -> dict[str, str]:
        """The lab's facts, for the "where did it run" line."""
        return {
            "client": self.client.address, "server": self.server.address,
            "client_mac": self.client.mac, "server_mac": self.server.mac,
            "client_dev": self.client.device, "server_dev": self.server.device,
            "network": self.addressing.network,
        }


# ---------------------------------------------------------------- stale objects


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner(name: str) -> int | None:
    match = NAME.match(name)
    return int(match.group(1)) if match else None


def _stale_namespaces() -> list[tuple[str, int]]:
    try:
        names = os.listdir("/run/netns")
    except OSError:
        return []
    return [(n, pid) for n in names if (pid := _owner(n)) is not None]


def _stale_links() -> list[tuple[str, int]]:
    out = []
    for line in Commands(None).run(["ip", "-o", "link", "show"], check=False).splitlines():
        parts = line.split(":", 2)
        if len(parts) < 2:
            continue
        name = parts[1].strip().split("@", 1)[0]
        pid = _owner(name)
        if pid is not None:
            out.append((name, pid))
    return out


def _holders() -> list[tuple[int, int]]:
    """(holder pid, owner pid) of every lab holder process still running."""
    out = []
    marker = (HOLDER_ENV + "=").encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as env:
                variables = env.read().split(b"\0")
        except OSError:
            continue
        for variable in variables:
            if variable.startswith(marker):
                owner = _owner(variable[len(marker):].decode(errors="replace"))
                if owner is not None and _is_holder(int(entry)):
                    out.append((int(entry), owner))
    return out


def _is_holder(pid: int) -> bool:
    """Whether ``pid`` is what ``_spawn_holder`` starts, not just any process whose
    environment names a lab (a shell started from a demo's, a user's own program): ``cat``
    as ``unshare`` left it, leading its own session, in a network namespace of its own."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = fh.read().split(b"\0")
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        own_namespace = namespace_id(f"/proc/{pid}/ns/net") != namespace_id("/proc/self/ns/net")
    except (OSError, IndexError):
        return False
    session = int(fields[3])  # after the state: ppid, pgrp, session
    return argv[:1] == [b"cat"] and len([a for a in argv if a]) == 1 and session == pid \
        and own_namespace


def cleanup(commands: Commands | None = None, keep_owner: int | None = None) -> list[str]:
    """Removes every lab object whose owning process is gone; returns what it removed.

    Objects of a lab whose owner still runs (another demo running now) are left alone.
    """
    commands = commands or Commands(None)
    removed: list[str] = []

    def stale(owner: int) -> bool:
        return owner != keep_owner and not _alive(owner)

    for pid, owner in _holders():
        if stale(owner) and pid != os.getpid():
            commands.say(f"# stale: holder process {pid} of a lab whose owner {owner} is gone")
            try:
                os.kill(pid, signal.SIGKILL)
                removed.append(f"holder process {pid}")
            except ProcessLookupError:
                pass
    for name, owner in _stale_namespaces():
        if stale(owner) and commands.attempt(["ip", "netns", "delete", _valid_device(name)]):
            removed.append(f"namespace {name}")
    for name, owner in _stale_links():
        # deleting one end of a veth pair deletes the other: its own delete then fails
        if stale(owner) and commands.attempt(["ip", "link", "delete", _valid_device(name)]):
            removed.append(f"link {name}")
    return removed


def leftovers() -> list[str]:
    """Everything of any lab that exists now, stale or not (for tests and --cleanup)."""
    found = [f"namespace {n}" for n, _ in _stale_namespaces()]
    found += [f"link {n}" for n, _ in _stale_links()]
    found += [f"holder process {pid} (owner {owner})" for pid, owner in _holders()
              if pid != os.getpid()]
    return found


def main_cleanup(verbose: bool = False) -> list[str]:
    """``explain-demo lab --cleanup``: what was removed (an empty list when nothing was)."""
    if os.geteuid() != 0:
        raise LabError("removing the lab's namespaces and links needs root")
    return cleanup(Commands(sys.stderr if verbose else None))
