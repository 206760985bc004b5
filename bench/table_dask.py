"""Files per second of ``explain-pcap --table`` over a folder: on a Dask ``LocalCluster`` of
1 and of 2 workers (one thread each), and on the local process pool, for comparison.

Each configuration reads the folder once to warm up (imports, the page cache), then
``--runs`` times; the report gives every run's rate and the median. The table is built as
``explain-pcap --table`` builds it (``tablejob.table_rows``), without rendering. A
benchmark, not a test: the numbers depend on the machine and its load (the load average is
printed before each configuration).

    python bench/table_dask.py ../shared/captures
    python bench/table_dask.py --runs 7 --workers 1 2 ../shared/captures
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from wirelens.app.tablejob import find_files, table_rows


def rates(folder: str, runs: int, dask: str | None) -> list[float]:
    files = len(find_files([folder]))
    table_rows([folder], dask=dask, progress=False)  # warm up
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        table_rows([folder], dask=dask, progress=False)
        out.append(files / (time.perf_counter() - start))
    return out


def report(label: str, found: list[float]) -> None:
    shown = ", ".join(f"{r:.0f}" for r in found)
    print(f"{label}: median {statistics.median(found):.0f} files/s ({shown})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    from distributed import LocalCluster

    print(f"{len(find_files([args.folder]))} files in {args.folder}; "
          f"{os.cpu_count()} cores")
    for n in args.workers:
        print(f"load average {os.getloadavg()[0]:.2f}")
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          dashboard_address=None, silence_logs=40) as cluster:
            report(f"dask, {n} worker(s)", rates(args.folder, args.runs,
                                                 cluster.scheduler_address))
    print(f"load average {os.getloadavg()[0]:.2f}")
    report(f"local pool, {os.cpu_count()} processes", rates(args.folder, args.runs, None))


if __name__ == "__main__":
    main()
