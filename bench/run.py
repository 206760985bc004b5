"""Time ``explain-pcap --summary --format json`` against ``tshark -q -z conv,tcp`` on one file.

Each command runs once as a child process; its wall time comes from a monotonic clock and
its peak resident memory from ``os.wait4``'s rusage (ru_maxrss, in KiB on Linux). The
report gives both, the ratio of the wall times, and the number of TCP conversations each
tool found. A benchmark, not a test: numbers depend on the machine and its load.

    python bench/run.py /tmp/bench-1m.pcap
    python bench/run.py --generate 1000000 /tmp/bench-1m.pcap   # write the file first
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXPLAIN = Path(sys.executable).parent / "explain-pcap"


def run(cmd: list[str], out: str) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in MiB, exit status) of one child."""
    with open(out, "wb") as sink:
        start = time.monotonic()
        child = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss // 1024, child.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("--generate", type=int, metavar="N", help="first write N packets")
    parser.add_argument("--keep-output", action="store_true")
    args = parser.parse_args(argv)
    if args.generate:
        subprocess.run([sys.executable, str(HERE / "gen_capture.py"), str(args.generate),
                        args.file], check=True)
    size = os.path.getsize(args.file)
    ours_out, theirs_out = args.file + ".explain.json", args.file + ".tshark.txt"
    ours = run([str(EXPLAIN), "--summary", "--format", "json", args.file], ours_out)
    if shutil.which("tshark") is None:
        print("tshark is not installed", file=sys.stderr)
        return 1
    theirs = run(["tshark", "-q", "-z", "conv,tcp", "-r", args.file], theirs_out)
    with open(ours_out, encoding="utf-8") as fh:
        conversations = len(json.load(fh)["conversations"])
    with open(theirs_out, encoding="utf-8") as fh:
        tshark_convs = sum(1 for line in fh if "<->" in line)
    report = {
        "file": args.file,
        "bytes": size,
        "explain_pcap": {"seconds": round(ours[0], 2), "peak_rss_mib": ours[1],
                         "exit": ours[2], "conversations": conversations},
        "tshark_conv_tcp": {"seconds": round(theirs[0], 2), "peak_rss_mib": theirs[1],
                            "exit": theirs[2], "conversations": tshark_convs},
        "ratio": round(ours[0] / theirs[0], 3) if theirs[0] else None,
    }
    print(json.dumps(report, indent=2))
    if not args.keep_output:
        for path in (ours_out, theirs_out):
            os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
