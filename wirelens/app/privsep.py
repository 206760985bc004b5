"""Root only where it is needed (the dumpcap split).

The privileged process opens capture sockets and files, runs the demo's sockets and makes
the lab; everything that parses captured bytes runs in a child that has dropped root for
good: to the user behind sudo (SUDO_UID/SUDO_GID), otherwise to ``nobody``. The order is
setgroups, setgid, setuid, and the drop is verified (getting root back must fail).
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from wirelens.capture.privileges import (
    drop_privileges,
    preload,
    unprivileged_identity,
)

if TYPE_CHECKING:
    from wirelens.app.files import Outputs

def run_unprivileged(work: Callable[[], int], *, prepare: Callable[[], None] | None = None,
                     outputs: Outputs | None = None) -> int:
    """Run ``work`` in a child without root, wait for it, and return its exit status.

    Not root: ``work`` simply runs here (nothing needs loading ahead). As root the child is
    forked first, so that this process stays small while the child works: it only waits
    and, when relaying, writes the files the child sends up. The child, still root, loads
    what it will need (``prepare``: modules, catalogs; the admin's installed code, no
    captured byte), drops root, and only then runs ``work``, which reads the capture. The
    child inherits open descriptors (the capture to read) and standard output, and dies
    with this process (``die_with_parent``). Under sudo it writes its output files itself,
    as the user; as plain root it is ``nobody``, so it sends their content up a pipe and
    this process, which never parses them, writes the ``outputs`` the command line named
    and nothing else (``files.Relay``).
    """
    # imported here: 10 ms saved at start-up when not needed
    from wirelens.app import files

    if os.geteuid() != 0:
        return work()
    uid, gid = unprivileged_identity()
    relay = files.Relay(outputs or files.Outputs()) if files.invoking_user() is None else None
    up_read, up_write = os.pipe() if relay else (-1, -1)
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    # What is loaded so far is shared with the child until one of them writes to it; the
    # collector of either process would write to every object it walks, so it is told to
    # leave these alone (they live as long as the process anyway).
    gc.freeze()
    pid = os.fork()
    if pid == 0:  # the child: load, drop root, then parse
        _child(work, prepare, (uid, gid), parent, up_read, up_write)
    if relay is not None:
        os.close(up_write)
        relay.receive(up_read)  # while the child runs: pipes are small
    _, status = os.waitpid(pid, 0)
    gc.unfreeze()
    code = os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 2
    if relay is not None:
        # imported here: 13 ms saved at start-up when not needed
        from wirelens.app.reports import open_in_browser

        def say(line: str) -> None:
            print(line, file=sys.stderr)

        written = relay.finish(code == 0, say, lambda page: open_in_browser(page, say))
        code = code or written
    return code


def _child(work: Callable[[], int], prepare: Callable[[], None] | None,
           identity: tuple[int, int], parent: int, up_read: int, up_write: int) -> NoReturn:
    # imported here: 10 ms saved at start-up when not needed
    from wirelens.app import files

    code = 2
    try:
        if up_write >= 0:
            os.close(up_read)
            files.relay_outputs_to(up_write)
        preload(())
        if prepare is not None:
            prepare()
        gc.freeze()  # and what the child loaded, for the processes it may fork
        drop_privileges(*identity)
        die_with_parent(parent)
        code = work()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    except BaseException as exc:  # one line, never a traceback from the parsing side
        print(f"wirelens: error: {exc}", file=sys.stderr)
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BrokenPipeError:
            code = code or 0
        os._exit(code)


PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies


def die_with_parent(parent: int) -> None:
    """Ask the kernel for SIGTERM when ``parent`` dies (set after the drop: changing
    identity clears it), and leave at once if it is already gone. SIGTERM ends the work
    as an exception would, so temporary folders are removed on the way out."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    signal.signal(signal.SIGTERM, _terminated)
    # The processes it forks in turn (the overview's share, a pool's workers) are ended
    # by their own parent, with SIGTERM as it always ended them.
    os.register_at_fork(after_in_child=lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL))
    if os.getppid() != parent:
        raise SystemExit(2)


def _terminated(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)
