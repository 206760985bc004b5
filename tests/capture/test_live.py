"""Live capture through libpcap (capture/live.py): each loopback packet once, in order, and
nothing missed at the start. Capturing needs root: those tests are marked live. (A capture
stopped by its judge: tests/capture/test_judge.py.)"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from wirelens.capture import live
from wirelens.capture.live import CaptureStartError, LiveCapture
from wirelens.explain.closewatch import CloseWatcher
from wirelens.explain.dissect import dissect, segment_of
from wirelens.explain.watchers import ReplySeen

SYN, ACK, FIN = 0x02, 0x10, 0x01


def test_a_capture_never_started_stops_with_no_frames() -> None:
    capture = LiveCapture("lo", "tcp")
    assert capture.stop() == [] and capture.judge_pid == 0
    assert not capture.finished.is_set()


def test_without_libpcap_the_capture_does_not_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "_use_libpcap", lambda: False)
    with pytest.raises(CaptureStartError, match="libpcap could not be loaded"):
        LiveCapture("lo", "tcp").start()


@pytest.mark.live
def test_an_interface_that_does_not_exist_is_a_start_error() -> None:
    capture = LiveCapture("wl-no-such0", "tcp")
    with pytest.raises(CaptureStartError, match="cannot capture on wl-no-such0"):
        capture.start()
    assert capture.stop() == []


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server


@pytest.mark.live
def test_a_loopback_exchange_is_captured_once_each_in_order(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    # stopped once the close is captured: libpcap hands packets over in batches, so a
    # capture stopped right after the exchange may not have them yet
    capture = LiveCapture("lo", f"tcp port {port}", until=CloseWatcher())
    capture.start()  # listening once it returns: the SYN below cannot be missed
    try:
        with socket.create_connection(("127.0.0.1", port)) as client:
            conn, _ = listener.accept()
            with conn:
                client.sendall(b"hello")
                assert conn.recv(5) == b"hello"
                client.shutdown(socket.SHUT_WR)
                assert conn.recv(1) == b""
            assert client.recv(1) == b""
        assert capture.finished.wait(10)
    finally:
        frames = capture.stop()
    assert [f.index for f in frames] == list(range(1, len(frames) + 1))
    assert all(f.linktype == 1 and f.interface == "lo" for f in frames)
    assert [f.ts_ns for f in frames] == sorted(f.ts_ns for f in frames)
    assert all(f.ts_ns % 1000 == 0 for f in frames)  # libpcap's microseconds, in ns
    segments = [segment_of(dissect(f)) for f in frames]
    assert all(s is not None for s in segments)
    first = segments[0]
    assert first is not None and first.flags & (SYN | ACK) == SYN and first.dport == port
    # on loopback a packet is seen once, not as an outgoing and an incoming copy
    keys = [(s.src, s.sport, s.seq, s.ack, s.flags) for s in segments if s is not None]
    assert len(keys) == len(set(keys))
    assert sum(1 for s in segments if s is not None and s.flags & FIN) == 2


@pytest.mark.live
def test_wait_for_answers_once_the_event_is_captured() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        capture = LiveCapture("lo", f"udp port {port}")
        capture.start()
        try:
            client.sendto(b"ping", ("127.0.0.1", port))
            data, peer = server.recvfrom(16)
            server.sendto(data, peer)
            assert capture.wait_for(ReplySeen(port), timeout=10)
            assert capture.judge_pid != 0
        finally:
            frames = capture.stop()
    assert len(frames) == 2
