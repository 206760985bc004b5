"""The two-host lab, live: ARP or neighbour discovery before the handshake, real MACs and
checksums, every frame once, every field as Wireshark reads it, and nothing left behind
after a run, a killed run (SIGKILL, SIGTERM, SIGINT mid-exchange) or a crashed one.

Every test here builds network namespaces and captures, so each is marked live (root).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import console_script
from wirelens.capture import lab
from wirelens.capture.pcapfile import open_capture
from wirelens.explain.explainer import explain
from wirelens.explain.fields import FieldValue
from wirelens.explain.model import Explanation, PacketView

pytestmark = pytest.mark.live

DEMO = str(console_script("explain-demo"))
TIMEOUT = 120  # seconds; a guard against a hang, not a speed check
GONE_WITHIN = 10.0  # seconds the kernel may take to reap a dead run's namespaces
Packet = dict[str, Any]


def demo(*args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """Runs explain-demo; returns its result and its pid (the lab's names carry it)."""
    proc = subprocess.Popen([DEMO, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, encoding="utf-8")
    out, err = proc.communicate(timeout=TIMEOUT)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), proc.pid


def ip(*args: str) -> str:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=True,
                          timeout=30).stdout


def lab_objects(owner: int | None = None) -> list[str]:
    """What `ip netns list`, `ip link` and the process table show of a lab (of ``owner``'s,
    or of any lab whose owner is dead when ``owner`` is None)."""
    def ours(name: str) -> bool:
        match = lab.NAME.match(name)
        if match is None:
            return False
        pid = int(match.group(1))
        return pid == owner if owner is not None else not lab._alive(pid)

    found = [f"netns {line.split()[0]}" for line in ip("netns", "list").splitlines()
             if line.split() and ours(line.split()[0])]
    for line in ip("-o", "link", "show").splitlines():
        name = line.split(":", 2)[1].strip().split("@", 1)[0]
        if ours(name):
            found.append(f"link {name}")
    found += [f"holder {pid}" for pid, own in lab._holders()
              if (own == owner if owner is not None else not lab._alive(own))]
    return found


def wait_until_gone(owner: int) -> list[str]:
    deadline = time.monotonic() + GONE_WITHIN
    while (left := lab_objects(owner)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


# ---------------------------------------------------------------- one lab run per IP version


@dataclass(frozen=True)
class LabRun:
    version: int
    json: dict[str, Any]
    first_line: str
    saved: Path
    pid: int

    def explained(self) -> Explanation:
        with open_capture(self.saved) as capture:
            return explain(list(capture), subnets=(LAB[self.version].network,))


LAB = {4: lab.IPV4, 6: lab.IPV6}


@pytest.fixture(scope="module", params=[4, 6], ids=["ipv4", "ipv6"])
def lab_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> LabRun:
    version: int = request.param
    saved = tmp_path_factory.mktemp("lab") / f"lab{version}.pcapng"
    extra = ["--ipv6"] if version == 6 else []
    done, pid = demo("tcp", "--format", "json", "--lang", "en", "--save", str(saved), *extra)
    assert done.returncode == 0, done.stderr
    return LabRun(version, json.loads(done.stdout), done.stderr.splitlines()[0], saved, pid)


def value(packet: Packet, name: str) -> Any:
    for layer in packet["layers"]:
        for fv in layer["fields"]:
            if fv["name"] == name:
                return fv["value"]
    raise KeyError(f"packet {packet['index']} has no {name}")


def layers(packet: Packet) -> list[str]:
    return [layer["name"] for layer in packet["layers"]]


def test_the_first_line_says_it_ran_in_the_lab(lab_run: LabRun) -> None:
    assert lab_run.first_line.startswith("Where: the two-host lab: client "
                                         f"{LAB[lab_run.version].client}")
    assert "client host" in lab_run.json["source"]


def test_the_mac_is_asked_for_before_the_handshake(lab_run: LabRun) -> None:
    packets = lab_run.json["packets"]
    ask, answer = packets[:2]
    assert (ask["sender"], answer["sender"]) == ("client", "server")
    if lab_run.version == 4:
        assert "ARP" in layers(ask) and value(ask, "arp.opcode") == "1"
        assert value(ask, "eth.dst") == "ff:ff:ff:ff:ff:ff"
        assert value(ask, "arp.dst.proto_ipv4") == lab.IPV4.server
        assert value(answer, "arp.opcode") == "2"
        assert value(answer, "arp.src.hw_mac") == lab.SERVER_MAC
    else:
        assert value(ask, "icmpv6.type") == "135" and value(answer, "icmpv6.type") == "136"
        assert value(ask, "icmpv6.nd.ns.target_address") == lab.IPV6.server
        assert value(answer, "icmpv6.opt.target_linkaddr") == lab.SERVER_MAC
    assert [p["role"] for p in packets[2:5]] == ["handshake-1", "handshake-2", "handshake-3"]
    # nothing else: no MLD, router solicitation or duplicate address detection
    assert all(p["role"] for p in packets[2:])


def test_the_macs_are_real_and_distinct(lab_run: LabRun) -> None:
    mac = {"client": lab.CLIENT_MAC, "server": lab.SERVER_MAC}
    for p in lab_run.json["packets"]:
        other = "server" if p["sender"] == "client" else "client"
        assert value(p, "eth.src") == mac[p["sender"]], p["index"]
        if p["role"]:  # TCP: unicast to the other host
            assert value(p, "eth.dst") == mac[other], p["index"]
    assert lab.CLIENT_MAC != lab.SERVER_MAC


def test_every_checksum_verifies(lab_run: LabRun) -> None:
    seen = defaultdict(list)
    for p in lab_run.explained().packets:
        for layer in p.layers:
            for view in layer.fields:
                if view.field.name.endswith(".checksum"):
                    seen[view.field.name].append(view.field.params["variant"])
    expected = {"tcp.checksum", "ip.checksum"} if lab_run.version == 4 else \
        {"tcp.checksum", "icmpv6.checksum"}
    assert set(seen) == expected
    assert {name: set(v) for name, v in seen.items()} == {name: {"correct"} for name in seen}


def test_every_frame_is_captured_once(lab_run: LabRun) -> None:
    with open_capture(lab_run.saved) as capture:
        frames = [f.data for f in capture]
    assert len(frames) == len(set(frames)) == len(lab_run.json["packets"])
    conversation = lab_run.json["conversations"][0]
    assert len(conversation["packets"]) == len(frames) - 2  # all TCP but the question/answer


def test_the_notes_on_the_subnet_work_out_the_mask(lab_run: LabRun) -> None:
    ask = lab_run.explained().packets[0]
    name = "arp.dst.proto_ipv4" if lab_run.version == 4 else "icmpv6.nd.ns.target_address"
    note = next(f.note for layer in ask.layers for f in layer.fields if f.field.name == name)
    assert note is not None and note.topic == "arp_subnet" and note.verdict.value == "agrees"


def test_nothing_is_left_after_the_run(lab_run: LabRun) -> None:
    assert lab_objects(lab_run.pid) == []
    assert not re.search(r"\bwl-\d+-[cs]\b", ip("netns", "list"))


# ---------------------------------------------------------------- Wireshark reads the same


OPTION_NAMES = {"tcp.option.mss": "tcp.options.mss", "tcp.option.sackOK": "tcp.options.sack_perm",
                "tcp.option.wscale": "tcp.options.wscale", "tcp.option.nop": "tcp.options.nop",
                "tcp.option.TS": "tcp.options.timestamp", "tcp.option.eol": "tcp.options.eol"}
CHECKED_LAYERS = ("Ethernet", "ARP", "IPv4", "IPv6", "TCP", "ICMPv6")
IN_UNITS = {"ip.hdr_len": 4, "tcp.hdr_len": 4, "ip.frag_offset": 8}  # ours words, theirs bytes


@dataclass(frozen=True)
class Shark:
    show: str
    pos: int
    size: int


def pdml(path: Path) -> list[dict[str, list[Shark]]]:
    prefs = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"]
    done = subprocess.run(["tshark", "-n", "-r", str(path), "-T", "pdml", *prefs],
                          capture_output=True, check=True, timeout=TIMEOUT)
    out = []
    for packet in ET.fromstring(done.stdout).iter("packet"):
        fields: dict[str, list[Shark]] = defaultdict(list)
        for element in packet.iter("field"):
            name, pos, size = element.get("name"), element.get("pos"), element.get("size")
            if name and pos is not None and size is not None:
                fields[name].append(Shark(element.get("show", ""), int(pos), int(size)))
        out.append(dict(fields))
    return out


def _as_int(shown: str) -> int | None:
    if shown in ("True", "False"):
        return int(shown == "True")
    try:
        return int(shown, 0)
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})*", shown):
        return int(shown.replace(":", ""), 16)
    return None


def same(ours: FieldValue, shark: Shark) -> bool:
    if ours.display.lower() == shark.show.lower():
        return True
    if ":" in ours.display and ":" in shark.show:  # IPv6 addresses, however written
        try:
            return ipaddress.ip_address(ours.display) == ipaddress.ip_address(shark.show)
        except ValueError:
            return False
    theirs = _as_int(shark.show)
    return isinstance(ours.value, int) and theirs == ours.value * IN_UNITS.get(ours.name, 1)


def checked_fields(p: PacketView) -> Iterator[FieldValue]:
    for layer in p.layers:
        if layer.name in CHECKED_LAYERS:
            for view in layer.fields:
                yield view.field


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_every_field_matches_wireshark(lab_run: LabRun) -> None:
    ours, theirs = lab_run.explained().packets, pdml(lab_run.saved)
    assert len(ours) == len(theirs)
    compared, missing, wrong = 0, [], []
    for p, shark in zip(ours, theirs, strict=True):
        for fv in checked_fields(p):
            name = OPTION_NAMES.get(fv.name, fv.name)
            candidates = shark.get(name, [])
            here = [s for s in candidates if s.pos <= fv.offset < s.pos + max(s.size, 1)]
            if not here:
                missing.append(f"#{p.index} {fv.name}")
                continue
            compared += 1
            if fv.name.startswith("tcp.option."):
                continue  # the option as a whole: its place is what Wireshark names
            if not any(same(fv, s) for s in here):
                wrong.append(f"#{p.index} {fv.name}: ours {fv.display}, "
                             f"tshark {[s.show for s in here]}")
        for status in ("ip.checksum.status", "tcp.checksum.status", "icmpv6.checksum.status"):
            assert all(s.show == "1" for s in shark.get(status, [])), (p.index, status)
    assert missing == [] and wrong == []
    assert compared >= 20 * len(ours)


# ---------------------------------------------------------------- killed runs leave nothing

MID_EXCHANGE = r"""
import socket, sys
from wirelens.capture.lab import IPV4, Lab
from wirelens.capture.live import LiveCapture

with Lab(IPV4) as lab:
    with lab.enter("server"):
        server = socket.socket()
    server.bind((lab.server_address, 8080))
    server.listen()
    capture = LiveCapture(lab.interface, lab.capture_filter(8080))
    with lab.enter("sniffer"):
        capture.start()
    with lab.enter("client"):
        client = socket.socket()
    client.connect((lab.server_address, 8080))
    conn, _ = server.accept()
    client.send(b"half way")
    conn.recv(100)
    print("mid-exchange", flush=True)
    sys.stdin.read()  # until killed
"""


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT],
                         ids=["SIGKILL", "SIGTERM", "SIGINT"])
def test_a_run_killed_mid_exchange_leaves_nothing(how: signal.Signals) -> None:
    child = subprocess.Popen([sys.executable, "-c", MID_EXCHANGE], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "mid-exchange", child.stderr
        assert lab_objects(child.pid) != []  # the holders, while it runs
        child.send_signal(how)
        child.wait(timeout=30)
    finally:
        child.kill()
        child.wait()
        for stream in (child.stdin, child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    assert wait_until_gone(child.pid) == []
    done, pid = demo("tcp", "--format", "json", "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert lab_objects(child.pid) == [] and lab_objects(pid) == [] and lab_objects() == []


def test_the_cli_killed_while_building_or_capturing_leaves_nothing() -> None:
    proc = subprocess.Popen([DEMO, "tcp", "--verbose", "--format", "json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if "ip link add" in line:  # the cable is being made: the lab half exists
            proc.kill()
            break
    proc.wait(timeout=30)
    proc.stderr.close()
    assert wait_until_gone(proc.pid) == []


@pytest.mark.parametrize("via", ["cleanup", "next-run"])
def test_stale_objects_of_a_dead_run_are_removed(via: str) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    name = f"wl-{gone.pid}"
    assert not lab._alive(gone.pid)
    subprocess.run(["ip", "netns", "add", f"{name}-c"], check=True)
    subprocess.run(["ip", "link", "add", f"{name}-s", "type", "veth", "peer", "name",
                    f"{name}-c"], check=True)
    env = {**os.environ, lab.HOLDER_ENV: f"{name}-c"}
    holder = subprocess.Popen(["unshare", "--net", "--", "cat"], env=env,
                              stdin=subprocess.PIPE, start_new_session=True)
    # Not a holder, though its environment names the lab: --cleanup leaves it alone.
    bystander = subprocess.Popen(["sleep", "300"], env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while len(lab_objects(gone.pid)) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)  # until unshare has made the holder's namespace
        assert len(lab_objects(gone.pid)) == 4  # netns, two links, a holder
        if via == "cleanup":
            done, _ = demo("lab", "--cleanup")
            assert done.returncode == 0, done.stderr
            assert f"removed namespace {name}-c" in done.stdout
            assert f"removed holder process {holder.pid}" in done.stdout
        else:
            done, _ = demo("tcp", "--format", "json")
            assert done.returncode == 0, done.stderr
        assert lab_objects(gone.pid) == []
        assert holder.wait(timeout=10) == -signal.SIGKILL
        assert bystander.poll() is None
    finally:
        for proc in (holder, bystander):
            proc.kill()
            proc.wait()
        subprocess.run(["ip", "netns", "delete", f"{name}-c"], capture_output=True)
        subprocess.run(["ip", "link", "delete", f"{name}-s"], capture_output=True)


# ---------------------------------------------------------------- the other commands


@pytest.mark.parametrize("ipv6", [False, True], ids=["arp", "neighbour-discovery"])
def test_the_arp_demo_is_the_question_and_the_answer(ipv6: bool) -> None:
    done, pid = demo("arp", "--format", "json", "--lang", "zh", *(["--ipv6"] if ipv6 else []))
    assert done.returncode == 0, done.stderr
    packets = json.loads(done.stdout)["packets"]
    assert [p["sender"] for p in packets] == ["client", "server"]
    kinds = [value(p, "icmpv6.type" if ipv6 else "arp.opcode") for p in packets]
    assert kinds == (["135", "136"] if ipv6 else ["1", "2"])
    assert done.stderr.startswith("运行位置：双主机实验环境")
    assert lab_objects(pid) == []


def test_verbose_prints_every_command() -> None:
    done, _ = demo("tcp", "--verbose", "--format", "json")
    assert done.returncode == 0
    commands = [line[2:] for line in done.stderr.splitlines() if line.startswith("+ ")]
    assert commands[0] == "unshare --net -- cat"
    assert any(re.match(r"nsenter --net=/proc/\d+/ns/net ip link add wl-\d+-c address "
                        r"02:77:6c:00:00:01 type veth peer name wl-\d+-s", c) for c in commands)
    assert sum("ethtool -K" in c and "tx off" in c for c in commands) == 2
    assert any("ip addr add 10.199.0.2/24" in c for c in commands)


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) is missing")
def test_without_namespaces_it_falls_back_to_loopback_and_says_what_is_lost() -> None:
    drop = ["setpriv", "--bounding-set", "-sys_admin", "--inh-caps", "-sys_admin", "--"]
    done = subprocess.run([*drop, DEMO, "tcp", "--format", "json", "--lang", "en"],
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith("Where: loopback (127.0.0.1), because the two-host lab could not "
                            "run: creating a network namespace is not permitted here")
    assert "Lost: real MAC addresses" in first and "Traceback" not in done.stderr
    assert json.loads(done.stdout)["packets"][0]["role"] == "handshake-1"
    arp = subprocess.run([*drop, DEMO, "arp"], capture_output=True, text=True, timeout=TIMEOUT)
    assert arp.returncode == 2
    assert arp.stderr.count("\n") == 1 and "needs the two-host lab" in arp.stderr
