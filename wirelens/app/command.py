"""What every command's job shares: the one-line usage error, the sample capture, writing
an explanation or text to standard output (a reader may go away: ``| head``), the report
files asked for, and running the job without root (``privsep``)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable
from importlib import resources
from typing import TYPE_CHECKING, Any

from wirelens.app import reports
from wirelens.app.files import OutputError
from wirelens.app.privsep import run_unprivileged
from wirelens.app.warmup import warm_up
from wirelens.capture.privileges import PrivilegeError
from wirelens.explain.catalog import Catalog
from wirelens.explain.model import Explanation
from wirelens.render.json import dumps

if TYPE_CHECKING:
    from rich.console import Console

    from wirelens.app.files import Outputs
    from wirelens.explain.text import Message

SAMPLE = "tcp-demo.pcapng"
# explain-pcap writes these only as the table of many captures (--table)
TABLE_ONLY_FORMATS = ("csv", "html")


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


def sample_path() -> str:
    return str(resources.files("wirelens").joinpath("samples", SAMPLE))


def emit(exp: Explanation, fmt: str, lang: str, width: int, mode: str = "",
         details: bool = True) -> None:
    if fmt == "json":
        text = dumps(exp, lang)
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:
            sys.stdout.write(text)
        else:  # JSON is UTF-8 whatever the terminal's locale says
            sys.stdout.flush()
            buffer.write(text.encode("utf-8"))
            buffer.flush()
        return
    # imported here: 60 ms saved at start-up when not needed
    from wirelens.render.terminal import render

    if hasattr(sys.stdout, "reconfigure"):  # a non-UTF-8 locale shows "?" rather than crash
        sys.stdout.reconfigure(errors="replace")
    console = stdout_console(width=width or None, highlight=False)
    if mode in ("step", "quiz"):
        # imported here: 66 ms saved at start-up when not needed
        from wirelens.app import interactive

        (interactive.step if mode == "step" else interactive.quiz)(exp, console, lang)
        return
    render(exp, console, lang, details=details)


def stdout_console(**options: Any) -> Console:
    """A rich console whose reader may go away (``| head``): rich's own answer to that is
    exit status 1; this one raises BrokenPipeError, which ``unprivileged`` ends quietly."""
    # imported here: 15 ms saved at start-up when not needed
    from rich.console import Console

    class PipedConsole(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError

    return PipedConsole(**options)


def mode_of(args: argparse.Namespace) -> str:
    return "step" if args.step else "quiz" if args.quiz else ""


def fail(prog: str, message: str) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2


def report_targets(args: argparse.Namespace, inputs: int = 1) -> reports.Targets:
    """The page, SVG and Markdown files asked for, checked before any work is done."""
    try:
        return reports.targets(args, inputs)
    except OutputError as exc:
        raise UsageError(str(exc)) from exc


def write_reports(exp: Explanation, lang: str, wanted: reports.Targets) -> None:
    try:
        reports.write(exp, lang, wanted)
    except (OutputError, OSError) as exc:
        raise UsageError(f"cannot write: {exc}") from exc


def say_file_warnings(warnings: Iterable[Message]) -> None:
    """The capture file's own warnings (damage after the frames read, frames cut) on
    stderr too: the report holds them, but a script or a page reader may not look."""
    for warning in (w for w in warnings if w.key == "warning.file"):
        print(f"warning: {Catalog('en')(warning)}", file=sys.stderr)


def write(text: str) -> None:
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
    else:  # JSON and text both go out as UTF-8 whatever the locale says
        sys.stdout.flush()
        buffer.write(text.encode("utf-8"))
        buffer.flush()


def unprivileged(prog: str, work: Callable[[], int],
                 prepare: Callable[[], None] | None = None,
                 outputs: Outputs | None = None) -> int:
    """``work`` in a process that has dropped root (when we are root): see privsep. Only
    the ``outputs`` the command line named may be written for it."""
    def guarded() -> int:
        try:
            return work()
        except UsageError as exc:
            return fail(prog, str(exc))
        except KeyboardInterrupt:
            return 130
        except BrokenPipeError:
            return reader_gone()

    try:
        return run_unprivileged(guarded, prepare=prepare or warm_up, outputs=outputs)
    except (PrivilegeError, OSError) as exc:
        return fail(prog, str(exc))


def reader_gone() -> int:
    """The reader of our output went away (``| head -1``): nothing more to say, and
    nothing left to flush at exit (exit status 0, as for a reader that had enough)."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
