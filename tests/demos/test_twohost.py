"""twohost: where a demo runs (the lab, loopback, or loopback because the lab could not be
built), what its first line and its source say, and the ARP demo. The lab is replaced by
one that fails where a test is about the fallback; the live test builds the real one."""

from __future__ import annotations

from typing import Any

import pytest

from wirelens.capture.lab import IPV4, Lab, LabError
from wirelens.demos import twohost
from wirelens.demos.place import Loopback
from wirelens.demos.runner import DemoRun
from wirelens.explain.text import msg


@pytest.fixture()
def no_lab(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Lab) -> None:
        raise LabError("this kernel has no network namespaces", "no_netns")

    monkeypatch.setattr(Lab, "start", refuse)


@pytest.fixture()
def ran_here(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """``runner.run_scenario`` replaced: records (scenario, place) and captures nothing."""
    seen: list[tuple[str, Any]] = []

    def run(name: str, place: Any, options: Any) -> DemoRun:
        seen.append((name, place))
        return DemoRun([], [], "lo", "tcp port 9", place.server_address, 9, b"", [], name)

    monkeypatch.setattr(twohost.runner, "run_scenario", run)
    return seen


@pytest.mark.parametrize(("ipv6", "host", "expected"), [
    (False, None, "127.0.0.1"), (True, None, "::1"), (False, "127.0.0.5", "127.0.0.5")])
def test_loopback_asked_for_is_loopback_at_that_host(ipv6: bool, host: str | None,
                                                      expected: str) -> None:
    with twohost.place_for(loopback=host is None, ipv6=ipv6, host=host) as (place, where, lab):
        assert place == Loopback(expected) and lab is None
        assert where == msg("lab.where_loopback", host=expected)


@pytest.mark.usefixtures("no_lab")
def test_without_the_lab_it_falls_back_to_loopback_and_says_why() -> None:
    with twohost.place_for(loopback=False, ipv6=False, host=None) as (place, where, lab):
        assert place == Loopback("127.0.0.1") and lab is None
        assert where == msg("lab.where_fallback", host="127.0.0.1",
                            reason=msg("lab.reason.no_netns",
                                       detail="this kernel has no network namespaces"))


@pytest.mark.usefixtures("no_lab")
def test_a_demo_that_needs_the_lab_gets_its_error() -> None:
    with pytest.raises(LabError, match="namespaces"), \
            twohost.place_for(loopback=False, ipv6=False, host=None, need_lab=True):
        pytest.fail("ran without the lab")


def test_arp_is_refused_on_loopback_before_anything_is_built() -> None:
    with pytest.raises(LabError, match="loopback has neither"):
        twohost.run_scenario("arp", loopback=True)
    with pytest.raises(LabError, match="loopback has neither"):
        twohost.run_scenario("arp", host="127.0.0.1")


def test_an_unknown_scenario_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="'nope'"):
        twohost.run_scenario("nope", loopback=True)


def test_tcp_on_loopback_is_described_as_a_live_capture(
        ran_here: list[tuple[str, Any]]) -> None:
    ran = twohost.run_scenario("tcp", loopback=True)
    assert ran_here == [("tcp", Loopback("127.0.0.1"))]
    assert ran.source == msg("ui.source_live", interface="lo", filter="tcp port 9")
    assert ran.where.key == "lab.where_loopback" and ran.subnets == () and ran.lab == {}


def test_a_library_scenario_is_described_by_its_summary(
        ran_here: list[tuple[str, Any]]) -> None:
    ran = twohost.run_scenario("reset", loopback=True, ipv6=True)
    assert ran_here == [("reset", Loopback("::1"))]
    assert ran.source == ran.run.source_text()


@pytest.mark.usefixtures("no_lab")
def test_the_simultaneous_close_asks_for_the_delayed_wire(
        ran_here: list[tuple[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Lab] = []
    start = Lab.start

    def record(self: Lab) -> None:
        built.append(self)
        start(self)

    monkeypatch.setattr(Lab, "start", record)
    twohost.run_scenario("simultaneous-close")
    (lab,) = built
    assert lab.link == "wire" and lab.wire is not None
    assert ran_here[0][1] == Loopback("127.0.0.1")  # the fake lab failed: loopback


@pytest.mark.live
def test_the_arp_demo_in_the_lab_is_the_question_and_the_answer() -> None:
    ran = twohost.run_scenario("arp")
    assert ran.subnets == (IPV4.network,) and ran.lab
    assert ran.where.key == "lab.where_lab" and ran.source.key == "lab.arp_trigger"
    assert ran.run.port == twohost.ARP_PORT and ran.run.calls == []
    assert len(ran.run.frames) == 2  # who-has and is-at, nothing else
