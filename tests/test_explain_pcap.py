"""explain-pcap's modes: overview, --conversation N, several files, --merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_tshark_anomalies import SCENARIOS, build
from wirelens import cli


@pytest.fixture()
def two(tmp_path: Path) -> list[Path]:
    return [build(tmp_path, "a", SCENARIOS["fast-retransmission"]),
            build(tmp_path, "b", SCENARIOS["refused"])]


def run(capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.pcap_main(list(args))
    out, err = capfd.readouterr()
    return code, out, err


def test_conversation_n_is_explained_packet_by_packet(capfd: pytest.CaptureFixture[str],
                                                      two: list[Path]) -> None:
    code, out, _ = run(capfd, str(two[0]), "--conversation", "1", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert len(doc["packets"]) == 16 and doc["packets"][0]["layers"]
    (conv,) = doc["conversations"]
    assert conv["number"] == 1 and conv["verdict"] == "SF"
    assert {"kind": "fast-retransmission", "packet": 12, "artefact": False} in conv["anomalies"]


def test_a_missing_conversation_is_one_line(capfd: pytest.CaptureFixture[str],
                                            two: list[Path]) -> None:
    code, _, err = run(capfd, str(two[0]), "--conversation", "7")
    assert code == 2 and "no conversation 7" in err and err.count("\n") == 1


def test_several_files_give_a_list_of_overviews(capfd: pytest.CaptureFixture[str],
                                                two: list[Path]) -> None:
    code, out, _ = run(capfd, *map(str, two), "--summary", "--format", "json")
    assert code == 0
    docs = json.loads(out)
    assert [d["conversations"][0]["verdict"] for d in docs] == ["SF", "REJ"]


def test_merge_gives_one_overview(capfd: pytest.CaptureFixture[str], two: list[Path]) -> None:
    code, out, _ = run(capfd, *map(str, two), "--merge", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["frames"] == 18 and doc["schema"] == "wirelens.overview"


def test_text_overview_names_verdicts_and_anomalies(capfd: pytest.CaptureFixture[str],
                                                    two: list[Path]) -> None:
    code, out, _ = run(capfd, str(two[0]), "--summary", "--lang", "en", "--width", "100")
    assert code == 0
    assert "verdict SF" in out and "fast-retransmission ×1: packet(s) 12" in out
    code, out, _ = run(capfd, str(two[1]), "--summary", "--lang", "zh")
    assert "结论 REJ" in out
