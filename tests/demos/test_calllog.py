"""calllog: each socket call recorded with when it started and returned, and its result."""

from __future__ import annotations

import errno
import threading

import pytest

from wirelens.demos.calllog import CallLog, failure


@pytest.mark.parametrize(("exc", "said"), [
    (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), "ConnectionRefusedError"),
    (OSError(errno.EADDRINUSE, "in use"), "OSError (EADDRINUSE)"),
    (OSError("no errno"), "OSError"),
    (TimeoutError(), "TimeoutError"),
])
def test_a_failure_is_named_by_its_exception_and_errno_where_that_tells_more(
        exc: OSError, said: str) -> None:
    assert failure(exc) == said


def test_a_call_is_recorded_with_its_times_result_and_byte_count() -> None:
    log = CallLog()
    got = log.call("client", "send", lambda data: len(data), b"hello",
                   describe=lambda n: f"{n} bytes", nbytes=lambda n: n)
    assert got == 5
    (call,) = log.calls
    assert (call.side, call.call, call.result, call.nbytes, call.conn) == (
        "client", "send", "5 bytes", 5, "")
    assert 0 < call.start_ns <= call.end_ns


def test_without_describe_the_result_is_blank_and_no_bytes_counted() -> None:
    log = CallLog()
    log.call("server", "listen", lambda backlog: None, 1)
    assert (log.calls[0].result, log.calls[0].nbytes) == ("", -1)


def test_a_failed_call_is_recorded_and_raised_again() -> None:
    def refuse(address: tuple[str, int]) -> None:
        raise ConnectionRefusedError(errno.ECONNREFUSED, "refused")

    log = CallLog()
    with pytest.raises(ConnectionRefusedError):
        log.call("client", "connect", refuse, ("127.0.0.1", 9), describe=lambda _: "never")
    (call,) = log.calls
    assert (call.result, call.nbytes) == ("ConnectionRefusedError", -1)


def test_only_os_errors_are_recorded() -> None:
    log = CallLog()
    with pytest.raises(ValueError):
        log.call("client", "send", int, "not a number")
    assert log.calls == []  # a bug in the demo, not a socket call's result


def test_calls_inside_naming_record_their_connection() -> None:
    log = CallLog()
    with log.naming(lambda result: f"client of {result}"):
        log.call("server", "recv", lambda: "conn-1")
    log.call("server", "recv", lambda: "conn-2")  # outside the block: no connection
    assert [c.conn for c in log.calls] == ["client of conn-1", ""]


def test_a_failed_call_names_its_connection_from_none() -> None:
    def reset() -> None:
        raise ConnectionResetError

    log = CallLog()
    with log.naming(lambda result: "none" if result is None else "some"), \
            pytest.raises(ConnectionResetError):
        log.call("client", "recv", reset)
    assert log.calls[0].conn == "none"


def test_naming_belongs_to_the_thread_that_set_it() -> None:
    log = CallLog()
    other = threading.Thread(target=lambda: log.call("client", "send", lambda: 1))
    with log.naming(lambda result: "server's"):
        other.start()
        other.join()
        log.call("server", "recv", lambda: 2)
    assert {c.side: c.conn for c in log.calls} == {"client": "", "server": "server's"}


def test_ordered_is_by_start_time() -> None:
    log = CallLog()
    log.call("client", "first", lambda: None)
    log.call("client", "second", lambda: None)
    log.calls.reverse()  # recorded as threads finish, not as they start
    assert [c.call for c in log.ordered()] == ["first", "second"]
