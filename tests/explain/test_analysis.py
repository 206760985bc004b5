"""Wireshark's sequence analysis on scripted segment lists (no capture, no tshark)."""

from __future__ import annotations

from wirelens.explain.analysis import Analysis, Kind, kind_names
from wirelens.explain.wirenumbers import ACK, FIN, PSH, RST, SYN

MS = 1_000_000
C, S = 0, 1  # directions
C_ISN, S_ISN = 1000, 5000


def run(steps: list[tuple[int, int, int, int, int, int, int]]) -> list[set[str]]:
    """steps: (ms, direction, flags, seq offset, ack offset, length, window)."""
    a = Analysis()
    out = []
    for ms, d, flags, seq, ack, length, window in steps:
        own, peer = (C_ISN, S_ISN) if d == C else (S_ISN, C_ISN)
        kinds = a.segment(d, (own + seq) % 2**32, (peer + ack) % 2**32 if flags & ACK else 0,
                          length, flags, window, 10**18 + ms * MS)
        out.append(set(kind_names(kinds)))
    return out


HANDSHAKE = [(0, C, SYN, 0, 0, 0, 512), (1, S, SYN | ACK, 0, 1, 0, 512),
             (2, C, ACK, 1, 1, 0, 512)]


def test_a_clean_exchange_has_no_anomaly() -> None:
    got = run(HANDSHAKE + [(3, C, PSH | ACK, 1, 1, 10, 512), (4, S, ACK, 1, 11, 0, 512),
                           (5, C, FIN | ACK, 11, 1, 0, 512), (6, S, FIN | ACK, 1, 12, 0, 512),
                           (7, C, ACK, 12, 2, 0, 512)])
    assert got == [set()] * 8


def test_timeout_retransmission_then_spurious_after_the_ack() -> None:
    got = run(HANDSHAKE + [(3, C, ACK, 1, 1, 10, 512), (300, C, ACK, 1, 1, 10, 512),
                           (301, S, ACK, 1, 11, 0, 512), (900, C, ACK, 1, 1, 10, 512)])
    assert got[4] == {"retransmission"}
    assert got[6] == {"spurious-retransmission"}


def test_three_duplicate_acks_then_fast_retransmission() -> None:
    steps = HANDSHAKE + [(3, C, ACK, 1, 1, 10, 512), (4, S, ACK, 1, 11, 0, 512),
                         (5, C, ACK, 21, 1, 10, 512), (6, S, ACK, 1, 11, 0, 512),
                         (7, C, ACK, 31, 1, 10, 512), (8, S, ACK, 1, 11, 0, 512),
                         (9, S, ACK, 1, 11, 0, 512), (10, C, ACK, 11, 1, 10, 512)]
    got = run(steps)
    assert got[5] == {"lost-segment"}
    assert [g for g in got[6:10] if g == {"duplicate-ack"}] == [{"duplicate-ack"}] * 3
    assert got[10] == {"fast-retransmission"}


def test_out_of_order_is_close_in_time_retransmission_is_not() -> None:
    early = run(HANDSHAKE + [(3, C, ACK, 11, 1, 10, 512), (3, C, ACK, 1, 1, 10, 512)])
    late = run(HANDSHAKE + [(3, C, ACK, 11, 1, 10, 512), (500, C, ACK, 1, 1, 10, 512)])
    assert early[3] == {"lost-segment"} and early[4] == {"out-of-order"}
    assert late[4] == {"retransmission"}


def test_zero_window_probe_and_update_keep_alive_and_reset() -> None:
    got = run(HANDSHAKE + [(3, C, ACK, 1, 1, 10, 512), (4, S, ACK, 1, 11, 0, 0),
                           (200, C, ACK, 11, 1, 1, 512), (201, S, ACK, 1, 11, 0, 0),
                           (400, S, ACK, 1, 11, 0, 512), (5000, C, ACK, 10, 1, 0, 512),
                           (5001, S, ACK, 1, 11, 0, 512), (6000, C, RST | ACK, 11, 1, 0, 0)])
    assert got[4] == {"zero-window"}
    assert got[5] == {"zero-window-probe"}
    assert got[6] == {"zero-window", "zero-window-probe-ack"}
    assert got[7] == {"window-update"}
    assert got[8] == {"keep-alive"}
    assert got[9] == {"keep-alive-ack"}
    assert got[10] == {"reset"}


def test_window_full_uses_the_peer_window_and_its_scale() -> None:
    got = run(HANDSHAKE + [(3, S, ACK, 1, 1, 0, 100), (4, C, PSH | ACK, 1, 1, 100, 512)])
    assert got[4] == {"window-full"}


def test_sequence_numbers_wrap_around() -> None:
    a = Analysis()
    top = 2**32 - 5
    assert not a.segment(0, top, 0, 0, SYN, 512, 1)
    assert not a.segment(0, (top + 1) % 2**32, 1, 10, ACK, 512, 2)
    assert a.segment(0, (top + 11) % 2**32, 1, 10, ACK, 512, 3) == 0
    assert a.segment(0, (top + 1) % 2**32, 1, 10, ACK, 512, 10**9) & Kind.RETRANSMISSION


def test_an_ack_past_all_the_peer_sent_is_acked_unseen_once_until_the_peer_sends_again() -> None:
    """tshark 4.0: an ACK beyond the peer's highest sequence number is flagged once; the
    same ACK again is not (gopacket-linux_sll_oversized_addr.pcapng, frames 14-19)."""
    got = run(HANDSHAKE + [(3, S, ACK, 1, 1, 10, 512),  # the server sends 10 bytes
                           (4, C, ACK, 1, 21, 0, 512),  # the client acks 20
                           (5, C, ACK | PSH, 1, 21, 5, 512),
                           (6, C, ACK, 6, 21, 0, 600),
                           (7, S, ACK, 31, 6, 10, 512),  # after a gap: 10 more bytes
                           (8, C, ACK, 6, 41, 0, 512),  # acks them: past the gap
                           (9, C, ACK, 6, 61, 0, 512)])  # beyond all again
    assert [("acked-unseen" in g) for g in got[3:]] == [False, True, False, False, False,
                                                         True, True]


def test_acking_past_a_gap_moves_on_so_the_same_ack_again_is_not_flagged() -> None:
    """dnscap-dnso1tcp-midmiss.pcap, frames 14-17: both sides lose a segment."""
    got = run(HANDSHAKE + [(3, S, ACK | PSH, 11, 31, 10, 512),  # server: a gap; acks unseen
                           (4, C, ACK | PSH, 31, 21, 2, 512),  # client: a gap; acks past it
                           (5, S, ACK, 21, 33, 0, 512),
                           (6, C, ACK | PSH, 33, 21, 28, 512)])  # the same ACK again
    assert got[3] == {"lost-segment", "acked-unseen"}
    assert got[4] == {"lost-segment", "acked-unseen"}
    assert got[5] == {"acked-unseen"}
    assert got[6] == set()
