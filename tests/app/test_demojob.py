"""demojob: explain-demo's checks before a run, the lab's cleanup, the scenario list and
the lines said about where and as whom it runs. Nothing here captures: the run itself is
replaced where a test reaches it."""

from __future__ import annotations

import argparse
import os
from typing import Any

import pytest

from wirelens import cli
from wirelens.app import demojob
from wirelens.app.command import UsageError
from wirelens.capture.lab import LabError
from wirelens.demos import scenarios
from wirelens.demos.scenarios.base import ScenarioUnavailable


def args(*argv: str) -> argparse.Namespace:
    return cli.demo_parser().parse_args(list(argv))


def test_the_list_is_every_scenario_once_in_order(capfd: pytest.CaptureFixture[str]) -> None:
    assert demojob.run_demo(args("--list", "--lang", "en")) == 0
    lines = capfd.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(scenarios.names())
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)  # each has its summary


def test_an_unknown_scenario_names_the_known_ones() -> None:
    with pytest.raises(UsageError, match="choose from: .*refused.*transfer"):
        demojob.run_demo(args("nope"))


@pytest.mark.parametrize("message", ["", "\udcff"], ids=["empty", "not-utf8"])
def test_a_message_that_sends_nothing_or_is_not_text_is_refused(message: str) -> None:
    with pytest.raises(UsageError, match="--message"):
        demojob.run_demo(args("tcp", "--message", message))


@pytest.mark.parametrize("host", ["127.0.0.2", "::1"])
def test_any_loopback_address_is_a_host(host: str) -> None:
    demojob._check_loopback(host)  # no error


def test_without_capture_rights_the_sample_is_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wirelens.capture.privileges.can_capture", lambda: False)
    with pytest.raises(UsageError, match="explain-pcap --sample"):
        demojob.run_demo(args("tcp"))


@pytest.mark.parametrize(("raised", "says"), [
    (LabError("no veth"), "the tcp demo needs the two-host lab: no veth"),
    (ScenarioUnavailable("needs a delayed wire"), "needs a delayed wire"),
    (OSError("address in use"), "the demo could not run: address in use"),
])
def test_a_run_that_fails_is_one_usage_error(raised: Exception, says: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise raised

    monkeypatch.setattr("wirelens.capture.privileges.can_capture", lambda: True)
    monkeypatch.setattr("wirelens.demos.twohost.run_scenario", fail)
    with pytest.raises(UsageError, match=says):
        demojob.run_demo(args("tcp"))


def test_lab_cleanup_says_what_it_removed_and_left(monkeypatch: pytest.MonkeyPatch,
                                                   capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("wirelens.capture.lab.main_cleanup", lambda verbose: ["netns wl-a"])
    monkeypatch.setattr("wirelens.capture.lab.leftovers", lambda: ["netns wl-b"])
    assert demojob.run_lab_command(args("lab", "--cleanup")) == 0
    assert capfd.readouterr().out.splitlines() == [
        "removed netns wl-a", "left alone (its demo is still running): netns wl-b"]


def test_lab_cleanup_with_nothing_left(monkeypatch: pytest.MonkeyPatch,
                                       capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("wirelens.capture.lab.main_cleanup", lambda verbose: [])
    monkeypatch.setattr("wirelens.capture.lab.leftovers", lambda: [])
    assert demojob.run_lab_command(args("lab", "--cleanup")) == 0
    assert capfd.readouterr().out == "nothing of the lab was left behind\n"


def test_lab_cleanup_that_fails_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(verbose: bool) -> list[str]:
        raise LabError("ip: not found")

    monkeypatch.setattr("wirelens.capture.lab.main_cleanup", fail)
    with pytest.raises(UsageError, match="ip: not found"):
        demojob.run_lab_command(args("lab", "--cleanup"))


def test_where_goes_aside_as_one_line_when_stdout_is_for_a_program(
        capfd: pytest.CaptureFixture[str]) -> None:
    text = "on loopback " * 20
    demojob.say_where(text, aside=True, width=40)
    out, err = capfd.readouterr()
    assert out == "" and err.count("\n") == 1 and err.strip() == text.strip()


def test_where_is_wrapped_on_stdout_otherwise(capfd: pytest.CaptureFixture[str]) -> None:
    demojob.say_where("on loopback " * 20, aside=False, width=40)
    out, err = capfd.readouterr()
    assert err == "" and out.count("\n") > 1
    assert max(len(line) for line in out.splitlines()) <= 40


@pytest.mark.skipif(os.geteuid() != 0, reason="says the root part only when root")
def test_verbose_says_what_runs_as_root_and_what_as_the_user(
        capfd: pytest.CaptureFixture[str]) -> None:
    demojob.say_who_runs_what("en", "wl-veth0", judge_pid=4242)
    lines = capfd.readouterr().err.splitlines()
    assert lines[0].startswith(f"as root (pid {os.getpid()}): the capture on wl-veth0")
    assert "root dropped for good" in lines[1] and "(pid 4242)" in lines[1]


def test_without_a_judge_or_over_the_wire_the_user_line_differs(
        capfd: pytest.CaptureFixture[str]) -> None:
    demojob.say_who_runs_what("en", "lo")
    no_judge = capfd.readouterr().err.splitlines()[-1]
    demojob.say_who_runs_what("en", "a+b", over_wire=True)
    wire = capfd.readouterr().err.splitlines()[-1]
    assert "judge" not in no_judge and "the wire's loop" in wire
