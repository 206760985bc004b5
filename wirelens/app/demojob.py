"""``explain-demo``'s work: run a scenario (in the lab, on loopback, or over the misbehaving
wire), then explain and show it in a process without root. ``cli.demo_main`` parses the
command line and calls ``run_demo``; bad input raises ``command.UsageError``.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import pwd
import sys
from typing import TYPE_CHECKING

from wirelens.app import reports
from wirelens.app.command import (
    UsageError,
    emit,
    mode_of,
    report_targets,
    sample_path,
    stdout_console,
    unprivileged,
    write_reports,
)
from wirelens.app.wiredjob import explain_wired, save_capture
from wirelens.capture import privileges
from wirelens.capture.privileges import NOT_PERMITTED, unprivileged_identity
from wirelens.explain.catalog import Catalog
from wirelens.explain.model import Explanation
from wirelens.explain.text import msg

# The demos that are no scenario of the library (``demos.scenarios``).
SCENARIOS = ("tcp", "arp", "lab", "transfer")

if TYPE_CHECKING:
    pass


def _check_loopback(host: str) -> None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError as exc:
        raise UsageError(f"--host {host!r} is not an IP address") from exc
    if not address.is_loopback:
        raise UsageError(f"--host {host} is not a loopback address (127.0.0.0/8 or ::1)")


def run_demo(args: argparse.Namespace) -> int:
    # imported here: 29 ms saved at start-up when not needed
    from wirelens.demos import scenarios

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
    _check_message(args.message)
    wanted = report_targets(args)  # --save too
    if getattr(args, "live", False):
        # imported here: 59 ms saved at start-up when not needed
        from wirelens.app.live.job import check

        check(args)
    plan = _wire_plan(args)
    # looked up on the module, so a test can stand in for the check
    if not privileges.can_capture():
        raise UsageError(f"{NOT_PERMITTED}. Without root: explain-pcap --sample "
                         f"({sample_path()})")
    if plan is not None and getattr(args, "live", False):
        # imported here: 56 ms saved at start-up when not needed
        from wirelens.app.live.job import run_live
        from wirelens.capture.impair import Plan

        assert isinstance(plan, Plan)
        return run_live(args, plan, wanted)
    if plan is not None:
        return _run_wired(args, plan, wanted)

    # imported here: 46 ms saved at start-up when not needed
    from wirelens.capture.handoff import Handoff, HandoffError
    from wirelens.capture.lab import LabError
    from wirelens.capture.live import CaptureStartError
    from wirelens.demos.scenarios.base import ScenarioUnavailable
    from wirelens.demos.tcp import DemoError
    from wirelens.demos.twohost import run_scenario

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
            save_capture(args.save, run.frames, run.calls, args.force,
                  None if args.no_annotate else (exp, args.lang))
        if wanted.any:
            write_reports(exp, args.lang, wanted)
        else:
            emit(exp, args.format, args.lang, args.width, mode_of(args))
        return 0

    try:
        return unprivileged("explain-demo", explain_and_show, outputs=reports.outputs(args))
    finally:
        handoff.close()


def _check_message(message: str) -> None:
    """``--message``: some text to send (the command line's bytes may not be UTF-8)."""
    try:
        data = message.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError("--message is not valid UTF-8 text") from None
    if not data:
        raise UsageError("--message is empty: the client would send nothing; give it some "
                         "text")


def say_who_runs_what(lang: str, interface: str, judge_pid: int = 0, *,
                      over_wire: bool = False) -> None:
    """``--verbose``: which parts run as root and which as the user (privsep). Over the
    wire there is a judge at each end, and the wire's own loop."""
    uid = unprivileged_identity()[0] if os.geteuid() == 0 else os.getuid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = "?"
    cat = Catalog(lang)
    if os.geteuid() == 0:
        print(cat(msg("privsep.root", pid=os.getpid(), interface=interface)), file=sys.stderr)
    if over_wire:
        print(cat(msg("privsep.user_wire", uid=uid, user=user)), file=sys.stderr)
        return
    key = "privsep.user" if judge_pid else "privsep.user_no_judge"
    print(cat(msg(key, uid=uid, user=user, judge=judge_pid)), file=sys.stderr)


def _wire_plan(args: argparse.Namespace) -> object | None:
    """The misbehaving wire's checked rules when the command line asks for it, else None."""
    # imported here: 55 ms saved at start-up when not needed
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
    # imported here: 54 ms saved at start-up when not needed
    from wirelens.capture.impair import Plan
    from wirelens.capture.lab import LabError
    from wirelens.capture.live import CaptureStartError
    from wirelens.demos import wired
    from wirelens.demos.tcp import DemoError

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
        say_who_runs_what(args.lang, "+".join(e.device for e in run.ends), over_wire=True)

    def show(exp: Explanation) -> None:
        # a bulk transfer's packets, layer by layer, only in JSON, --html, --step
        if not wanted.any:
            emit(exp, args.format, args.lang, args.width, mode_of(args),
                 details=args.scenario != "transfer")

    return explain_wired(args, run, wanted, show)


def list_scenarios(lang: str) -> int:
    """``explain-demo --list``: the scenario library, one line each, in ``lang``."""
    # imported here: 29 ms saved at start-up when not needed
    from wirelens.demos import scenarios

    cat = Catalog(lang)
    width = max(len(name) for name in scenarios.names())
    for name, scenario in scenarios.SCENARIOS.items():
        print(f"{name:<{width}}  {cat.text(scenario.summary)}")
    return 0


def run_lab_command(args: argparse.Namespace) -> int:
    """``explain-demo lab --cleanup``: remove every lab object whose run has ended."""
    # imported here: 5 ms saved at start-up when not needed
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
    stdout_console(file=stream, width=width or None, highlight=False, soft_wrap=aside).print(
        text, markup=False)
