"""Command-line entry points: ``explain-demo`` and ``explain-pcap``. All work happens in
library functions; this file parses arguments, reports errors in one line, and exits 2
on bad input."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from wirelens import reports
from wirelens.explain.catalog import LANGUAGES
from wirelens.explain.model import Explanation

if TYPE_CHECKING:
    from rich.console import Console

    from wirelens import pcapjob
    from wirelens.explain.text import Message
    from wirelens.files import Outputs

SCENARIOS = ("tcp", "arp", "lab", "transfer")
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


def sample_path() -> str:
    from importlib import resources

    return str(resources.files("wirelens").joinpath("samples", SAMPLE))


def emit(exp: Explanation, fmt: str, lang: str, width: int, mode: str = "",
         details: bool = True) -> None:
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
    console = stdout_console(width=width or None, highlight=False)
    if mode in ("step", "quiz"):
        from wirelens import interactive

        (interactive.step if mode == "step" else interactive.quiz)(exp, console, lang)
        return
    render(exp, console, lang, details=details)


def stdout_console(**options: Any) -> Console:
    """A rich console whose reader may go away (``| head``): rich's own answer to that is
    exit status 1; this one raises BrokenPipeError, which ``unprivileged`` ends quietly."""
    from rich.console import Console

    class PipedConsole(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError

    return PipedConsole(**options)


def mode_of(args: argparse.Namespace) -> str:
    return "step" if args.step else "quiz" if args.quiz else ""


def _fail(prog: str, message: str) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2


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
    from wirelens.demos import wired

    wired.add_arguments(parser)
    return parser


def report_targets(args: argparse.Namespace, inputs: int = 1) -> reports.Targets:
    """The page, SVG and Markdown files asked for, checked before any work is done."""
    from wirelens.files import OutputError

    try:
        return reports.targets(args, inputs)
    except OutputError as exc:
        raise UsageError(str(exc)) from exc


def write_reports(exp: Explanation, lang: str, wanted: reports.Targets) -> None:
    from wirelens.files import OutputError

    try:
        reports.write(exp, lang, wanted)
    except (OutputError, OSError) as exc:
        raise UsageError(f"cannot write: {exc}") from exc


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
    from wirelens.demos.wired import join_negative

    args = demo_parser().parse_args(join_negative(sys.argv[1:] if argv is None else argv))
    from wirelens.demojob import run_demo

    try:
        return run_demo(args)
    except UsageError as exc:
        return _fail("explain-demo", str(exc))
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


def explain_file(path: str) -> Explanation:
    from wirelens.capture.metadata import read_calls
    from wirelens.capture.pcapfile import CaptureError, open_capture
    from wirelens.explain.explainer import explain
    from wirelens.explain.text import msg

    try:
        with open_capture(path) as capture:
            frames = list(capture)
            calls, bad_calls = read_calls(capture.comments)
            file_warnings = list(capture.warnings) + ([f"{path}: {bad_calls}"] if bad_calls
                                                      else [])
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


def say_file_warnings(warnings: Iterable[Message]) -> None:
    """The capture file's own warnings (damage after the frames read, frames cut) on
    stderr too: the report holds them, but a script or a page reader may not look."""
    from wirelens.explain.catalog import Catalog

    for warning in (w for w in warnings if w.key == "warning.file"):
        print(f"warning: {Catalog('en')(warning)}", file=sys.stderr)


def run_pcap(args: argparse.Namespace) -> int:
    from wirelens import pcapjob

    files = list(args.files) + ([sample_path()] if args.sample else [])
    if not files:
        raise UsageError("no capture file given (or use --sample)")
    if args.table:
        from wirelens.tablejob import TableError, run_table

        try:
            return run_table(files, args, _write)
        except TableError as exc:
            raise UsageError(str(exc)) from exc
    if args.format in TABLE_ONLY_FORMATS:
        raise UsageError(f"--format {args.format} goes with --table")
    if args.dask and not args.summary:
        raise UsageError("--dask goes with --table or --summary")
    if args.conversation is not None and args.conversation < 1:
        raise UsageError(f"--conversation {args.conversation}: conversations count from 1")
    options = pcapjob.Options(bpf=args.filter, lang=args.lang, fmt=args.format,
                              width=args.width)
    wanted = report_targets(args, len(files))
    if args.annotate:
        from wirelens.annotate import AnnotateError, run_annotate

        annotate_target(args)
        try:
            return run_annotate(files[0], args, options)
        except AnnotateError as exc:
            raise UsageError(str(exc)) from exc
    try:
        if wanted.any:  # the page, the SVG, the report: each capture explained packet by packet
            for path in files:
                if args.conversation is not None:
                    exp = pcapjob.explain_conversation(path, args.conversation, options)
                else:  # more than a page can show: TooBig, pointing to --conversation N
                    exp = pcapjob.explain_small(path, options)
                say_file_warnings(exp.warnings)
                write_reports(exp, args.lang, wanted)
            return 0
        if args.conversation is not None:
            for path in files:
                exp = pcapjob.explain_conversation(path, args.conversation, options)
                say_file_warnings(exp.warnings)
                emit(exp, args.format, args.lang, args.width, mode_of(args))
            return 0
        if args.merge:
            _write(pcapjob.render_overview(pcapjob.merged_overview(files, options), options))
            return 0
        # What is inside decides (frames, not bytes on disk): every packet explained, as
        # explain-demo does, when each file has few enough; else the overview of each.
        if not args.summary and all(pcapjob.fits_per_packet(p, options) for p in files):
            for path in files:
                exp = pcapjob.explain_small(path, options)
                say_file_warnings(exp.warnings)
                emit(exp, args.format, args.lang, args.width, mode_of(args))
            return 0
        if len(files) == 1:  # written as it comes: a big capture's JSON is big
            pcapjob.write_overview(files[0], options, _write, told=say_file_warnings)
            return 0
        several = len(files) > 1 and args.format == "json"
        _write("[\n" if several else "")
        for i, (_path, text, error) in enumerate(pcapjob.render_overviews(files, options)
                                                 if not args.dask else
                                                 _on_dask(files, options, args.dask)):
            if error:
                raise UsageError(error)
            _write((",\n" if several and i else "") + (text.rstrip("\n") if several else text))
        _write("\n]\n" if several else "")
    except pcapjob.JobError as exc:
        raise UsageError(str(exc)) from exc
    return 0


TABLE_ONLY_FORMATS = ("csv", "html")


def _on_dask(files: list[str], options: pcapjob.Options, dask: str
             ) -> Iterator[tuple[str, str, str]]:
    from wirelens.tablejob import TableError, summaries

    try:
        yield from summaries(files, options, dask)
    except TableError as exc:
        raise UsageError(str(exc)) from exc


def annotate_target(args: argparse.Namespace) -> None:
    """``--annotate OUT`` checked before any work (and by a root parent, which writes it)."""
    from wirelens.annotate import AnnotateError, check_arguments

    try:
        check_arguments(args, [*args.files, *([sample_path()] if args.sample else [])])
    except AnnotateError as exc:
        raise UsageError(str(exc)) from exc


def _write(text: str) -> None:
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
    else:  # JSON and text both go out as UTF-8 whatever the locale says
        sys.stdout.flush()
        buffer.write(text.encode("utf-8"))
        buffer.flush()


def pcap_main(argv: Sequence[str] | None = None) -> int:
    isolate_when_root(argv)
    args = pcap_parser().parse_args(argv)
    if os.geteuid() == 0:  # open the files as root, parse them as the user (or nobody)
        from wirelens.capture.inherited import open_for_child

        if args.table:  # the folders walked as root: the child may not be let in
            from wirelens.tablejob import find_files

            args.files = find_files(args.files)
        open_for_child([*args.files, *([sample_path()] if args.sample else [])])
        try:
            report_targets(args, max(len(args.files) + int(args.sample), 1))
            annotate_target(args)
        except UsageError as exc:
            return _fail("explain-pcap", str(exc))
    overview_only = args.summary and args.conversation is None and not (
        args.html or args.open or args.svg or args.markdown)
    def prepare() -> None:
        if overview_only and not args.table:
            warm_up_overview(args.lang, args.format, bool(args.filter))
        else:
            warm_up()
        if args.table or args.dask:  # the table's renderers, and dask.distributed
            from wirelens import tablejob

            tablejob.warm_up(args.lang, args.format, bool(args.dask))

    return unprivileged("explain-pcap", lambda: run_pcap(args), prepare=prepare,
                        outputs=reports.outputs(args, max(len(args.files) + int(args.sample), 1)))


def unprivileged(prog: str, work: Callable[[], int],
                 prepare: Callable[[], None] | None = None,
                 outputs: Outputs | None = None) -> int:
    """``work`` in a process that has dropped root (when we are root): see privsep. Only
    the ``outputs`` the command line named may be written for it."""
    from wirelens.privsep import PrivilegeError, run_unprivileged

    def guarded() -> int:
        try:
            return work()
        except UsageError as exc:
            return _fail(prog, str(exc))
        except KeyboardInterrupt:
            return 130
        except BrokenPipeError:
            return reader_gone()

    try:
        return run_unprivileged(guarded, prepare=prepare or warm_up, outputs=outputs)
    except (PrivilegeError, OSError) as exc:
        return _fail(prog, str(exc))


def reader_gone() -> int:
    """The reader of our output went away (``| head -1``): nothing more to say, and
    nothing left to flush at exit (exit status 0, as for a reader that had enough)."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def warm_up() -> None:
    """Load, while still root, what the parsing child will use: it may not be able to read
    the interpreter's own files (a Python installed under /root), and imports are lazy.
    Rendering an empty explanation touches the lazy imports of every renderer; nothing
    captured is parsed here."""
    import importlib
    import io

    from rich.console import Console

    from wirelens import pcapjob, reports  # noqa: F401
    from wirelens.capture.privileges import preload
    from wirelens.explain.catalog import load
    from wirelens.explain.explainer import explain
    from wirelens.render import html, markdown, svg
    from wirelens.render import json as json_render
    from wirelens.render.terminal import render

    preload(("networkx", "argparse", "heapq", "ipaddress", "math", "random", "re", "secrets",
             "tempfile", "webbrowser", "xml.sax.saxutils", "pathlib", "locale", "gettext",
             "multiprocessing.pool", "multiprocessing.popen_fork", "multiprocessing.queues",
             "multiprocessing.synchronize", "multiprocessing.connection",
             "termios", "tty", "wirelens.interactive"))  # --step and --quiz
    import pkgutil

    import wirelens

    for module in pkgutil.walk_packages(wirelens.__path__, "wirelens."):  # our own files too:
        importlib.import_module(module.name)  # the checkout may sit where the child cannot read
    empty = explain([])
    for lang in LANGUAGES:
        load(lang)
        render(empty, Console(file=io.StringIO(), width=80), lang)
        json_render.dumps(empty, lang)
        html.render_page(empty, lang)
        svg.ladder_document(empty, lang)
        markdown.render_markdown(empty, lang)


def warm_up_overview(lang: str, fmt: str, bpf: bool) -> None:
    """What ``explain-pcap --summary`` loads (the overview of files, as text or JSON):
    much less than ``warm_up``, so the child starts sooner and stays smaller. Rendering an
    empty overview in ``fmt`` touches the renderer's lazy imports; rich only when the text
    or a progress bar (stderr a terminal) needs it; libpcap only for a ``bpf`` filter."""
    from wirelens import pcapjob
    from wirelens.capture import fastread  # noqa: F401
    from wirelens.capture.privileges import preload
    from wirelens.explain import dissect  # noqa: F401
    from wirelens.explain.catalog import load
    from wirelens.overview.builder import OverviewBuilder

    preload(("argparse", "heapq", "tempfile", "shutil", "random", "pickle", "queue",
             "threading", "multiprocessing.pool", "multiprocessing.popen_fork",
             "multiprocessing.queues", "multiprocessing.synchronize",
             "multiprocessing.connection", "locale",
             *(("rich.console", "rich.progress") if sys.stderr.isatty() else ()),
             *(("wirelens.capture.bpf",) if bpf else ())))
    load(lang)
    empty = OverviewBuilder().finish("")
    pcapjob.render_overview(empty, pcapjob.Options(lang=lang, fmt=fmt))
