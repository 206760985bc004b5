"""The socket-call log in a pcapng comment: written, read back, old and new rows."""

from __future__ import annotations

import json

from wirelens.capture.metadata import PREFIX, calls_comment, calls_from_comments
from wirelens.explain.records import SocketCall

CALLS = [
    SocketCall("server", "listen", 1, 2, "1"),
    SocketCall("server", "recv", 3, 4, "b''", 0, "127.0.0.1:40000"),
]


def test_calls_round_trip_with_the_connection_they_used() -> None:
    assert calls_from_comments(["something else", calls_comment(CALLS)]) == CALLS


def test_a_call_without_a_connection_keeps_the_six_columns_of_older_files() -> None:
    rows = json.loads(calls_comment(CALLS)[len(PREFIX):])
    assert [len(row) for row in rows] == [6, 7]
    old = PREFIX + json.dumps([["client", "connect", 1, 2, "127.0.0.1:8080", -1]])
    assert calls_from_comments([old]) == [SocketCall("client", "connect", 1, 2,
                                                     "127.0.0.1:8080")]


def test_a_damaged_comment_gives_no_calls() -> None:
    assert calls_from_comments([PREFIX + "[[1, 2]]"]) == []
