"""Hostile and huge inputs (issue 19): what is inside a file decides how it is explained,
memory stays bounded whatever the file holds, and odd arguments or a reader that goes away
are clear errors or quiet ends, never tracebacks.

Each capture is built here and given to the real command as a separate process; the peak
memory of its whole process tree (parent and unprivileged child, summed) is sampled from
/proc and bounded, and every run's figures are printed.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import console_script
from wirelens import cli
from wirelens.app.command import sample_path
from wirelens.capture.metadata import PREFIX
from wirelens.capture.pcapfile import MAX_FRAME

PEAK_MB = 500  # the ceiling for the whole process tree
EXPLAIN = str(console_script("explain-pcap"))
ETH_IP_TCP = (b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
              + struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 1, 0, 64, 6, 0, b"\x0a\0\0\1",
                            b"\x0a\0\0\2")
              + struct.pack("!HHIIBBHHH", 40000, 80, 1, 1, 0x50, 0x10, 1000, 0, 0))
PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 0x10000000, 1)


def _record(data: bytes, length: int = -1) -> bytes:
    length = len(data) if length < 0 else length
    return struct.pack("<IIII", 1, 0, length, length) + data


def _gzip(path: Path, pieces: Iterator[bytes], level: int = 1) -> Path:
    with gzip.open(path, "wb", compresslevel=level) as out:
        for piece in pieces:
            out.write(piece)
    return path


def _tree_mb(pid: int) -> float:
    """The summed resident memory of ``pid`` and its descendants (MB)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            with open(f"/proc/{p}/status") as fh:
                total += sum(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))
        except (OSError, ValueError):
            continue
    return total / 1024


def run(*args: str, timeout: float = 300) -> tuple[int, str, str, float]:
    """(exit status, stdout, stderr, peak MB of the process tree) of ``explain-pcap``."""
    proc = subprocess.Popen([EXPLAIN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    peak = [0.0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_mb(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate(timeout=timeout)
    sampler.join()
    print(f"explain-pcap {' '.join(args)}: exit {proc.returncode}, peak {peak[0]:.0f} MB")
    return proc.returncode, out, err, peak[0]


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gzip bomb: 500,000 frames of one segment (38 MB) in well under 1 MB."""
    block = _record(ETH_IP_TCP) * 10_000
    path = tmp_path_factory.mktemp("bomb") / "bomb.pcap.gz"
    _gzip(path, iter([PCAP_HEADER, *([block] * 50)]))
    assert path.stat().st_size < 1 << 20
    return path


def test_a_gzip_bomb_is_judged_by_its_frames_not_its_size(bomb: Path, tmp_path: Path) -> None:
    code, out, _, peak = run(str(bomb))
    assert code == 0 and out.startswith("─") and "Overview of" in out.split("\n")[0]
    assert "500000 frames" in out and peak < PEAK_MB
    code, out, _, peak = run(str(bomb), "--format", "json")
    assert code == 0 and json.loads(out)["frames"] == 500_000 and peak < PEAK_MB
    code, _, err, peak = run(str(bomb), "--html", str(tmp_path / "bomb.html"))
    assert code == 2 and peak < PEAK_MB and not (tmp_path / "bomb.html").exists()
    assert err.count("\n") == 1 and "more than 1000 frames" in err
    assert "--summary" in err and "--conversation N" in err


def test_one_conversation_of_a_bomb_keeps_its_first_packets(bomb: Path) -> None:
    code, out, err, peak = run(str(bomb), "--conversation", "1", "--format", "json")
    assert code == 0 and peak < PEAK_MB
    assert len(json.loads(out)["packets"]) == 1000
    assert "conversation 1 has 500000 packets; the first 1000" in err


def test_a_huge_record_is_read_past_and_shown_cut(tmp_path: Path) -> None:
    """One 250 MiB record in a small .gz: its first 256 KiB kept, its length said, the
    page shows a few KiB of it."""
    size = 250 << 20
    zeros = bytes(1 << 20)
    pieces = [PCAP_HEADER + struct.pack("<IIII", 1, 0, size, size) + ETH_IP_TCP,
              *([zeros] * 249), zeros[: (1 << 20) - len(ETH_IP_TCP)]]
    path = _gzip(tmp_path / "huge.pcap.gz", iter(pieces), level=9)
    assert path.stat().st_size < 1 << 20
    said = f"1 frame(s) hold more than {MAX_FRAME} bytes and keep only their first " \
           f"{MAX_FRAME} (frame 1: {size} bytes)"
    code, out, err, peak = run(str(path), "--format", "json")
    assert code == 0 and peak < PEAK_MB and said in err
    doc = json.loads(out)
    assert doc["packets"][0]["length"] == MAX_FRAME and len(out) < 1 << 20
    page = tmp_path / "huge.html"
    code, _, err, peak = run(str(path), "--html", str(page))
    assert code == 0 and peak < PEAK_MB and said in err
    assert page.stat().st_size < 1 << 20 and '"hex_cut":262144' in page.read_text()
    code, out, _, peak = run(str(path), "--summary", "--format", "json")
    assert code == 0 and peak < PEAK_MB and json.loads(out)["frames"] == 1


def _block(btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


def _section(comment: str) -> bytes:
    text = comment.encode("utf-8", "surrogateescape")
    option = struct.pack("<HH", 1, len(text)) + text + b"\0" * (-len(text) % 4)
    return _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + option + bytes(4))


IDB = _block(1, struct.pack("<HHI", 1, 0, 0))


def _epb(iface: int, ts: int) -> bytes:
    return _block(6, struct.pack("<5I", iface, 0, ts, len(ETH_IP_TCP), len(ETH_IP_TCP))
                  + ETH_IP_TCP)


def test_thousands_of_sections_or_interfaces_are_read_as_any_file(tmp_path: Path) -> None:
    log = PREFIX + json.dumps([["client", "connect", 1, 2, "0", 0]])
    sections = tmp_path / "sections.pcapng"
    sections.write_bytes(b"".join(_section(log) + IDB + _epb(0, i) for i in range(5000)))
    interfaces = tmp_path / "interfaces.pcapng"
    interfaces.write_bytes(_section("many") + IDB * 20_000
                           + b"".join(_epb(i, i) for i in range(20_000)))
    for path, frames in ((sections, 5000), (interfaces, 20_000)):
        code, out, _, peak = run(str(path), "--format", "json")
        assert code == 0 and peak < PEAK_MB
        assert json.loads(out)["frames"] == frames  # the overview: more than 1000 frames
    few = tmp_path / "few.pcapng"  # 5,000 sections, 500 frames: packet by packet
    few.write_bytes(b"".join(_section(log) + IDB + (_epb(0, i) if i % 10 == 0 else b"")
                             for i in range(5000)))
    code, out, _, peak = run(str(few), "--format", "json")
    assert code == 0 and peak < PEAK_MB and len(json.loads(out)["packets"]) == 500


HOSTILE_LOGS = {
    "1e999": '[["client", "connect", 1e999, 2, "0", 0]]',
    "deep": "[" * 30_000 + "]" * 30_000,
    "unknown-side": '[["alien", "connect", 1, 2, "0", 0]]',
}


@pytest.mark.parametrize("name", HOSTILE_LOGS)
def test_a_hostile_socket_call_log_is_a_warning_and_ignored(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.pcapng"
    path.write_bytes(_section(PREFIX + HOSTILE_LOGS[name]) + IDB + _epb(0, 1))
    code, out, err, _ = run(str(path), "--format", "json")
    assert code == 0 and "Traceback" not in err
    assert "the socket-call log in the section comment is ignored" in err
    assert json.loads(out)["packets"]
    page = tmp_path / f"{name}.html"  # an unknown side once broke the page's template
    code, _, err, _ = run(str(path), "--html", str(page))
    assert code == 0 and page.exists() and "Traceback" not in err


@pytest.mark.parametrize("frames", [3, 3000], ids=["packet-by-packet", "overview"])
def test_damage_after_readable_frames_is_said_on_stderr_too(frames: int, tmp_path: Path
                                                            ) -> None:
    path = tmp_path / "cut.pcap"
    path.write_bytes(PCAP_HEADER + _record(ETH_IP_TCP) * frames + _record(ETH_IP_TCP)[:30])
    for fmt in ("json", "text"):
        code, out, err, _ = run(str(path), "--format", fmt)
        assert code == 0 and err.startswith("warning: ") and "truncated at byte" in err
        assert "the frames before it were read" in err and err.count("\n") == 1
    doc = json.loads(run(str(path), "--format", "json")[1])
    assert len(doc["packets"]) == 3 if frames == 3 else doc["frames"] == frames


# ---------------------------------------------------------------- arguments


@pytest.mark.parametrize("width", ["-5", "0x10", "1000000000000", "5"])
def test_a_width_out_of_range_is_refused(width: str,
                                         capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.pcap_main(["--sample", f"--width={width}"])
    assert stop.value.code == 2
    out, err = capfd.readouterr()
    assert out == "" and "argument --width" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv, said", [
    (["--message", "caf\udce9"], "--message is not valid UTF-8"),
    (["--message", ""], "--message is empty"),
    (["--save", "{d}/same", "--html", "{d}/same"], "need different files"),
    (["--html", "/proc/wirelens.html"], "cannot write /proc/wirelens.html"),
    (["--save", "/dev/null", "--force"], "/dev/null is not a regular file"),
], ids=["invalid-utf8", "empty", "same-file-twice", "unwritable-folder", "device-node"])
def test_demo_arguments_are_refused_before_anything_runs(
        argv: list[str], said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    def never(*_: object, **__: object) -> None:
        raise AssertionError("the demo ran")

    monkeypatch.setattr("wirelens.demos.twohost.run_scenario", never)
    assert cli.demo_main(["tcp", *(a.replace("{d}", str(tmp_path)) for a in argv)]) == 2
    out, err = capfd.readouterr()
    assert out == "" and said in err and err.count("\n") == 1
    assert ".wirelens-" not in err and list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the process


def _users() -> list[list[str]]:
    """The command as this user, and as a plain user too when this is root."""
    plain = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    return [[], plain] if os.geteuid() == 0 else [[]]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_reader_that_goes_away_ends_it_quietly(fmt: str) -> None:
    sample = sample_path()
    for user in _users():
        proc = subprocess.Popen([*user, EXPLAIN, sample, "--format", fmt],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.readline()  # | head -1
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 0, (user, err)
        assert err == "", user


@pytest.mark.live
def test_a_demo_whose_reader_goes_away_ends_quietly() -> None:
    proc = subprocess.Popen([str(console_script("explain-demo")), "tcp", "--loopback"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and err == ""


@pytest.mark.live
def test_killing_the_root_process_leaves_no_child_and_no_folder(tmp_path: Path) -> None:
    """Killed while its child reads 3 million frames (a minute's work): the child goes
    within seconds, its spool folder with it."""
    block = _record(ETH_IP_TCP) * 10_000
    bomb = _gzip(tmp_path / "bomb.pcap.gz", iter([PCAP_HEADER, *([block] * 300)]))
    with tempfile.TemporaryDirectory(prefix="killed-") as folder:
        tmp = Path(folder)
        tmp.chmod(0o1777)  # the unprivileged child (nobody) makes its spool folder here
        _kill_while_spooling(bomb, tmp)


def _kill_while_spooling(bomb: Path, tmp: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SUDO_UID", "SUDO_GID")}
    proc = subprocess.Popen([EXPLAIN, str(bomb), "--summary", "--format", "json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**env, "TMPDIR": str(tmp)})
    deadline = time.monotonic() + 120
    while not list(tmp.glob("wirelens-*")) and proc.poll() is None:
        assert time.monotonic() < deadline, "no spool folder appeared"
        time.sleep(0.01)
    with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as fh:
        children = [int(pid) for pid in fh.read().split()]
    assert children and proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 5
    while (any(_running(pid) for pid in children) or list(tmp.glob("wirelens-*"))) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in children if _running(pid)] == []
    assert list(tmp.iterdir()) == []


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False

