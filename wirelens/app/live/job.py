"""``explain-demo tcp --live``: the privileged side of a live run.

Who does what. This process (root) makes five pipes, then forks the *class's process*,
which drops root for good and either serves the page (``server``) or steps in the terminal
(``terminal``, with ``--step``). Then it runs the demo over the wire with the gate
(``impair``: every TCP or UDP frame held); the wire's loop (a child without root too)
reads the class's words from one pipe and tells it what it holds on another, so those two
talk with no root in between. This process only *writes* to the class: the socket calls
as they happen and the kernel's timers (``news``). When the exchange is over, the capture
goes to a fresh child without root (as every run's does) that explains it, writes --save
and --html and, for the page, sends the ordinary classroom page of the whole capture to the
class's process down the last pipe, unread here.

Starting. The lab is built and the captures listen at once, but the exchange begins only
when the class is there (the page connected; the terminal at once): the class's process
writes a byte on its ``alive`` pipe, so the first SYN is not already resent when the page
opens.

Ending. The class's process holds the write end of that ``alive`` pipe: when it ends (the
page was closed, the class quit, it was killed) a thread here reads EOF and interrupts the
demo (SIGUSR1 to itself, raising ``ClassLeft``, a KeyboardInterrupt), which tears the lab
down as Ctrl-C does. If this process is killed, the class's
process and the wire's loop die with it (PR_SET_PDEATHSIG) and the kernel frees the lab.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys
import threading
from dataclasses import dataclass

from wirelens.app import reports
from wirelens.app.command import UsageError, emit
from wirelens.app.live.news import DROPPED_WORD, LIVE_TIMEOUT, Drops, LiveCallLog, News
from wirelens.app.warmup import warm_up
from wirelens.app.wiredjob import explain_wired
from wirelens.capture.gateline import Fds
from wirelens.capture.impair import Plan
from wirelens.capture.lab import LabError
from wirelens.capture.live import CaptureStartError
from wirelens.capture.privileges import drop_privileges, unprivileged_identity
from wirelens.capture.wire import PR_SET_PDEATHSIG
from wirelens.demos import scenarios, wired
from wirelens.demos.tcp import DemoError
from wirelens.explain.catalog import Catalog
from wirelens.explain.model import Explanation

# What --live cannot step, and why (catalog keys): a bulk transfer is hundreds of segments,
# more than a class can release before the server's 5 s timeout; ARP frames pass the gate
# (a held ARP question would make a kernel give up on its neighbour), so nothing would wait.
REFUSED = {"transfer": "live.not_transfer", "arp": "live.not_arp"}
LEFT_SIGNAL = signal.SIGUSR1


@dataclass
class _Ends:
    """The pipes' ends this process keeps, and the class's (closed here once it forked)."""

    commands: tuple[int, int]  # the class writes, the wire reads
    events: tuple[int, int]  # the wire writes, the class reads
    news: tuple[int, int]  # this process writes, the class reads
    final: tuple[int, int]  # the final child writes the page, the class reads
    alive: tuple[int, int]  # the class holds the write end: EOF here when it is gone

    @classmethod
    def make(cls) -> _Ends:
        return cls(*(os.pipe() for _ in range(5)))

    def classes(self) -> list[int]:
        return [self.commands[1], self.events[0], self.news[0], self.final[0], self.alive[1]]

    def ours(self) -> list[int]:
        return [self.commands[0], self.events[1], self.news[1], self.final[1], self.alive[0]]


def check(args: argparse.Namespace) -> None:
    """A live command line that cannot be: one line, before anything is made."""
    cat = Catalog(args.lang)
    if args.scenario in REFUSED:
        raise UsageError(cat.text(REFUSED[args.scenario]))
    for option in ("loss", "reorder", "duplicate"):
        if getattr(args, option, None):
            raise UsageError(cat.text("live.not_with", option=f"--{option}"))
    if args.quiz:
        raise UsageError(cat.text("live.not_with", option="--quiz"))


def run_live(args: argparse.Namespace, plan: Plan, wanted: reports.Targets) -> int:
    ends = _Ends.make()
    pid = _fork_class(args, ends)
    for fd in ends.classes():
        os.close(fd)
    gone = threading.Event()  # the class's process has ended
    finished = threading.Event()  # the demo is over: the class's end is expected
    ready = threading.Event()  # the class is there (a page connected, or the terminal)
    drops = Drops()
    threading.Thread(target=_watch, args=(ends.alive[0], ready, gone, finished, drops),
                     daemon=True, name="wirelens-class").start()
    # the watcher's word that the class left: its own signal, so it works whatever became of
    # SIGINT (ignored in a job started in the background, say)
    signal.signal(LEFT_SIGNAL, _class_left)
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is not signal.SIG_IGN:  # a job in the background keeps ignoring it
        signal.signal(signal.SIGINT, _interrupted)
    _ENDING.clear()
    news = News(ends.news[1])
    log = LiveCallLog(news, drops)
    log.start()
    live = wired.Live(Fds(ends.commands[0], ends.events[1]), log, LIVE_TIMEOUT,
                      lambda: _until(ready))
    try:
        try:
            verbose = sys.stderr if args.verbose else None
            if args.scenario in wired.SCENARIOS:
                run = wired.run_wired(args.scenario, plan, message=args.message,
                                      port=args.port, ipv6=args.ipv6, verbose=verbose,
                                      live=live)
            else:  # the library's other scenarios, as they are, over the gated wire
                run = wired.run_library(args.scenario, plan, live, message=args.message,
                                        port=args.port, ipv6=args.ipv6, verbose=verbose)
        finally:  # from here on the class's end is no news
            finished.set()
            # a word from the watcher sent just before ``finished`` changes nothing now
            signal.signal(LEFT_SIGNAL, signal.SIG_IGN)
            if previous_int is not signal.SIG_IGN:
                signal.signal(signal.SIGINT, previous_int)
            log.stop()
    except KeyboardInterrupt:
        if gone.is_set() and not args.step:
            print(Catalog(args.lang).text("live.page_closed"), file=sys.stderr)
        _end_class(pid)
        raise
    except LabError as exc:
        _end_class(pid)
        raise UsageError(f"the wire needs the two-host lab: {exc}") from exc
    except (CaptureStartError, DemoError, OSError) as exc:
        _end_class(pid)
        raise UsageError(f"the demo could not run: {exc}") from exc
    news.say({"k": "end"})
    news.close()
    if args.step:  # the terminal is the class's until it has said its last
        _reap(pid)
    code = _explain(args, run, wanted, ends.final[1])
    os.close(ends.final[1])
    if not args.step:
        _reap(pid)  # the page stays up, showing the whole capture, until it is closed
    return code


def _explain(args: argparse.Namespace, run: object, wanted: reports.Targets,
             page_fd: int) -> int:
    """The whole capture, explained without root, as ``_run_wired`` does; for the page,
    the classroom page of it goes to the class's process."""
    # imported here: 17 ms saved at start-up when not needed
    from wirelens.render.html import page_bytes

    assert isinstance(run, wired.WiredRun)

    def show(exp: Explanation) -> None:
        if not args.step:
            _write_all(page_fd, page_bytes(exp, args.lang))
        elif not wanted.any:
            emit(exp, args.format, args.lang, args.width)

    return explain_wired(args, run, wanted, show)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except BrokenPipeError:  # the page was closed meanwhile
        pass


# ---------------------------------------------------------------- the class's process


def _fork_class(args: argparse.Namespace, ends: _Ends) -> int:
    """Forks the class's process: it loads what it needs, drops root, and runs."""
    uid, gid = unprivileged_identity() if os.geteuid() == 0 else (os.getuid(), os.getgid())
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 2
    try:
        for fd in ends.ours():
            os.close(fd)
        _preload(args.step)
        if os.geteuid() == 0:
            drop_privileges(uid, gid)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after setuid, which clears it
        if os.getppid() != parent:
            os._exit(1)
        code = _run_class(args, ends)
    except KeyboardInterrupt:  # Ctrl-C reaches the whole group: this side ends quietly
        code = 130
    except BaseException as exc:  # one line, never a traceback from this side
        print(f"explain-demo: error: the live class: {exc}", file=sys.stderr)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _preload(terminal: bool) -> None:
    """What the class's process will import, loaded before it drops root (see warm_up)."""
    warm_up()
    if terminal:
        # imports these here on purpose: loading them, while still root, is the point
        from wirelens.app.live import terminal as _terminal  # noqa: F401
    else:
        # imports these here on purpose: loading them, while still root, is the point
        from wirelens.app.live import server

        server.preload()


def _run_class(args: argparse.Namespace, ends: _Ends) -> int:
    if args.step:
        # imported here: 32 ms saved at start-up when not needed
        from wirelens.app.live.terminal import Pipes, step

        os.write(ends.alive[1], b"r")  # the terminal is there already
        return step(Pipes(ends.commands[1], ends.events[0], ends.news[0], ends.alive[1]),
                    args.lang, args.width, server_listening=_listening(args.scenario))
    # imported here: 154 ms saved at start-up when not needed
    from wirelens.app.live.server import Channels, serve

    return serve(Channels(ends.commands[1], ends.events[0], ends.news[0], ends.final[0],
                          ends.alive[1]), args.lang, open_page=args.open,
                 server_listening=_listening(args.scenario))


def _listening(scenario: str) -> bool:
    """Whether something listens on the server's port in this scenario (not in ``refused``)."""
    return scenarios.SCENARIOS[scenario].server_listening if scenario in scenarios.SCENARIOS \
        else True


# ---------------------------------------------------------------- ending


def _watch(fd: int, ready: threading.Event, gone: threading.Event,
           finished: threading.Event, drops: Drops) -> None:
    """Reads the class's ``alive`` pipe: a byte when it is there (``d`` when it dropped a
    frame: a recvfrom() waiting for a datagram gives up), EOF when it is gone."""
    try:
        while chunk := os.read(fd, 64):
            ready.set()
            for _ in range(chunk.count(DROPPED_WORD)):
                drops.note()
    except OSError:
        pass
    gone.set()
    if not finished.is_set():  # the class left mid-exchange: end it as Ctrl-C would
        os.kill(os.getpid(), LEFT_SIGNAL)


class ClassLeft(KeyboardInterrupt):
    """The class's process ended mid-exchange (the page closed, q pressed, killed): the
    demo ends as on Ctrl-C, tearing the lab down on the way out."""


# Set once the run is ending: Ctrl-C reaches the whole process group, so the class's
# process ends too and its watcher says so (LEFT_SIGNAL) while this side already tears the
# lab down; a second interruption then would cut that teardown short.
_ENDING = threading.Event()


def _class_left(signum: int, frame: object) -> None:
    if not _ENDING.is_set():
        _ENDING.set()
        raise ClassLeft()


def _interrupted(signum: int, frame: object) -> None:
    if not _ENDING.is_set():
        _ENDING.set()
        raise KeyboardInterrupt()


def _until(event: threading.Event) -> None:
    event.wait()  # interrupted by SIGINT, which _watch sends if the class leaves first


def _end_class(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    _reap(pid)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
