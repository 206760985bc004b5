"""A live capture's stop condition, judged by a process without root (the dumpcap split).

A demo stops its capture as soon as the exchange is over, and some scenarios wait for an
event in the middle ("the server advertised a window of 0"). Knowing either means reading
the TCP headers of captured frames, which a process running as root must not do. So the
capturing process streams every frame, as pcapng, down a pipe to a judge: a child that
loads what it needs, drops root like every parsing process (``privileges.drop_privileges``),
reads the stream with the reader ``explain-pcap`` uses, runs the watchers
(``wirelens.explain.watchers``) and answers with one short line per verdict: ``stop`` or
``event N``. The privileged side parses nothing but those lines.

What to watch travels down the same stream, in pcapng Custom Blocks between the frames,
so a watcher asked for in the middle of the exchange sees exactly the frames captured
before it was asked. Watchers go as pickles, parent to child only: the child is the side
that reads hostile bytes, and nothing it sends is unpickled.

Not root (a capture allowed by CAP_NET_RAW alone), the watchers simply run in the capturing
process: there is no root to protect, and ``LocalJudge`` keeps the same interface.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO

from wirelens.capture.privileges import drop_privileges, preload, unprivileged_identity
from wirelens.explain.records import Frame

Watcher = Callable[[list[Frame]], bool]

PEN = 32473  # IANA's enterprise number for documentation (RFC 5612): our own pipe's blocks
STOP_ID = 0  # the watch that ends the capture; events mid-exchange are numbered from 1
SPAWN_TIMEOUT = 10.0  # how long close() waits for the judge to end before killing it
# What the judge imports while still root: its parsing code, and every header the
# dissector may meet (imports are lazy, and the user it becomes may not read them).
JUDGE_MODULES = ("pickle", "wirelens.capture.pcapfile", "wirelens.explain.closewatch",
                 "wirelens.explain.watchers", "wirelens.explain.dissect")


class Verdicts:
    """The frames so far and the watchers still waiting: both judges' one piece of logic.
    ``decided(number)`` is called once for each watcher whose event has happened
    (``STOP_ID``: the stop condition), as soon as it has."""

    def __init__(self, decided: Callable[[int], None]) -> None:
        self._decided = decided
        self._frames: list[Frame] = []
        self._watches: dict[int, Watcher] = {}

    def watch(self, number: int, watcher: Watcher) -> None:
        self._watches[number] = watcher
        self._judge()  # it may have happened already

    def frame(self, frame: Frame) -> None:
        self._frames.append(frame)
        self._judge()

    def _judge(self) -> None:
        for number, watcher in list(self._watches.items()):
            if watcher(self._frames):
                del self._watches[number]
                self._decided(number)


class LocalJudge:
    """Runs the watchers in this process: for a capture that is not running as root."""

    pid = 0  # no process of its own

    def __init__(self, stop: Watcher | None, stopped: threading.Event) -> None:
        self.stopped = stopped
        self._events: dict[int, threading.Event] = {STOP_ID: stopped}
        self._verdicts = Verdicts(lambda number: self._events[number].set())
        self._lock = threading.Lock()
        self.uid = os.getuid()
        self.error = ""
        if stop is not None:
            self._verdicts.watch(STOP_ID, stop)

    def start(self) -> None:
        return None

    def feed(self, frame: Frame) -> None:
        with self._lock:
            self._verdicts.frame(frame)

    def watch(self, event: Watcher) -> threading.Event:
        seen = threading.Event()
        with self._lock:
            number = len(self._events)
            self._events[number] = seen
            self._verdicts.watch(number, event)
        return seen

    def close(self) -> None:
        return None


class Judge:
    """The privileged side of the judge: starts the child, feeds it, hears its verdicts."""

    def __init__(self, stop: Watcher | None, stopped: threading.Event,
                 identity: tuple[int, int] | None = None) -> None:
        # imported here: 8 ms saved at start-up when not needed
        from wirelens.capture.pcapfile import PcapngStream

        self._stop = stop
        self.stopped = stopped
        self.uid, self.gid = identity or unprivileged_identity()
        self.error = ""  # what the judge said when it failed
        self._encoder = PcapngStream()
        self._events: dict[int, threading.Event] = {}
        self._lock = threading.Lock()  # one writer at a time on the pipe
        self._proc: subprocess.Popen[bytes] | None = None
        self._listener: threading.Thread | None = None

    @property
    def pid(self) -> int:
        return self._proc.pid if self._proc is not None else 0

    def start(self) -> None:
        # A fresh interpreter, not a fork: the capturing process has threads (the wire, the
        # demo's sides) and open descriptors (the capture socket, TAP devices) that a
        # process without root must not inherit. -I: no PYTHONPATH-like variables.
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "wirelens.capture.judge", str(self.uid),
             str(self.gid)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True, cwd="/")
        self._send(self._encoder.header())
        if self._stop is not None:
            self._send(_instruction(STOP_ID, self._stop))
        self._listener = threading.Thread(target=self._listen, name="wirelens-judge",
                                          daemon=True)
        self._listener.start()

    def feed(self, frame: Frame) -> None:
        self._send(self._encoder.frame(frame))

    def watch(self, event: Watcher) -> threading.Event:
        seen = threading.Event()
        with self._lock:
            number = len(self._events) + 1
            self._events[number] = seen
        self._send(_instruction(number, event))
        return seen

    def _send(self, block: bytes) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            return
        with self._lock:
            try:
                proc.stdin.write(block)
                proc.stdin.flush()
            except (BrokenPipeError, ValueError):  # the judge ended; its error says why
                pass

    def _listen(self) -> None:
        """Reads the verdicts: only these few fixed words, and numbers it asked for."""
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        for line in proc.stdout:
            word, _, rest = line.decode("ascii", "replace").strip().partition(" ")
            if word == "stop":
                self.stopped.set()
            elif word == "event" and rest.isdigit() and int(rest) in self._events:
                self._events[int(rest)].set()
            elif word == "error":
                self.error = rest[:300]

    def close(self) -> None:
        proc = self._proc
        if proc is None:
            return
        with self._lock:
            if proc.stdin is not None:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
        try:
            proc.wait(SPAWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if self._listener is not None:
            self._listener.join(SPAWN_TIMEOUT)
        if proc.stdout is not None:
            proc.stdout.close()


def make_judge(stop: Watcher | None, stopped: threading.Event) -> Judge | LocalJudge:
    """A judge in a child without root when we are root, else in this process."""
    return Judge(stop, stopped) if os.geteuid() == 0 else LocalJudge(stop, stopped)


def _instruction(number: int, watcher: Watcher) -> bytes:
    # imported here: 8 ms saved at start-up when not needed
    from wirelens.capture.pcapfile import PcapngStream

    data = number.to_bytes(4, "little") + pickle.dumps(watcher)
    return PcapngStream.custom(PEN, data)


# ---------------------------------------------------------------- the child


class _Verdicts:
    """The child's side: instructions and frames from the stream, verdicts as lines."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._verdicts = Verdicts(self._say)

    def instruction(self, body: bytes) -> None:
        if len(body) < 8 or int.from_bytes(body[:4], "little") != PEN:
            return
        number = int.from_bytes(body[4:8], "little")
        self._verdicts.watch(number, pickle.loads(body[8:]))  # from the parent: trusted

    def frame(self, frame: Frame) -> None:
        self._verdicts.frame(frame)

    def _say(self, number: int) -> None:
        self._out.write((b"stop" if number == STOP_ID else b"event %d" % number) + b"\n")
        self._out.flush()


def child_main(argv: list[str]) -> int:
    """The judge: load, drop root, then read frames from standard input until it ends."""
    out = sys.stdout.buffer
    try:
        uid, gid = int(argv[0]), int(argv[1])
        preload(JUDGE_MODULES)
        if os.geteuid() == 0:
            drop_privileges(uid, gid)
        # imported here: 8 ms saved at start-up when not needed
        from wirelens.capture.pcapfile import open_capture

        verdicts = _Verdicts(out)
        with open_capture("<the live capture>", fd=sys.stdin.fileno()) as capture:
            capture.on_custom = verdicts.instruction
            for frame in capture:
                verdicts.frame(frame)
    except Exception as exc:  # one line for the parent, never a traceback
        out.write(b"error " + f"{type(exc).__name__}: {exc}".encode("ascii", "replace")[:300]
                  + b"\n")
        out.flush()
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
