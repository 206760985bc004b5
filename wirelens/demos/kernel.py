"""Asks a side's kernel for its TCP sockets on the demo's port: ``ss -tan``, no shell.

The server's sockets are the ones whose local port is the demo's port, the client's the
ones whose peer port is; each side is asked inside its own network (``place.enter``), so
in the two-host lab each kernel speaks for its own host. The lines become frozen
``KernelSnapshot`` records, which the explainer compares with the states it inferred.
"""

from __future__ import annotations

import shutil
import subprocess
import time

from wirelens.demos.place import Place
from wirelens.explain.records import KernelSnapshot, KernelSocket

SS_TIMEOUT = 5.0  # seconds; ss answers in milliseconds


class KernelUnavailable(RuntimeError):
    """ss is missing or failed: the demo goes on without the kernel's word."""


def ss_command(side: str, port: int) -> list[str]:
    """The argument list: -H no header, -t TCP, -a every state, -n numbers, then the filter."""
    own = "sport" if side == "server" else "dport"
    return ["-H", "-t", "-a", "-n", own, "=", f":{port}"]


def parse(text: str) -> tuple[KernelSocket, ...]:
    """``State Recv-Q Send-Q Local:Port Peer:Port`` lines; anything else is skipped."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 5 or not parts[1].isdigit() or not parts[2].isdigit():
            continue
        out.append(KernelSocket(parts[0], parts[3], parts[4], int(parts[1]), int(parts[2])))
    return tuple(out)


def ask(place: Place, side: str, port: int, label: str) -> KernelSnapshot:
    ss = shutil.which("ss")
    if ss is None:
        raise KernelUnavailable("ss (iproute2) is not installed")
    with place.enter(side):
        ts_ns = time.time_ns()
        try:
            done = subprocess.run([ss, *ss_command(side, port)], capture_output=True,
                                  text=True, timeout=SS_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise KernelUnavailable(f"ss failed: {exc}") from exc
    if done.returncode != 0:
        raise KernelUnavailable(f"ss failed: {done.stderr.strip() or done.returncode}")
    return KernelSnapshot(label, side, ts_ns, parse(done.stdout))
