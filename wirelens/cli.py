"""Command-line entry points: ``explain-demo`` and ``explain-pcap``. All work happens in
library functions; this file parses arguments, reports errors in one line, and exits 2
on bad input."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from wirelens.app import reports
from wirelens.app.command import TABLE_ONLY_FORMATS, UsageError, fail, reader_gone
from wirelens.app.demojob import run_demo
from wirelens.explain.catalog import LANGUAGES


def default_language() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _common(parser: argparse.ArgumentParser, formats: Sequence[str] = ("text", "json"),
            format_help: str = "") -> None:
    parser.add_argument("--lang", choices=LANGUAGES, default=default_language(),
                        help="language of the explanation (default: from the locale)")
    parser.add_argument("--format", choices=formats, default="text",
                        help="text for people, json for programs" + format_help)
    parser.add_argument("--width", type=width_type, default=0,
                        help=f"terminal width, {MIN_WIDTH} to {MAX_WIDTH} columns "
                             "(default: detect)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--step", action="store_true",
                      help="one packet per keypress (space / arrows), for teaching live")
    mode.add_argument("--quiz", action="store_true",
                      help="before each packet, guess which one comes next; scored at the end")


MIN_WIDTH, MAX_WIDTH = 20, 1000  # columns; rich lays out every line at the width asked


def width_type(text: str) -> int:
    """``--width``: 0 (detect) or a width a terminal can have."""
    try:
        width = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if width != 0 and not MIN_WIDTH <= width <= MAX_WIDTH:
        raise argparse.ArgumentTypeError(f"{width} is not between {MIN_WIDTH} and {MAX_WIDTH}")
    return width


# ---------------------------------------------------------------- explain-demo


def demo_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="explain-demo",
                     description="Run a real TCP exchange between two virtual hosts (or on "
                                 "loopback), capture it, explain it.")
    parser.add_argument("scenario", nargs="?", default="tcp",
                        help="tcp: the exchange; arp: only the ARP who-has / is-at; "
                             "lab --cleanup: remove what a crashed run left; --list shows "
                             "the scenario library (refused, half-close, dns ...)")
    parser.add_argument("--list", action="store_true",
                        help="list the scenarios, one line each, and exit")
    _common(parser)
    parser.add_argument("--host", default=None,
                        help="run on loopback at this address (default 127.0.0.1, ::1 with "
                             "--ipv6)")
    parser.add_argument("--loopback", action="store_true",
                        help="run on loopback, not in the two-host lab")
    parser.add_argument("--ipv6", action="store_true", help="the same exchange over IPv6")
    parser.add_argument("--verbose", action="store_true",
                        help="print each command that builds the lab (on stderr)")
    parser.add_argument("--cleanup", action="store_true",
                        help="with 'lab': remove every lab object a crashed run left behind")
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument("--message", default="Hello, Server!", help="what the client sends")
    parser.add_argument("--save", metavar="FILE",
                        help="also write the capture (pcapng), the explanation in its comments")
    parser.add_argument("--no-annotate", action="store_true",
                        help="with --save: the capture and socket calls only, no explanation "
                             "in the packet comments")
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    reports.add_arguments(parser, with_force=False)
    # imported here: 57 ms saved at start-up when not needed
    from wirelens.demos import wired

    wired.add_arguments(parser)
    return parser


# Variables that make Python load code from where the user says. sudo's env_reset drops
# them already (Debian's default sudoers); a root run that still has them starts again
# isolated, so nothing imported later comes from the user's folders.
USER_CODE_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE",
                       "PYTHONINSPECT", "PYTHONBREAKPOINT")


def isolate_when_root(argv: Sequence[str] | None) -> None:
    if os.geteuid() != 0 or sys.flags.isolated or argv is not None:
        return  # argv given: called as a library (tests, notebooks), not as the program
    if not any(os.environ.get(name) for name in USER_CODE_VARIABLES):
        return
    env = {k: v for k, v in os.environ.items() if k not in USER_CODE_VARIABLES}
    os.execve(sys.executable, [sys.executable, "-I", sys.argv[0], *sys.argv[1:]], env)


def demo_main(argv: Sequence[str] | None = None) -> int:
    isolate_when_root(argv)
    # imported here: 58 ms saved at start-up when not needed
    from wirelens.demos.wired import join_negative

    args = demo_parser().parse_args(join_negative(sys.argv[1:] if argv is None else argv))

    try:
        return run_demo(args)
    except UsageError as exc:
        return fail("explain-demo", str(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return reader_gone()


# ---------------------------------------------------------------- explain-pcap


def pcap_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="explain-pcap",
                     description="Explain the TCP conversations in saved captures.")
    parser.add_argument("files", nargs="*", metavar="FILE", help="pcap or pcapng files (.gz too)")
    parser.add_argument("--sample", action="store_true",
                        help="explain the capture shipped with wirelens")
    _common(parser, (*("text", "json"), *TABLE_ONLY_FORMATS), "; csv or html with --table")
    parser.add_argument("--summary", action="store_true",
                        help="the overview only: each conversation's story, verdict and "
                             "anomalies, no per-packet layers (the default for more than "
                             "1,000 frames)")
    parser.add_argument("--conversation", type=int, metavar="N",
                        help="explain conversation N of the overview packet by packet")
    parser.add_argument("--filter", metavar="BPF",
                        help='only the frames a BPF filter keeps, as tcpdump takes it: '
                             '"tcp port 80"')
    parser.add_argument("--merge", action="store_true",
                        help="several files as one capture, frames merged in time order")
    parser.add_argument("--table", action="store_true",
                        help="one table of many captures (folders read recursively): a row "
                             "per TCP conversation, and per file without a complete "
                             "handshake; --format text, csv, json or html")
    parser.add_argument("--dask", metavar="ADDRESS",
                        help="with --table or --summary of several files: read them on this "
                             "Dask cluster (tcp://host:8786) instead of the local cores")
    parser.add_argument("--annotate", metavar="OUT",
                        help="write a pcapng copy whose packet comments hold the explanation "
                             "(Wireshark shows them: frame.comment)")
    reports.add_arguments(parser, with_force=True)
    return parser


def pcap_main(argv: Sequence[str] | None = None) -> int:
    isolate_when_root(argv)
    args = pcap_parser().parse_args(argv)
    # imported here: 73 ms saved at start-up when not needed
    from wirelens.app import pcapcommand

    return pcapcommand.main(args)
