"""--step and --quiz driven through a pseudo-terminal, as a student's keyboard would."""

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.terminal import exit_status

EXPLAIN_PCAP = str(Path(sys.executable).parent / "explain-pcap")


def read_until(fd: int, needle: bytes, limit: float = 20.0) -> bytes:
    out = b""
    deadline = time.monotonic() + limit
    while needle not in out and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    return out


def spawn(*args: str) -> tuple[subprocess.Popen[bytes], int]:
    controller, terminal = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "LINES": "40", "TERM": "xterm"}
    proc = subprocess.Popen([EXPLAIN_PCAP, "--sample", "--lang", "en", *args], stdin=terminal,
                            stdout=terminal, stderr=terminal, env=env, close_fds=True)
    os.close(terminal)
    return proc, controller


def test_step_mode_moves_with_keys():
    proc, fd = spawn("--step")
    try:
        assert b"1 / 10" in read_until(fd, b"1 / 10")
        os.write(fd, b" ")
        assert b"2 / 10" in read_until(fd, b"2 / 10")
        os.write(fd, b"\x1b[F")  # End
        assert b"10 / 10" in read_until(fd, b"10 / 10")
        os.write(fd, b"\x1b[D")  # Left
        assert b"9 / 10" in read_until(fd, b"9 / 10")
        os.write(fd, b"q")
        assert exit_status(proc, fd) == 0
    finally:
        proc.kill()
        os.close(fd)


def test_quiz_scores_the_answers():
    proc, fd = spawn("--quiz")
    try:
        for _ in range(10):
            read_until(fd, b"Press 1-4")
            os.write(fd, b"1")
        assert b"Score:" in read_until(fd, b"Score:")
        assert exit_status(proc, fd) == 0
    finally:
        proc.kill()
        os.close(fd)


def test_without_a_terminal_step_prints_the_full_listing():
    done = subprocess.run([EXPLAIN_PCAP, "--sample", "--lang", "en", "--step"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "Packet 10" in done.stdout


@pytest.mark.live
def test_step_over_the_wire_ends_on_what_the_wire_did():
    controller, terminal = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "LINES": "40", "TERM": "xterm"}
    demo = str(Path(sys.executable).parent / "explain-demo")
    proc = subprocess.Popen([demo, "tcp", "--loss", "1", "--step", "--lang", "en"],
                            stdin=terminal, stdout=terminal, stderr=terminal, env=env,
                            close_fds=True)
    os.close(terminal)
    try:
        first = read_until(controller, b" / ", 60)
        pages = int(re.search(rb"1 / (\d+)", first).group(1))  # type: ignore[union-attr]
        os.write(controller, b"\x1b[F")  # End: the page after the last packet
        last = read_until(controller, b"The wire's log")
        assert f"{pages} / {pages}".encode() in last and b"dropped" in last
        os.write(controller, b"\x1b[D")  # Left: the last packet, with where it was seen
        assert f"{pages - 1} / {pages}".encode() in read_until(controller, b"both ends")
        os.write(controller, b"q")
        assert exit_status(proc, controller) == 0
    finally:
        proc.kill()
        os.close(controller)
