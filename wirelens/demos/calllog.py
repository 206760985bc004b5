"""Records each socket call of a demo with the time it started and returned.

The times come from the same clock as the capture's timestamps (CLOCK_REALTIME), so
the explainer can tell which packet a call caused and which packet let it return.
"""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from wirelens.explain.records import SocketCall

T = TypeVar("T")


def failure(exc: OSError) -> str:
    """A failed call's result: the exception, and the errno's name where it tells more,
    "ConnectionRefusedError", "OSError (EADDRINUSE)" (socketcalls.error_of reads it back)."""
    name = type(exc).__name__
    code = errno.errorcode.get(exc.errno or 0, "")
    return f"{name} ({code})" if code and name == "OSError" else name


class CallLog:
    def __init__(self) -> None:
        self.calls: list[SocketCall] = []
        self._lock = threading.Lock()
        self._local = threading.local()

    @contextmanager
    def naming(self, conn: Callable[[Any], str]) -> Iterator[None]:
        """Calls made in this thread inside the block also record the connection they used:
        ``conn(result)`` (the result is None when the call raised) gives its client's
        address. The call's signature stays as it is, for subclasses that wrap it."""
        self._local.conn = conn
        try:
            yield
        finally:
            self._local.conn = None

    def call(
        self,
        side: str,
        name: str,
        fn: Callable[..., T],
        *args: Any,
        describe: Callable[[T], str] | None = None,
        nbytes: Callable[[T], int] | None = None,
    ) -> T:
        conn: Callable[[Any], str] | None = getattr(self._local, "conn", None)
        start = time.time_ns()
        try:
            result = fn(*args)
        except OSError as exc:
            end = time.time_ns()
            self._add(SocketCall(side, name, start, end, failure(exc), -1,
                                 conn(None) if conn else ""))
            raise
        end = time.time_ns()
        text = describe(result) if describe else ""
        count = nbytes(result) if nbytes else -1
        self._add(SocketCall(side, name, start, end, text, count, conn(result) if conn else ""))
        return result

    def _add(self, call: SocketCall) -> None:
        with self._lock:
            self.calls.append(call)

    def ordered(self) -> list[SocketCall]:
        with self._lock:
            return sorted(self.calls, key=lambda c: c.start_ns)
