"""Every scenario of the library, run for real on loopback, captured and explained: its
defining packets in order, its socket calls tied to them, the kernel's word on the states,
and the explanation in both languages, in JSON, the terminal, and step and quiz modes.

Each test captures packets, so each is marked live (see conftest.py). Each scenario runs
once per session (in-process, on loopback); the CLI is exercised at the end.
"""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
from rich.console import Console

from tests.conftest import console_script
from tests.terminal import exit_status
from wirelens.demos import scenarios
from wirelens.demos.place import Loopback
from wirelens.demos.runner import DemoRun, run_scenario
from wirelens.explain.catalog import LANGUAGES
from wirelens.explain.model import Explanation
from wirelens.render.json import dumps
from wirelens.render.step import Quiz, Stepper
from wirelens.render.terminal import render

pytestmark = pytest.mark.live

MOD = 2**32
Packet = dict[str, Any]
Doc = dict[str, Any]
RunCli = Callable[..., "subprocess.CompletedProcess[str]"]
RUNNABLE = [name for name in scenarios.names() if name != "simultaneous-close"]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|^\[[a-z_.0-9+-]+\]$")


class Ran:
    def __init__(self, run: DemoRun) -> None:
        self.run = run
        self.exp: Explanation = run.explain()
        self.doc: Doc = json.loads(dumps(self.exp, "en"))


_RUNS: dict[str, Ran] = {}


@pytest.fixture(scope="session")
def ran() -> Callable[[str], Ran]:
    def get(name: str) -> Ran:
        if name not in _RUNS:
            _RUNS[name] = Ran(run_scenario(name, Loopback()))
        return _RUNS[name]

    return get


def raw(packet: Packet, name: str) -> Any:
    for layer in packet["layers"]:
        for fv in layer["fields"]:
            if fv["name"] == name:
                return fv["raw"]
    raise KeyError(f"packet {packet['index']} has no field {name}")


def has(packet: Packet, name: str) -> bool:
    return any(fv["name"] == name for layer in packet["layers"] for fv in layer["fields"])


def flag(packet: Packet, name: str) -> bool:
    return bool(raw(packet, f"tcp.flags.{name}"))


def payload(packet: Packet) -> bytes:
    try:
        return bytes.fromhex(raw(packet, "tcp.payload"))
    except KeyError:
        return b""


def calls(doc: Doc, side: str, name: str) -> list[dict[str, Any]]:
    return [c for c in doc["socket_calls"] if c["side"] == side and c["call"] == name]


def kernel(doc: Doc, checkpoint: str, side: str) -> list[dict[str, Any]]:
    return [k for k in doc["kernel"] if k["checkpoint"] == checkpoint and k["side"] == side]


# ---------------------------------------------------------------- each scenario's packets


def test_refused_is_a_syn_answered_by_a_rst(ran: Callable[[str], Ran]) -> None:
    doc = ran("refused").doc
    syn, rst = doc["packets"]
    assert syn["sender"] == "client" and flag(syn, "syn") and not flag(syn, "ack")
    assert rst["sender"] == "server" and flag(rst, "reset") and flag(rst, "ack")
    assert raw(rst, "tcp.ack_raw") == (raw(syn, "tcp.seq_raw") + 1) % MOD
    (connect,) = calls(doc, "client", "connect")
    assert connect["result"] == "ConnectionRefusedError"
    assert (connect["packets"], connect["relation"]) == ([2], "returned-after")
    (conv,) = doc["conversations"]
    assert conv["handshake"] == "refused"
    assert [(n["topic"], n["verdict"]) for n in conv["notes"]] == [("refused", "agrees")]
    assert rst["states"] == {"client": "CLOSED", "server": "CLOSED"}


def test_server_closes_ends_in_time_wait_on_the_server_and_the_kernel_agrees(
        ran: Callable[[str], Ran]) -> None:
    doc = ran("server-closes").doc
    fins = [p for p in doc["packets"] if flag(p, "fin")]
    assert [p["sender"] for p in fins] == ["server", "client"]
    (conv,) = doc["conversations"]
    assert conv["closed_first"] == "server" and conv["final_states"]["server"] == "TIME_WAIT"
    (server,) = kernel(doc, "end", "server")
    assert (server["kernel_state"], server["inferred_state"], server["agrees"]) == (
        "TIME-WAIT", "TIME_WAIT", True)
    first, forgetful, careful = calls(doc, "server", "bind")
    assert forgetful["result"] == "OSError (EADDRINUSE)"  # TIME_WAIT holds the port
    assert forgetful["note"]["topic"] == "rebind"
    assert "SO_REUSEADDR" in careful["result"]  # with the option the same bind worked


def test_half_close_carries_server_data_after_the_clients_fin(
        ran: Callable[[str], Ran]) -> None:
    doc = ran("half-close").doc
    packets = doc["packets"]
    client_fin = next(p for p in packets if p["sender"] == "client" and flag(p, "fin"))
    server_fin = next(p for p in packets if p["sender"] == "server" and flag(p, "fin"))
    after = [p for p in packets if client_fin["index"] < p["index"] < server_fin["index"]
             and p["sender"] == "server" and payload(p)]
    assert b"".join(payload(p) for p in after) == b"The answer, part 1. The answer, part 2."
    (shutdown,) = calls(doc, "client", "shutdown")
    assert shutdown["packets"] == [client_fin["index"]]
    assert doc["conversations"][0]["half_close"]
    (client,) = kernel(doc, "half-closed", "client")
    server = [k for k in kernel(doc, "half-closed", "server") if k["kernel_state"] != "LISTEN"]
    assert client["kernel_state"] in ("FIN-WAIT-1", "FIN-WAIT-2") and client["agrees"]
    assert [(k["kernel_state"], k["agrees"]) for k in server] == [("CLOSE-WAIT", True)]


def test_reset_ends_both_connections_with_a_rst_and_no_fin(ran: Callable[[str], Ran]) -> None:
    doc = ran("reset").doc
    first, second = doc["conversations"]
    by_index = {p["index"]: p for p in doc["packets"]}
    for conv, resetter in ((first, "server"), (second, "client")):
        mine = [by_index[i] for i in conv["packets"]]
        assert not any(flag(p, "fin") for p in mine)
        assert [p["sender"] for p in mine if flag(p, "reset")] == [resetter]
        assert conv["close"] == "reset"
    (recv_reset,) = [c for c in calls(doc, "client", "recv")
                     if c["result"] == "ConnectionResetError"]
    assert by_index[recv_reset["packets"][0]]["sender"] == "server"
    (server_reset,) = [c for c in calls(doc, "server", "recv")
                       if c["result"] == "ConnectionResetError"]
    assert flag(by_index[server_reset["packets"][0]], "reset")


def test_zero_window_then_a_probe_then_a_window_update(ran: Callable[[str], Ran]) -> None:
    doc = ran("zero-window").doc
    packets = doc["packets"]
    server = [p for p in packets if p["sender"] == "server"]
    closed = next(p for p in server if raw(p, "tcp.window_size_value") == 0)
    later = [p for p in server if p["index"] > closed["index"]]
    update = next(p for p in later if raw(p, "tcp.window_size_value") > 0)
    probes = [p for p in packets if closed["index"] < p["index"] < update["index"]
              and p["sender"] == "client" and not payload(p)
              and raw(p, "tcp.seq_raw") == (raw(closed, "tcp.ack_raw") - 1) % MOD]
    assert probes, "no zero-window probe between the window closing and opening"
    assert doc["conversations"][0]["bytes"]["client_to_server"] == 6016


def test_backlog_drops_the_extra_syn_and_it_is_sent_again(ran: Callable[[str], Ran]) -> None:
    doc = ran("backlog").doc
    packets = doc["packets"]
    assert not any(flag(p, "reset") for p in packets)  # dropped, not refused
    syns = [(raw(p, "tcp.srcport"), raw(p, "tcp.seq_raw")) for p in packets
            if flag(p, "syn") and not flag(p, "ack")]
    again = {syn for syn in syns if syns.count(syn) > 1}
    assert len(again) == 1 and len(set(syns)) == 3
    assert [c["handshake"] for c in doc["conversations"]] == ["complete"] * 3
    (listen,) = calls(doc, "server", "listen")
    assert listen["result"] == "1" and listen["note"]["verdict"] == "differs"
    listener = [k for k in kernel(doc, "queue-full", "server") if k["kernel_state"] == "LISTEN"]
    assert len(listener) == 1 and "2" in listener[0]["explain"]


def test_chat_several_messages_each_way_and_quit_ends_it(ran: Callable[[str], Ran]) -> None:
    doc = ran("chat").doc
    data = [(p["sender"], payload(p)) for p in doc["packets"] if payload(p)]
    assert [s for s, _ in data] == ["client", "server", "client", "server", "client"]
    assert data[-1] == ("client", b"quit")
    fins = [p for p in doc["packets"] if flag(p, "fin")]
    assert fins[0]["sender"] == "client"
    (conv,) = doc["conversations"]
    assert "chat_quit" in [n["topic"] for n in conv["notes"]]


def test_udp_has_no_handshake_and_an_8_byte_header(ran: Callable[[str], Ran]) -> None:
    doc = ran("udp").doc
    packets = doc["packets"]
    assert not any(has(p, "tcp.flags.syn") for p in packets)
    assert doc["conversations"] == []
    assert [p["sender"] for p in packets] == ["client", "server"]
    for p in packets:
        assert raw(p, "udp.length") == 8 + p["payload_length"]
        assert bytes.fromhex(raw(p, "udp.payload"))
    assert [(c["call"], c["packets"]) for c in calls(doc, "client", "sendto")] == [
        ("sendto", [1])]
    topics = {f["note"]["topic"] for p in packets for layer in p["layers"]
              for f in layer["fields"] if "note" in f}
    assert {"udp_header", "udp_unreliable"} <= topics


def test_dns_query_and_answer_share_the_id_and_give_the_address(
        ran: Callable[[str], Ran]) -> None:
    doc = ran("dns").doc
    query, answer = doc["packets"]
    assert (query["role"], answer["role"]) == ("dns-query", "dns-response")
    assert raw(query, "dns.id") == raw(answer, "dns.id")
    assert raw(query, "dns.flags.response") == 0 and raw(answer, "dns.flags.response") == 1
    assert raw(query, "dns.qry.name") == "server.wirelens.test."
    assert raw(answer, "dns.a") == "192.0.2.10"
    assert ran("dns").run.reply == b"192.0.2.10"


def test_tcp_client_ends_in_time_wait_and_the_kernel_agrees(ran: Callable[[str], Ran]) -> None:
    doc = ran("tcp").doc
    (client,) = kernel(doc, "end", "client")
    assert (client["kernel_state"], client["agrees"]) == ("TIME-WAIT", True)


# ---------------------------------------------------------------- every scenario


@pytest.mark.parametrize("name", RUNNABLE)
def test_every_scenario_explains_itself_in_both_languages(
        name: str, ran: Callable[[str], Ran]) -> None:
    r = ran(name)
    assert r.run.frames and not [w for w in r.run.warnings
                                 if w.key == "warning.capture_incomplete"]
    for lang in LANGUAGES:
        doc = json.loads(dumps(r.exp, lang))
        texts = [p["role_text"] for p in doc["packets"]] + [c["explain"]
                                                          for c in doc["socket_calls"]]
        texts += [k["explain"] for k in doc["kernel"]] + doc["warnings"]
        texts += [f["explain"] for p in doc["packets"] for layer in p["layers"]
                  for f in layer["fields"]]
        assert not [t for t in texts if PLACEHOLDER.search(t)], (lang, name)
        out = io.StringIO()
        render(r.exp, Console(file=out, width=100, force_terminal=False), lang)
        assert f"{r.exp.packets[-1].index}" in out.getvalue()


@pytest.mark.parametrize("name", RUNNABLE)
def test_every_wire_call_is_tied_to_a_packet(name: str, ran: Callable[[str], Ran]) -> None:
    doc = ran(name).doc
    wire = {"connect", "accept", "send", "sendall", "sendto", "recvfrom", "shutdown"}
    loose = [c for c in doc["socket_calls"] if c["call"] in wire and not c["packets"]]
    loose += [c for c in doc["socket_calls"] if c["call"] == "recv" and not c["packets"]]
    assert loose == []
    for p in doc["packets"]:
        if has(p, "tcp.flags.syn"):
            assert p["states"] is not None and p["conversation"]
        else:
            assert p["sender"] in ("client", "server")


@pytest.mark.parametrize("name", RUNNABLE)
def test_step_and_quiz_cover_every_packet(name: str, ran: Callable[[str], Ran]) -> None:
    exp = ran(name).exp
    stepper = Stepper(len(exp.packets))
    while stepper.press(" ") and stepper.index < stepper.count - 1:
        pass
    assert stepper.counter == f"{len(exp.packets)} / {len(exp.packets)}"
    quiz = Quiz(exp, seed=1)
    assert [q.packet for q in quiz.questions] == [p.index for p in exp.packets if p.sender]
    for q in quiz.questions:
        quiz.answer(q, q.answer)
    assert quiz.score == (len(quiz.questions), len(quiz.questions))


# ---------------------------------------------------------------- the command line


def test_cli_runs_a_scenario_on_loopback_as_json(run_cli: RunCli) -> None:
    done = run_cli("explain-demo", "refused", "--loopback", "--format", "json", "--lang", "zh")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["language"] == "zh" and len(doc["packets"]) == 2
    assert "refused" in doc["source"]


def test_cli_simultaneous_close_on_loopback_says_it_needs_the_delayed_wire(
        run_cli: RunCli) -> None:
    done = run_cli("explain-demo", "simultaneous-close", "--loopback")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "issue 8" in done.stderr


def test_cli_quiz_on_a_udp_exchange_in_a_terminal() -> None:
    controller, terminal = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "LINES": "40", "TERM": "xterm"}
    argv = [str(console_script("explain-demo")), "udp", "--loopback", "--quiz", "--lang", "en"]
    proc = subprocess.Popen(argv, stdin=terminal, stdout=terminal, stderr=terminal, env=env,
                            close_fds=True)
    os.close(terminal)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"Score:" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:
                break
            seen += chunk
            if b"Press 1-4" in chunk:
                os.write(controller, b"1")
        assert b"Score:" in seen and b"UDP" in seen
        assert exit_status(proc, controller) == 0
    finally:
        proc.kill()
        os.close(controller)


def test_cli_simultaneous_close_over_the_delayed_wire_crosses_the_fins(
        run_cli: RunCli) -> None:
    """In the lab the scenario runs over the 50 ms wire: both FINs leave before either
    arrives, so both ends go FIN_WAIT_1 -> CLOSING -> TIME_WAIT."""
    done = run_cli("explain-demo", "simultaneous-close", "--format", "json", "--lang", "en")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    conv = doc["conversations"][0]
    assert conv["close"] == "simultaneous"
    assert conv["final_states"] == {"client": "TIME_WAIT", "server": "TIME_WAIT"}
    seen = {state for p in doc["packets"] if p["states"] for state in p["states"].values()}
    assert {"FIN_WAIT_1", "CLOSING", "TIME_WAIT"} <= seen
