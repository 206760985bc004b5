"""``explain-pcap --table``: a folder of captures in one table, one row per conversation,
a row saying why for each file without a complete handshake, a row for each unreadable
file; the corpus of real captures in CSV."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from wirelens import cli
from wirelens.app import pcapjob
from wirelens.app.command import sample_path
from wirelens.app.tablejob import find_files, table_rows
from wirelens.capture.pcapfile import open_capture, write_pcapng
from wirelens.explain.records import Frame
from wirelens.overview.table import TableRow
from wirelens.render.table import COLUMNS

CORPUS = (Path(__file__).parents[2] / "../shared/captures").resolve()


def sample_frames() -> list[Frame]:
    with open_capture(sample_path()) as capture:
        return list(capture)


def write(path: Path, frames: list[Frame]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_pcapng(path, [replace(f, index=i) for i, f in enumerate(frames, 1)])
    return path


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A class's submissions: a good one, and the mistakes students make."""
    folder = tmp_path_factory.mktemp("class")
    frames = sample_frames()
    client_port = 41062  # the sample's client
    write(folder / "alice.pcapng", frames)
    write(folder / "late" / "bob.pcapng", frames[3:])  # started after the handshake
    client_only = [f for f in frames if f.data[34:36] == client_port.to_bytes(2, "big")]
    write(folder / "carol.pcapng", client_only)  # one direction only
    write(folder / "dave.pcapng", [])  # nothing captured
    (folder / "erin.txt").write_text("my capture is in the cloud\n")
    (folder / ".hidden.pcapng").write_bytes(b"not looked at")
    return folder


def by_file(rows: list[TableRow]) -> dict[str, list[TableRow]]:
    out: dict[str, list[TableRow]] = {}
    for row in rows:
        out.setdefault(Path(row.file).name, []).append(row)
    return out


def test_each_mistake_is_named(classroom: Path) -> None:
    rows = by_file(table_rows([str(classroom)], progress=False))
    assert list(rows) == ["alice.pcapng", "carol.pcapng", "dave.pcapng", "erin.txt",
                          "bob.pcapng"]  # files sorted within a folder, then its folders
    assert [r.kind for r in rows["alice.pcapng"]] == ["conversation"]
    alice = rows["alice.pcapng"][0].conversation
    assert alice is not None and (alice.handshake, alice.verdict) == ("complete", "SF")
    assert [(r.kind, r.reason) for r in rows["bob.pcapng"]] == [("file", "no-syn"),
                                                                ("conversation", "")]
    assert rows["carol.pcapng"][0].reason == "one-direction"
    assert [(r.kind, r.reason) for r in rows["dave.pcapng"]] == [("file", "empty")]
    erin = rows["erin.txt"]
    assert [(r.kind, r.reason) for r in erin] == [("error", "error")]
    assert "not a pcap or pcapng file" in erin[0].error


def test_refused_and_unanswered(tmp_path: Path) -> None:
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether

    def seg(i: int, src: str, dst: str, sport: int, dport: int, flags: str) -> Frame:
        # a RST-ACK counts only if it acknowledges the SYN (seq 0 + 1): RFC 9293 3.10.7.3
        ack = 1 if flags == "RA" else 0
        packet = Ether() / IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags=flags,
                                                      ack=ack)
        return Frame(i, 1_700_000_000 * 10**9 + i * 10**6, bytes(packet))

    write(tmp_path / "refused.pcapng", [seg(1, "10.0.0.1", "10.0.0.2", 40000, 80, "S"),
                                        seg(2, "10.0.0.2", "10.0.0.1", 80, 40000, "RA")])
    write(tmp_path / "unanswered.pcapng", [seg(1, "10.0.0.1", "10.0.0.2", 40000, 80, "S"),
                                           seg(2, "10.0.0.1", "10.0.0.2", 40000, 80, "S")])
    rows = by_file(table_rows([str(tmp_path)], progress=False))
    assert rows["refused.pcapng"][0].reason == "refused"
    assert rows["unanswered.pcapng"][0].reason == "unanswered"


def test_a_missing_file_is_a_row(classroom: Path) -> None:
    rows = table_rows([str(classroom / "alice.pcapng"), str(classroom / "nobody.pcap")],
                      progress=False)
    assert [r.kind for r in rows] == ["conversation", "error"]
    assert "No such file" in rows[1].error


def test_hidden_files_and_repeats_are_left_out(classroom: Path) -> None:
    alice = str(classroom / "alice.pcapng")
    found = find_files([str(classroom), alice])
    assert found.count(alice) == 1
    assert not any(".hidden" in f for f in found)


def run_table(capfd: pytest.CaptureFixture[str], *args: str) -> str:
    assert cli.pcap_main(["--table", *args]) == 0
    return capfd.readouterr().out


def test_csv_json_and_text_agree(classroom: Path, capfd: pytest.CaptureFixture[str]) -> None:
    table = list(csv.DictReader(io.StringIO(run_table(capfd, "--format", "csv", "--lang",
                                                      "en", str(classroom)))))
    document = json.loads(run_table(capfd, "--format", "json", "--lang", "en",
                                    str(classroom)))
    assert document["schema"] == "wirelens.table" and document["columns"] == list(COLUMNS)
    assert [r["file"] for r in table] == [r["file"] for r in document["rows"]]
    assert [r["kind"] for r in table] == [r["kind"] for r in document["rows"]]
    late = next(r for r in table if r["reason"] == "no-syn")
    assert late["why"].startswith("no SYN captured: the capture started too late")
    text = run_table(capfd, "--lang", "zh", "--width", "200", str(classroom))
    assert "没有抓到 SYN" in text


def test_bad_combinations_are_one_line(classroom: Path, capfd: pytest.CaptureFixture[str]
                                       ) -> None:
    assert cli.pcap_main(["--table", "--merge", str(classroom)]) == 2
    assert cli.pcap_main(["--format", "csv", str(classroom / "alice.pcapng")]) == 2
    assert cli.pcap_main(["--dask", "tcp://127.0.0.1:1", str(classroom / "alice.pcapng")]
                         ) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 3 and "Traceback" not in err


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the corpus {CORPUS} is not here")
def test_the_corpus_in_csv_has_a_row_per_conversation(capfd: pytest.CaptureFixture[str]
                                                      ) -> None:
    text = run_table(capfd, "--format", "csv", "--lang", "en", str(CORPUS))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(COLUMNS)
    files = find_files([str(CORPUS)])
    assert list(dict.fromkeys(r["file"] for r in rows)) == files
    for path in files:
        mine = [r for r in rows if r["file"] == path]
        try:
            expected = len(list(pcapjob.overview_file(path).conversations))
        except pcapjob.JobError:
            assert [r["kind"] for r in mine] == ["error"]
            continue
        conversations = [r for r in mine if r["kind"] == "conversation"]
        assert len(conversations) == expected, path
        assert [int(r["conversation"]) for r in conversations] == list(range(1, expected + 1))
        complete = any(r["handshake"] == "complete" for r in conversations)
        assert sum(r["kind"] == "file" for r in mine) == (0 if complete else 1), path
    named = {Path(r["file"]).name: r for r in rows if r["kind"] != "conversation"}
    assert named["tcpdump-empty.pcap"]["reason"] == "empty"
    assert named["README.md"]["kind"] == "error"
    flags = [r for r in rows if r["file"].endswith("tcpdump-print-flags.pcap")]
    assert [(r["handshake"], r["verdict"], r["closed_first"]) for r in flags] == [
        ("complete", "SF", "client")]
