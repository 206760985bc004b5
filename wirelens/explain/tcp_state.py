"""The TCP connection state machine of RFC 9293 (section 3.3.2), as one table.

Theory of operation: wirelens watches segments from outside, so each segment is two
events, one for the endpoint that sent it and one for the endpoint that received it
(on loopback both happen at once). ``classify`` turns a segment into those two events;
``TRANSITIONS`` says, for each (state, event), the state that follows. A pair that is
not in the table is an "unexpected segment": the state stays and the explainer says so.
Nothing here raises on odd input.

The same table is drawn as the state diagram (``transition_graph``), and the catalogs
explain every state and every transition (a test checks both languages cover them).
"""

from __future__ import annotations

from enum import Enum
from itertools import pairwise
from typing import TYPE_CHECKING

from wirelens.explain.text import Message, msg
from wirelens.explain.wirenumbers import ACK, FIN, RST, SYN

if TYPE_CHECKING:  # loaded when a diagram is drawn: every process that follows TCP imports
    import networkx as nx  # this table, and networkx takes a tenth of a second to load


class State(Enum):
    CLOSED = "CLOSED"
    LISTEN = "LISTEN"
    SYN_SENT = "SYN_SENT"
    SYN_RECEIVED = "SYN_RECEIVED"
    ESTABLISHED = "ESTABLISHED"
    FIN_WAIT_1 = "FIN_WAIT_1"
    FIN_WAIT_2 = "FIN_WAIT_2"
    CLOSE_WAIT = "CLOSE_WAIT"
    CLOSING = "CLOSING"
    LAST_ACK = "LAST_ACK"
    TIME_WAIT = "TIME_WAIT"


class Event(Enum):
    # What the application asks of its socket (drawn in the diagram; a capture never shows them).
    APP_LISTEN = "app_listen"  # listen()
    APP_CLOSE = "app_close"  # close() before any segment was sent
    TIMEOUT_2MSL = "timeout_2msl"  # TIME_WAIT ends after twice the maximum segment lifetime
    # Segments this endpoint sends.
    SND_SYN = "snd_syn"
    SND_SYN_ACK = "snd_syn_ack"
    SND_FIN = "snd_fin"
    SND_RST = "snd_rst"
    SND_SEGMENT = "snd_segment"  # data and/or a plain acknowledgement
    # Segments this endpoint receives.
    RCV_SYN = "rcv_syn"
    RCV_SYN_ACK = "rcv_syn_ack"
    RCV_ACK_OF_SYN = "rcv_ack_of_syn"
    RCV_FIN = "rcv_fin"
    RCV_FIN_ACK_OF_FIN = "rcv_fin_ack_of_fin"  # the peer's FIN also acknowledges ours
    RCV_ACK_OF_FIN = "rcv_ack_of_fin"
    RCV_RST = "rcv_rst"
    RCV_SEGMENT = "rcv_segment"


S, E = State, Event

TRANSITIONS: dict[tuple[State, Event], State] = {
    # Opening (RFC 9293 figure 5, upper half).
    (S.CLOSED, E.APP_LISTEN): S.LISTEN,
    (S.LISTEN, E.APP_CLOSE): S.CLOSED,
    (S.CLOSED, E.SND_SYN): S.SYN_SENT,
    (S.SYN_SENT, E.APP_CLOSE): S.CLOSED,
    (S.SYN_SENT, E.SND_SYN): S.SYN_SENT,  # the SYN sent again after a timeout
    (S.LISTEN, E.RCV_SYN): S.SYN_RECEIVED,
    (S.SYN_SENT, E.RCV_SYN): S.SYN_RECEIVED,  # simultaneous open
    (S.SYN_RECEIVED, E.SND_SYN_ACK): S.SYN_RECEIVED,
    (S.SYN_RECEIVED, E.RCV_SYN): S.SYN_RECEIVED,  # the peer's SYN again: our SYN-ACK was lost
    (S.SYN_SENT, E.RCV_SYN_ACK): S.ESTABLISHED,
    (S.SYN_RECEIVED, E.RCV_ACK_OF_SYN): S.ESTABLISHED,
    (S.SYN_RECEIVED, E.RCV_SYN_ACK): S.ESTABLISHED,  # simultaneous open, second half
    # Data transfer: any number of segments each way.
    (S.ESTABLISHED, E.SND_SEGMENT): S.ESTABLISHED,
    (S.ESTABLISHED, E.RCV_SEGMENT): S.ESTABLISHED,
    (S.ESTABLISHED, E.RCV_SYN_ACK): S.ESTABLISHED,  # a duplicate SYN-ACK: our ACK was lost
    (S.ESTABLISHED, E.RCV_ACK_OF_SYN): S.ESTABLISHED,
    # Closing (RFC 9293 figure 5, lower half), the side that closes first ...
    (S.ESTABLISHED, E.SND_FIN): S.FIN_WAIT_1,
    (S.FIN_WAIT_1, E.SND_FIN): S.FIN_WAIT_1,  # the FIN sent again
    (S.FIN_WAIT_1, E.RCV_SEGMENT): S.FIN_WAIT_1,  # data still arriving from the peer
    (S.FIN_WAIT_1, E.RCV_ACK_OF_FIN): S.FIN_WAIT_2,
    (S.FIN_WAIT_1, E.RCV_FIN): S.CLOSING,  # simultaneous close
    (S.FIN_WAIT_1, E.RCV_FIN_ACK_OF_FIN): S.TIME_WAIT,
    (S.FIN_WAIT_2, E.RCV_SEGMENT): S.FIN_WAIT_2,  # half-close: the peer may still send
    (S.FIN_WAIT_2, E.SND_SEGMENT): S.FIN_WAIT_2,
    (S.FIN_WAIT_2, E.RCV_FIN): S.TIME_WAIT,
    (S.FIN_WAIT_2, E.RCV_FIN_ACK_OF_FIN): S.TIME_WAIT,
    (S.FIN_WAIT_1, E.SND_SEGMENT): S.FIN_WAIT_1,  # acknowledging the peer's data
    (S.CLOSING, E.SND_SEGMENT): S.CLOSING,
    (S.CLOSING, E.RCV_ACK_OF_FIN): S.TIME_WAIT,
    (S.TIME_WAIT, E.SND_SEGMENT): S.TIME_WAIT,  # the last ACK leaves from TIME_WAIT
    (S.TIME_WAIT, E.RCV_FIN): S.TIME_WAIT,  # the peer's FIN again: our last ACK was lost
    (S.TIME_WAIT, E.TIMEOUT_2MSL): S.CLOSED,
    # ... and the side that closes second.
    (S.ESTABLISHED, E.RCV_FIN): S.CLOSE_WAIT,
    (S.CLOSE_WAIT, E.SND_SEGMENT): S.CLOSE_WAIT,  # half-close: it may still send data
    (S.CLOSE_WAIT, E.RCV_SEGMENT): S.CLOSE_WAIT,
    (S.CLOSE_WAIT, E.RCV_FIN): S.CLOSE_WAIT,  # the peer's FIN again
    (S.CLOSE_WAIT, E.SND_FIN): S.LAST_ACK,
    (S.LAST_ACK, E.SND_FIN): S.LAST_ACK,
    (S.LAST_ACK, E.RCV_SEGMENT): S.LAST_ACK,
    (S.LAST_ACK, E.RCV_ACK_OF_FIN): S.CLOSED,
    # A reset ends the connection from any synchronized state, on both sides.
    (S.SYN_SENT, E.RCV_RST): S.CLOSED,  # connection refused
    (S.SYN_RECEIVED, E.SND_RST): S.CLOSED,
    (S.SYN_RECEIVED, E.RCV_RST): S.CLOSED,
    (S.LISTEN, E.SND_RST): S.LISTEN,  # nobody listening would answer so; a listener keeps listening
    # Nothing listens on the port (RFC 9293 3.10.7.1): the SYN finds no socket, and the
    # kernel answers it with a RST; there is no connection on that side, before or after.
    (S.CLOSED, E.RCV_SYN): S.CLOSED,
    (S.CLOSED, E.SND_RST): S.CLOSED,
    (S.ESTABLISHED, E.SND_RST): S.CLOSED,
    (S.ESTABLISHED, E.RCV_RST): S.CLOSED,
    (S.FIN_WAIT_1, E.SND_RST): S.CLOSED,
    (S.FIN_WAIT_1, E.RCV_RST): S.CLOSED,
    (S.FIN_WAIT_2, E.SND_RST): S.CLOSED,
    (S.FIN_WAIT_2, E.RCV_RST): S.CLOSED,
    (S.CLOSE_WAIT, E.SND_RST): S.CLOSED,
    (S.CLOSE_WAIT, E.RCV_RST): S.CLOSED,
    (S.CLOSING, E.RCV_RST): S.CLOSED,
    (S.LAST_ACK, E.RCV_RST): S.CLOSED,
    (S.TIME_WAIT, E.RCV_RST): S.CLOSED,
}


def step(state: State, event: Event) -> tuple[State, bool]:
    """The state after ``event``; the flag is False when the table does not expect it."""
    following = TRANSITIONS.get((state, event))
    if following is None:
        return state, False
    return following, True


def classify(
    *,
    syn: bool,
    ack: bool,
    fin: bool,
    rst: bool,
    acks_receivers_syn: bool,
    acks_receivers_fin: bool,
) -> tuple[Event, Event]:
    """The (sender's, receiver's) events for one segment.

    ``acks_receivers_syn`` / ``acks_receivers_fin``: the segment's acknowledgement number
    covers the SYN or FIN that the receiving endpoint sent earlier.
    """
    if rst:
        return E.SND_RST, E.RCV_RST
    if syn:
        return (E.SND_SYN_ACK, E.RCV_SYN_ACK) if ack else (E.SND_SYN, E.RCV_SYN)
    if fin:
        return E.SND_FIN, (E.RCV_FIN_ACK_OF_FIN if acks_receivers_fin else E.RCV_FIN)
    if acks_receivers_fin:
        return E.SND_SEGMENT, E.RCV_ACK_OF_FIN
    if acks_receivers_syn:
        return E.SND_SEGMENT, E.RCV_ACK_OF_SYN
    return E.SND_SEGMENT, E.RCV_SEGMENT


def moves(bits: int, acked: str, crossing: bool, sender: str, receiver: str
          ) -> tuple[tuple[Event, Event], State, bool, State, bool]:
    """The events of a segment (its SYN/FIN/RST/ACK ``bits``, what it acknowledged) and
    where they take both sides from the states named ``sender`` and ``receiver``:
    ((events), sender's next state, whether the table expected it, receiver's likewise).
    ``crossing``: a FIN that crossed the peer's (a simultaneous close). Seen from one
    point, the peer's FIN was applied first; the sender really went ESTABLISHED ->
    FIN_WAIT_1, then CLOSING. The tracker asks each input once and looks it up after."""
    sent_event, received_event = classify(
        syn=bool(bits & SYN), ack=bool(bits & ACK), fin=bool(bits & FIN),
        rst=bool(bits & RST), acks_receivers_syn=acked == "syn",
        acks_receivers_fin=acked == "fin")
    if crossing:
        state, sent_ok = step(State.ESTABLISHED, sent_event)
        state, _ = step(state, Event.RCV_FIN)
    else:
        state, sent_ok = step(State[sender], sent_event)
    received, received_ok = step(State[receiver], received_event)
    return (sent_event, received_event), state, sent_ok, received, received_ok


def transition_graph() -> nx.MultiDiGraph:
    """The table as a graph: one node per state, one edge per (state, event) entry."""
    # imported here: 83 ms saved at start-up when not needed
    import networkx as nx

    graph = nx.MultiDiGraph()
    graph.add_nodes_from(state.value for state in State)
    for (before, event), after in TRANSITIONS.items():
        graph.add_edge(before.value, after.value, key=event.value, event=event.value)
    return graph


def is_path(states: list[State]) -> bool:
    """Whether each consecutive pair of distinct states is an edge of the graph."""
    graph = transition_graph()
    distinct = [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]]
    return all(graph.has_edge(a.value, b.value) for a, b in pairwise(distinct))


# Transitions that get a text of their own; every other one is told by its event's text.
SPECIFIC_TEXTS = frozenset({
    (S.CLOSED, E.SND_SYN), (S.LISTEN, E.RCV_SYN), (S.SYN_SENT, E.RCV_SYN_ACK),
    (S.SYN_RECEIVED, E.RCV_ACK_OF_SYN), (S.ESTABLISHED, E.SND_FIN), (S.ESTABLISHED, E.RCV_FIN),
    (S.FIN_WAIT_1, E.RCV_ACK_OF_FIN), (S.FIN_WAIT_1, E.RCV_FIN), (S.FIN_WAIT_1,
    E.RCV_FIN_ACK_OF_FIN), (S.FIN_WAIT_2, E.RCV_FIN), (S.CLOSE_WAIT, E.SND_FIN),
    (S.LAST_ACK, E.RCV_ACK_OF_FIN), (S.CLOSING, E.RCV_ACK_OF_FIN), (S.SYN_SENT, E.RCV_RST),
    (S.TIME_WAIT, E.TIMEOUT_2MSL),
})


def transition_key(before: State, event: Event) -> str:
    if (before, event) in SPECIFIC_TEXTS:
        return f"transition.{before.value}.{event.value}"
    return f"transition.{event.value}"


def transition_text(before: State, event: Event, after: State, side: str) -> Message:
    return msg(transition_key(before, event), side=msg(f"ui.{side}"), before=before.value,
               after=after.value)
