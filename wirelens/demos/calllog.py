"""Records each socket call of a demo with the time it started and returned.

The times come from the same clock as the capture's timestamps (CLOCK_REALTIME), so
the explainer can tell which packet a call caused and which packet let it return.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from wirelens.explain.records import SocketCall

T = TypeVar("T")


class CallLog:
    def __init__(self) -> None:
        self.calls: list[SocketCall] = []
        self._lock = threading.Lock()

    def call(
        self,
        side: str,
        name: str,
        fn: Callable[..., T],
        *args: Any,
        describe: Callable[[T], str] | None = None,
        nbytes: Callable[[T], int] | None = None,
    ) -> T:
        start = time.time_ns()
        try:
            result = fn(*args)
        except OSError as exc:
            self._add(SocketCall(side, name, start, time.time_ns(), type(exc).__name__))
            raise
        end = time.time_ns()
        text = describe(result) if describe else ""
        count = nbytes(result) if nbytes else -1
        self._add(SocketCall(side, name, start, end, text, count))
        return result

    def _add(self, call: SocketCall) -> None:
        with self._lock:
            self.calls.append(call)

    def ordered(self) -> list[SocketCall]:
        with self._lock:
            return sorted(self.calls, key=lambda c: c.start_ns)
