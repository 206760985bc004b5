"""The numbers behind a time-sequence graph: data, ACKs and the advertised window's edge."""

from __future__ import annotations

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

from tests.capture.test_ends import LOSS
from tests.capture.wirebuild import ENDS, run
from tests.explain.builders import CLOSE_FOUR, DATA, HANDSHAKE, frames
from wirelens.capture.ends import merge
from wirelens.explain.records import Frame
from wirelens.explain.tseq import time_sequence

EXCHANGE = HANDSHAKE + DATA + CLOSE_FOUR  # frame 4: the client's 14 bytes; 6: the server's


def without_options(frame: Frame) -> Frame:
    """The frame with its TCP options taken out (no window scale), lengths and sums redone."""
    packet = Ether(frame.data)
    packet[TCP].options = []
    del packet[IP].len, packet[IP].chksum, packet[TCP].dataofs, packet[TCP].chksum
    return Frame(frame.index, frame.ts_ns, bytes(packet))


def test_time_sequence_marks_the_retransmission():
    client, server, log = run(LOSS)
    frames_, _, _ = merge(client, server, ENDS, log)
    series = time_sequence(frames_, [(frames_[0].ts_ns, 10)])
    kinds = [(p.packet, p.kind) for p in series.points if p.kind in ("new", "retransmission")]
    assert kinds == [(4, "new"), (5, "retransmission")]
    assert series.top == 16 and series.retransmissions == 1 and series.cwnd == ((0.0, 10),)


def test_the_clients_data_ends_and_the_servers_acks() -> None:
    series = time_sequence(frames(EXCHANGE))
    data = [(p.packet, p.seq) for p in series.points if p.kind == "new"]
    acks = [(p.packet, p.seq) for p in series.points if p.kind == "ack"]
    assert data == [(4, 15)]  # relative seq 1, 14 bytes: the segment ends at 15
    assert acks == [(5, 15), (6, 15), (9, 16), (10, 16)]  # the SYN-ACK is no ack point
    assert series.top == 16 and series.retransmissions == 0
    assert series.points[0].time == 3e-6  # builders' frames are 1 µs apart


def test_the_server_as_sender() -> None:
    series = time_sequence(frames(EXCHANGE), sender="server")
    assert [(p.packet, p.seq) for p in series.points if p.kind == "new"] == [(6, 15)]
    assert series.sender == "server"
    assert [p.packet for p in series.points if p.kind == "ack"] == [3, 4, 7, 8, 11]


def test_the_window_is_scaled_when_both_syns_offered_a_scale() -> None:
    series = time_sequence(frames(EXCHANGE))
    assert set(w for _, w in series.receive_window) == {512 << 7}
    unscaled = frames(EXCHANGE)
    unscaled[1] = without_options(unscaled[1])  # the SYN-ACK offers no window scale
    assert set(w for _, w in time_sequence(unscaled).receive_window) == {512}


def test_congestion_window_samples_before_the_first_frame_are_left_out() -> None:
    frames_ = frames(EXCHANGE)
    first = frames_[0].ts_ns
    series = time_sequence(frames_, [(first - 5, 3), (first + 20_000, 12)])
    assert series.cwnd == ((20e-6, 12),)
    assert series.duration == 20e-6  # the last sample, after the last packet


def test_no_frames_is_an_empty_graph() -> None:
    series = time_sequence([])
    assert (series.points, series.duration, series.top) == ((), 0.0, 0)
