"""pcapjob: a capture file read as an overview, packet by packet, or one conversation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scapy.layers.inet import TCP
from scapy.packet import Packet

from tests.test_tshark_anomalies import SCENARIOS, build
from wirelens.app import pcapjob
from wirelens.render.json import dumps

QUIET = pcapjob.Options(progress=False)


@pytest.fixture()
def sixteen(tmp_path: Path) -> str:
    """One conversation of 16 frames (a fast retransmission in it)."""
    return str(build(tmp_path, "a", SCENARIOS["fast-retransmission"]))


def _other_client_port(packet: Packet) -> Packet:
    tcp = packet[TCP]
    tcp.sport, tcp.dport = (41000 if port == 40000 else port for port in (tcp.sport, tcp.dport))
    return packet


@pytest.fixture()
def refused(tmp_path: Path) -> str:
    """A SYN answered by a RST, 2 frames, from another client port, starting at the same
    instant as ``sixteen``."""
    return str(build(tmp_path, "b", SCENARIOS["refused"], wrap=_other_client_port))


def test_a_filter_keeps_frames_and_says_how_many(sixteen: str) -> None:
    ov = pcapjob.overview_file(sixteen, pcapjob.Options(bpf="tcp[13] & 2 != 0",
                                                        progress=False))
    assert ov.frames == 2  # the SYN and the SYN-ACK
    (said,) = [w for w in ov.warnings if w.key == "overview.warning.filter"]
    assert (said.params["kept"], said.params["frames"]) == (2, 16)


def test_a_bad_filter_is_a_job_error(sixteen: str) -> None:
    with pytest.raises(pcapjob.JobError):
        pcapjob.overview_file(sixteen, pcapjob.Options(bpf="tcp port", progress=False))


@pytest.mark.parametrize("fast", [True, False])
def test_a_file_that_is_not_a_capture_is_a_job_error(tmp_path: Path, fast: bool) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a capture\n" * 10)
    with pytest.raises(pcapjob.JobError, match="notes.txt"):
        pcapjob.overview_file(str(text), pcapjob.Options(progress=False, fast=fast))


def test_the_walk_and_the_dissector_give_the_same_overview(sixteen: str) -> None:
    fast = pcapjob.overview_file(sixteen, QUIET)
    slow = pcapjob.overview_file(sixteen, pcapjob.Options(progress=False, fast=False))
    json_options = pcapjob.Options(fmt="json")
    assert pcapjob.render_overview(fast, json_options) == pcapjob.render_overview(
        slow, json_options)


def test_merged_files_are_one_capture_numbered_anew(sixteen: str, refused: str) -> None:
    ov = pcapjob.merged_overview([sixteen, refused])
    assert ov.source == f"{sixteen} + {refused}"
    assert ov.frames == 18
    # Both files start at the same instant: at each instant the first file's frame comes
    # first, so the refused SYN is frame 2 and its RST frame 4.
    first, second = ov.conversations
    assert (first.first_packet, first.packet_count) == (1, 16)
    assert (second.first_packet, second.packet_count, second.verdict) == (2, 2, "REJ")


def test_render_overview_gives_json_or_text(sixteen: str) -> None:
    ov = pcapjob.overview_file(sixteen, QUIET)
    doc = json.loads(pcapjob.render_overview(ov, pcapjob.Options(fmt="json")))
    assert doc["schema"] == "wirelens.overview" and doc["frames"] == 16
    text = pcapjob.render_overview(ov, pcapjob.Options(lang="en", width=100))
    assert "verdict SF" in text


def test_write_overview_hands_json_in_pieces_and_the_warnings(sixteen: str) -> None:
    pieces: list[str] = []
    told: list[object] = []
    options = pcapjob.Options(fmt="json", progress=False)
    pcapjob.write_overview(sixteen, options, pieces.append, told=told.append)
    doc = json.loads("".join(pieces))
    assert doc["frames"] == 16 and told  # told once, even with no warning to tell


def test_write_overview_as_text_is_render_overview(sixteen: str) -> None:
    pieces: list[str] = []
    options = pcapjob.Options(lang="en", width=100, progress=False)
    pcapjob.write_overview(sixteen, options, pieces.append)
    assert pieces == [pcapjob.render_overview(pcapjob.overview_file(sixteen, options),
                                              options)]


def test_flushing_hands_on_a_megabyte_at_a_time() -> None:
    sunk: list[str] = []
    out = pcapjob._Flushing(sunk.append)
    out.write("x" * 1000)
    assert sunk == []  # kept until there is a megabyte
    out.write("y" * (1 << 20))
    assert len(sunk) == 1 and len(sunk[0]) == 1000 + (1 << 20)
    out.write("z")
    out.drain()
    assert sunk[-1] == "z"


def test_render_overviews_keeps_the_order_and_reports_a_bad_file(
        sixteen: str, refused: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"\0" * 64)
    options = pcapjob.Options(fmt="json", progress=False)
    got = list(pcapjob.render_overviews([sixteen, str(bad), refused], options))
    assert [path for path, _, _ in got] == [sixteen, str(bad), refused]
    assert got[0][2] == "" and json.loads(got[0][1])["frames"] == 16
    assert got[1][1] == "" and got[1][2]
    assert json.loads(got[2][1])["conversations"][0]["verdict"] == "REJ"


def test_what_fits_per_packet_is_counted_in_frames(
        sixteen: str, refused: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pcapjob, "PER_PACKET", 15)
    assert not pcapjob.fits_per_packet(sixteen)
    assert pcapjob.fits_per_packet(refused)
    # what the filter keeps is what counts
    assert pcapjob.fits_per_packet(sixteen, pcapjob.Options(bpf="tcp[13] & 2 != 0"))


def test_a_file_that_cannot_be_read_is_left_to_explain_small(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.pcap")
    assert pcapjob.fits_per_packet(missing)
    with pytest.raises(pcapjob.JobError):
        pcapjob.explain_small(missing)


def test_explain_small_explains_every_frame_or_refuses(
        sixteen: str, monkeypatch: pytest.MonkeyPatch) -> None:
    exp = pcapjob.explain_small(sixteen)
    assert [p.index for p in exp.packets] == list(range(1, 17))
    monkeypatch.setattr(pcapjob, "PER_PACKET", 15)
    with pytest.raises(pcapjob.TooBig, match="--conversation N"):
        pcapjob.explain_small(sixteen)


def test_explain_small_says_the_filter_in_its_warnings(sixteen: str) -> None:
    exp = pcapjob.explain_small(sixteen, pcapjob.Options(bpf="tcp[13] & 2 != 0"))
    assert len(exp.packets) == 2
    (said,) = [w for w in exp.warnings if w.key == "overview.warning.filter"]
    assert (said.params["kept"], said.params["frames"]) == (2, 16)


def test_a_conversation_is_followed_and_a_missing_one_named(sixteen: str) -> None:
    exp = pcapjob.explain_conversation(sixteen, 1)
    assert len(exp.packets) == 16 and exp.conversations[0].number == 1
    with pytest.raises(pcapjob.JobError, match="no conversation 2 .the capture has 1."):
        pcapjob.explain_conversation(sixteen, 2)


@pytest.mark.parametrize("big_file", [0, 1 << 62])
def test_a_long_conversation_keeps_its_first_packets_and_says_so(
        sixteen: str, big_file: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether found from the overview (a big file) or followed frame by frame."""
    monkeypatch.setattr(pcapjob, "BIG_FILE", big_file)
    monkeypatch.setattr(pcapjob, "PER_PACKET", 4)
    exp = pcapjob.explain_conversation(sixteen, 1)
    assert [p.index for p in exp.packets] == [1, 2, 3, 4]
    texts = [w.params.get("text", "") for w in exp.warnings if w.key == "warning.file"]
    assert any("has 16 packets; the first 4 are explained" in t for t in texts)


def test_a_big_files_conversation_is_found_from_its_overview(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From a big file, ``--conversation N`` takes conversation N's frames from the
    overview's columns rather than following every conversation frame by frame: the same
    explanation where the two agree (a capture without 10 s of quiet), and otherwise the
    overview's own conversation N (frames of both IP versions, ports used again, ended
    conversations forgotten after their quiet time, as the overview forgets them)."""
    from tests.app.test_fastread import _gen_capture
    from tests.capture.chaos import chaos

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
