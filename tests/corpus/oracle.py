"""What the two oracles and wirelens say of one capture file.

``tshark_frames`` asks Wireshark (tshark 4.0, one pass, as the packet list shows it) for the
value of each named display-filter field in every frame, every occurrence;
``ours`` runs ``explain-pcap`` as a user runs it, with ``--format json``, and keeps its
document, exit status and standard error. Nothing here compares: see ``compare.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
# The corpus lives beside the project (../shared/captures); a user's clone has none.
CORPUS = REPO.parent / "shared" / "captures"
EXPLAIN_PCAP = Path(sys.executable).with_name("explain-pcap")
TIMEOUT = 300  # seconds; a guard against a hang, not a speed check
# tshark joins the occurrences of a field with this; a control character no value holds.
AGGREGATOR = "\x1f"

# What every TCP story check needs of each frame, besides the fields the explanation shows.
TCP_FIELDS = (
    "tcp.stream",
    "ip.src",
    "ipv6.src",
    "ip.dst",
    "ipv6.dst",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.flags",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.len",
    "tcp.window_size_value",
    "frame.time_epoch",
    "ip.proto",
    "ipv6.nxt",
)
ANALYSIS_FIELDS = {
    "tcp.analysis.retransmission": "retransmission",
    "tcp.analysis.fast_retransmission": "fast-retransmission",
    "tcp.analysis.spurious_retransmission": "spurious-retransmission",
    "tcp.analysis.out_of_order": "out-of-order",
    "tcp.analysis.lost_segment": "lost-segment",
    "tcp.analysis.ack_lost_segment": "acked-unseen",
    "tcp.analysis.duplicate_ack": "duplicate-ack",
    "tcp.analysis.zero_window": "zero-window",
    "tcp.analysis.zero_window_probe": "zero-window-probe",
    "tcp.analysis.zero_window_probe_ack": "zero-window-probe-ack",
    "tcp.analysis.window_full": "window-full",
    "tcp.analysis.window_update": "window-update",
    "tcp.analysis.keep_alive": "keep-alive",
    "tcp.analysis.keep_alive_ack": "keep-alive-ack",
}


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        p
        for p in CORPUS.iterdir()
        if p.name.endswith((".pcap", ".pcapng", ".pcap.gz", ".pcapng.gz", ".cap"))
    )


@cache
def wireshark_fields() -> dict[str, str]:
    """Every display-filter name tshark knows, with its type (FT_UINT16, FT_ETHER ...)."""
    out = subprocess.run(
        ["tshark", "-G", "fields"], capture_output=True, text=True, check=True, timeout=TIMEOUT
    ).stdout
    names = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) > 3 and parts[0] == "F":
            names[parts[2]] = parts[3]
    return names


@dataclass(frozen=True)
class TsharkRun:
    returncode: int
    frames: list[dict[str, list[str]]]  # per frame: field -> every occurrence, as shown
    error: str


def tshark_frames(path: Path, names: Iterable[str]) -> TsharkRun:
    """Each frame's value of every named field (all occurrences), as tshark shows them."""
    wanted = sorted({n for n in names if n in wireshark_fields()} - {"frame.number"})
    cmd = [
        "tshark",
        "-n",
        "-r",
        str(path),
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        f"aggregator={AGGREGATOR}",
        "-e",
        "frame.number",
        *[x for name in wanted for x in ("-e", name)],
    ]
    done = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=TIMEOUT,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    frames = []
    for line in done.stdout.splitlines():
        number, *values = line.split("\t")
        if not number.isdigit():
            continue
        row = {
            name: value.split(AGGREGATOR)
            for name, value in zip(wanted, values, strict=False)
            if value != ""
        }
        row["frame.number"] = [number]
        frames.append(row)
    error = "\n".join(
        line
        for line in done.stderr.splitlines()
        if "Running as user" not in line and "could be dangerous" not in line
    )
    return TsharkRun(done.returncode, frames, error.strip())


@dataclass(frozen=True)
class OurRun:
    returncode: int
    document: dict[str, Any] | None
    stderr: str


def ours(path: Path, extra: Sequence[str] = ()) -> OurRun:
    """``explain-pcap --format json`` on the file, as a user runs it."""
    program = (
        [str(EXPLAIN_PCAP)]
        if EXPLAIN_PCAP.exists()
        else [
            sys.executable,
            "-c",
            "import sys; from wirelens.cli import pcap_main; sys.exit(pcap_main(sys.argv[1:]))",
        ]
    )
    done = subprocess.run(
        [*program, "--format", "json", "--lang", "en", *extra, str(path)],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=TIMEOUT,
    )
    document = None
    if done.returncode == 0 and done.stdout.strip():
        document = json.loads(done.stdout)
    return OurRun(done.returncode, document, done.stderr)


def have_tshark() -> bool:
    return shutil.which("tshark") is not None
