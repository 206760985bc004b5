"""``closing``: the ways a connection closes (server-closes, half-close, simultaneous-close),
run for real: on loopback, and the simultaneous close over the lab's delayed wire; and
the simultaneous close refused, before any capture, where no wire delays the FINs."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest

from tests.conftest import RunCli
from tests.demos.scenarios.runs import calls, flag, kernel, payload, ran
from wirelens.demos import runner, scenarios
from wirelens.demos.place import Loopback
from wirelens.demos.scenarios.base import ScenarioUnavailable
from wirelens.demos.scenarios.closing import close_at


@pytest.mark.live
def test_server_closes_ends_in_time_wait_on_the_server_and_the_kernel_agrees() -> None:
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


@pytest.mark.live
def test_half_close_carries_server_data_after_the_clients_fin() -> None:
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


@pytest.mark.live
def test_cli_simultaneous_close_on_loopback_says_it_needs_the_delayed_wire(
        run_cli: RunCli) -> None:
    done = run_cli("explain-demo", "simultaneous-close", "--loopback")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "issue 8" in done.stderr


@pytest.mark.live
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


def test_simultaneous_close_says_what_it_needs_before_capturing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def no_capture(*args: Any, **kwargs: Any) -> None:
        pytest.fail("a capture started for a scenario that cannot run here")

    monkeypatch.setattr("wirelens.capture.live.LiveCapture.start", no_capture)
    scenario = scenarios.get("simultaneous-close")
    assert "issue 8" in scenario.unavailable(Loopback())
    with pytest.raises(ScenarioUnavailable, match="delayed wire"):
        runner.run_scenario("simultaneous-close", Loopback())
    assert all(not scenarios.get(name).unavailable(Loopback()) for name in scenarios.names()
               if name != "simultaneous-close")


class DelayedWire(Loopback):
    wire_delay = 0.05


def test_a_place_with_a_delayed_wire_can_run_it() -> None:
    assert scenarios.get("simultaneous-close").unavailable(DelayedWire()) == ""


def test_close_at_sends_the_fin_at_the_moment_and_not_before() -> None:
    a, b = socket.socketpair()
    with a, b:
        moment = time.time() + 0.02
        close_at(moment, a)
        assert time.time() >= moment
        assert b.recv(16) == b""  # the FIN: this end reads the end of the stream
        b.send(b"still open")  # the other way is still open: a half close
        assert a.recv(16) == b"still open"
