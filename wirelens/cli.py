"""Command-line entry points: ``explain-demo`` and ``explain-pcap``. All work happens in
library functions; this file parses arguments, reports errors in one line, and exits 2
on bad input."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from importlib import resources
from typing import NoReturn

from rich.console import Console

from wirelens import reports
from wirelens.explain.catalog import LANGUAGES
from wirelens.explain.model import Explanation

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
    console = Console(width=width or None, highlight=False)
    if mode in ("step", "quiz"):
        from wirelens import interactive

        (interactive.step if mode == "step" else interactive.quiz)(exp, console, lang)
        return
    render(exp, console, lang, details=details)


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
    parser.add_argument("--save", metavar="FILE", help="also write the capture (pcapng)")
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    reports.add_arguments(parser, with_force=False)
    from wirelens.demos import wired

    wired.add_arguments(parser)
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
    from wirelens.demos import scenarios
    from wirelens.files import OutputError, check_target

    if args.list:
        return list_scenarios(args.lang)
    known = (*scenarios.names(), *(s for s in SCENARIOS if s not in scenarios.SCENARIOS))
    if args.scenario not in known:
        raise UsageError(f"unknown scenario {args.scenario!r}; choose from: "
                         + ", ".join(known))
    if args.scenario == "lab":
        return run_lab_command(args)
    if args.cleanup:
        raise UsageError("--cleanup goes with 'lab': explain-demo lab --cleanup")
    if args.ipv6 and args.host is not None and ":" not in args.host:
        raise UsageError(f"--ipv6 with an IPv4 --host {args.host}; use ::1 (or drop --ipv6)")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not between 0 and 65535")
    if args.host is not None:
        _check_loopback(args.host)
    if args.save:
        try:
            check_target(args.save, force=args.force)
        except OutputError as exc:
            raise UsageError(str(exc)) from exc
    wanted = _report_targets(args)
    plan = _wire_plan(args)
    if not can_capture():
        raise UsageError(f"{NOT_PERMITTED}. Without root: explain-pcap --sample "
                         f"({sample_path()})")
    if plan is not None:
        return _run_wired(args, plan, wanted)

    from wirelens.capture.handoff import Handoff, HandoffError
    from wirelens.capture.lab import LabError
    from wirelens.capture.live import CaptureStartError
    from wirelens.demos.scenarios.base import ScenarioUnavailable
    from wirelens.demos.tcp import DemoError
    from wirelens.demos.twohost import run_scenario
    from wirelens.explain.catalog import Catalog

    try:
        ran = run_scenario(args.scenario, port=args.port, message=args.message,
                           loopback=args.loopback, ipv6=args.ipv6, host=args.host,
                           verbose=sys.stderr if args.verbose else None)
    except LabError as exc:
        raise UsageError(f"the {args.scenario} demo needs the two-host lab: {exc}") from exc
    except ScenarioUnavailable as exc:  # e.g. a simultaneous close needs a delayed wire
        raise UsageError(str(exc)) from exc
    except (CaptureStartError, DemoError, OSError) as exc:
        raise UsageError(f"the demo could not run: {exc}") from exc
    run = ran.run
    say_where(Catalog(args.lang)(ran.where), args.format == "json" or wanted.any, args.width)
    handoff = Handoff(run.frames, run.calls)  # the capture, as pcapng down a pipe
    if args.verbose:
        say_who_runs_what(args.lang, run.interface, run.judge_pid)

    def explain_and_show() -> int:  # parses captured bytes: runs without root
        try:  # read back as explain-pcap reads a file, not taken from the parent's memory
            run.frames, run.calls = handoff.receive()
        except HandoffError as exc:
            raise UsageError(f"the capture could not be handed over: {exc}") from exc
        exp = run.explain(ran.source, ran.subnets)  # with the kernel's word and the warnings
        if args.save:
            _save(args.save, run.frames, run.calls, args.force)
        if wanted.any:
            _write_reports(exp, args.lang, wanted)
        else:
            emit(exp, args.format, args.lang, args.width, mode_of(args))
        return 0

    try:
        return _unprivileged("explain-demo", explain_and_show)
    finally:
        handoff.close()


def say_who_runs_what(lang: str, interface: str, judge_pid: int) -> None:
    """``--verbose``: which parts run as root and which as the user (privsep)."""
    import pwd

    from wirelens.explain.catalog import Catalog
    from wirelens.explain.text import msg
    from wirelens.privsep import unprivileged_identity

    uid = unprivileged_identity()[0] if os.geteuid() == 0 else os.getuid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = "?"
    cat = Catalog(lang)
    if os.geteuid() == 0:
        print(cat(msg("privsep.root", pid=os.getpid(), interface=interface)), file=sys.stderr)
    if judge_pid < 0:  # over the wire: a judge per end, and the wire's own loop
        print(cat(msg("privsep.user_wire", uid=uid, user=user)), file=sys.stderr)
        return
    key = "privsep.user" if judge_pid else "privsep.user_no_judge"
    print(cat(msg(key, uid=uid, user=user, judge=judge_pid)), file=sys.stderr)


def _wire_plan(args: argparse.Namespace) -> object | None:
    """The misbehaving wire's checked rules when the command line asks for it, else None."""
    from wirelens.capture.impair import ImpairError
    from wirelens.demos import wired

    if not wired.wanted(args):
        return None
    try:
        return wired.plan_from(args)
    except ImpairError as exc:
        raise UsageError(str(exc)) from exc


def _run_wired(args: argparse.Namespace, plan: object, wanted: reports.Targets) -> int:
    """A demo over the wire (capture/wire.py): the lab with TAP devices, both ends captured."""
    from wirelens.capture.handoff import Handoff, HandoffError
    from wirelens.capture.impair import Plan
    from wirelens.capture.lab import LabError
    from wirelens.capture.live import CaptureStartError
    from wirelens.demos import wired
    from wirelens.demos.tcp import DemoError
    from wirelens.explain.catalog import Catalog
    from wirelens.explain.text import msg

    assert isinstance(plan, Plan)
    try:
        run = wired.run_wired(args.scenario, plan, message=args.message, size=args.size_bytes,
                              port=args.port, ipv6=args.ipv6,
                              verbose=sys.stderr if args.verbose else None)
    except LabError as exc:
        raise UsageError(f"the wire needs the two-host lab: {exc}") from exc
    except (CaptureStartError, DemoError, OSError) as exc:
        raise UsageError(f"the demo could not run: {exc}") from exc
    print(Catalog(args.lang)(msg("wire.where.lab", **run.lab)),
          file=sys.stderr if args.format == "json" or wanted.any else sys.stdout, flush=True)
    if args.verbose:
        say_who_runs_what(args.lang, "+".join(e.device for e in run.ends), -1)
    handoff = Handoff(run.raw_frames(), run.calls)  # both ends' captures, as pcapng

    def explain_and_show() -> int:  # parses captured bytes: runs without root
        nonlocal run
        try:  # read back as explain-pcap reads a file, then merged, without root
            frames, calls = handoff.receive()
        except HandoffError as exc:
            raise UsageError(f"the capture could not be handed over: {exc}") from exc
        run = wired.merged(run, frames, calls)
        exp = wired.explanation(run)
        if args.save:
            _save(args.save, run.frames, run.calls, args.force)
        if wanted.any:
            _write_reports(exp, args.lang, wanted)
        else:  # a bulk transfer's packets, layer by layer, only in JSON, --html, --step
            emit(exp, args.format, args.lang, args.width, mode_of(args),
                 details=args.scenario != "transfer")
        return 0

    try:
        return _unprivileged("explain-demo", explain_and_show)
    finally:
        handoff.close()


def _report_targets(args: argparse.Namespace, inputs: int = 1) -> reports.Targets:
    """The page, SVG and Markdown files asked for, checked before any work is done."""
    from wirelens.files import OutputError

    try:
        return reports.targets(args, inputs)
    except OutputError as exc:
        raise UsageError(str(exc)) from exc


def _write_reports(exp: Explanation, lang: str, wanted: reports.Targets) -> None:
    from wirelens.files import OutputError

    try:
        reports.write(exp, lang, wanted)
    except (OutputError, OSError) as exc:
        raise UsageError(f"cannot write: {exc}") from exc


def list_scenarios(lang: str) -> int:
    """``explain-demo --list``: the scenario library, one line each, in ``lang``."""
    from wirelens.demos import scenarios
    from wirelens.explain.catalog import Catalog

    cat = Catalog(lang)
    width = max(len(name) for name in scenarios.names())
    for name, scenario in scenarios.SCENARIOS.items():
        print(f"{name:<{width}}  {cat.text(scenario.summary)}")
    return 0


def run_lab_command(args: argparse.Namespace) -> int:
    """``explain-demo lab --cleanup``: remove every lab object whose run has ended."""
    from wirelens.capture.lab import LabError, leftovers, main_cleanup

    if not args.cleanup:
        raise UsageError("'lab' needs --cleanup (the lab itself is built by the tcp and arp "
                         "demos)")
    try:
        removed = main_cleanup(verbose=args.verbose)
    except LabError as exc:
        raise UsageError(str(exc)) from exc
    for item in removed:
        print(f"removed {item}")
    for item in leftovers():
        print(f"left alone (its demo is still running): {item}")
    if not removed:
        print("nothing of the lab was left behind")
    return 0


def say_where(text: str, aside: bool, width: int) -> None:
    """The demo's first line: where it ran. On stderr, as one line, when stdout is for a
    program (JSON) or files are written; else wrapped to the terminal, before the rest."""
    stream = sys.stderr if aside else sys.stdout
    if hasattr(stream, "reconfigure"):  # a non-UTF-8 locale shows "?" rather than crash
        stream.reconfigure(errors="replace")
    Console(file=stream, width=width or None, highlight=False, soft_wrap=aside).print(
        text, markup=False)


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
    parser.add_argument("--summary", action="store_true",
                        help="the overview only: each conversation's story, verdict and "
                             "anomalies, no per-packet layers (the default above 1 MB)")
    parser.add_argument("--conversation", type=int, metavar="N",
                        help="explain conversation N of the overview packet by packet")
    parser.add_argument("--filter", metavar="BPF",
                        help='only the frames a BPF filter keeps, as tcpdump takes it: '
                             '"tcp port 80"')
    parser.add_argument("--merge", action="store_true",
                        help="several files as one capture, frames merged in time order")
    reports.add_arguments(parser, with_force=True)
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


SMALL_FILE = 1024 * 1024  # bytes; bigger files get the overview unless --conversation is given


def run_pcap(args: argparse.Namespace) -> int:
    from wirelens import pcapjob

    files = list(args.files) + ([sample_path()] if args.sample else [])
    if not files:
        raise UsageError("no capture file given (or use --sample)")
    if args.conversation is not None and args.conversation < 1:
        raise UsageError(f"--conversation {args.conversation}: conversations count from 1")
    options = pcapjob.Options(bpf=args.filter, lang=args.lang, fmt=args.format,
                              width=args.width)
    wanted = _report_targets(args, len(files))
    try:
        if wanted.any:  # the page, the SVG, the report: each capture explained packet by packet
            for path in files:
                if args.conversation is not None:
                    exp = pcapjob.explain_conversation(path, args.conversation, options)
                elif _size(path) > SMALL_FILE:
                    raise UsageError(f"{path} is big: a page shows one conversation of it; "
                                     "pick one with --conversation N (see the overview)")
                else:
                    exp = pcapjob.explain_small(path, options)
                _write_reports(exp, args.lang, wanted)
            return 0
        if args.conversation is not None:
            for path in files:
                exp = pcapjob.explain_conversation(path, args.conversation, options)
                emit(exp, args.format, args.lang, args.width, mode_of(args))
            return 0
        if args.merge:
            _write(pcapjob.render_overview(pcapjob.merged_overview(files, options), options))
            return 0
        overview = [p for p in files if args.summary or _size(p) > SMALL_FILE]
        if not overview:  # small files: every packet explained, as explain-demo does
            for path in files:
                emit(pcapjob.explain_small(path, options), args.format, args.lang, args.width,
                     mode_of(args))
            return 0
        if len(files) == 1:  # written as it comes: a big capture's JSON is big
            pcapjob.write_overview(files[0], options, _write)
            return 0
        several = len(files) > 1 and args.format == "json"
        _write("[\n" if several else "")
        for i, (_path, text, error) in enumerate(pcapjob.render_overviews(files, options)):
            if error:
                raise UsageError(error)
            _write((",\n" if several and i else "") + (text.rstrip("\n") if several else text))
        _write("\n]\n" if several else "")
    except pcapjob.JobError as exc:
        raise UsageError(str(exc)) from exc
    return 0


def _size(path: str) -> int:
    from wirelens.capture.inherited import descriptor

    fd = descriptor(path)
    try:
        return os.fstat(fd).st_size if fd is not None else os.path.getsize(path)
    except OSError:
        return 0


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

        open_for_child([*args.files, *([sample_path()] if args.sample else [])])
        try:
            _report_targets(args, max(len(args.files) + int(args.sample), 1))
        except UsageError as exc:
            return _fail("explain-pcap", str(exc))
    overview_only = args.summary and args.conversation is None and not (
        args.html or args.open or args.svg or args.markdown)
    return _unprivileged("explain-pcap", lambda: run_pcap(args),
                         prepare=(lambda: warm_up_overview(args.lang)) if overview_only
                         else warm_up)


def _unprivileged(prog: str, work: Callable[[], int],
                  prepare: Callable[[], None] | None = None) -> int:
    """``work`` in a process that has dropped root (when we are root): see privsep."""
    from wirelens.privsep import PrivilegeError, run_unprivileged

    def guarded() -> int:
        try:
            return work()
        except UsageError as exc:
            return _fail(prog, str(exc))
        except KeyboardInterrupt:
            return 130
        except BrokenPipeError:  # the reader went away (| head): nothing more to say
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0

    try:
        return run_unprivileged(guarded, prepare=prepare or warm_up)
    except (PrivilegeError, OSError) as exc:
        return _fail(prog, str(exc))


def warm_up() -> None:
    """Load, while still root, what the parsing child will use: it may not be able to read
    the interpreter's own files (a Python installed under /root), and imports are lazy.
    Rendering an empty explanation touches the lazy imports of every renderer; nothing
    captured is parsed here."""
    import importlib
    import io

    from wirelens import pcapjob, reports  # noqa: F401
    from wirelens.explain.catalog import load
    from wirelens.explain.explainer import explain
    from wirelens.privsep import preload
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


def warm_up_overview(lang: str) -> None:
    """What ``explain-pcap --summary`` loads (the overview of files, as text or JSON):
    much less than ``warm_up``, so the child starts sooner and stays smaller. Rendering an
    empty overview both ways touches the renderers' lazy imports."""
    from wirelens import pcapjob
    from wirelens.capture import bpf, fastread  # noqa: F401
    from wirelens.explain import dissect  # noqa: F401
    from wirelens.explain.catalog import load
    from wirelens.explain.overview import OverviewBuilder
    from wirelens.privsep import preload

    preload(("argparse", "heapq", "tempfile", "shutil", "random", "pickle", "queue",
             "threading", "multiprocessing.pool", "multiprocessing.popen_fork",
             "multiprocessing.queues", "multiprocessing.synchronize",
             "multiprocessing.connection", "locale"))
    load(lang)
    empty = OverviewBuilder().finish("")
    for fmt in ("json", "text"):
        pcapjob.render_overview(empty, pcapjob.Options(lang=lang, fmt=fmt))
