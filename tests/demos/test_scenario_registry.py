"""The scenario library as data: its names, summaries in both languages, ``--list``, and
what is refused before anything runs. No root, no capture."""

from __future__ import annotations

import re

import pytest

from wirelens import cli
from wirelens.demos import runner, scenarios
from wirelens.explain.catalog import LANGUAGES, Catalog

NAMES = ("tcp", "refused", "server-closes", "half-close", "simultaneous-close", "reset",
         "zero-window", "backlog", "chat", "udp", "dns")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def test_the_library_in_its_order() -> None:
    assert scenarios.names() == NAMES
    assert all(scenarios.get(name).name == name for name in NAMES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_scenario_has_its_summary_in_both_languages(lang: str) -> None:
    cat = Catalog(lang)
    for scenario in scenarios.SCENARIOS.values():
        assert scenario.summary == f"scenario.{scenario.name}.summary"
        assert cat.has(scenario.summary), (lang, scenario.name)


def test_transports_filters_and_decoders() -> None:
    for scenario in scenarios.SCENARIOS.values():
        assert scenario.transport in ("tcp", "udp")
        if scenario.transport == "udp":
            assert scenario.bpf is not None and scenario.bpf(5353) == "udp port 5353"
        else:
            assert scenario.bpf is None  # the place's own filter for the TCP port
    assert scenarios.get("dns").decode == "dns"
    assert not scenarios.get("refused").server_listening


def test_an_unknown_name_lists_the_names() -> None:
    with pytest.raises(scenarios.UnknownScenario) as caught:
        scenarios.get("tcpp")
    assert all(name in str(caught.value) for name in NAMES)
    with pytest.raises(scenarios.UnknownScenario):
        runner.run_scenario("tcpp")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_list_prints_one_line_per_scenario(lang: str,
                                           capfd: pytest.CaptureFixture[str]) -> None:
    assert cli.demo_main(["--list", "--lang", lang]) == 0
    out, err = capfd.readouterr()
    lines = out.splitlines()
    assert err == ""
    assert [line.split()[0] for line in lines] == list(NAMES)
    assert all(len(line.split(None, 1)) == 2 for line in lines)
    assert bool(CHINESE.search(out)) == (lang == "zh")


def test_an_unknown_scenario_is_one_line_naming_them_all(
        capfd: pytest.CaptureFixture[str]) -> None:
    assert cli.demo_main(["no-such-scenario"]) == 2
    out, err = capfd.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("explain-demo: error: unknown scenario 'no-such-scenario'")
    assert all(name in err for name in NAMES)
