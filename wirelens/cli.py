"""Command-line entry points: ``explain-demo`` and ``explain-pcap``. All work happens in
library functions; this file parses arguments, reports errors in one line, and exits 2
on bad input."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import resources
from typing import NoReturn

from rich.console import Console

from wirelens.explain.catalog import LANGUAGES
from wirelens.explain.model import Explanation

SCENARIOS = ("tcp",)
SAMPLE = "tcp-demo.pcapng"


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


def default_language() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=LANGUAGES, default=default_language(),
                        help="language of the explanation (default: from the locale)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text for people, json for programs")
    parser.add_argument("--width", type=int, default=0, help="terminal width (default: detect)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--step", action="store_true",
                      help="one packet per keypress (space / arrows), for teaching live")
    mode.add_argument("--quiz", action="store_true",
                      help="before each packet, guess which one comes next; scored at the end")


def sample_path() -> str:
    return str(resources.files("wirelens").joinpath("samples", SAMPLE))


def emit(exp: Explanation, fmt: str, lang: str, width: int, mode: str = "") -> None:
    if fmt == "json":
        from wirelens.render.json import dumps

        text = dumps(exp, lang)
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:
            sys.stdout.write(text)
        else:  # JSON is UTF-8 whatever the terminal's locale says
            sys.stdout.flush()
            buffer.write(text.encode("utf-8"))
            buffer.flush()
        return
    from wirelens.render.terminal import render

    if hasattr(sys.stdout, "reconfigure"):  # a non-UTF-8 locale shows "?" rather than crash
        sys.stdout.reconfigure(errors="replace")
    console = Console(width=width or None, highlight=False)
    if mode in ("step", "quiz"):
        from wirelens import interactive

        (interactive.step if mode == "step" else interactive.quiz)(exp, console, lang)
        return
    render(exp, console, lang)


def mode_of(args: argparse.Namespace) -> str:
    return "step" if args.step else "quiz" if args.quiz else ""


def _fail(prog: str, message: str) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2


# ---------------------------------------------------------------- explain-demo


def demo_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="explain-demo",
                     description="Run a real TCP exchange on loopback, capture it, explain it.")
    parser.add_argument("scenario", nargs="?", default="tcp", help="the exchange to run: tcp")
    _common(parser)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to use")
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument("--message", default="Hello, Server!", help="what the client sends")
    parser.add_argument("--save", metavar="FILE", help="also write the capture (pcapng)")
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    return parser


def _check_loopback(host: str) -> None:
    import ipaddress

    try:
        address = ipaddress.ip_address(host)
    except ValueError as exc:
        raise UsageError(f"--host {host!r} is not an IP address") from exc
    if not address.is_loopback:
        raise UsageError(f"--host {host} is not a loopback address (127.0.0.0/8 or ::1)")


def run_demo(args: argparse.Namespace) -> int:
    from wirelens.capture.privileges import NOT_PERMITTED, can_capture
    from wirelens.files import OutputError, check_target

    if args.scenario not in SCENARIOS:
        raise UsageError(f"unknown scenario {args.scenario!r}; choose from: "
                         + ", ".join(SCENARIOS))
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not between 0 and 65535")
    _check_loopback(args.host)
    if args.save:
        try:
            check_target(args.save, force=args.force)
        except OutputError as exc:
            raise UsageError(str(exc)) from exc
    if not can_capture():
        raise UsageError(f"{NOT_PERMITTED}. Without root: explain-pcap --sample "
                         f"({sample_path()})")

    from wirelens.capture.live import CaptureStartError
    from wirelens.demos.runner import run_tcp_demo
    from wirelens.demos.tcp import DemoError
    from wirelens.explain.explainer import explain

    try:
        run = run_tcp_demo(args.host, args.port, args.message)
    except (CaptureStartError, DemoError, OSError) as exc:
        raise UsageError(f"the demo could not run: {exc}") from exc
    from wirelens.explain.text import msg

    exp = explain(run.frames, socket_calls=run.calls,
                  source=f"live capture on {run.interface}, filter \"{run.bpf}\"",
                  source_text=msg("ui.source_live", interface=run.interface, filter=run.bpf))
    if run.warnings:
        from dataclasses import replace

        exp = replace(exp, warnings=tuple(run.warnings) + exp.warnings)
    if args.save:
        _save(args.save, run.frames, run.calls, args.force)
    emit(exp, args.format, args.lang, args.width, mode_of(args))
    return 0


def _save(path: str, frames: Sequence[object], calls: Sequence[object], force: bool) -> None:
    from wirelens.capture.metadata import calls_comment
    from wirelens.capture.pcapfile import write_pcapng
    from wirelens.files import OutputError, write_atomically

    try:
        write_atomically(
            path,
            lambda out: write_pcapng(out, frames, comment=calls_comment(calls)),  # type: ignore[arg-type]
            force=force,
        )
    except (OutputError, OSError) as exc:
        raise UsageError(f"cannot write {path}: {exc}") from exc
    print(f"saved {len(frames)} packets to {path}", file=sys.stderr)


def demo_main(argv: Sequence[str] | None = None) -> int:
    args = demo_parser().parse_args(argv)
    try:
        return run_demo(args)
    except UsageError as exc:
        return _fail("explain-demo", str(exc))
    except KeyboardInterrupt:
        return 130


# ---------------------------------------------------------------- explain-pcap


def pcap_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="explain-pcap",
                     description="Explain the TCP conversations in saved captures.")
    parser.add_argument("files", nargs="*", metavar="FILE", help="pcap or pcapng files (.gz too)")
    parser.add_argument("--sample", action="store_true",
                        help="explain the capture shipped with wirelens")
    _common(parser)
    return parser


def explain_file(path: str) -> Explanation:
    from wirelens.capture.metadata import calls_from_comments
    from wirelens.capture.pcapfile import CaptureError, open_capture
    from wirelens.explain.explainer import explain
    from wirelens.explain.text import msg

    try:
        with open_capture(path) as capture:
            frames = list(capture)
            calls = calls_from_comments(capture.comments)
            file_warnings = list(capture.warnings)
    except CaptureError as exc:
        raise UsageError(str(exc)) from exc
    if not frames and file_warnings:
        raise UsageError(file_warnings[0])
    exp = explain(frames, socket_calls=calls, source=f"capture file {path}",
                  source_text=msg("ui.source_file", path=path))
    if file_warnings:
        from dataclasses import replace

        extra = tuple(msg("warning.file", text=w) for w in file_warnings)
        exp = replace(exp, warnings=extra + exp.warnings)
    return exp


def run_pcap(args: argparse.Namespace) -> int:
    files = list(args.files) + ([sample_path()] if args.sample else [])
    if not files:
        raise UsageError("no capture file given (or use --sample)")
    for path in files:
        emit(explain_file(path), args.format, args.lang, args.width, mode_of(args))
    return 0


def pcap_main(argv: Sequence[str] | None = None) -> int:
    args = pcap_parser().parse_args(argv)
    try:
        return run_pcap(args)
    except UsageError as exc:
        return _fail("explain-pcap", str(exc))
    except KeyboardInterrupt:
        return 130
