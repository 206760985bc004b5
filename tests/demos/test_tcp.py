"""The real demo: a TCP exchange on loopback, captured and explained, read back from its JSON.

Every test here captures packets, so each is marked live (see conftest.py): it needs root
and libpcap, and skips without them unless WIRELENS_REQUIRE_LIVE=1.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_user_dir
from tests.demos.scenarios.runs import Packet, flag, raw

pytestmark = pytest.mark.live

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]  # the run_cli fixture
Saved = tuple[Path, dict[str, Any]]  # the saved file and the demo's JSON
MOD = 2**32
MESSAGE = b"Hello, Server!"
NOBODY = 65534  # the uid and gid of "nobody", standing in for the user behind sudo


def payload(packet: Packet) -> bytes:
    try:
        return bytes.fromhex(raw(packet, "tcp.payload"))
    except KeyError:
        return b""


def demo(run_cli: RunCli, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = run_cli("explain-demo", "tcp", "--loopback", "--format", "json", *args, env=env)
    assert done.returncode == 0, done.stderr
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


# ---------------------------------------------------------------- the packets


def test_handshake_is_packets_one_to_three(demo_json: dict[str, Any]) -> None:
    packets = demo_json["packets"]
    syn, syn_ack, ack = packets[:3]
    assert [p["index"] for p in packets[:3]] == [1, 2, 3]
    assert [p["role"] for p in packets[:3]] == ["handshake-1", "handshake-2", "handshake-3"]
    assert flag(syn, "syn") and not flag(syn, "ack")
    assert flag(syn_ack, "syn") and flag(syn_ack, "ack")
    assert flag(ack, "ack") and not flag(ack, "syn") and payload(ack) == b""
    assert [p["sender"] for p in packets[:3]] == ["client", "server", "client"]
    # each exactly once: no other SYN, SYN-ACK or handshake role anywhere
    assert [p["index"] for p in packets if flag(p, "syn")] == [1, 2]
    assert sum(p["role"].startswith("handshake") for p in packets) == 3


def test_handshake_ack_arithmetic(demo_json: dict[str, Any]) -> None:
    syn, syn_ack, ack = demo_json["packets"][:3]
    assert raw(syn_ack, "tcp.ack_raw") == (raw(syn, "tcp.seq_raw") + 1) % MOD
    assert raw(ack, "tcp.ack_raw") == (raw(syn_ack, "tcp.seq_raw") + 1) % MOD
    assert raw(ack, "tcp.seq_raw") == (raw(syn, "tcp.seq_raw") + 1) % MOD


def test_message_travels_in_a_push_segment(demo_json: dict[str, Any]) -> None:
    pushed = [p for p in demo_json["packets"] if flag(p, "push")]
    assert any(MESSAGE in payload(p) and p["sender"] == "client" for p in pushed)


def test_both_sides_close_and_the_last_fin_is_acked(demo_json: dict[str, Any]) -> None:
    packets = demo_json["packets"]
    fins = [p for p in packets if flag(p, "fin")]
    assert {p["sender"] for p in fins} == {"client", "server"}
    last_fin = fins[-1]
    after = packets[packets.index(last_fin) + 1 :]
    final_ack = (raw(last_fin, "tcp.seq_raw") + 1) % MOD
    assert any(flag(p, "ack") and p["sender"] != last_fin["sender"]
               and raw(p, "tcp.ack_raw") == final_ack for p in after)


def test_no_packet_is_captured_twice(demo_json: dict[str, Any]) -> None:
    seen = [
        (p["sender"], raw(p, "tcp.srcport"), raw(p, "tcp.seq_raw"), raw(p, "tcp.ack_raw"),
         p["flags"], payload(p))
        for p in demo_json["packets"]
    ]
    assert len(seen) == len(set(seen))


def test_states_at_the_start_and_the_end(demo_json: dict[str, Any]) -> None:
    packets = demo_json["packets"]
    assert packets[0]["states"] == {"client": "SYN_SENT", "server": "SYN_RECEIVED"}
    assert packets[-1]["states"]["client"] in ("TIME_WAIT", "CLOSED")
    assert packets[-1]["states"]["server"] == "CLOSED"


# ---------------------------------------------------------------- the socket calls


def test_every_socket_call_that_touches_the_wire_has_packets(demo_json: dict[str, Any]) -> None:
    calls = demo_json["socket_calls"]
    wire = [c for c in calls if c["call"] in ("connect", "accept", "send", "recv", "close")]
    assert {c["call"] for c in wire} == {"connect", "accept", "send", "recv", "close"}
    assert [c for c in wire if not c["packets"]] == []
    (connect,) = [c for c in calls if c["call"] == "connect"]
    (accept,) = [c for c in calls if c["call"] == "accept"]
    assert connect["side"] == "client" and connect["packets"][0] == 1
    assert accept["side"] == "server" and 3 in accept["packets"]


# ---------------------------------------------------------------- options


def test_both_languages_see_the_same_packets(run_cli: RunCli,
                                             demo_json: dict[str, Any]) -> None:
    chinese = demo(run_cli, "--lang", "zh")
    assert chinese["language"] == "zh"
    assert len(chinese["packets"]) == len(demo_json["packets"])


@pytest.fixture(scope="module")
def saved(run_cli: RunCli, tmp_path_factory: pytest.TempPathFactory) -> Saved:
    """A demo run with --save, as if through sudo by the user "nobody"."""
    path = make_user_dir() / "demo.pcapng"  # the user behind sudo writes it
    sudo = {"SUDO_UID": str(NOBODY), "SUDO_GID": str(NOBODY)}
    return path, demo(run_cli, "--lang", "en", "--save", str(path), env=sudo)


def test_saved_capture_explains_the_same(run_cli: RunCli, saved: Saved) -> None:
    path, live = saved
    done = run_cli("explain-pcap", str(path), "--format", "json", "--lang", "en")
    assert done.returncode == 0, done.stderr
    again = json.loads(done.stdout)
    assert [p["summary"] for p in again["packets"]] == [p["summary"] for p in live["packets"]]
    assert again["socket_calls"] == live["socket_calls"]
    assert again["socket_calls"]


def test_saving_again_needs_force(run_cli: RunCli, saved: Saved) -> None:
    path, _ = saved
    before, stat = path.read_bytes(), path.stat()
    done = run_cli("explain-demo", "tcp", "--save", str(path))
    assert done.returncode == 2
    assert "--force" in done.stderr and "Traceback" not in done.stderr
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == stat.st_mtime_ns


def test_saved_file_belongs_to_the_sudo_user(saved: Saved) -> None:
    path, _ = saved
    owner = path.stat()
    assert (owner.st_uid, owner.st_gid) == (NOBODY, NOBODY)
    assert not os.path.islink(path)
