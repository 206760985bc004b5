"""Time ``explain-pcap --summary --format json`` against ``tshark -q -z conv,tcp`` on one file.

Each command runs once as a child process; its wall time comes from a monotonic clock,
its CPU time and the peak resident memory of its biggest process from ``os.wait4``'s rusage
(ru_maxrss, in KiB on Linux), and the peak of its whole process tree's proportional set
size (shared pages split between the processes sharing them) from sampling /proc. The
report gives these, the ratio of the wall times, and the number of TCP conversations each
tool found. A benchmark, not a test: numbers depend on the machine and its load (the
report gives the load average before each run; other work on the machine slows both
tools, and the ratio less than either).

    python bench/run.py /tmp/bench-1m.pcap
    python bench/run.py --runs 5 /tmp/bench-1m.pcap   # medians of 5 runs each, alternating
    python bench/run.py --generate 1000000 /tmp/bench-1m.pcap   # write the file first
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXPLAIN = Path(sys.executable).parent / "explain-pcap"


def run(cmd: list[str], out: str) -> tuple[float, int, int, int, float]:
    """(wall seconds, peak RSS of its biggest process in MiB, exit status, peak of the whole
    process tree's proportional set size in MiB, CPU seconds of the tree) of one child."""
    with open(out, "wb") as sink:
        start = time.monotonic()
        child = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.DEVNULL)
        peak = [0]
        sampler = threading.Thread(target=_sample_tree, args=(child.pid, peak), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - start
        sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return wall, usage.ru_maxrss // 1024, child.returncode, peak[0] // 1024, cpu


def _sample_tree(pid: int, peak: list[int]) -> None:
    """Every 0.2 s, the summed Pss (KiB) of ``pid`` and its descendants (Linux /proc):
    ru_maxrss only tells the biggest process, and the overview may run several."""
    while True:
        total = 0
        alive = False
        for p in _tree(pid):
            try:
                with open(f"/proc/{p}/smaps_rollup") as fh:
                    total += sum(int(line.split()[1]) for line in fh if line.startswith("Pss:"))
                alive = True
            except OSError:
                continue
        if not alive:
            return
        peak[0] = max(peak[0], total)
        time.sleep(0.2)


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def _median(runs: list[tuple[float, int, int, int, float]]
            ) -> tuple[float, int, int, int, float]:
    """The run of median wall time (the upper one of an even count), with its other
    figures; the worst exit status and the highest memory of all runs."""
    chosen = sorted(runs)[len(runs) // 2]
    return (chosen[0], max(r[1] for r in runs), max((r[2] for r in runs), key=abs),
            max(r[3] for r in runs), chosen[4])


def _load() -> float:
    """The one-minute load average (Linux), to judge how busy the machine was."""
    with open("/proc/loadavg") as fh:
        return float(fh.read().split()[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("--generate", type=int, metavar="N", help="first write N packets")
    parser.add_argument("--keep-output", action="store_true")
    parser.add_argument("--runs", type=int, default=1,
                        help="run both this many times, alternately; the medians are reported")
    args = parser.parse_args(argv)
    if args.generate:
        subprocess.run([sys.executable, str(HERE / "gen_capture.py"), str(args.generate),
                        args.file], check=True)
    if shutil.which("tshark") is None:
        print("tshark is not installed", file=sys.stderr)
        return 1
    # Our modules compiled ahead, as an installed package's are: a checkout installed in
    # editable mode compiles a changed module again on each run when the environment says
    # PYTHONDONTWRITEBYTECODE, which would time the compiler too.
    compileall.compile_dir(str(HERE.parent / "wirelens"), quiet=1)
    size = os.path.getsize(args.file)
    ours_out, theirs_out = args.file + ".explain.json", args.file + ".tshark.txt"
    load_before: list[float] = []
    ours_runs, theirs_runs = [], []
    for _ in range(args.runs):  # one after the other, so both see the machine alike
        load_before.append(_load())
        ours_runs.append(run([str(EXPLAIN), "--summary", "--format", "json", args.file],
                             ours_out))
        load_before.append(_load())
        theirs_runs.append(run(["tshark", "-q", "-z", "conv,tcp", "-r", args.file],
                               theirs_out))
    ours, theirs = _median(ours_runs), _median(theirs_runs)
    with open(ours_out, encoding="utf-8") as fh:
        conversations = len(json.load(fh)["conversations"])
    with open(theirs_out, encoding="utf-8") as fh:
        tshark_convs = sum(1 for line in fh if "<->" in line)
    report = {
        "file": args.file,
        "bytes": size,
        "runs": args.runs,
        "explain_pcap": {"seconds": round(ours[0], 2), "cpu_seconds": round(ours[4], 2),
                         "peak_rss_mib": ours[1], "peak_pss_tree_mib": ours[3],
                         "exit": ours[2], "conversations": conversations},
        "tshark_conv_tcp": {"seconds": round(theirs[0], 2), "cpu_seconds": round(theirs[4], 2),
                            "peak_rss_mib": theirs[1], "peak_pss_tree_mib": theirs[3],
                            "exit": theirs[2], "conversations": tshark_convs},
        "ratio": round(ours[0] / theirs[0], 3) if theirs[0] else None,
        "ratios": [round(o[0] / t[0], 3) for o, t in zip(ours_runs, theirs_runs, strict=True)
                   if t[0]],
        "load_average_before": load_before,
    }
    print(json.dumps(report, indent=2))
    if not args.keep_output:
        for path in (ours_out, theirs_out):
            os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
