"""The tracker's record of one conversation: each segment's role, when it has finished,
when a SYN starts a new one, and a conversation told whole (``Settled``)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.explain.builders import CLOSE_FOUR, DATA, HANDSHAKE, segments
from wirelens.explain.conversation import ConversationTracker
from wirelens.explain.conversation_record import (
    ROLES,
    Conversation,
    Settled,
    Side,
    finished,
    name_role,
    reused,
)
from wirelens.explain.tcp_state import State
from wirelens.explain.wirenumbers import ACK, FIN, PSH, RST, SYN

CLIENT, SERVER = ("10.0.0.1", 40000), ("10.0.0.2", 80)


def record(client: State = State.ESTABLISHED, server: State = State.ESTABLISHED,
           **seen: object) -> Conversation:
    conv = Conversation(1, Side(CLIENT, client), Side(SERVER, server), False,
                        pair=(CLIENT, SERVER))
    for name, value in seen.items():
        setattr(conv, name, value)
    return conv


def roles(conv: Conversation, *segments: tuple[int, int, str, str]) -> list[str]:
    """(flags, payload length, sender, what it acks) ... -> each segment's role."""
    return [name_role(conv, flags, size, sender, acked) for flags, size, sender, acked in segments]


def test_the_handshake_roles_and_what_they_note() -> None:
    conv = record()
    assert roles(conv, (SYN, 0, "client", ""), (SYN | ACK, 0, "server", "syn"),
                 (ACK, 0, "client", "syn")) == ["handshake-1", "handshake-2", "handshake-3"]
    assert conv.saw_syn and conv.saw_syn_ack and conv.saw_handshake_ack


def test_a_third_handshake_segment_with_data_is_data() -> None:
    conv = record(saw_syn=True, saw_syn_ack=True)
    assert roles(conv, (PSH | ACK, 14, "client", "syn")) == ["data"]
    assert conv.saw_handshake_ack


def test_a_four_segment_close() -> None:
    conv = record()
    assert roles(conv, (FIN | ACK, 0, "client", ""), (ACK, 0, "server", "fin"),
                 (FIN | ACK, 0, "server", ""), (ACK, 0, "client", "fin")) == [
        "close-1", "close-2", "close-3", "close-4"]
    assert conv.fins == ("client", "server") and conv.fin_acked_alone


def test_a_fin_that_rides_on_the_ack_of_the_first() -> None:
    conv = record()
    assert roles(conv, (FIN | PSH | ACK, 5, "client", ""), (FIN | ACK, 0, "server", "fin"),
                 (ACK, 0, "client", "fin")) == ["data+close-1", "close-2+3", "close-4"]
    assert conv.fin_rode_on_ack


def test_fins_that_cross_are_a_simultaneous_close() -> None:
    conv = record()
    assert roles(conv, (FIN | ACK, 0, "client", ""), (FIN | ACK, 0, "server", ""),
                 (ACK, 0, "client", "fin"), (ACK, 0, "server", "fin")) == [
        "close-1", "close-simultaneous", "close-ack", "close-ack"]
    assert conv.simultaneous


def test_a_reset_from_the_server_before_any_syn_ack_refuses() -> None:
    conv = record(saw_syn=True)
    assert roles(conv, (RST | ACK, 0, "server", "syn")) == ["reset"]
    assert conv.refused and conv.reset_by == "server"


def test_a_reset_from_the_client_aborts_its_own_attempt() -> None:
    conv = record(saw_syn=True)
    assert roles(conv, (RST, 0, "client", "")) == ["reset"]
    assert conv.reset_by == "client" and not conv.refused


def test_the_first_side_to_reset_is_kept() -> None:
    conv = record(saw_syn=True, saw_syn_ack=True)
    assert roles(conv, (RST, 0, "server", ""), (RST, 0, "client", "")) == ["reset", "reset"]
    assert conv.reset_by == "server" and not conv.refused  # the SYN was answered


def test_plain_segments_are_data_or_ack_and_every_role_is_listed() -> None:
    conv = record()
    found = roles(conv, (PSH | ACK, 3, "client", ""), (ACK, 0, "server", "data"))
    assert found == ["data", "ack"]
    assert set(found) <= set(ROLES)


@pytest.mark.parametrize(("client", "server", "done"), [
    (State.TIME_WAIT, State.CLOSED, True),
    (State.CLOSED, State.LISTEN, True),  # a refused connection: the listener stays
    (State.LISTEN, State.CLOSED, False),
    (State.FIN_WAIT_2, State.CLOSED, False),
])
def test_finished_when_both_sides_are_done(client, server, done) -> None:
    assert finished(record(client, server)) is done


def test_a_syn_with_a_new_isn_on_a_known_pair_starts_a_new_conversation() -> None:
    conv = record()
    assert not reused(conv, True, 1000)  # nothing known of the client's numbers yet
    conv.client.base = 1000
    assert not reused(conv, True, 1000)  # the same SYN again
    assert reused(conv, True, 7)
    assert not reused(conv, False, 7)  # the server's numbers are still unknown


def settled_from(summary, **own: int) -> Settled:
    values = dict(number=5, pair=(SERVER, CLIENT), client_first=False, first_index=20,
                  last_index=30, first_ns=100, last_ns=200, packet_count=11, bytes_c2s=3,
                  bytes_s2c=4)
    values.update(own)
    return Settled(template=summary, rows=None, start=0, stop=11, **values)


def test_a_settled_conversation_is_its_templates_shape_with_its_own_sums() -> None:
    tracker = ConversationTracker()
    for seg in segments(HANDSHAKE + DATA + CLOSE_FOUR):
        tracker.feed(seg)
    [template] = tracker.summaries()
    template = replace(template, anomalies=(("reset", 2),))
    settled = settled_from(template)
    assert settled.ends() == (CLIENT, SERVER)
    s = settled.summary(lambda endpoint: endpoint)
    assert (s.number, s.client, s.server) == (5, "10.0.0.1:40000", "10.0.0.2:80")
    assert (s.bytes_c2s, s.bytes_s2c, s.packet_count, s.first_packet) == (3, 4, 11, 20)
    assert (s.history, s.verdict, s.close) == (template.history, "SF", "four-segment")
    assert s.packets == ()  # frame numbers are not kept
    assert s.anomalies == (("reset", 30),)  # told at this conversation's last frame
