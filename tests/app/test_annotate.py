"""``explain-pcap FILE --annotate OUT``: the explanation in the packet comments, read back
by tshark. Frames, time stamps and old comments must be those of the input."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import RunCli
from wirelens import cli
from wirelens.app.command import sample_path
from wirelens.capture.pcapfile import open_capture, write_pcap, write_pcapng
from wirelens.explain.records import Frame

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="needs tshark")

SAMPLE = Path(sample_path())


def tshark(path: Path, *fields: str) -> list[list[str]]:
    args = ["tshark", "-r", str(path), "-T", "fields", "-E", "occurrence=a",
            "-E", "aggregator=|"]
    for name in fields:
        args += ["-e", name]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    return [line.split("\t") for line in out.splitlines()]


def frames_of(path: Path) -> list[tuple[int, bytes, int, int]]:
    with open_capture(path) as capture:
        return [(f.ts_ns, f.data, f.linktype, f.wire_len) for f in capture]


def annotate(src: Path, out: Path, *extra: str) -> int:
    return cli.pcap_main([str(src), "--annotate", str(out), *extra])


def sample_frames() -> list[Frame]:
    with open_capture(SAMPLE) as capture:
        return list(capture)


def assert_same_frames(src: Path, out: Path) -> None:
    assert frames_of(out) == frames_of(src)
    fields = ("frame.number", "frame.time_epoch", "frame.len", "frame.cap_len",
              "frame.protocols")
    assert tshark(out, *fields) == tshark(src, *fields)


def test_every_explained_frame_has_a_comment_tshark_reads(tmp_path: Path) -> None:
    out = tmp_path / "annotated.pcapng"
    assert annotate(SAMPLE, out, "--lang", "en") == 0
    assert_same_frames(SAMPLE, out)
    rows = tshark(out, "frame.number", "frame.comment")
    assert len(rows) == 10 and all(comment for _, comment in rows)
    assert rows[1][1].startswith("#1 handshake step 2/3 (SYN-ACK); client SYN_SENT → ESTABLISHED")
    assert "notes 000_" in rows[1][1] and "→ agrees" in rows[1][1]
    assert rows[7][1].startswith("#1 close step 1/4 (FIN); client ESTABLISHED → FIN_WAIT_1")
    # Wireshark can filter on them
    found = subprocess.run(["tshark", "-r", str(out), "-Y", 'frame.comment contains "FIN"',
                            "-T", "fields", "-e", "frame.number"], capture_output=True,
                           text=True, check=True, timeout=60).stdout.split()
    assert found == ["8", "9", "10"]
    # the socket-call log stays first among the section's comments, then the story
    with open_capture(out) as capture:
        assert capture.comments[0].startswith("wirelens-socket-calls ")
        assert capture.comments[1].startswith("wirelens: the story of this capture (en)")
        assert "#1 127.0.0.1:" in capture.comments[1]


def test_chinese_comments(tmp_path: Path) -> None:
    out = tmp_path / "zh.pcapng"
    assert annotate(SAMPLE, out, "--lang", "zh") == 0
    rows = tshark(out, "frame.comment")
    assert rows[0][0].startswith("#1 握手第 1/3 步（SYN）")


def test_old_comments_stay_and_are_not_repeated(tmp_path: Path) -> None:
    commented = tmp_path / "commented.pcapng"
    subprocess.run(["editcap", "-a", "2:a teacher's remark", "-a", "5:another", str(SAMPLE),
                    str(commented)], check=True, capture_output=True, timeout=60)
    out = tmp_path / "out.pcapng"
    assert annotate(commented, out, "--lang", "en") == 0
    assert_same_frames(commented, out)
    comments = [row[0].split("|") for row in tshark(out, "frame.comment")]
    assert comments[1][0] == "a teacher's remark" and len(comments[1]) == 2
    assert comments[4][0] == "another" and comments[4][1].startswith("#1 acknowledgement")
    again = tmp_path / "again.pcapng"  # the same language again adds nothing
    assert annotate(out, again, "--lang", "en") == 0
    assert tshark(again, "frame.comment") == tshark(out, "frame.comment")
    with open_capture(again) as a, open_capture(out) as b:
        assert a.comments == b.comments


@pytest.mark.parametrize("nanosecond", [True, False])
def test_pcap_becomes_pcapng_at_its_resolution(tmp_path: Path, nanosecond: bool) -> None:
    src = tmp_path / "in.pcap"
    frames = sample_frames()
    if not nanosecond:  # whole microseconds, as such a file holds
        frames = [replace(f, ts_ns=f.ts_ns // 1000 * 1000) for f in frames]
    write_pcap(src, frames, nanosecond=nanosecond)
    out = tmp_path / "out.pcapng"
    assert annotate(src, out) == 0
    assert out.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"
    assert_same_frames(src, out)
    info = subprocess.run(["capinfos", str(out)], capture_output=True, text=True,
                          timeout=60).stdout
    precision = "nanoseconds (9)" if nanosecond else "microseconds (6)"
    assert f"Time precision = {precision}" in info
    assert all(row[0] for row in tshark(out, "frame.comment"))


def test_anomalies_in_wiresharks_words(tmp_path: Path) -> None:
    frames = sample_frames()
    again = replace(frames[3], ts_ns=frames[4].ts_ns + 1_000_000)  # the data, sent again
    frames = [*frames[:5], again, *frames[5:]]
    src = tmp_path / "rtx.pcapng"
    write_pcapng(src, [replace(f, index=i) for i, f in enumerate(frames, 1)])
    out = tmp_path / "out.pcapng"
    assert annotate(src, out, "--lang", "en") == 0
    rows = tshark(out, "frame.number", "tcp.analysis.retransmission", "frame.comment")
    flagged = [row for row in rows if row[1]]
    assert [row[0] for row in flagged] == ["6"]
    assert "[TCP Spurious Retransmission]" in flagged[0][2]  # the data was ACKed already


def test_a_filter_comments_only_what_it_kept(tmp_path: Path) -> None:
    out = tmp_path / "out.pcapng"
    assert annotate(SAMPLE, out, "--filter", "tcp[tcpflags] & tcp-fin != 0") == 0
    assert_same_frames(SAMPLE, out)
    commented = [row[0] for row in tshark(out, "frame.number", "frame.comment") if row[1]]
    assert commented == ["8", "9"]


def test_never_the_input_nor_an_existing_file(tmp_path: Path,
                                               capfd: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.pcapng"
    src.write_bytes(SAMPLE.read_bytes())
    assert annotate(src, src, "--force") == 2
    assert "is the input capture" in capfd.readouterr().err
    assert src.read_bytes() == SAMPLE.read_bytes()
    out = tmp_path / "out.pcapng"
    out.write_text("mine")
    assert annotate(src, out) == 2
    assert "already exists" in capfd.readouterr().err and out.read_text() == "mine"
    assert annotate(src, out, "--force") == 0
    assert frames_of(out) == frames_of(src)


def test_not_a_capture_is_one_line(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    assert annotate(text, tmp_path / "out.pcapng") == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "not a pcap or pcapng file" in err
    assert not (tmp_path / "out.pcapng").exists()


@pytest.mark.live
def test_demo_save_writes_the_annotations(run_cli: RunCli, tmp_path: Path) -> None:
    saved, plain = tmp_path / "demo.pcapng", tmp_path / "plain.pcapng"
    done = run_cli("explain-demo", "tcp", "--loopback", "--lang", "en", "--format", "json",
                   "--save", str(saved))
    assert done.returncode == 0, done.stderr
    rows = tshark(saved, "frame.number", "frame.comment")
    assert rows and all(comment for _, comment in rows)
    assert rows[0][1].startswith("#1 handshake step 1/3 (SYN); client CLOSED → SYN_SENT")
    again = run_cli("explain-pcap", str(saved), "--format", "json", "--lang", "en")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["socket_calls"]  # the call log is still read back
    done = run_cli("explain-demo", "tcp", "--loopback", "--format", "json", "--no-annotate",
                   "--save", str(plain))
    assert done.returncode == 0, done.stderr
    assert not any(comment for _, comment in tshark(plain, "frame.number", "frame.comment"))
