"""What the privileged side tells the class while the demo runs, one JSON object a line:

- ``{"k": "calling", "side", "call", "start"}``: a socket call began (and may block);
- ``{"k": "call", "side", "call", "start", "end", "result", "nbytes"}``: it returned;
- ``{"k": "kernel", "side", "state", "rto_us", "retransmits", "total_retrans", "ts"}``: a
  socket's TCP_INFO changed (read every ``SAMPLE_EVERY`` s while the demo runs);
- ``{"k": "end"}``: the exchange is over.

The privileged side writes these words and reads nothing back; the class's process
(without root) reads them with ``read_news``, which keeps only the fields it knows.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from wirelens.capture import tcpinfo
from wirelens.demos.wired import ProbedCallLog
from wirelens.explain.records import SocketCall

T = TypeVar("T")
SAMPLE_EVERY = 0.05  # s between two TCP_INFO readings of the demo's sockets
LIVE_TIMEOUT = 3600.0  # s a socket call may block while the class holds its packets
MAX_TEXT = 200  # characters of a call's result kept
GIVE_UP = 1.0  # s a recvfrom() waits after the class dropped a datagram: none will come again
POLL = 0.1  # s between two looks at the class's drops while a recvfrom() waits
DROPPED_WORD = b"d"  # the class's process, down its alive pipe: it dropped a frame


class Drops:
    """How many frames the class has dropped, and when it last did (its process says so
    down the alive pipe; job._watch counts them here)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0
        self.last = 0.0  # time.monotonic() of the last drop

    def note(self) -> None:
        with self._lock:
            self.count += 1
            self.last = time.monotonic()

    def given_up(self, before: int, now: float) -> bool:
        """Whether a wait that began when ``before`` frames had been dropped should end:
        one was dropped since, ``GIVE_UP`` s ago or more."""
        with self._lock:
            return self.count > before and now - self.last >= GIVE_UP


@dataclass(frozen=True, slots=True)
class Kernel:
    """One socket's timers as its kernel reported them (TCP_INFO)."""

    side: str
    state: str
    rto_us: int
    retransmits: int  # retransmissions of the current timeout
    total_retrans: int
    ts_ns: int


class News:
    """The privileged side's end: writes the words, never blocks the demo for long."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._gone = False  # a write failed: the class went away
        self._lock = threading.Lock()

    def say(self, item: dict[str, Any]) -> None:
        line = json.dumps(item, separators=(",", ":")).encode() + b"\n"
        with self._lock:
            if self._fd < 0 or self._gone:
                return
            try:
                os.write(self._fd, line)
            except OSError:  # the class went away: the job notices and ends the demo
                self._gone = True  # (the pipe is still closed by close())

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
            self._fd = -1


class LiveCallLog(ProbedCallLog):
    """The call log of a live run: says each call as it begins and returns, gives each
    blocking call all the time the class needs, and watches each TCP socket's timers."""

    def __init__(self, news: News, drops: Drops | None = None) -> None:
        super().__init__()
        self.news = news
        self.drops = drops or Drops()
        self._sockets: dict[int, tuple[str, socket.socket]] = {}
        self._last: dict[int, tuple[object, ...]] = {}
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="wirelens-tcpinfo",
                                         daemon=True)

    def start(self) -> None:
        self._watcher.start()

    def stop(self) -> None:
        self._stop.set()
        if self._watcher.is_alive():
            self._watcher.join()

    def call(self, side: str, name: str, fn: Callable[..., T], *args: Any,
             **options: Any) -> T:
        sock = getattr(fn, "__self__", None)
        if isinstance(sock, socket.socket):
            sock.settimeout(LIVE_TIMEOUT)
            if sock.type == socket.SOCK_STREAM:
                with self._lock:
                    self._sockets.setdefault(id(sock), (side, sock))
            elif name == "recvfrom":
                fn = self._until_dropped(sock, fn)
        self.news.say({"k": "calling", "side": side, "call": name, "start": time.time_ns()})
        result: T = super().call(side, name, fn, *args, **options)
        return result

    def _until_dropped(self, sock: socket.socket, fn: Callable[..., T]) -> Callable[..., T]:
        """A datagram's recvfrom() that waits as long as the class holds frames, but gives
        up (TimeoutError, the call's result in the log) ``GIVE_UP`` s after the class
        dropped one: no kernel sends a datagram again, so what it waits for may never come."""
        before = self.drops.count
        began = time.monotonic()

        def recvfrom(*args: Any) -> T:
            sock.settimeout(POLL)
            while True:
                try:
                    return fn(*args)
                except TimeoutError:
                    now = time.monotonic()
                    if self.drops.given_up(before, now) or now - began > LIVE_TIMEOUT:
                        raise TimeoutError(f"nothing came {GIVE_UP:.0f} s after a datagram "
                                           f"was dropped (UDP does not resend it)") from None

        return recvfrom

    def _add(self, call: SocketCall) -> None:
        super()._add(call)
        self.news.say(_call_item(call))

    def _watch(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY):
            with self._lock:
                watched = list(self._sockets.items())
            for key, (side, sock) in watched:
                if sock.fileno() < 0:
                    continue
                info = tcpinfo.read(sock, side)
                if info is None or info.state == "LISTEN":
                    continue
                now = (info.state, info.rto_us, info.retransmits, info.total_retrans)
                if self._last.get(key) != now:
                    self._last[key] = now
                    self.news.say({"k": "kernel", "side": side, "state": info.state,
                                   "rto_us": info.rto_us, "retransmits": info.retransmits,
                                   "total_retrans": info.total_retrans, "ts": info.ts_ns})


def _call_item(call: SocketCall) -> dict[str, Any]:
    return {"k": "call", "side": call.side, "call": call.call, "start": call.start_ns,
            "end": call.end_ns, "result": call.result[:MAX_TEXT], "nbytes": call.nbytes,
            "conn": call.conn}


# ---------------------------------------------------------------- the class's side


def read_news(line: bytes) -> SocketCall | Kernel | tuple[str, str, str, int] | str | None:
    """One line: a finished call, a kernel's timers, a call begun (side, call, "", start),
    "end", or None when the line is not one of these."""
    try:
        item = json.loads(line)
        kind = item["k"]
        if kind == "end":
            return "end"
        if kind == "calling":
            return (_word(item["side"]), _word(item["call"]), "", int(item["start"]))
        if kind == "call":
            return SocketCall(_word(item["side"]), _word(item["call"]), int(item["start"]),
                              int(item["end"]), str(item["result"])[:MAX_TEXT],
                              int(item["nbytes"]), str(item.get("conn", ""))[:MAX_TEXT])
        if kind == "kernel":
            return Kernel(_word(item["side"]), _word(item["state"]), int(item["rto_us"]),
                          int(item["retransmits"]), int(item["total_retrans"]),
                          int(item["ts"]))
    except (ValueError, KeyError, TypeError):
        return None
    return None


def _word(value: object) -> str:
    text = str(value)
    if not text.replace("_", "").isalnum() or len(text) > 32:
        raise ValueError(f"not a word: {text[:40]!r}")
    return text
