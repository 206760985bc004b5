"""Every scenario of the library, run for real on loopback, captured and explained: its
socket calls tied to its packets, and the explanation in both languages, in JSON, the
terminal, and step and quiz modes; then the quiz in a terminal from the command line.
(Each scenario's own packets are tested in tests/demos/scenarios/test_<scenario>.py.)

Each test captures packets, so each is marked live (see conftest.py). Each scenario runs
once per session (in-process, on loopback: tests/demos/scenarios/runs.py).
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

import pytest
from rich.console import Console

from tests.conftest import RunCli, console_script
from tests.demos.scenarios.runs import has, ran
from tests.terminal import exit_status
from wirelens.demos import scenarios
from wirelens.explain.catalog import LANGUAGES
from wirelens.render.json import dumps
from wirelens.render.step import Quiz, Stepper
from wirelens.render.terminal import render

pytestmark = pytest.mark.live

RUNNABLE = [name for name in scenarios.names() if name != "simultaneous-close"]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|^\[[a-z_.0-9+-]+\]$")


# ---------------------------------------------------------------- every scenario


@pytest.mark.parametrize("name", RUNNABLE)
def test_every_scenario_explains_itself_in_both_languages(
        name: str) -> None:
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
def test_every_wire_call_is_tied_to_a_packet(name: str) -> None:
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
def test_step_and_quiz_cover_every_packet(name: str) -> None:
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


