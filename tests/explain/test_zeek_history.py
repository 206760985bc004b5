"""Zeek's conn.log history letters, segment by segment, and who Zeek takes for the originator."""

from __future__ import annotations

import pytest

from wirelens.explain.wirenumbers import ACK, FIN, PSH, RST, SYN
from wirelens.explain.zeek_history import ZeekHistory, first_sender_is_server

C, S = True, False  # sent by the client, by the server


def history(*segments: tuple[bool, int, int, int], **kw: bool) -> str:
    """(from client, flags, seq, payload length) ... -> the letters."""
    h = ZeekHistory(**kw)
    for from_client, flags, seq, payload_len in segments:
        h.segment(from_client, flags, seq, payload_len)
    return h.text


def test_a_textbook_connection() -> None:
    assert history(
        (C, SYN, 0, 0), (S, SYN | ACK, 0, 0), (C, ACK, 1, 0),
        (C, PSH | ACK, 1, 14), (S, ACK, 1, 0), (S, PSH | ACK, 1, 14), (C, ACK, 15, 0),
        (C, FIN | ACK, 15, 0), (S, ACK, 15, 0), (S, FIN | ACK, 15, 0), (C, ACK, 16, 0),
    ) == "ShADadFf"


def test_a_syn_sent_again_writes_s_only_for_a_new_sequence_number() -> None:
    assert history((C, SYN, 0, 0), (C, SYN, 0, 0)) == "S"
    assert history((C, SYN, 0, 0), (C, SYN, 7, 0)) == "SS"


def test_a_fin_is_placed_after_its_data() -> None:
    # the same FIN again (data and all) is one F; a FIN ending elsewhere is another
    assert history((C, FIN | ACK, 10, 5), (C, FIN | ACK, 10, 5)) == "F"
    assert history((C, FIN | ACK, 10, 5), (C, FIN | ACK, 15, 0)) == "F"
    assert history((C, FIN | ACK, 10, 5), (C, FIN | ACK, 10, 6)) == "FF"


def test_two_of_syn_fin_rst_write_q_or_i_once() -> None:
    assert history((C, SYN | FIN, 0, 0), (C, SYN | FIN, 9, 0)) == "Q"
    assert history((S, FIN | RST, 0, 0)) == "i"
    assert history((C, SYN | RST, 0, 0)) == "Q"


def test_a_syn_with_data_writes_no_d() -> None:
    assert history((C, SYN, 0, 14)) == "S"


def test_data_and_acks_are_written_once_per_side() -> None:
    assert history((C, ACK, 1, 5), (C, ACK, 6, 5), (S, ACK, 1, 0), (S, ACK, 1, 0),
                   (S, ACK, 1, 3)) == "Dad"


def test_a_segment_with_no_flags_and_no_data_writes_nothing() -> None:
    assert history((C, 0, 1, 0)) == ""


def test_a_reset_writes_r_again_at_a_new_number() -> None:
    assert history((S, RST, 5, 0), (S, RST, 5, 0), (S, RST | ACK, 6, 0)) == "rr"


def test_the_responder_as_originator_swaps_the_case() -> None:
    assert history((C, SYN, 0, 0), (S, SYN | ACK, 0, 0), orig_is_client=False) == "sH"


def test_scaled_letters_at_the_1st_10th_and_100th_time() -> None:
    h = ZeekHistory()
    for _ in range(100):
        h.scaled(True, "T")
    h.scaled(False, "W")
    assert h.text == "TTTw"


def test_flip_turns_the_roles_round_and_keeps_the_letters_seen() -> None:
    h = ZeekHistory(orig_is_client=False)
    h.segment(False, SYN | ACK, 0, 0)  # the SYN-ACK came first: the server originated
    h.flip()
    h.segment(True, SYN, 0, 0)
    assert h.text == "H^S" and h.orig_is_client


def test_a_history_turned_round_from_the_start_begins_with_a_caret() -> None:
    assert ZeekHistory(flipped=True).text == "^"


def test_once_says_whether_the_letter_was_seen() -> None:
    h = ZeekHistory()
    assert h.once(True, "D") is False
    assert h.once(True, "D") is True
    assert h.once(False, "D") is False
    assert h.text == "Dd"


@pytest.mark.parametrize(("sport", "dport", "flags", "server_first"), [
    (40000, 80, SYN, False),  # a bare SYN: its sender is the originator
    (80, 40000, SYN | ACK, True),  # a SYN-ACK from a likely server port
    (80, 40000, ACK, True),  # mid-stream, from a likely server port
    (40000, 80, ACK, False),
    (40001, 40000, ACK, False),  # neither port is a likely server's
    (80, 8080, ACK, True),  # both are: the lower port is the server's
    (8080, 80, ACK, False),
    (80, 8080, SYN | ACK, False),  # ... but a SYN-ACK between two of them is not turned round
])
def test_first_sender_is_server_by_likely_server_ports(sport, dport, flags, server_first) -> None:
    assert first_sender_is_server(sport, dport, flags) is server_first
