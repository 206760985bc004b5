"""A live demo's capture handed to the unprivileged side as pcapng down a pipe."""

from __future__ import annotations

import os

import pytest

from tests.explain import builders as b
from wirelens.capture.handoff import Handoff, HandoffError
from wirelens.explain.records import SocketCall

FRAMES = b.frames(b.HANDSHAKE + b.DATA + b.CLOSE_FOUR)
CALLS = [SocketCall("client", "connect", 1, 2, "None", -1, "127.0.0.1:40000"),
         SocketCall("client", "send", 3, 4, "14 bytes", 14)]


def test_the_stream_carries_the_frames_and_calls_unchanged() -> None:
    handoff = Handoff(FRAMES * 40, CALLS)  # more than a pipe holds: the writer must wait
    frames, calls = handoff.receive()
    handoff.close()
    assert [(f.index, f.ts_ns, f.data, f.linktype, f.wire_len) for f in frames] == [
        (i, f.ts_ns, f.data, f.linktype, f.wire_len) for i, f in enumerate(FRAMES * 40, 1)]
    assert calls == CALLS
    with pytest.raises(HandoffError):
        handoff.receive()


def test_a_forked_reader_gets_the_end_of_the_stream() -> None:
    handoff = Handoff(FRAMES, CALLS)
    pid = os.fork()
    if pid == 0:  # the child: must see the end even though it inherited the writing end
        code = 1
        try:
            frames, calls = handoff.receive()
            code = 0 if len(frames) == len(FRAMES) and calls == CALLS else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    handoff.close()
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_reader_that_never_reads_does_not_leave_the_writer_stuck() -> None:
    handoff = Handoff(FRAMES * 200, CALLS)
    handoff.close()  # the privileged side gives up: the writer ends on the broken pipe
    assert not handoff._writer.is_alive()
