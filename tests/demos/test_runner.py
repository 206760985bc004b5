"""runner: a scenario run under a live capture, and the ``DemoRun`` the explainer is given.

The live tests run on loopback and need root (see tests/conftest.py); what a ``DemoRun``
makes of its fields is checked on runs built by hand."""

from __future__ import annotations

import socket

import pytest

from wirelens.demos import runner
from wirelens.demos.scenarios.base import DemoOptions
from wirelens.demos.tcp import REPLY
from wirelens.explain.dissect import DissectOptions
from wirelens.explain.text import Message, msg


def demo_run(scenario: str = "udp", decode: str = "",
             warnings: list[Message] | None = None) -> runner.DemoRun:
    """A run that captured nothing, on port 5353 of loopback."""
    return runner.DemoRun([], [], "lo", "udp port 5353", "127.0.0.1", 5353, b"",
                          warnings or [], scenario, decode=decode)


def test_the_demos_protocol_is_bound_to_its_port_for_the_dissector() -> None:
    assert demo_run().dissect_options == DissectOptions()
    assert dict(demo_run(decode="dns").dissect_options.ports) == {("udp", 5353): "dns"}


def test_the_source_names_the_scenario_its_summary_and_the_capture() -> None:
    said = demo_run(scenario="dns").source_text()
    assert said.key == "ui.source_scenario"
    assert said.params["scenario"] == "dns"
    assert said.params["summary"] == msg("scenario.dns.summary")
    assert (said.params["interface"], said.params["filter"]) == ("lo", "udp port 5353")


def test_the_runs_own_warnings_come_first_in_the_explanation() -> None:
    warned = msg("warning.port_changed", asked=80, port=40000)
    exp = demo_run(warnings=[warned]).explain()
    assert exp.warnings[0] == warned
    assert exp.source == 'live capture on lo, filter "udp port 5353"'
    assert exp.source_text == demo_run().source_text()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.live
def test_run_tcp_demo_sends_the_message_and_gets_the_reply() -> None:
    run = runner.run_tcp_demo(message="Ping?")
    assert run.reply == REPLY.encode() and run.scenario == "tcp"
    (send,) = [c for c in run.calls if (c.side, c.call) == ("client", "send")]
    assert (send.result, send.nbytes) == ("5", 5)
    assert run.bpf == f"tcp port {run.port}" and run.interface == "lo"
    assert [c.start_ns for c in run.calls] == sorted(c.start_ns for c in run.calls)
    assert len(run.frames) >= 8  # handshake, two messages and their ACKs, two FINs


@pytest.mark.live
def test_run_scenario_uses_the_port_asked_for() -> None:
    port = _free_port()
    run = runner.run_scenario("refused", options=DemoOptions(port=port))
    assert run.port == port and run.bpf == f"tcp port {port}"
    assert not run.server_listening and len(run.frames) == 2
