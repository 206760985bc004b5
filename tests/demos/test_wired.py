"""The demos over the misbehaving wire, live: what we flag equals what tshark flags on the
saved capture and what each socket's kernel counted (TCP_INFO); lower time bounds only;
the same seed drops the same frames; a killed run leaves nothing behind.

Every test here builds the lab and captures (root), so each is marked live; the bad-input
tests at the end run without root.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunCli, console_script
from wirelens.capture import lab

DEMO = str(console_script("explain-demo"))
TIMEOUT = 120  # seconds; a guard against a hang, not a speed check
GONE_WITHIN = 10.0  # seconds the kernel may take to reap a killed run's namespaces
SHARK_FLAGS = {
    "retransmission": "tcp.analysis.retransmission",
    "fast-retransmission": "tcp.analysis.fast_retransmission",
    "spurious-retransmission": "tcp.analysis.spurious_retransmission",
    "out-of-order": "tcp.analysis.out_of_order",
    "duplicate-ack": "tcp.analysis.duplicate_ack",
    "lost-segment": "tcp.analysis.lost_segment",
}
live = pytest.mark.live


def wired(run_cli: RunCli, tmp_path: Path, *args: str) -> tuple[dict[str, Any], Path]:
    """One run over the wire: its JSON and its saved (merged) capture."""
    saved = tmp_path / "run.pcapng"
    done = run_cli("explain-demo", *args, "--format", "json", "--lang", "en",
                   "--save", str(saved))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), saved


def shark(path: Path) -> dict[str, set[int]]:
    """tshark's analysis flags on a capture: flag name -> frame numbers."""
    if shutil.which("tshark") is None:
        pytest.fail("tshark is not installed (the Makefile installs it)")
    fields = list(SHARK_FLAGS.values())
    out = subprocess.run(["tshark", "-n", "-r", str(path), "-T", "fields", "-e", "frame.number",
                          *[a for f in fields for a in ("-e", f)]],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    flags: dict[str, set[int]] = {name: set() for name in SHARK_FLAGS}
    for line in out.splitlines():
        number, *values = line.split("\t")
        for name, value in zip(SHARK_FLAGS, values, strict=True):
            if value:
                flags[name].add(int(number))
    return flags


def ours(data: dict[str, Any]) -> dict[str, set[int]]:
    """Our flags as tshark's fields say them: a fast or spurious retransmission also sets
    ``tcp.analysis.retransmission`` in Wireshark (we name only the most specific kind)."""
    flags: dict[str, set[int]] = {name: set() for name in SHARK_FLAGS}
    for anomaly in data["wire"]["anomalies"]:
        for kind in anomaly["kinds"]:
            if kind in flags:
                flags[kind].add(anomaly["packet"])
            if kind in ("fast-retransmission", "spurious-retransmission"):
                flags["retransmission"].add(anomaly["packet"])
    return flags


def tcp_info(data: dict[str, Any], side: str) -> dict[str, Any]:
    (check,) = [k for k in data["wire"]["kernel"] if k["side"] == side]
    assert check["tcp_info"] is not None
    return check


def payload(packet: dict[str, Any]) -> tuple[int, int]:
    return packet["relative"]["seq"], packet["payload_length"]


@live
def test_loss_1_one_retransmission_as_tshark_and_the_kernel_say(run_cli: RunCli,
                                                                tmp_path: Path) -> None:
    data, saved = wired(run_cli, tmp_path, "tcp", "--loss", "1")
    packets = {p["index"]: p for p in data["packets"]}
    (dropped,) = [p for p in data["wire"]["packets"] if p["action"] == "dropped"]
    assert dropped["seen_at"] == ["client"] and dropped["arrived_ns"] is None
    flags = ours(data)
    assert flags == shark(saved)
    (again,) = flags["retransmission"]
    assert again > dropped["packet"]
    assert payload(packets[again]) == payload(packets[dropped["packet"]]) == (1, 14)
    assert packets[again]["sender"] == "client"
    client, server = tcp_info(data, "client"), tcp_info(data, "server")
    assert client["tcp_info"]["total_retrans"] == 1 == client["resent"] and client["agrees"]
    assert server["tcp_info"]["total_retrans"] == 0 and server["agrees"]
    (effect,) = [e for e in data["wire"]["effects"] if e["kind"] == "drop-resent"]
    assert effect["packets"] == [dropped["packet"], again]
    assert "retransmission" in effect["text"]


@live
def test_reorder_flags_match_tshark(run_cli: RunCli, tmp_path: Path) -> None:
    data, saved = wired(run_cli, tmp_path, "tcp", "--reorder")
    flags = ours(data)
    assert flags == shark(saved)
    assert flags["out-of-order"] or flags["retransmission"] or flags["spurious-retransmission"]
    assert flags["duplicate-ack"]  # the receiver's answer to the gap
    (swapped,) = [p for p in data["wire"]["packets"] if p["action"] == "swapped"]
    assert swapped["original"] == swapped["packet"] - 1  # delivered right after its partner
    for check in data["wire"]["kernel"]:
        assert check["agrees"], check["text"]


@live
def test_duplicate_1_the_copy_is_flagged_as_wireshark_does(run_cli: RunCli,
                                                           tmp_path: Path) -> None:
    data, saved = wired(run_cli, tmp_path, "tcp", "--duplicate", "1")
    flags = ours(data)
    assert flags == shark(saved)
    (copy,) = [p for p in data["wire"]["packets"] if p["copy"] == 2]
    assert copy["seen_at"] == ["server"] and copy["sent_ns"] is None
    assert copy["packet"] in flags["retransmission"] | flags["spurious-retransmission"]
    assert flags["duplicate-ack"]  # the server says it got those bytes twice (D-SACK)
    client = tcp_info(data, "client")
    assert client["tcp_info"]["total_retrans"] == 0 and client["wire_copies"] == 1
    assert client["agrees"]


@live
def test_delay_100ms_the_handshake_rtt_is_at_least_200ms(run_cli: RunCli,
                                                         tmp_path: Path) -> None:
    data, _ = wired(run_cli, tmp_path, "tcp", "--delay", "100ms")
    rtt = data["wire"]["rtt"]
    assert rtt["configured_ns"] == 200_000_000
    assert rtt["measured_ns"] >= 200_000_000  # a lower bound, never an upper one
    assert tcp_info(data, "client")["tcp_info"]["min_rtt_us"] >= 200_000


@live
def test_udp_loss_1_the_datagram_left_never_arrived_and_nobody_resent_it(
        run_cli: RunCli, tmp_path: Path) -> None:
    data, saved = wired(run_cli, tmp_path, "udp", "--loss", "1")
    (dropped,) = [p for p in data["wire"]["packets"] if p["action"] == "dropped"]
    assert dropped["direction"] == "c2s" and dropped["reason"] == "--loss 1"
    assert dropped["seen_at"] == ["client"] and dropped["arrived_ns"] is None  # sent, not received
    datagrams = [p for p in data["packets"] if p["role"] == "datagram"]
    assert [(p["index"], p["sender"], p["payload_length"]) for p in datagrams] == [
        (dropped["packet"], "client", 14)]  # not resent: no other datagram, by anyone
    calls = sorted((c["side"], c["call"], c["result"]) for c in data["socket_calls"]
                   if c["call"] in ("sendto", "recvfrom"))
    # one sendto (the application did not resend either); both recvfrom() gave up
    assert [c[:2] for c in calls] == [("client", "recvfrom"), ("client", "sendto"),
                                      ("server", "recvfrom")]
    assert calls[0][2] == calls[2][2] == "TimeoutError"
    (gave_up,) = [c for c in data["socket_calls"] if c["side"] == "server"
                  and c["call"] == "recvfrom"]
    assert gave_up["packets"] == [] and "TimeoutError" in gave_up["explain"]
    assert gave_up["end_time"] - gave_up["time"] >= 1.0  # the bounded wait, then the timeout
    (effect,) = data["wire"]["effects"]
    assert effect["kind"] == "drop-not-resent" and effect["packets"] == [dropped["packet"]]
    assert "recvfrom() waited" in effect["text"] and "nobody sent it again" in effect["text"]
    (note,) = data["wire"]["notes"]
    assert (note["topic"], note["verdict"]) == ("wire_udp_loss", "agrees")
    assert note["ref"].startswith("001_") and "UDP" in note["claim"]
    assert data["wire"]["kernel"] == [] and data["wire"]["anomalies"] == []
    # tshark on the saved capture: one UDP datagram, seen only at the client's end, carrying
    # the client's message; nothing after it carries those bytes again
    ((number, interface, payload_hex),) = shark_udp(saved)
    assert number == dropped["packet"]
    assert interface.endswith("-c") and "+" not in interface  # the client's TAP alone
    assert bytes.fromhex(payload_hex) == b"Hello, Server!"


@live
def test_udp_loss_of_the_answer_the_client_gives_up(run_cli: RunCli, tmp_path: Path) -> None:
    data, _ = wired(run_cli, tmp_path, "udp", "--loss", "1:s2c")
    (dropped,) = [p for p in data["wire"]["packets"] if p["action"] == "dropped"]
    assert dropped["direction"] == "s2c" and dropped["seen_at"] == ["server"]
    results = {(c["side"], c["call"]): c["result"] for c in data["socket_calls"]}
    assert results[("client", "recvfrom")] == "TimeoutError"
    assert results[("server", "recvfrom")] != "TimeoutError"
    assert data["wire"]["notes"][0]["verdict"] == "agrees"


@live
def test_udp_loss_1_explains_itself_in_both_languages_and_in_the_page(
        run_cli: RunCli, tmp_path: Path) -> None:
    zh = run_cli("explain-demo", "udp", "--loss", "1", "--lang", "zh", "--width", "200")
    assert zh.returncode == 0, zh.stderr
    assert "在客户端一端看到它离开，在服务器一端始终没有看到它" in zh.stdout
    assert "recvfrom()：等了" in zh.stdout and "✓ 一致" in zh.stdout and "✗" in zh.stdout
    page = tmp_path / "udp.html"
    done = run_cli("explain-demo", "udp", "--loss", "1", "--html", str(page), "--lang", "en")
    assert done.returncode == 0, done.stderr
    text = html.unescape(page.read_text("utf-8"))
    assert "seen leaving the client, never seen at the server's end" in text
    assert "在客户端一端看到它离开" in text  # the page carries both languages


def shark_udp(path: Path) -> list[tuple[int, str, str]]:
    """tshark's UDP datagrams in a capture: (frame number, where seen, payload in hex)."""
    if shutil.which("tshark") is None:
        pytest.fail("tshark is not installed (the Makefile installs it)")
    out = subprocess.run(["tshark", "-n", "-r", str(path), "-Y", "udp", "-T", "fields",
                          "-e", "frame.number", "-e", "frame.interface_name", "-e", "data.data"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    rows = []
    for line in out.splitlines():
        number, interface, payload_hex = line.split("\t")
        rows.append((int(number), interface, payload_hex))
    return rows


@live
def test_same_seed_same_dropped_frames(run_cli: RunCli, tmp_path: Path) -> None:
    def log(seed: str, run: str) -> list[tuple[str, str, str]]:
        folder = tmp_path / run
        folder.mkdir()
        data, _ = wired(run_cli, folder, "tcp", "--loss", "40%", "--seed", seed)
        return [(e["direction"], e["summary"], e["action"]) for e in data["wire"]["log"]]

    first, second = log("7", "first"), log("7", "second")
    # Both runs carry the same frames until the two TCPs' timing parts them (a timer that
    # fires a little earlier in one run); up to there, every decision must be the same.
    same = 0
    for a, b in zip(first, second, strict=False):
        if a[:2] != b[:2]:
            break
        assert a[2] == b[2]
        same += 1
    assert same >= 3
    assert any(e[2] == "dropped" for e in first)


@live
def test_a_killed_run_and_one_normal_run_leave_nothing(run_cli: RunCli) -> None:
    proc = subprocess.Popen([DEMO, "tcp", "--delay", "1s", "--format", "json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not tap_up(proc.pid):
            assert proc.poll() is None, "the demo ended before its wire was up"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    done = run_cli("explain-demo", "tcp", "--loss", "1", "--format", "json")
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + GONE_WITHIN
    while lab.leftovers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert lab.leftovers() == []
    assert not [n for n in os.listdir("/sys/class/net") if n.startswith("wl-")]


def tap_up(owner: int) -> bool:
    """Whether the run ``owner`` has its client host with its TAP device up."""
    for pid, holder_owner in lab._holders():
        if holder_owner != owner:
            continue
        shown = subprocess.run(["nsenter", f"--net=/proc/{pid}/ns/net", "ip", "-o", "link"],
                               capture_output=True, text=True, check=False).stdout
        if f"wl-{owner}-" in shown and "LOWER_UP" in shown:
            return True
    return False


# ---------------------------------------------------------------- bad input (no root needed)


@pytest.mark.parametrize("args", [
    ["tcp", "--loss", "150%"],
    ["tcp", "--delay", "-5ms"],
    ["tcp", "--reorder", "--message", "x"],
    ["tcp", "--loss", "1:up"],
    ["tcp", "--duplicate", "9"],
    ["transfer", "--size", "0"],
    ["arp", "--loss", "1"],
    ["tcp", "--loss", "1", "--loopback"],
    ["udp", "--reorder"],
    ["udp", "--loss", "3"],
    ["udp", "--loss", "syn"],
    ["udp", "--delay", "1500ms"],  # ARP would give up before the datagram could leave
])
def test_bad_wire_options_exit_2_in_one_line_creating_nothing(run_cli: RunCli,
                                                              args: list[str]) -> None:
    before = set(os.listdir("/sys/class/net"))
    done = run_cli("explain-demo", *args)
    assert done.returncode == 2
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    option = next(a for a in args if a.startswith("--"))
    assert option in done.stderr or args[0] == "arp"
    assert set(os.listdir("/sys/class/net")) == before
