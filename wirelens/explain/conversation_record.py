"""What the tracker knows of one TCP conversation: its two sides, what its segments have
shown so far (handshake, FINs, reset, anomalies), and the name of each segment's part in the
exchange (``ROLES``). ``conversation.ConversationTracker`` keeps these records and moves
them on, segment by segment; ``conversation_summary`` sums one up.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from wirelens.explain.analysis import Analysis
from wirelens.explain.conversation_summary import ConversationSummary, addr_text
from wirelens.explain.tcp_state import State
from wirelens.explain.wirenumbers import ACK, FIN, RST, SYN
from wirelens.explain.zeek_history import ZeekHistory

# How a caller keys the two ends of a conversation: ``feed`` uses (host, port) pairs, a
# columnar reader may use plain ints. A pair is kept in one order (the lower end first).
Endpoint = Hashable
Pair = tuple[Endpoint, Endpoint]
# A segment as its copy would repeat it: (sent by the client, seq, ack, flags, window,
# payload length, ident); see ``conversation.ARTEFACT_NS``.
SegmentKey = tuple[bool, int, int, int, int, int, int]


class SegmentRow(NamedTuple):
    """The numbers of one segment the tracker follows (``feed_summary``), apart from its
    port pair and direction: what every reader (dissector, header walks, columns) gives."""

    frame: int  # frame number (1-based)
    ts_ns: int
    seq: int
    ack: int
    flags: int
    window: int
    payload_len: int
    wscale: int = -1  # window scale option of a SYN; -1: none
    ident: int = -1  # what tells a copy from a resend (``segment.ident``); -1: not known


class DirectionRun(NamedTuple):
    """One direction of a run of plain segments (``Run``): where its sequence stood
    before, how many segments and payload bytes it sent, its last segment's end, ack,
    window and time, its last data's time (-1: none), and whether its ack moved."""

    start_seq: int
    segments: int
    size: int
    end: int
    ack: int
    window: int
    ns: int
    data_ns: int
    moved: int


class Run(NamedTuple):
    """``segments`` consecutive plain segments of one conversation (``overview.bulk``), told
    at once to ``ConversationTracker.apply_run``: per direction (``forward``: sent from
    pair[0]) its sums, the history letters in the order they first happen (upper case for
    pair[0]) and the last segment, as a copy of it captured again would repeat it."""

    segments: int
    last_ns: int
    forward: DirectionRun
    backward: DirectionRun
    marks: str
    last: tuple[bool, int, int, int, int, int, int] | None = None  # (forward, seq, ack,
    # flags, window, payload length, ident)


@dataclass(slots=True)
class Side:
    """What we know of one endpoint, from the segments it sent and received."""

    address: Endpoint  # as the tracker's caller keys it; ``endpoints`` names it at the end
    state: State
    base: int | None = None  # ISN, or the first sequence number seen when the SYN was not
    isn_seen: bool = False
    next_seq: int | None = None  # one past the highest sequence number sent
    fin_seq: int | None = None
    hole: int | None = None  # where data never captured begins, until the peer acks it
    fin_acked: bool = False
    syn_acked: bool = False
    bytes_sent: int = 0
    packets: int = 0


@dataclass(slots=True)
class Conversation:
    number: int
    client: Side
    server: Side
    client_guessed: bool
    pair: Pair = ((), ())  # its key in the tracker
    client_first: bool = True  # the client is pair[0]
    first_index: int = 0  # the frame that began it
    packets: list[int] = field(default_factory=list)  # ``NO_PACKETS`` when not kept
    first_ns: int = 0
    last_ns: int = 0
    saw_syn: bool = False
    saw_syn_ack: bool = False
    saw_handshake_ack: bool = False
    refused: bool = False
    reset_by: str = ""
    fins: tuple[str, ...] = ()  # "client"/"server" in the order they closed
    fin_acked_alone: bool = False  # the first FIN got an ACK of its own (a four-segment close)
    fin_rode_on_ack: bool = False
    simultaneous: bool = False
    half_close: bool = False
    zeek: ZeekHistory = field(default_factory=ZeekHistory)  # Zeek's history letters
    analysis: Analysis = field(default_factory=Analysis)
    packet_count: int = 0
    # Made when the first anomaly comes: most conversations have none, and a big capture
    # keeps tens of thousands open at once.
    anomalies: list[tuple[str, int]] | None = None  # (kind, frame), capped
    anomaly_counts: dict[str, int] | None = None
    reset_sides: tuple[str, ...] = ()
    last: SegmentKey | None = None  # the previous segment, to know a copy of it
    artefacts: list[int] | None = None  # frames with anomalies that are capture artefacts

    def side(self, name: str) -> Side:
        return self.client if name == "client" else self.server


ROLES = (
    "handshake-1", "handshake-2", "handshake-3", "data", "ack", "close-1", "data+close-1",
    "close-2", "close-2+3", "close-3", "close-4", "close-simultaneous", "close-ack", "reset",
    "reset-ignored",
)

def name_role(conv: Conversation, flags: int, payload_len: int, sender: str, acked: str
              ) -> str:
    """The segment's part in the exchange (one of ``ROLES``), noting on ``conv`` what it
    tells of the handshake and the close."""
    if flags & RST:
        # a RST from the side that sent the SYN aborts its own attempt: no refusal
        if not conv.saw_syn_ack and conv.saw_syn and sender == "server":
            conv.refused = True
        conv.reset_by = conv.reset_by or sender
        return "reset"
    if flags & SYN:
        if flags & ACK:
            conv.saw_syn_ack = True
            return "handshake-2"
        conv.saw_syn = True
        return "handshake-1"
    if (
        acked == "syn" and sender == "client" and conv.saw_syn_ack
        and not conv.saw_handshake_ack
    ):
        conv.saw_handshake_ack = True
        return "handshake-3" if payload_len == 0 else "data"
    if flags & FIN and sender not in conv.fins:
        conv.fins += (sender,)
        if len(conv.fins) == 1:
            return "data+close-1" if payload_len else "close-1"
        if acked != "fin" and not conv.fin_acked_alone:
            conv.simultaneous = True
            return "close-simultaneous"
        if conv.fin_acked_alone:
            return "close-3"
        conv.fin_rode_on_ack = True
        return "close-2+3"
    if acked == "fin":
        if conv.simultaneous:
            return "close-ack"
        if len(conv.fins) == 1:
            conv.fin_acked_alone = True
            return "close-2"
        return "close-4"
    return "data" if payload_len else "ack"



# Shared by the conversations whose frame numbers are not kept: nothing is ever added.
NO_PACKETS: list[int] = []


CLIENT_DONE = (State.CLOSED, State.TIME_WAIT)
SERVER_DONE = (State.CLOSED, State.TIME_WAIT, State.LISTEN)


def finished(conv: Conversation) -> bool:
    return conv.client.state in CLIENT_DONE and conv.server.state in SERVER_DONE


def reused(conv: Conversation, from_client: bool, seq: int) -> bool:
    """A new SYN on a known port pair starts a new conversation, as Wireshark's "port numbers
    reused": when the SYN's sequence number is not the old ISN. Even after a RST or FINs, a
    SYN with the old ISN is a retransmission in the same tcp.stream, as tshark 4.0 has it
    (a client that retries its SYN after each RST: chrissanders-nowebaccess2.pcapng)."""
    sender = conv.client if from_client else conv.server
    return sender.base is not None and seq != sender.base


@dataclass(slots=True)
class Settled:
    """A conversation told whole without being followed segment by segment (see
    ``overview.settle``): the summary the tracker gave another conversation of the same
    shape (``template``), with this one's own sums. Held by the tracker in place of a
    ``Conversation`` until it is forgotten; ``rows[start:stop]`` are its segments (each
    ``feed_summary``'s arguments after the pair), for the tracker to follow should a later
    segment join it."""

    number: int
    pair: Pair
    client_first: bool
    first_index: int
    last_index: int
    first_ns: int
    last_ns: int
    packet_count: int
    bytes_c2s: int
    bytes_s2c: int
    template: ConversationSummary
    rows: Any  # a numpy array of ``settle.REPLAY_ROW``
    start: int
    stop: int
    # What the tracker's ``on_settle`` caller noted of it (``app.fastread``: that its
    # JSON line is written already); gone with the record if a later segment revives it.
    memo: Any = None
    reset_by: ClassVar[str] = ""  # (a settled conversation is over, FINs or RST)

    def ends(self) -> Pair:
        """(the client's endpoint key, the server's)."""
        return self.pair if self.client_first else (self.pair[1], self.pair[0])

    def summary(self, endpoints: Callable[[Any], tuple[str, int]]) -> ConversationSummary:
        t = self.template
        client, server = self.ends()
        # The template's anomalies are all its last segment's (a RST's ``reset``).
        anomalies = tuple((kind, self.last_index) for kind, _ in t.anomalies)
        return ConversationSummary(
            self.number, addr_text(endpoints(client)), addr_text(endpoints(server)),
            t.client_guessed, t.handshake, t.close, t.half_close, t.closed_first, (),
            self.bytes_c2s, self.bytes_s2c, self.first_ns, self.last_ns, t.final_states,
            t.history, t.verdict, self.packet_count, anomalies, t.anomaly_counts,
            t.anomalies_cut, t.artefacts, self.first_index)
