"""Scenario tests: scripted segments in, roles and states out (no sockets, no root)."""

from tests.explain.builders import (
    CLOSE_FOUR,
    CLOSE_SIMULTANEOUS,
    CLOSE_THREE,
    DATA,
    HANDSHAKE,
    MESSAGE,
    REFUSED,
    segments,
)
from wirelens.explain.conversation import ConversationTracker
from wirelens.explain.refused import refused_syns
from wirelens.explain.tcp_state import State as S


def run(steps):
    tracker = ConversationTracker()
    stories = [tracker.feed(seg) for seg in segments(steps)]
    return stories, tracker.summaries()


def test_handshake_roles_states_and_relative_numbers():
    stories, [summary] = run(HANDSHAKE)
    assert [s.role for s in stories] == ["handshake-1", "handshake-2", "handshake-3"]
    assert [s.states_after for s in stories] == [
        (S.SYN_SENT, S.SYN_RECEIVED),
        (S.ESTABLISHED, S.SYN_RECEIVED),
        (S.ESTABLISHED, S.ESTABLISHED),
    ]
    assert stories[0].states_before == (S.CLOSED, S.LISTEN)
    assert (stories[1].rel_seq, stories[1].rel_ack) == (0, 1)
    assert (stories[2].rel_seq, stories[2].rel_ack) == (1, 1)
    assert stories[1].acked == "syn" and stories[1].receiver_isn == 1000
    assert summary.handshake == "complete" and summary.close == "none"
    assert summary.client == "127.0.0.1:40000" and not summary.client_guessed


def test_data_then_four_segment_close():
    stories, [summary] = run(HANDSHAKE + DATA + CLOSE_FOUR)
    assert [s.role for s in stories[3:]] == [
        "data", "ack", "data", "ack", "close-1", "close-2", "close-3", "close-4"]
    assert [s.states_after for s in stories[7:]] == [
        (S.FIN_WAIT_1, S.CLOSE_WAIT),
        (S.FIN_WAIT_2, S.CLOSE_WAIT),
        (S.TIME_WAIT, S.LAST_ACK),
        (S.TIME_WAIT, S.CLOSED),
    ]
    assert summary.close == "four-segment" and summary.closed_first == "client"
    assert (summary.bytes_c2s, summary.bytes_s2c) == (14, 14)
    assert not summary.half_close
    assert summary.history == "ShADadFf"
    assert not any(s.unexpected for s in stories)


def test_three_segment_close_fin_rides_on_the_ack():
    stories, [summary] = run(HANDSHAKE + DATA + CLOSE_THREE)
    assert [s.role for s in stories[7:]] == ["close-1", "close-2+3", "close-4"]
    assert stories[8].states_after == (S.TIME_WAIT, S.LAST_ACK)
    assert stories[9].states_after == (S.TIME_WAIT, S.CLOSED)
    assert summary.close == "three-segment"


def test_simultaneous_close_goes_through_closing():
    stories, [summary] = run(HANDSHAKE + DATA + CLOSE_SIMULTANEOUS)
    assert stories[8].role == "close-simultaneous"
    assert stories[8].states_after == (S.CLOSING, S.CLOSING)
    assert stories[-1].states_after == (S.TIME_WAIT, S.TIME_WAIT)
    assert summary.close == "simultaneous"


def test_refused_connection():
    stories, [summary] = run(REFUSED)
    assert [s.role for s in stories] == ["handshake-1", "reset"]
    assert stories[-1].states_after[0] is S.CLOSED
    assert summary.handshake == "refused"


def test_a_refused_syn_is_not_told_as_reaching_a_listener():
    tracker = ConversationTracker(refused=refused_syns(segments(REFUSED)))
    stories = [tracker.feed(seg) for seg in segments(REFUSED)]
    assert [s.states_before for s in stories] == [(S.CLOSED, S.CLOSED), (S.SYN_SENT, S.CLOSED)]
    assert stories[-1].states_after == (S.CLOSED, S.CLOSED)


def test_capture_that_starts_mid_stream_guesses_the_client_by_port():
    stories, [summary] = run(DATA)
    assert summary.client_guessed and summary.client == "127.0.0.1:40000"
    assert summary.handshake == "none"
    assert stories[0].states_before == (S.ESTABLISHED, S.ESTABLISHED)


def test_a_segment_the_table_does_not_expect_is_named_not_raised():
    stories, _ = run(HANDSHAKE + [("s", "S", 0, None, b"")])
    assert stories[-1].unexpected  # a bare SYN from an established server
    assert stories[-1].states_after == (S.ESTABLISHED, S.ESTABLISHED)


def test_retransmitted_data_is_marked():
    stories, [summary] = run(HANDSHAKE + DATA[:1] + DATA[:1])
    assert stories[-1].retransmission and not stories[-2].retransmission
    assert summary.bytes_c2s == 14


def test_a_rst_that_does_not_acknowledge_the_syn_is_ignored_and_the_connection_goes_on():
    """RFC 9293 3.10.7.3: in SYN-SENT a RST counts only if it acknowledges the SYN."""
    blind = [("c", "S", 0, None, b""), ("s", "RA", 0, 7, b"")]  # acks ISN + 7, not + 1
    stories, [summary] = run(blind + HANDSHAKE[1:] + DATA + CLOSE_THREE)
    assert stories[1].role == "reset-ignored"
    assert stories[1].states_after == stories[1].states_before == (S.SYN_SENT, S.SYN_RECEIVED)
    assert summary.handshake == "complete" and summary.close == "three-segment"
    assert stories[-1].states_after == (S.TIME_WAIT, S.CLOSED)


def test_a_rst_without_ack_in_syn_sent_is_ignored_too():
    stories, [summary] = run([("c", "S", 0, None, b""), ("s", "R", 0, None, b"")])
    assert stories[1].role == "reset-ignored"
    assert summary.handshake == "unanswered"


def test_a_rst_from_the_client_aborts_its_own_attempt_it_is_no_refusal():
    stories, [summary] = run([("c", "S", 0, None, b""), ("c", "R", 1, None, b"")])
    assert stories[1].role == "reset"
    assert summary.handshake == "aborted"
    assert summary.verdict == "RSTOS0"  # Zeek's word for it


def test_a_syn_ack_captured_before_its_syn_is_the_same_complete_handshake():
    stories, [summary] = run([HANDSHAKE[1], HANDSHAKE[0], HANDSHAKE[2]] + DATA + CLOSE_FOUR)
    assert len({s.conversation for s in stories}) == 1
    assert summary.handshake == "complete" and summary.client == "127.0.0.1:40000"
    assert summary.verdict == "SF"


def test_data_on_the_syn_tcp_fast_open_is_a_complete_handshake():
    tfo = [("c", "S", 0, None, MESSAGE), ("s", "SA", 0, 15, b""), ("c", "A", 15, 1, b"")]
    stories, [summary] = run(tfo + DATA[2:] + CLOSE_THREE)
    assert summary.handshake == "complete"
    assert summary.bytes_c2s == len(MESSAGE)
    assert summary.history.startswith("ST")  # Zeek: a SYN with data writes S, then T


def test_history_is_zeeks_for_a_textbook_connection():
    _, [summary] = run(HANDSHAKE + DATA + CLOSE_FOUR)
    assert (summary.history, summary.verdict) == ("ShADadFf", "SF")


def test_a_syn_retried_after_a_refusal_with_its_old_isn_stays_in_the_conversation():
    """As tshark 4.0's tcp.stream (chrissanders-nowebaccess2.pcapng): a SYN with the ISN
    the conversation began with is a retransmission, even after a RST; a new ISN is a new
    conversation ("port numbers reused")."""
    _, summaries = run(REFUSED + REFUSED)
    assert [s.packets for s in summaries] == [(1, 2, 3, 4)]
    assert ("retransmission", 3) in summaries[0].anomalies
    new_isn = [("c", "S", 7, None, b""), ("s", "RA", 0, 8, b"")]
    _, summaries = run(REFUSED + new_isn)
    assert [s.packets for s in summaries] == [(1, 2), (3, 4)]
