"""A live demo as a test drives it: started as a process of its own, read line by line
with a deadline (never a read that blocks forever), and ended however the test says."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import console_script
from wirelens.capture import lab

DEMO = str(console_script("explain-demo"))
GUARD = 90.0  # seconds: a guard against a hang, not a speed check
GONE_WITHIN = 10.0  # seconds the kernel may take to free a killed run's lab
URL = re.compile(r"http://127\.0\.0\.1:(\d+)/\?t=([0-9A-Za-z_-]+)")


class Demo:
    def __init__(self, *args: str, stdin: bool = False, scenario: str = "tcp") -> None:
        self.proc = subprocess.Popen(
            [DEMO, scenario, "--live", "--lang", "en", *args],
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            preexec_fn=_as_from_a_terminal)
        assert self.proc.stdout is not None
        self._out = self.proc.stdout.fileno()
        self._buffer = b""
        self.lines: list[str] = []

    def line(self, timeout: float = GUARD) -> str | None:
        """The next line of standard output; None at its end."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise TimeoutError(f"no line within {timeout} s; so far: {self.lines[-5:]}")
            if not select.select([self._out], [], [], wait)[0]:
                continue
            chunk = os.read(self._out, 65536)
            if not chunk:
                if not self._buffer:
                    return None
                self._buffer += b"\n"
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        text = line.decode("utf-8", "replace")
        self.lines.append(text)
        return text

    def until(self, pattern: str, timeout: float = GUARD) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            line = self.line(max(deadline - time.monotonic(), 0.01))
            if line is None:
                raise EOFError(f"ended before {pattern!r}: {self.stderr()}")
            found = re.search(pattern, line)
            if found:
                return found

    def url(self) -> tuple[str, int, str]:
        found = self.until(URL.pattern, 60)
        return found.group(0), int(found.group(1)), found.group(2)

    def press(self, key: str = "") -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(key.encode() + b"\n")
        self.proc.stdin.flush()

    def wait(self, timeout: float = GUARD) -> int:
        """The exit status, reading what is left of standard output meanwhile (the whole
        explanation comes at the end: a pipe nobody read would stop the demo)."""
        deadline = time.monotonic() + timeout
        while self.line(max(deadline - time.monotonic(), 0.01)) is not None:
            pass
        return self.proc.wait(max(deadline - time.monotonic(), 0.01))

    def stderr(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return ""
        return self.proc.stderr.read().decode("utf-8", "replace")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def _as_from_a_terminal() -> None:
    """SIGINT as a terminal's foreground job has it, even when the tests run in a job
    started in the background (which ignores it, and Python then leaves it ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def nothing_left(pid: int) -> list[str]:
    """What a run of pid left: its lab's namespaces and devices, its processes."""
    deadline = time.monotonic() + GONE_WITHIN
    while True:
        left = [name for name in lab.leftovers() if f"-{pid}-" in name]
        left += [f"process {p}" for p in _descendants_of_session(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def _descendants_of_session(sid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] != "Z":  # field 6 of stat: the session
            found.append(int(entry.name))
    return found
