"""news: the words the privileged side says while a live demo runs (written down a pipe),
and the call log that says them. (Reading a line back and ``Drops`` are tested with the
room that uses them: test_room.py.)"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator

import pytest

from wirelens.app.live import news
from wirelens.explain.records import SocketCall


@pytest.fixture()
def pipe() -> Iterator[tuple[int, news.News]]:
    """The class's reading end, and News on the writing end."""
    read, write = os.pipe()
    said = news.News(write)
    yield read, said
    said.close()
    os.close(read)


def lines(fd: int) -> list[dict[str, object]]:
    os.set_blocking(fd, False)
    try:
        data = os.read(fd, 1 << 16)
    except BlockingIOError:
        return []
    return [json.loads(line) for line in data.splitlines()]


def test_each_word_is_one_compact_json_line(pipe: tuple[int, news.News]) -> None:
    read, said = pipe
    said.say({"k": "end"})
    said.say({"k": "calling", "side": "client", "call": "connect", "start": 7})
    assert os.read(read, 1 << 16) == (b'{"k":"end"}\n{"k":"calling","side":"client",'
                                      b'"call":"connect","start":7}\n')


def test_when_the_class_is_gone_the_words_are_dropped_quietly() -> None:
    read, write = os.pipe()
    said = news.News(write)
    os.close(read)
    said.say({"k": "end"})  # EPIPE (SIGPIPE is ignored by Python): no exception
    said.say({"k": "end"})
    said.close()


def test_the_pipe_is_closed_even_after_the_class_went_away() -> None:
    read, write = os.pipe()
    said = news.News(write)
    os.close(read)
    said.say({"k": "end"})
    said.close()
    try:
        with pytest.raises(OSError):
            os.fstat(write)
    finally:
        try:
            os.close(write)
        except OSError:
            pass


def test_a_finished_call_is_said_as_the_class_reads_it(pipe: tuple[int, news.News]) -> None:
    read, said = pipe
    call = SocketCall("server", "recv", 10, 20, "x" * 500, 500, "10.0.0.1:40000")
    said.say(news._call_item(call))
    (item,) = lines(read)
    back = news.read_news(json.dumps(item).encode())
    assert back == SocketCall("server", "recv", 10, 20, "x" * news.MAX_TEXT, 500,
                              "10.0.0.1:40000")


def test_a_call_begun_is_read_back_as_side_call_and_start() -> None:
    line = b'{"k":"calling","side":"client","call":"connect","start":42}'
    assert news.read_news(line) == ("client", "connect", "", 42)
    assert news.read_news(b'{"k":"calling","side":"a b","call":"x","start":1}') is None


@pytest.mark.parametrize("word", ["client", "SYN_SENT", "recv_into"])
def test_words_are_letters_digits_and_underscores(word: str) -> None:
    assert news._word(word) == word


@pytest.mark.parametrize("word", ["", "a-b", "<b>", "x" * 33])
def test_anything_else_is_not_a_word(word: str) -> None:
    with pytest.raises(ValueError):
        news._word(word)


def test_the_call_log_says_each_call_as_it_begins_and_returns(
        pipe: tuple[int, news.News]) -> None:
    read, said = pipe
    log = news.LiveCallLog(said)
    a, b = socket.socketpair()
    with a, b:
        log.call("client", "send", a.send, b"hi", nbytes=lambda n: n)
        assert a.gettimeout() == news.LIVE_TIMEOUT  # blocks as long as the class needs
    begun, done = lines(read)
    assert (begun["k"], begun["side"], begun["call"]) == ("calling", "client", "send")
    assert (done["k"], done["call"], done["nbytes"]) == ("call", "send", 2)
    assert begun["start"] <= done["start"]  # type: ignore[operator]
    assert [c.call for c in log.calls] == ["send"]


def test_a_recvfrom_ends_after_the_class_dropped_a_datagram(
        pipe: tuple[int, news.News], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(news, "GIVE_UP", 0.0)
    monkeypatch.setattr(news, "POLL", 0.01)
    _, said = pipe
    log = news.LiveCallLog(said)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        log.drops.note()  # dropped before the wait began: that one does not count
        waiting = log._until_dropped(sock, sock.recvfrom)
        log.drops.note()
        with pytest.raises(TimeoutError, match="UDP does not resend it"):
            waiting(16)


def test_a_recvfrom_still_returns_what_comes(pipe: tuple[int, news.News]) -> None:
    _, said = pipe
    log = news.LiveCallLog(said)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.sendto(b"answer", sock.getsockname())
        data, _ = log.call("client", "recvfrom", sock.recvfrom, 16)
    assert data == b"answer"


def test_the_watcher_says_a_tcp_sockets_state_when_it_changes(
        pipe: tuple[int, news.News], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(news, "SAMPLE_EVERY", 0.01)
    read, said = pipe
    log = news.LiveCallLog(said)
    with socket.create_server(("127.0.0.1", 0)) as server, \
            socket.create_connection(server.getsockname()) as client:
        log.call("client", "getsockname", client.getsockname)  # now a watched socket
        log.start()
        kernel: list[dict[str, object]] = []
        for _ in range(500):  # the first reading comes within SAMPLE_EVERY
            kernel += [item for item in lines(read) if item["k"] == "kernel"]
            if kernel:
                break
            time.sleep(news.SAMPLE_EVERY)
        time.sleep(5 * news.SAMPLE_EVERY)  # a few more readings, of the same timers
        kernel += [item for item in lines(read) if item["k"] == "kernel"]
        log.stop()
    (word,) = kernel  # one word while nothing changes, not one per reading
    assert (word["side"], word["state"]) == ("client", "ESTABLISHED")
