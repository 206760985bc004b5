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


def test_a_big_files_conversation_is_found_from_its_overview(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From a big file, ``--conversation N`` takes conversation N's frames from the
    overview's columns rather than following every conversation frame by frame: the same
    explanation where the two agree (a capture without 10 s of quiet), and otherwise the
    overview's own conversation N (frames of both IP versions, ports used again, ended
    conversations forgotten after their quiet time, as the overview forgets them)."""
    from tests.app.test_fastread import _gen_capture
    from tests.capture.chaos import chaos
    from wirelens.app import pcapjob
    from wirelens.render.json import dumps

    textbook = tmp_path / "textbook.pcap"
    _gen_capture().generate(str(textbook), 6000, 8, 100)
    odd = chaos(tmp_path / "chaos.pcap", 6000, 14)
    for path in (textbook, odd):
        overview = pcapjob.overview_file(str(path), pcapjob.Options(progress=False))
        count = len(overview.conversations)
        assert count > 50
        v6 = [s.number for s in overview.conversations if s.client.startswith("[")]
        assert (path == textbook) != bool(v6)
        for number in (1, 2, count // 3, count // 2, count - 1, count, *v6[:3]):
            monkeypatch.setattr(pcapjob, "BIG_FILE", 0)
            got = pcapjob.explain_conversation(str(path), number)
            if path == textbook:
                monkeypatch.setattr(pcapjob, "BIG_FILE", 1 << 62)
                followed = pcapjob.explain_conversation(str(path), number)
                assert dumps(got, "en") == dumps(followed, "en"), number
            doc = json.loads(dumps(got, "en"))
            summary = next(s for s in overview.conversations if s.number == number)
            assert len(doc["packets"]) == summary.packet_count, number
            assert doc["packets"][0]["index"] == summary.first_packet, number
            assert {doc["endpoints"]["client"], doc["endpoints"]["server"]} == {
                summary.client, summary.server}, number
        monkeypatch.setattr(pcapjob, "BIG_FILE", 0)
        with pytest.raises(pcapjob.JobError, match=f"the capture has {count}"):
            pcapjob.explain_conversation(str(path), count + 1)
