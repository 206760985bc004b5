"""Driving a program through a pseudo-terminal in tests."""

from __future__ import annotations

import os
import select
import subprocess
import time


def exit_status(proc: subprocess.Popen[bytes], fd: int, limit: float = 30.0) -> int | None:
    """``proc``'s exit status once it ends, reading what it still writes meanwhile: a
    program that writes its last screen to a terminal nobody reads blocks once the
    terminal's buffer is full (on a busy machine more of the earlier pages is still
    unread by then). None if it has not ended within ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        status = proc.poll()
        if status is not None:
            return status
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                os.read(fd, 65536)
            except OSError:  # the terminal's other end closed: the program is going
                proc.wait(max(deadline - time.monotonic(), 0.1))
    return proc.poll()
