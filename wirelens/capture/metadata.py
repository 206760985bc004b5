"""The demo's socket-call log, kept in a pcapng comment so a saved capture keeps it.

``explain-pcap demo.pcapng`` can then show which call caused which packet, as the live
demo did. Other tools show the comment as text and are not bothered by it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from wirelens.explain.records import SocketCall

PREFIX = "wirelens-socket-calls "


def calls_comment(calls: Sequence[SocketCall]) -> str:
    rows = [[c.side, c.call, c.start_ns, c.end_ns, c.result, c.nbytes]
            + ([c.conn] if c.conn else []) for c in calls]
    return PREFIX + json.dumps(rows, ensure_ascii=False)


SIDES = ("client", "server")
MAX_COMMENT = 4 << 20  # characters: a demo's log is kilobytes; a bigger one is not ours
MAX_TEXT = 256  # characters of a call's name, result or connection
MAX_NS = 2**63 - 1  # time stamps and byte counts are kept as signed 64-bit numbers


class BadCalls(ValueError):
    """The socket-call log in a capture's comment cannot be used; the reason, in words."""


def calls_from_comments(comments: Iterable[str]) -> list[SocketCall]:
    """The calls in the first wirelens comment; [] when there is none or it is damaged."""
    return read_calls(comments)[0]


def read_calls(comments: Iterable[str]) -> tuple[list[SocketCall], str]:
    """(calls, "") from the first wirelens comment, or ([], why it was ignored): the
    comment comes from the file, so it is checked like any other byte of it."""
    for comment in comments:
        if not comment.startswith(PREFIX):
            continue
        try:
            return _parsed(comment[len(PREFIX):]), ""
        except BadCalls as exc:
            return [], f"the socket-call log in the section comment is ignored: {exc}"
    return [], ""


def _parsed(text: str) -> list[SocketCall]:
    if len(text) > MAX_COMMENT:
        raise BadCalls(f"it is {len(text)} characters long")
    try:
        rows = json.loads(text, parse_float=_no_float, parse_constant=_no_float)
    except RecursionError:
        raise BadCalls("it is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, and the floats refused
        raise BadCalls(str(exc).split("\n")[0][:120]) from None
    if not isinstance(rows, list):
        raise BadCalls("it is not a list of calls")
    return [_call(i, row) for i, row in enumerate(rows, 1)]


def _no_float(text: str) -> object:
    raise ValueError(f"a number {text[:20]} that is not a whole one")


def _call(number: int, row: object) -> SocketCall:
    """One row: side, call, start, end, result, bytes, and a 7th column naming the
    connection in newer files."""
    if not isinstance(row, list) or len(row) not in (6, 7):
        raise BadCalls(f"call {number} is not a row of 6 or 7 values")
    side, call, start, end, result, nbytes, *conn = row
    if side not in SIDES:
        raise BadCalls(f"call {number} names an unknown side {str(side)[:20]!r}")
    texts = (call, result, *conn)
    if not all(isinstance(t, str) and len(t) <= MAX_TEXT for t in texts):
        raise BadCalls(f"call {number} has a name, result or connection that is not "
                       "short text")
    if not all(type(n) is int and -1 <= n <= MAX_NS for n in (start, end, nbytes)):
        raise BadCalls(f"call {number} has a time or byte count out of range")
    return SocketCall(side, call, start, end, result, nbytes, conn[0] if conn else "")
