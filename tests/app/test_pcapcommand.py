"""pcapcommand: which reading of the files explain-pcap's command line asks for, run in
this process (``run_pcap``: no child, no dropped root)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from tests.test_tshark_anomalies import SCENARIOS, build
from wirelens import cli
from wirelens.app import pcapcommand, pcapjob
from wirelens.app.command import UsageError


def args(*argv: str) -> argparse.Namespace:
    return cli.pcap_parser().parse_args(list(argv))


@pytest.fixture()
def sixteen(tmp_path: Path) -> str:
    return str(build(tmp_path, "a", SCENARIOS["fast-retransmission"]))


@pytest.fixture()
def refused(tmp_path: Path) -> str:
    return str(build(tmp_path, "b", SCENARIOS["refused"]))


def run_json(capfd: pytest.CaptureFixture[str], *argv: str) -> object:
    assert pcapcommand.run_pcap(args(*argv, "--format", "json")) == 0
    return json.loads(capfd.readouterr().out)


@pytest.mark.parametrize(("argv", "says"), [
    ([], "no capture file given"),
    (["x.pcap", "--format", "csv"], "--format csv goes with --table"),
    (["x.pcap", "--dask", "tcp://h:8786"], "--dask goes with --table or --summary"),
    (["x.pcap", "--conversation", "0"], "conversations count from 1"),
])
def test_arguments_that_do_not_go_together_are_refused(argv: list[str], says: str) -> None:
    with pytest.raises(UsageError, match=says):
        pcapcommand.run_pcap(args(*argv))


def test_a_small_file_is_explained_packet_by_packet(capfd: pytest.CaptureFixture[str],
                                                    sixteen: str) -> None:
    doc = run_json(capfd, sixteen)
    assert isinstance(doc, dict) and len(doc["packets"]) == 16


def test_a_file_too_big_per_packet_gets_its_overview(
        capfd: pytest.CaptureFixture[str], sixteen: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pcapjob, "PER_PACKET", 15)
    doc = run_json(capfd, sixteen)
    assert isinstance(doc, dict) and doc["schema"] == "wirelens.overview"


def test_the_summary_of_several_files_is_a_list_in_their_order(
        capfd: pytest.CaptureFixture[str], sixteen: str, refused: str) -> None:
    docs = run_json(capfd, sixteen, refused, "--summary")
    assert isinstance(docs, list)
    assert [d["conversations"][0]["verdict"] for d in docs] == ["SF", "REJ"]


def test_one_conversation_of_each_file(capfd: pytest.CaptureFixture[str], sixteen: str
                                       ) -> None:
    doc = run_json(capfd, sixteen, "--conversation", "1")
    assert isinstance(doc, dict) and [c["number"] for c in doc["conversations"]] == [1]


def test_a_file_that_cannot_be_read_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"\0" * 64)
    with pytest.raises(UsageError, match="bad.pcap"):
        pcapcommand.run_pcap(args(str(bad), "--summary"))


def test_the_sample_is_a_file_like_any_other(capfd: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capfd, "--sample", "--summary")
    assert isinstance(doc, dict) and doc["conversations"]


def test_a_report_file_is_written_instead_of_stdout(capfd: pytest.CaptureFixture[str],
                                                    sixteen: str, tmp_path: Path) -> None:
    svg = tmp_path / "ladder.svg"
    assert pcapcommand.run_pcap(args(sixteen, "--svg", str(svg))) == 0
    assert svg.read_text().lstrip().startswith("<") and capfd.readouterr().out == ""


def test_report_files_take_one_capture(sixteen: str, refused: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="give one file"):
        pcapcommand.run_pcap(args(sixteen, refused, "--svg", str(tmp_path / "l.svg")))


def test_main_checks_the_outputs_before_any_work(
        capfd: pytest.CaptureFixture[str], sixteen: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def no_work(*args: object, **kwargs: object) -> int:
        pytest.fail("the work started though the outputs were bad")

    monkeypatch.setattr(pcapcommand, "unprivileged", no_work)
    monkeypatch.setattr(pcapcommand.os, "geteuid", lambda: 0)
    monkeypatch.setattr(pcapcommand, "open_for_child", lambda paths: None)
    same = str(tmp_path / "out")
    assert pcapcommand.main(args(sixteen, "--html", same, "--svg", same)) == 2
    assert "different files" in capfd.readouterr().err
