"""Following TCP conversations segment by segment: who is client, what each segment is for.

``ConversationTracker.feed`` takes segments in capture order and returns, for each, its
``SegmentStory``: its conversation, direction, relative numbers, its
role in the exchange (handshake step, data, close step), and both endpoints' TCP
states before and after it, from the one transition table in ``tcp_state``.
``summaries`` sums each up (conversation_summary.py); memory grows with open ones only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from wirelens.explain.analysis import KIND_NAMES
from wirelens.explain.conversation_record import (
    CLIENT_DONE,
    NO_PACKETS,
    SERVER_DONE,
    Conversation,
    Endpoint,
    Pair,
    Run,
    SegmentKey,
    SegmentRow,
    Settled,
    Side,
    name_role,
    reused,
)
from wirelens.explain.conversation_summary import (
    ConversationSummary,
    summarize,
)
from wirelens.explain.holding import Holding
from wirelens.explain.segment import Segment
from wirelens.explain.tcp_state import Event, State, moves
from wirelens.explain.wirenumbers import ACK, FIN, RST, SYN
from wirelens.explain.zeek_history import ZeekHistory, first_sender_is_server

MOD = 1 << 32
_MASK, _HALF = MOD - 1, 1 << 31
_KIND_NAMES = tuple((int(kind), name) for kind, name in KIND_NAMES.items())
Address = tuple[str, int]

_SFRA = SYN | FIN | RST | ACK
_SFR = SYN | FIN | RST
# A segment that repeats its conversation's previous one exactly (same direction, numbers,
# flags, window, length, IPv4 ID and TCP checksum) within this time is the same packet
# captured twice (on loopback a sniffer can see it going out and coming in), not a second
# packet: a real resend gets a new IPv4 ID and, with timestamps or SACK, a new checksum,
# and comes after a retransmission timeout (200 ms at least on Linux) or duplicate ACKs.
ARTEFACT_NS = 1_000_000
TOO_LARGE_SEQ_DELTA = 1 << 20  # Zeek's: a SYN or RST this far off is not believed


_MOVES: dict[tuple[int, str, bool, str, str],
             tuple[tuple[Event, Event], State, bool, State, bool]] = {}
_ESTABLISHED = State.ESTABLISHED


def _resent_payload(highest: int | None, seq: int, flags: int, payload_len: int) -> bool:
    """Zeek's T: the segment's end does not pass the highest end its sender reached (a
    RST's data takes no sequence numbers; a SYN or RST far off is not believed)."""
    end = (seq + (0 if flags & RST else payload_len) + (1 if flags & SYN else 0)
           + (1 if flags & FIN else 0)) & _MASK
    if highest is None:  # the sender's first segment: Zeek starts it at its SYN's end
        highest = end if flags & SYN else seq
    delta = (end - highest) & _MASK
    if delta >= _HALF:
        delta -= MOD
    if flags & (SYN | RST) and abs(delta) > TOO_LARGE_SEQ_DELTA:
        return False
    return delta <= 0


def _note_hole(side: Side, highest: int | None, seq: int, end: int) -> None:
    """Data that jumps past all the side sent leaves a hole; data over it fills it."""
    if side.hole is not None and not seq_after(seq, side.hole) and seq_after(end, side.hole):
        side.hole = None
    elif highest is not None and seq_after(seq, highest) and side.hole is None:
        side.hole = highest


def seq_after(a: int, b: int) -> bool:
    """Whether sequence number a comes after b, modulo 2**32 (RFC 9293 serial arithmetic)."""
    return 0 < (a - b) % MOD < (1 << 31)


@dataclass(frozen=True, slots=True)
class SegmentStory:
    index: int
    conversation: int
    sender: str  # "client" or "server"
    receiver: str
    rel_seq: int
    rel_ack: int | None  # None when the ACK flag is off or the peer's numbers are unknown
    role: str  # "handshake-1", "data", "close-2+3" ... (see ROLES)
    states_before: tuple[State, State]  # (client, server)
    states_after: tuple[State, State]
    events: tuple[Event, Event]  # (sender's, receiver's)
    unexpected: tuple[str, ...]  # the sides whose table did not expect this segment
    sender_isn: int | None
    receiver_isn: int | None
    acked: str  # what the ack newly acknowledges: "syn", "fin", "data", "" (nothing new)
    fin_seq: int | None  # the receiver's FIN sequence number when ``acked`` is "fin"
    retransmission: bool
    kinds: int = 0  # Wireshark's analysis of the segment: ``analysis.Kind`` bits
    artefact: bool = False  # the previous segment captured a second time (ARTEFACT_NS)


class ConversationTracker:
    """Follows every conversation; memory is per conversation still open.

    ``keep_packets=False`` keeps counts instead of every frame number (the overview of a
    big file), and ``max_anomalies`` caps the anomalies listed per conversation (all are
    still counted). ``pop_finished`` hands back conversations that ended a while ago and
    forgets them, so a long capture costs memory for the conversations open at once only.

    ``feed`` takes a ``Segment`` and tells its story; ``feed_summary`` takes the same
    numbers one by one, keyed by the caller's own endpoint keys (``endpoints`` turns a key
    into its (host, port) when a conversation is summed up), and tells nothing: the
    overview of a big file. Both go through one ``_advance``, so both follow conversations
    alike.

    ``max_open`` bounds the conversations held at once (a capture of a million SYNs must
    not take the machine's memory): when a new one would pass it, conversations that ended
    are forgotten at once rather than after their quiet time (``forgot_early`` counts
    them; ``pop_finished`` hands them back), and if none has ended the segment is not
    followed (``unfollowed`` counts such segments).
    """

    def __init__(self, *, server_listening: bool = True, keep_packets: bool = True,
                 refused: frozenset[int] = frozenset(),
                 max_anomalies: int | None = None, first_number: int = 1,
                 endpoints: Callable[[Any], Address] | None = None,
                 max_open: int | None = None,
                 on_settle: Callable[[list[Settled]], None] | None = None) -> None:
        self._holding = Holding(max_open)
        self._by_key = self._holding.by_pair  # read for every segment
        self._count = first_number - 1
        self._server_listening = server_listening
        # frame numbers of SYNs a later look found answered by a RST (``refused_syns``):
        # nothing listened for them, so their server starts CLOSED, not LISTEN
        self._refused = refused
        self._keep_packets = keep_packets
        self._max_anomalies = max_anomalies
        self._endpoints = endpoints
        self.unfollowed = 0
        # What the tracker said of the first conversation of each shape (``settle``), or
        # None when that shape cannot be settled.
        self.shapes: dict[Any, ConversationSummary | None] = {}
        self._on_settle = on_settle  # told of the conversations ``settle`` holds

    def _conversation(self, pair: Pair, forward: bool, flags: int, seq: int, index: int,
                      ts_ns: int) -> tuple[Conversation | None, bool]:
        """The conversation of a segment sent from pair[0] (``forward``) or pair[1], and
        whether its client sent it; None when it would begin one beyond ``max_open``."""
        conv = self._by_key.get(pair)
        syn_only = flags & (SYN | ACK) == SYN
        if isinstance(conv, Settled):
            # it finished, yet a SYN with its ISN still joins it (``reused``): then it goes on
            conv = None if syn_only and self._settled_reused(conv, forward, seq) \
                else self._revive(conv)
        if conv is not None:
            from_client = forward == conv.client_first
            # a SYN-ACK captured before its SYN: the SYN belongs to it all the same
            late_syn = syn_only and from_client and conv.saw_syn_ack and not conv.saw_syn
            if not syn_only or late_syn or not reused(conv, from_client, seq):
                return conv, from_client
        if not self._holding.make_room():
            self.unfollowed += 1
            return None, False
        source, destination = (pair[0], pair[1]) if forward else (pair[1], pair[0])
        # A new conversation: the first SYN names the client; a SYN-ACK comes from the
        # server; otherwise the first sender is taken as the client, as Zeek takes it as
        # the originator, unless it sent from a likely server port (``zeek_history``).
        name = self._endpoints or _address
        server_first = first_sender_is_server(name(source)[1], name(destination)[1], flags)
        if syn_only:
            client, guessed = source, False
        elif flags & SYN:  # a SYN-ACK comes from the server
            client, guessed = destination, False
        else:
            client, guessed = (destination if server_first else source), True
        # Zeek's originator is the client, but for a first SYN-ACK not from a likely
        # server port: Zeek takes its sender as the originator until the SYN comes
        orig_is_client = not (flags & SYN and flags & ACK) or server_first
        mid_stream = not flags & SYN
        self._count += 1
        server = destination if client == source else source
        conv = Conversation(
            number=self._count,
            client=Side(client, State.ESTABLISHED if mid_stream else State.CLOSED),
            server=Side(
                server,
                State.ESTABLISHED if mid_stream
                else (State.LISTEN if self._server_listening and index not in self._refused
                      else State.CLOSED),
            ),
            client_guessed=guessed,
            zeek=ZeekHistory(orig_is_client, flipped=server_first),
            pair=pair,
            client_first=client == pair[0],
            first_index=index,
            first_ns=ts_ns,
            packets=[] if self._keep_packets else NO_PACKETS,
        )
        self._holding.hold(conv)  # a reused port pair: the old one is found no more by it
        return conv, client == source

    def feed(self, seg: Segment) -> SegmentStory:
        source, destination = (seg.src, seg.sport), (seg.dst, seg.dport)
        forward = source <= destination
        pair = (source, destination) if forward else (destination, source)
        found, from_client = self._conversation(pair, forward, seg.flags, seg.seq, seg.index,
                                                seg.ts_ns)
        assert found is not None, "feed follows every conversation (no max_open)"
        conv = found
        snd, rcv = (conv.client, conv.server) if from_client else (conv.server, conv.client)
        before = (conv.client.state, conv.server.state)
        acked, events, sent_ok, received_ok, role, retransmission, kinds = self._advance(
            conv, from_client, SegmentRow(seg.index, seg.ts_ns, seg.seq, seg.ack, seg.flags,
                                          seg.window, seg.payload_len, seg.wscale, seg.ident))
        sender_name, receiver_name = ("client", "server") if from_client else ("server",
                                                                                "client")
        unexpected = tuple(
            name for name, ok in ((sender_name, sent_ok), (receiver_name, received_ok)) if not ok
        )
        rel_ack = None
        if seg.has_ack and rcv.base is not None:
            rel_ack = (seg.ack - rcv.base) % MOD
        return SegmentStory(
            index=seg.index,
            conversation=conv.number,
            sender=sender_name,
            receiver=receiver_name,
            rel_seq=(seg.seq - (snd.base or 0)) % MOD,
            rel_ack=rel_ack,
            role=role,
            states_before=before,
            states_after=(conv.client.state, conv.server.state),
            events=events,
            unexpected=unexpected,
            sender_isn=snd.base if snd.isn_seen else None,
            receiver_isn=rcv.base if rcv.isn_seen else None,
            acked=acked,
            fin_seq=rcv.fin_seq if acked == "fin" else None,
            retransmission=retransmission,
            kinds=kinds,
            artefact=conv.artefacts is not None and conv.artefacts[-1:] == [seg.index],
        )

    def feed_summary(self, pair: Pair, forward: bool, row: SegmentRow) -> None:
        """One segment sent from ``pair[0]`` when ``forward``, else from ``pair[1]``; the
        same work as ``feed`` without the story. ``pair`` holds the caller's endpoint keys,
        the lower first (as ``feed`` orders (host, port) pairs)."""
        conv = self._by_key.get(pair)
        if conv is None or row.flags & (SYN | ACK) == SYN or isinstance(conv, Settled):
            conv, from_client = self._conversation(pair, forward, row.flags, row.seq,
                                                   row.frame, row.ts_ns)
            if conv is None:  # beyond max_open: counted, not followed
                return
        else:
            from_client = forward == conv.client_first
        self._advance(conv, from_client, row)

    def _advance(self, conv: Conversation, from_client: bool, row: SegmentRow
                 ) -> tuple[str, tuple[Event, Event], bool, bool, str, bool, int]:
        """Everything one segment changes; (acked, events, sender's and receiver's table
        said yes, role, retransmission, analysis kinds)."""
        index, ts_ns, seq, ack, flags, window, payload_len, wscale, ident = row
        if from_client:
            snd, rcv, sender = conv.client, conv.server, "client"
        else:
            snd, rcv, sender = conv.server, conv.client, "server"
        syn, fin, rst = flags & SYN, flags & FIN, flags & RST
        if syn:
            snd.base, snd.isn_seen = seq, True
        elif snd.base is None:
            snd.base = seq
        seq_len = payload_len + (1 if syn else 0) + (1 if fin else 0)
        end_seq = (seq + seq_len) & _MASK
        next_seq = snd.next_seq
        if next_seq is None or 0 < (end_seq - next_seq) & _MASK < _HALF:  # seq_after
            retransmission = False
            snd.next_seq = end_seq
        else:
            retransmission = seq_len > 0 and not syn

        acked = ""
        if flags & ACK and not rst:
            if rcv.isn_seen and not rcv.syn_acked and rcv.base is not None \
                    and ack == (rcv.base + 1) & _MASK:
                rcv.syn_acked, acked = True, "syn"
            elif rcv.fin_seq is not None and not rcv.fin_acked \
                    and ack == (rcv.fin_seq + 1) & _MASK:
                rcv.fin_acked, acked = True, "fin"
            elif payload_len == 0 and not fin and not syn:
                acked = "data"
        zeek = conv.zeek
        # Zeek turns the roles round at the SYN of a conversation whose SYN-ACK came first
        late_syn = from_client and flags & (SYN | ACK) == SYN and conv.saw_syn_ack \
            and not conv.saw_syn  # its SYN-ACK was captured first
        flip = late_syn and not zeek.orig_is_client
        was_reset = sender in conv.reset_sides
        # RFC 9293 3.10.7.3: in SYN-SENT a RST counts only if it acknowledges the SYN; any
        # other (a blind or injected one) is dropped and the connection goes on
        ignored = bool(rst and not from_client and rcv.state is State.SYN_SENT and not (
            flags & ACK and rcv.base is not None and ack == (rcv.base + 1) & _MASK))
        if ignored:
            role = "reset-ignored"
        elif flags & _SFR or acked == "syn" or acked == "fin":
            role = name_role(conv, flags, payload_len, sender, acked)
        else:  # what _role says of the rest, in short
            role = "data" if payload_len else "ack"
        crossing = False
        if fin:
            # FINs that crossed (a simultaneous close): this FIN does not acknowledge the
            # peer's, so it left before the peer's FIN arrived (see ``_move``).
            crossing = bool(not rst and snd.fin_seq is None and rcv.fin_seq is not None
                            and not rcv.fin_acked and acked != "fin"
                            and snd.state is State.CLOSE_WAIT)
            if snd.fin_seq is None:
                snd.fin_seq = (seq + payload_len) & _MASK
        if payload_len and rcv.fin_seq is not None and not retransmission:
            conv.half_close = True
        if ignored:  # neither end's state changes
            events, sent_ok, received_ok = (Event.SND_RST, Event.RCV_RST), True, True
        else:
            key = (flags & _SFRA, acked, crossing, snd.state._name_, rcv.state._name_)
            move = _MOVES.get(key)
            if move is None:
                move = _MOVES[key] = moves(*key)
            events, snd.state, sent_ok, rcv.state, received_ok = move
        if late_syn:  # the SYN-ACK seen already answered this SYN: the client has it
            snd.state, snd.syn_acked = State.ESTABLISHED, True
        if not retransmission:
            snd.bytes_sent += payload_len
        snd.packets += 1
        conv.packet_count += 1
        if self._keep_packets:
            conv.packets.append(index)
        this: SegmentKey = (from_client, seq, ack, flags, window, payload_len, ident)
        artefact = ident >= 0 and this == conv.last and ts_ns - conv.last_ns <= ARTEFACT_NS
        conv.last = this
        conv.last_ns = ts_ns
        kinds = conv.analysis.segment(0 if from_client else 1, seq, ack, payload_len, flags,
                                      window, ts_ns, wscale)
        if kinds:
            self._note_anomalies(conv, index, kinds)
            if artefact:
                self._note_artefact(conv, index)
        zeek.segment(from_client, flags, seq, payload_len)
        if window == 0 and not rst and rcv.fin_seq is None and not was_reset:
            zeek.scaled(from_client, "W")
        if payload_len and not was_reset and _resent_payload(next_seq, seq, flags,
                                                             payload_len):
            zeek.scaled(from_client, "T")
        if flip:
            zeek.flip()
        if flags & ACK and not rst:
            self._gaps(conv, rcv, not from_client, ack)
        if payload_len:
            _note_hole(snd, next_seq, seq, end_seq)
        # A RST after both sides' FINs leaves a closed conversation closed (as Zeek)
        if rst and not was_reset and len(conv.fins) < 2:
            conv.reset_sides += (sender,)
        if conv.reset_by or (conv.client.state in CLIENT_DONE
                             and conv.server.state in SERVER_DONE):  # finished(conv)
            self._holding.ended(ts_ns, conv)
        return acked, events, sent_ok, received_ok, role, retransmission, kinds

    @staticmethod
    def _gaps(conv: Conversation, side: Side, side_is_client: bool, ack: int) -> None:
        """Zeek's G: the peer acknowledged data of ``side`` that was never captured (a
        hole before what came, or beyond all that came), once the handshake is done."""
        if not (conv.saw_syn and conv.saw_syn_ack and conv.saw_handshake_ack):
            return
        hole, highest = side.hole, side.next_seq
        if hole is not None and seq_after(ack, hole):
            side.hole = None
            conv.zeek.scaled(side_is_client, "G")
        elif highest is not None and seq_after(ack, highest) and side.fin_seq is None:
            conv.zeek.scaled(side_is_client, "G")

    def apply_run(self, pair: Pair, run: Run) -> bool:
        """A run of plain segments of ``pair``'s conversation at once (``overview.bulk``):
        each an ACK without SYN, FIN or RST, in order, that the analysis has nothing to say
        of. False, changing nothing, unless the conversation stands as the run assumed:
        then the caller feeds them one by one."""
        conv = self._by_key.get(pair)
        if conv is None or self._keep_packets or isinstance(conv, Settled):
            return False
        client, server = conv.client, conv.server
        if client.state is not _ESTABLISHED or server.state is not _ESTABLISHED \
                or client.fin_seq is not None or server.fin_seq is not None \
                or client.hole is not None or server.hole is not None \
                or client.base is None or server.base is None \
                or (client.isn_seen and not client.syn_acked) \
                or (server.isn_seen and not server.syn_acked):
            return False
        analysis = conv.analysis
        if analysis.mru_syn_ns and not analysis.first_rtt_ns:
            return False  # the next ACK would still time the handshake
        first = conv.client_first
        f_side, b_side = (client, server) if first else (server, client)
        f_flow, b_flow = analysis.flows if first else analysis.flows[::-1]
        ways = ((f_side, f_flow, run.forward), (b_side, b_flow, run.backward))
        for side, flow, way in ways:
            start = way.start_seq
            if not start or flow.nextseq != start or flow.maxseqtobeacked != start \
                    or side.next_seq != start:
                return False
        for side, flow, way in ways:
            _, n, size, end, ack, window, ns, data_ns, moved = way
            if not n:
                continue
            side.next_seq = end
            side.bytes_sent += size
            side.packets += n
            flow.nextseq = flow.maxseqtobeacked = end
            if data_ns >= 0:
                flow.nextseq_ns = data_ns
            flow.window, flow.lastack, flow.lastack_ns, flow.lastflags = window, ack, ns, 0
            if moved:
                flow.dupacks = 0
        conv.packet_count += run.segments
        conv.last_ns = run.last_ns
        last = run.last
        if last is not None:  # (forward, seq, ack, flags, window, payload length, ident)
            conv.last = (last[0] == first, *last[1:])
        for mark in run.marks:
            conv.zeek.once(mark.isupper() == first, mark.upper())
        return True

    @property
    def next_number(self) -> int:
        """The number the next new conversation gets."""
        return self._count + 1

    def renumber_from(self, first: int) -> None:
        """Number the conversations from ``first`` on anew, in the order of the frames that
        began them (``bulk`` begins them pair by pair)."""
        self._holding.renumber(first, self._count)

    @property
    def forgot_early(self) -> int:
        """Conversations let go before their quiet time, to hold at most ``max_open``."""
        return self._holding.forgot_early

    @property
    def settles(self) -> bool:
        """Whether conversations may be settled (``overview.settle``): not when every frame
        number is kept."""
        return not self._keep_packets

    @property
    def room(self) -> int:
        """New conversations the tracker can take before one is forgotten early."""
        return self._holding.room

    def held(self, pair: Pair) -> Conversation | Settled | None:
        """The conversation a segment of ``pair`` would join now (a SYN may begin another)."""
        return self._by_key.get(pair)

    def settle(self, records: list[Settled]) -> None:
        """Hold conversations told whole (``overview.settle``), as if their segments had
        been fed (numbered on, ended at their last segment); ``settle`` has made sure none
        of their port pairs is held and that room for them needs nobody forgotten."""
        holding = self._holding
        for rec in records:
            self._count += 1
            rec.number = self._count
            holding.hold(rec)
            holding.ended(rec.last_ns, rec)
        if self._on_settle is not None:
            self._on_settle(records)

    @staticmethod
    def _settled_reused(rec: Settled, forward: bool, seq: int) -> bool:
        """``reused`` for a settled conversation, from its rows: the sender's base is its
        latest SYN's sequence number, else its first one (as ``Side.base`` is kept)."""
        base = None
        for row in rec.rows[rec.start : rec.stop].tolist():
            if row[0] == forward and (base is None or row[5] & SYN):
                base = row[3]
        return base is not None and seq != base

    def _revive(self, rec: Settled) -> Conversation:
        """A settled conversation that goes on: its own segments followed again, one by
        one, under its number, so that the next one finds it as if it had always been."""
        self._holding.let_go(rec)
        count, self._count = self._count, rec.number - 1
        feed, make = self.feed_summary, SegmentRow._make
        for forward, *row in rec.rows[rec.start : rec.stop].tolist():
            feed(rec.pair, forward, make(row))
        self._count = count
        conv = self._by_key[rec.pair]
        assert type(conv) is Conversation and conv.number == rec.number
        return conv

    def _note_anomalies(self, conv: Conversation, frame: int, kinds: int) -> None:
        cap = self._max_anomalies
        counts, listed = conv.anomaly_counts, conv.anomalies
        if counts is None or listed is None:
            counts, listed = conv.anomaly_counts, conv.anomalies = {}, []
        for kind, name in _KIND_NAMES:
            if kinds & kind:
                counts[name] = counts.get(name, 0) + 1
                if cap is None or len(listed) < cap:
                    listed.append((name, frame))

    def _note_artefact(self, conv: Conversation, frame: int) -> None:
        if conv.artefacts is None:
            conv.artefacts = []
        if self._max_anomalies is None or len(conv.artefacts) < self._max_anomalies:
            conv.artefacts.append(frame)

    def all_closed(self) -> bool:
        """Every conversation seen so far has finished: both FINs acknowledged, or a reset."""
        return self._holding.all_over()

    def summaries(self) -> list[ConversationSummary]:
        """The conversations not yet handed back by ``pop_finished``, by number."""
        return list(self.each_summary())

    def each_summary(self) -> Iterator[ConversationSummary]:
        """``summaries`` one at a time: tens of thousands may be held at the end."""
        for conv in self._holding.each():
            yield self.summary(conv)

    def each_record(self) -> Iterator[ConversationSummary | Settled]:
        """``each_summary``, but a settled conversation as its record."""
        for conv in self._holding.each():
            yield conv if isinstance(conv, Settled) else summarize(conv, self._endpoints)

    def followed_kinds(self) -> set[str]:
        """The anomaly kinds of the held conversations followed one by one (a settled
        one's are its template's)."""
        return {kind for conv in self._holding.followed() for kind in conv.anomaly_counts or ()}

    def each_followed(self) -> Iterator[ConversationSummary]:
        """``each_summary`` of the conversations followed one by one, not the settled
        ones, in the order of their first frames."""
        for conv in self._holding.followed():
            yield summarize(conv, self._endpoints)

    def pop_finished(self, now_ns: int, quiet_ns: int) -> list[ConversationSummary]:
        """Summaries of conversations that ended (closed or reset) and have been quiet for
        ``quiet_ns`` before ``now_ns``; the tracker forgets them. A later segment of the
        same port pair then starts a new conversation (Wireshark would continue the old)."""
        return [self.summary(c) for c in self._holding.pop(now_ns, quiet_ns)]

    def pop_finished_records(self, now_ns: int, quiet_ns: int
                             ) -> list[ConversationSummary | Settled]:
        """``pop_finished``, but a settled conversation as its record (``each_record``)."""
        return [c if isinstance(c, Settled) else summarize(c, self._endpoints)
                for c in self._holding.pop(now_ns, quiet_ns)]

    @property
    def _name(self) -> Callable[[Any], Address]:
        return self._endpoints or _address

    def summary(self, conv: Conversation | Settled) -> ConversationSummary:
        """One held conversation summed up as it stands."""
        if isinstance(conv, Settled):
            return conv.summary(self._name)
        return summarize(conv, self._endpoints)


def _address(endpoint: Endpoint) -> Address:
    """``feed``'s endpoint keys are (host, port) already."""
    return cast(Address, endpoint)
