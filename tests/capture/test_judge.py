"""The judge: a capture's stop condition and events, decided by a process without root."""

from __future__ import annotations

import io
import os
import pwd
import socket
import threading
import time

import pytest

from tests.explain import builders as b
from wirelens.capture import judge
from wirelens.capture.pcapfile import PcapngStream, open_capture
from wirelens.explain.closewatch import CloseWatcher
from wirelens.explain.watchers import ResetSeen, ZeroWindowSeen

EXCHANGE = b.frames(b.HANDSHAKE + b.DATA + b.CLOSE_FOUR)
NOBODY = pwd.getpwnam("nobody")


def _verdicts(stream: bytes) -> list[str]:
    """Runs the child's side on a recorded stream; returns the lines it would say."""
    read, write = os.pipe()
    os.write(write, stream)
    os.close(write)
    out = io.BytesIO()
    verdicts = judge._Verdicts(out)
    with open_capture("<pipe>", fd=read) as capture:
        capture.on_custom = verdicts.instruction
        for frame in capture:
            verdicts.frame(frame)
    os.close(read)
    return out.getvalue().decode().splitlines()


def test_the_stop_comes_after_the_last_ack_and_events_when_seen() -> None:
    enc = PcapngStream()
    stream = enc.header() + judge._instruction(judge.STOP_ID, CloseWatcher())
    stream += b"".join(enc.frame(f) for f in EXCHANGE[:5])
    stream += judge._instruction(1, ZeroWindowSeen("server"))  # never happens
    stream += judge._instruction(2, CloseWatcher())  # asked mid-way, answered at the end
    stream += b"".join(enc.frame(f) for f in EXCHANGE[5:])
    assert _verdicts(stream) == ["stop", "event 2"]


def test_an_event_already_seen_is_answered_at_once() -> None:
    enc = PcapngStream()
    frames = b.frames(b.REFUSED)
    stream = enc.header() + b"".join(enc.frame(f) for f in frames)
    stream += judge._instruction(3, ResetSeen())
    assert _verdicts(stream) == ["event 3"]


def test_a_pipe_is_read_in_one_pass_like_a_file(tmp_path) -> None:
    enc = PcapngStream(comment="from a pipe")
    data = enc.header() + b"".join(enc.frame(f) for f in EXCHANGE)
    read, write = os.pipe()
    writer = threading.Thread(target=lambda: (os.write(write, data), os.close(write)))
    writer.start()
    with open_capture("<pipe>", fd=read) as capture:
        got = list(capture)
        assert capture.comments == ["from a pipe"]
    writer.join()
    os.close(read)
    assert [(f.ts_ns, f.data) for f in got] == [(f.ts_ns, f.data) for f in EXCHANGE]


def test_the_local_judge_answers_in_process() -> None:
    stopped = threading.Event()
    local = judge.LocalJudge(CloseWatcher(), stopped)
    for frame in EXCHANGE[:-1]:
        local.feed(frame)
    assert not stopped.is_set()
    local.feed(EXCHANGE[-1])
    assert stopped.is_set()
    assert local.watch(ResetSeen()).is_set() is False


def _uids(pid: int) -> set[str]:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("Uid:"))
    return set(line.split()[1:])


@pytest.mark.live
def test_the_judge_runs_without_root_and_hears_everything(monkeypatch) -> None:
    monkeypatch.delenv("SUDO_UID", raising=False)
    stopped = threading.Event()
    child = judge.Judge(CloseWatcher(), stopped)
    child.start()
    try:
        reset = child.watch(ResetSeen())
        for frame in EXCHANGE:
            child.feed(frame)
        assert stopped.wait(10), child.error
        deadline = time.monotonic() + 5
        while _uids(child.pid) != {str(NOBODY.pw_uid)} and time.monotonic() < deadline:
            time.sleep(0.01)  # it drops root right after loading its modules
        assert _uids(child.pid) == {str(NOBODY.pw_uid)}
        assert not reset.is_set()
    finally:
        child.close()
    assert child.error == ""


@pytest.mark.live
def test_a_live_capture_stops_on_the_judges_word_and_root_parses_nothing(monkeypatch) -> None:
    from wirelens.capture.live import LiveCapture

    parent_calls: list[int] = []
    monkeypatch.setattr(CloseWatcher, "__call__",
                        lambda self, frames: parent_calls.append(len(frames)) or False)
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    capture = LiveCapture("lo", f"tcp port {port}", until=CloseWatcher())
    capture.start()
    try:
        assert isinstance(capture.judge, judge.Judge)
        with socket.create_connection(("127.0.0.1", port)) as client:
            conn, _ = server.accept()
            client.sendall(b"hello")
            conn.recv(5)
            client.shutdown(socket.SHUT_WR)
            conn.recv(1)
            conn.close()
        assert capture.finished.wait(10), capture.judge.error
        assert _uids(capture.judge.pid) == {str(NOBODY.pw_uid)}
    finally:
        frames = capture.stop()
        server.close()
    assert parent_calls == []  # the watcher never ran in the capturing (root) process
    assert len(frames) >= 8
