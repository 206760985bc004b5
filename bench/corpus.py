"""wirelens against Wireshark and Zeek on the real-capture corpus (../shared/captures).

    .venv/bin/python bench/corpus.py [--differences] [FILE ...]

Prints, per file, what differs, then the figures: field values equal to Wireshark's, TCP
conversations equal to tcp.stream, analysis flags equal both ways, stories equal to Zeek's,
files read without a traceback. The same checks run in make test (tests/corpus/).
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.corpus.compare import check, figures  # noqa: E402
from tests.corpus.oracle import corpus_files  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--differences", action="store_true", help="list every difference")
    args = parser.parse_args()
    files = args.files or corpus_files()
    if not files:
        print("no corpus: ../shared/captures is absent", file=sys.stderr)
        return 2
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(check, files))
    for report in reports:
        if report.traceback:
            print(f"{report.name}: TRACEBACK\n{report.traceback}")
        if args.differences:
            for line in report.differences:
                print(line)
        elif report.differences:
            print(f"{report.name}: {len(report.differences)} differences")
    for line in figures(reports):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
