"""Peak memory (whole process tree) and time of explain-pcap on hostile inputs.

Builds each hostile class of issue 19 in a folder, then runs ``explain-pcap`` on it in a
few modes (the default, ``--format json``, ``--html``, ``--summary --format json``,
``--conversation 1 --format json``) and
reports, per run: the wall time, the exit status, and the peak of the summed proportional
set size of the whole process tree (sampled from /proc every 50 ms). A run that passes
``--max-mb`` or ``--max-s`` is killed and reported as such (">").

    python bench/hostile.py                           # this checkout's explain-pcap
    python bench/hostile.py --explain /work/main/.venv/bin/explain-pcap   # another one

The classes: a gzip bomb (4 million frames of one segment, ~300 MB in ~300 KB), a single
250 MiB record in a small .gz, millions of tiny frames (5 million 1-byte frames, gzip) and
a 1 MiB file of tiny frames, 5,000 pcapng sections each with its comment, and one section
of 50,000 interfaces.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from run import _tree  # bench/ is the script's folder: the process-tree walk run.py uses

ETH_IP_TCP = (b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
              + struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 1, 0, 64, 6, 0,
                            b"\x0a\0\0\1", b"\x0a\0\0\2")
              + struct.pack("!HHIIBBHHH", 40000, 80, 1, 1, 0x50, 0x10, 1000, 0, 0))
PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 0x10000000, 1)


def _record(data: bytes, ts: int = 1) -> bytes:
    return struct.pack("<IIII", ts, 0, len(data), len(data)) + data


def _gzip(path: Path, pieces: Iterator[bytes]) -> None:
    with gzip.open(path, "wb", compresslevel=9) as out:
        for piece in pieces:
            out.write(piece)


def bomb(path: Path, frames: int = 4_000_000) -> None:
    block = _record(ETH_IP_TCP) * 10_000

    def pieces() -> Iterator[bytes]:
        yield PCAP_HEADER
        for _ in range(frames // 10_000):
            yield block
    _gzip(path, pieces())


def huge_record(path: Path, size: int = 250 << 20) -> None:
    def pieces() -> Iterator[bytes]:
        yield PCAP_HEADER + struct.pack("<IIII", 1, 0, size, size) + ETH_IP_TCP
        left = size - len(ETH_IP_TCP)
        zeros = bytes(1 << 20)
        while left > 0:
            yield zeros[:left]
            left -= len(zeros)
    _gzip(path, pieces())


def tiny_frames(path: Path, frames: int = 5_000_000) -> None:
    block = _record(b"\x02") * 10_000

    def pieces() -> Iterator[bytes]:
        yield PCAP_HEADER
        for _ in range(frames // 10_000):
            yield block
    _gzip(path, pieces())


def tiny_mib(path: Path) -> None:
    count = ((1 << 20) - 24) // 17
    path.write_bytes(PCAP_HEADER + _record(b"\x02") * count)


def _block(btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


def _shb(comment: bytes) -> bytes:
    option = struct.pack("<HH", 1, len(comment)) + comment + b"\0" * (-len(comment) % 4)
    return _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + option
                  + b"\0\0\0\0")


def _idb() -> bytes:
    return _block(1, struct.pack("<HHI", 1, 0, 0))


def _epb(iface: int, ts: int, data: bytes) -> bytes:
    return _block(6, struct.pack("<5I", iface, 0, ts, len(data), len(data)) + data)


def sections(path: Path, count: int = 5_000) -> None:
    comment = b'wirelens-socket-calls [["client", "connect", 1, 2, "0", 0]]'
    with open(path, "wb") as out:
        for i in range(count):
            out.write(_shb(comment) + _idb() + _epb(0, i, ETH_IP_TCP))


def interfaces(path: Path, count: int = 50_000) -> None:
    with open(path, "wb") as out:
        out.write(_shb(b"interfaces") + _idb() * count)
        for i in range(count):
            out.write(_epb(i, i, ETH_IP_TCP))


CLASSES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "gzip-bomb": ("bomb.pcap.gz", bomb),
    "huge-record": ("huge-record.pcap.gz", huge_record),
    "tiny-frames-5M": ("tiny-5m.pcap.gz", tiny_frames),
    "tiny-frames-1MiB": ("tiny-1mib.pcap", tiny_mib),
    "sections-5000": ("sections.pcapng", sections),
    "interfaces-50000": ("interfaces.pcapng", interfaces),
}
MODES = {"default": [], "json": ["--format", "json"], "html": ["--html", "{out}", "--force"],
         "summary-json": ["--summary", "--format", "json"],
         "conversation": ["--conversation", "1", "--format", "json"]}


def _pss_kib(pids: list[int]) -> int:
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                total += sum(int(line.split()[1]) for line in fh if line.startswith("Pss:"))
        except (OSError, ValueError, IndexError):
            continue
    return total


def measure(cmd: list[str], max_mb: int, max_s: float) -> dict[str, object]:
    """Wall time, exit status, peak tree PSS (MiB) of one run; killed past the caps."""
    start = time.monotonic()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True)
    peak, killed = [0], [""]

    def sample() -> None:
        while child.poll() is None:
            pids = _tree(child.pid)
            peak[0] = max(peak[0], _pss_kib(pids))
            over = ("memory" if peak[0] > max_mb * 1024
                    else "time" if time.monotonic() - start > max_s else "")
            if over and not killed[0]:
                killed[0] = over
                for p in pids:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = child.communicate()
    sampler.join()
    wall = time.monotonic() - start
    lines = err.decode("utf-8", "replace").strip().splitlines()
    return {"seconds": round(wall, 1), "peak_mib": peak[0] // 1024, "exit": child.returncode,
            "killed": killed[0], "stderr": lines[-1][:160] if lines else ""}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--explain", default=str(Path(sys.executable).parent / "explain-pcap"))
    parser.add_argument("--folder", default="/tmp/wirelens-hostile-bench")
    parser.add_argument("--classes", default=",".join(CLASSES))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--max-mb", type=int, default=3000)
    parser.add_argument("--max-s", type=float, default=90)
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    for name in args.classes.split(","):
        filename, build = CLASSES[name]
        path = folder / filename
        if not path.exists():
            build(path)
        for mode in args.modes.split(","):
            extra = [a.replace("{out}", str(folder / f"{name}.html")) for a in MODES[mode]]
            got = measure([args.explain, str(path), *extra], args.max_mb, args.max_s)
            row = {"class": name, "mode": mode, "file_bytes": path.stat().st_size, **got}
            results.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
