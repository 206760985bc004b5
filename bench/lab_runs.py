"""The two-host lab measured: wall time against loopback, and killed runs leaving nothing.

    sudo .venv/bin/python bench/lab_runs.py time [--runs 5]
        median wall time of `explain-demo tcp --format json` in the lab, with --ipv6, and
        with --loopback (each run a fresh process, as a user runs it)
    sudo .venv/bin/python bench/lab_runs.py kill [--runs 20] [--seed 1]
        N runs of `explain-demo tcp`; every third is killed (SIGKILL, SIGTERM or SIGINT, in
        turn) at a random moment within 0.3 s after its lab's first host appeared (building
        the lab, capturing, explaining); after each run, and at the end, nothing of any lab
        may exist: no namespace, no link, no holder process
"""

from __future__ import annotations

import argparse
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from wirelens.capture import lab

DEMO = str(Path(sys.executable).parent / "explain-demo")
GONE_WITHIN = 10.0  # seconds the kernel may take to reap a dead run's namespaces


def wall(*args: str) -> float:
    start = time.perf_counter()
    done = subprocess.run([DEMO, "tcp", "--format", "json", *args], capture_output=True,
                          timeout=120, check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"explain-demo {' '.join(args)} failed: {done.stderr.decode()}")
    return took


def timing(runs: int) -> None:
    for label, args in (("lab (IPv4)", ()), ("lab (IPv6)", ("--ipv6",)),
                        ("--loopback", ("--loopback",))):
        times = [wall(*args) for _ in range(runs)]
        print(f"{label:12} median {statistics.median(times):.3f} s  "
              f"(min {min(times):.3f}, max {max(times):.3f}, {runs} runs)")


def leftovers(owner: int) -> list[str]:
    found = [f"holder {pid}" for pid, own in lab._holders() if own == owner]
    shown = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    shown += subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    found += [f"name in ip output: wl-{owner}-" for _ in range(shown.count(f"wl-{owner}-"))]
    return found


def killing(runs: int, seed: int) -> None:
    rng = random.Random(seed)
    signals = [signal.SIGKILL, signal.SIGTERM, signal.SIGINT]
    killed = clean = 0
    for i in range(runs):
        proc = subprocess.Popen([DEMO, "tcp", "--format", "json"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        how = ""
        if i % 3 == 2:
            sig = signals[killed % len(signals)]
            while proc.poll() is None and not any(own == proc.pid for _, own in lab._holders()):
                time.sleep(0.002)  # until the lab's first host exists
            time.sleep(rng.uniform(0.0, 0.3))  # then building it, capturing, or explaining
            if proc.poll() is None:
                holders = sum(own == proc.pid for _, own in lab._holders())
                proc.send_signal(sig)
                how = f"{sig.name} ({holders} host{'s' if holders != 1 else ''} up)"
                killed += 1
        status = proc.wait(timeout=120)
        deadline = time.monotonic() + GONE_WITHIN
        while (left := leftovers(proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        clean += not left
        print(f"run {i + 1:2}: {how or 'normal':24} exit {status:4}  "
              f"{'nothing left' if not left else 'LEFT: ' + ', '.join(left)}")
    stale = [f"holder {pid}" for pid, own in lab._holders() if not lab._alive(own)]
    stale += [f"{kind} {name}" for kind, found in (("netns", lab._stale_namespaces()),
                                                   ("link", lab._stale_links()))
              for name, own in found if not lab._alive(own)]
    print(f"{runs} runs, {killed} killed, {clean} left nothing; "
          f"objects of any lab now: {stale or 'none'}")
    if clean != runs or stale:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("time", "kill"))
    parser.add_argument("--runs", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.what == "time":
        timing(args.runs or 5)
    else:
        killing(args.runs or 20, args.seed)


if __name__ == "__main__":
    main()
