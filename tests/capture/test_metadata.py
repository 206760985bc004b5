"""The socket-call log in a pcapng comment: written, read back, old and new rows."""

from __future__ import annotations

import json

import pytest

from wirelens.capture.metadata import PREFIX, calls_comment, calls_from_comments, read_calls
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


@pytest.mark.parametrize("log, why", [
    ('[["client", "connect", 1e999, 2, "0", 0]]', "not a whole one"),
    ('[["client", "connect", NaN, 2, "0", 0]]', "not a whole one"),
    ("[" * 30_000 + "]" * 30_000, "nested too deeply"),
    ('[["alien", "connect", 1, 2, "0", 0]]', "unknown side 'alien'"),
    ('[["client", "connect", 1, 2, "0", 0, "c", "extra"]]', "6 or 7 values"),
    ('[["client", "connect", 1, ' + "9" * 5000 + ', "0", 0]]', "ignored"),
    ('[["client", "connect", 1, 18446744073709551616, "0", 0]]', "out of range"),
    ('[["client", ["connect"], 1, 2, "0", 0]]', "not short text"),
    ('{"client": 1}', "not a list"),
    ("[1, 2", "ignored"),
], ids=["1e999", "nan", "deep", "unknown-side", "arity", "huge-digits", "beyond-64-bits",
        "not-text", "not-a-list", "cut"])
def test_a_hostile_log_is_ignored_with_the_reason(log: str, why: str) -> None:
    calls, warning = read_calls(["other", PREFIX + log])
    assert calls == [] and "the socket-call log in the section comment is ignored" in warning
    assert why in warning and "\n" not in warning


def test_a_good_log_reads_without_a_warning() -> None:
    assert read_calls([calls_comment(CALLS)]) == (CALLS, "")
    assert read_calls(["no log here"]) == ([], "")
