"""The events a running demo waits for, read off a growing list of frames."""

from __future__ import annotations

from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether

from tests.explain.builders import HANDSHAKE, REFUSED, frames
from wirelens.explain.records import Frame
from wirelens.explain.watchers import (
    ReplySeen,
    ResetSeen,
    SynRetransmitted,
    Watcher,
    ZeroWindowProbeAnswered,
    ZeroWindowSeen,
)

C, S = ("127.0.0.1", 40000), ("127.0.0.1", 8080)


def first_true(watcher: Watcher, growing: list[Frame]) -> int:
    """The number of frames after which the watcher first says yes (0: never), fed as a
    live capture feeds it: the same list, one frame longer each time."""
    for n in range(1, len(growing) + 1):
        if watcher(growing[:n]):
            return n
    return 0


def segment(i: int, src: tuple[str, int], dst: tuple[str, int], flags: str, seq: int,
            ack: int, window: int, payload: bytes = b"") -> Frame:
    packet = (Ether() / IP(src=src[0], dst=dst[0])
              / TCP(sport=src[1], dport=dst[1], flags=flags, seq=seq, ack=ack, window=window)
              / payload)
    return Frame(i, 10**18 + i, bytes(packet))


def test_reset_seen_waits_for_as_many_conversations_as_asked() -> None:
    assert first_true(ResetSeen(), frames(REFUSED)) == 2
    assert first_true(ResetSeen(conversations=2), frames(REFUSED)) == 0


def test_a_syn_sent_again_is_seen_on_the_second() -> None:
    again = frames([("c", "S", 0, None, b""), ("c", "S", 0, None, b"")] + HANDSHAKE[1:])
    assert first_true(SynRetransmitted(), again) == 2
    assert first_true(SynRetransmitted(), frames(HANDSHAKE)) == 0


def test_zero_window_then_a_probe_and_its_answer() -> None:
    full = [
        segment(1, C, S, "S", 100, 0, 65495),
        segment(2, S, C, "SA", 500, 101, 2048),
        segment(3, C, S, "A", 101, 501, 512),
        segment(4, C, S, "PA", 101, 501, 512, b"x" * 2048),
        segment(5, S, C, "A", 501, 2149, 0),  # the buffer is full
        segment(6, C, S, "A", 2148, 501, 512),  # Linux's probe: one below the next byte
        segment(7, S, C, "A", 501, 2149, 0),  # the answer: still closed
        segment(8, S, C, "A", 501, 2149, 2048),  # the reader read: a window update
    ]
    assert first_true(ZeroWindowSeen("server"), full) == 5
    assert first_true(ZeroWindowProbeAnswered("server"), full) == 7


def test_a_reply_is_a_datagram_from_the_servers_port() -> None:
    def datagram(i: int, src: tuple[str, int], dst: tuple[str, int]) -> Frame:
        packet = Ether() / IP(src=src[0], dst=dst[0]) / UDP(sport=src[1], dport=dst[1]) / b"hi"
        return Frame(i, 10**18 + i, bytes(packet))

    exchange = [datagram(1, C, S), datagram(2, S, C)]
    assert first_true(ReplySeen(S[1]), exchange) == 2
