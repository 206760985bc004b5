"""An independent Python re-implementation of Zeek's TCP ``history`` / ``conn_state``.

This is a *test oracle*: wirelens's own verdicts about a TCP connection are checked
against what Zeek would write into ``conn.log`` for the same packets.  Zeek cannot be
installed here, so the logic below was transcribed from Zeek's source (master, 2025):

* ``src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc`` -- ``Process`` (the per-packet
  pipeline), ``init_endpoint``, ``get_relative_seq``, ``update_history``,
  ``update_window``, ``init_peer``, ``update_ack_seq``, ``update_last_seq``,
  ``SetPartialStatus``, the state machine (``UpdateStateMachine`` and its
  ``Update*State`` helpers), ``FlipRoles``, ``IsReuse``, ``ConnectionClosed``,
  ``EndpointEOF``, ``AttemptTimer`` and ``ExpireTimer``;
* ``src/packet_analysis/protocol/tcp/TCP.cc`` -- ``TCPAnalyzer::DeliverPacket``
  (a bad checksum records ``C`` and drops the packet) and ``WantConnection`` (the
  ``likely_server_ports`` flip decided when a connection is created);
* ``src/packet_analysis/protocol/ip/IPBasedAnalyzer.cc`` -- ``AnalyzePacket`` / ``NewConn``:
  the first packet's sender is the originator (unless ``WantConnection`` flips it), and
  every later packet is first checked with ``IsReuse`` (a SYN that does not belong to
  this connection ends it and starts a new one);
* ``src/analyzer/protocol/tcp/TCP_Endpoint.{h,cc}`` -- endpoint states, ``Size``,
  ``NoDataAcked``, ``CheckHistory`` / ``AddHistory`` (responder letters are lower case
  and use the history mask shifted by 16 bits), ``ChecksumError`` / ``DidRxmit`` /
  ``ZeroWindow`` / ``Gap`` (the ``C``/``T``/``W``/``G`` letters);
* ``src/Conn.{h,cc}`` -- ``Connection::CheckHistory`` (each letter once per direction),
  ``ScaledHistoryEntry`` (a repeated-event letter is logged at the 1st, 10th, 100th, ...
  occurrence) and ``Connection::FlipRoles`` (appends ``^``; note it does *not* swap the
  per-direction "letter already seen" bits);
* ``src/analyzer/protocol/tcp/TCP_Reassembler.cc`` and ``src/Reassem.cc`` --
  ``DataSent``, ``AckReceived``, ``TrimToSeq``/``DataBlockList::Trim``, ``Undelivered``,
  ``Gap``, ``CheckEOF`` and ``DataPending`` (content gaps ``G`` and deferred closes);
* ``scripts/base/protocols/conn/main.zeek`` -- the ``conn_state`` function, verbatim;
* ``scripts/base/init-bare.zeek`` -- the default timeouts used below.

Theory of operation
-------------------
``zeek_conns`` walks the packets of one 5-tuple in capture order, the way Zeek's session
manager does: the first packet creates a connection (its sender is the originator);
before each later packet, due connection timers fire (Zeek expires timers before it
dispatches a packet), which may remove the connection; then ``IsReuse`` may end the
connection and start a new one.  Each packet then runs ``Process``: bad-checksum check,
partial status, endpoint initialisation, relative sequence number, history letters,
zero-window check, FIN/RST counters, ACK bookkeeping, last-sequence update (which
detects retransmissions, ``T``), the endpoint state machine, the peer's reassembler
seeing the ACK (which detects content gaps, ``G``), the sender's reassembler seeing the
payload, and finally the close logic.  When the packets run out, each connection's
``conn_state`` is computed from the two endpoint states, the history and the two sizes,
exactly like ``main.zeek``.

Endpoint state transitions (``UpdateStateMachine``; the state of the *sending* endpoint
before the packet selects the row; "peer" is the other endpoint)::

    state        | packet                        | new state / effect
    -------------+-------------------------------+-------------------------------------
    inactive     | SYN (orig)                    | syn_sent; attempt timer (+5 s)
                 | SYN+ACK (orig)                | syn_ack_sent
                 | SYN+ACK (resp)                | established; peer syn_sent -> established
                 | SYN (resp), peer syn_ack_sent | FLIP roles ('^'), both established
                 | SYN (resp), otherwise         | established (simultaneous open)
                 | FIN                           | closed (close)
                 | RST                           | reset (close)
                 | no SYN/FIN/RST                | partial -- except: a pure ACK from the
                 |                               |  resp while orig is syn_sent stays
                 |                               |  inactive; an ACK whose peer is
                 |                               |  established -> established
    syn_sent,    | FIN                           | closed (close)
    syn_ack_sent | RST                           | reset (close)
    established, | SYN w/o ACK, self partial and | syn_sent
    partial      |  peer inactive                |
                 | FIN w/o RST                   | closed; a peer that went closed->reset
                 |                               |  is put back to closed (close)
                 | RST                           | reset (close)
    closed       | RST, peer not closed          | reset (close if not closed before)
    reset        | anything                      | stays reset

Simplifications versus Zeek (all deliberate, none affects a textbook connection):

* Input is per packet, already parsed: no IP/TCP header validation, no truncation
  handling (``checksum_ok`` is trusted as given; Zeek skips the check when the packet
  was truncated by the snap length, so pass ``True`` then), no TCP options.  Window
  scaling therefore is not modelled -- it cannot change whether a window is zero.
* ``likely_server_ports`` is empty by default, so ``WantConnection`` never flips a new
  connection unless the caller passes the ports (Zeek fills the set from every loaded
  protocol script, e.g. 80, 443, 22, ...).  The SYN/SYN-ACK *reversal* flip inside the
  state machine is always modelled.
* Connection removal by timers: modelled are ``AttemptTimer`` (tcp_attempt_delay, 5 s,
  this is what splits a long run of SYN retransmissions into several S0 connections),
  ``ExpireTimer`` (tcp_SYN_timeout / tcp_session_timer / tcp_connection_linger), the
  delete timer after a complete close (tcp_close_delay) and the connection inactivity
  timer (armed with tcp_inactivity_timeout once an endpoint leaves the handshake
  states; the udp_inactivity_timeout set at creation arms nothing, see ``_Conn``).
  Not modelled: ``PartialCloseTimer`` and ``ResetTimer``
  (installed only when a ``connection_partial_close`` / ``connection_reset`` event
  handler exists).  Timers are dispatched at their due time, as in a busy trace where
  other traffic keeps Zeek's clock moving.  In a trace holding nothing but this
  connection Zeek's clock only moves with its packets, so a timer runs at the next
  packet instead; the outcome is the same for every modelled timer except
  ``ExpireTimer``, whose "idle longer than tcp_connection_linger" test may then pass
  one reschedule (6 s) earlier on a half-closed or reset connection.
* The reassembler is modelled on sequence ranges only (no payload bytes, so no
  ``rexmit_inconsistency``), reassembly is assumed on from the first packet (Zeek's
  default ``dpd_reassemble_first_packets=T``), and ``tcp_max_old_segments=0``.
  ``detect_filtered_trace`` (default F) and ``report_gaps_for_partial`` (default F) are
  taken at their defaults.  Analyzer-driven skipping (``SetSkip``) never happens.
* 'T' follows current Zeek: it is decided per packet in ``update_last_seq`` (payload
  whose end does not advance the endpoint's highest sequence number), not by the
  reassembler.  'G' follows ``TCP_Reassembler::Gap``: the peer acknowledges data this
  side never showed, while both endpoints are established (or closed cleanly from
  established).
* The payload is assumed fully captured.  Zeek does not feed a snap-length-truncated
  payload to the reassembler (``TCP_Endpoint::DataSent``: caplen < len), so on a
  truncated capture real Zeek logs content gaps ('G'/'g') that this oracle does not.
* Weirds, events, byte counts other than ``Size`` and the ``x`` letter (analyzer limits)
  are not produced.  The ``__all__`` names are the public API; ``State`` and
  ``conn_state`` are exported for callers that hold endpoint states of their own.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

__all__ = ["Pkt", "State", "ZeekConn", "conn_state", "zeek_conn", "zeek_conns"]

FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 1, 2, 4, 8, 16, 32, 64, 128

_M32 = 0xFFFFFFFF
_M64 = (1 << 64) - 1
TOO_LARGE_SEQ_DELTA = 1048576

# scripts/base/init-bare.zeek defaults
TCP_SYN_TIMEOUT = 5.0
TCP_SESSION_TIMER = 6.0
TCP_CONNECTION_LINGER = 5.0
TCP_ATTEMPT_DELAY = 5.0
TCP_CLOSE_DELAY = 5.0
TCP_INACTIVITY_TIMEOUT = 300.0
UDP_INACTIVITY_TIMEOUT = 60.0  # set (not armed) by TCPAnalyzer::MakeSessionAdapter
TCP_MAX_INITIAL_WINDOW = 16384
TCP_MAX_ABOVE_HOLE_WITHOUT_ANY_ACKS = 16384
TCP_EXCESSIVE_DATA_WITHOUT_FURTHER_ACKS = 10 * 1024 * 1024


@dataclass(frozen=True)
class Pkt:
    ts: float  # seconds
    src: tuple[str, int]  # (ip text, port)
    dst: tuple[str, int]
    flags: int  # TCP flag byte bits: FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32 ECE=64 CWR=128
    seq: int  # raw 32-bit
    ack: int  # raw 32-bit
    payload_len: int  # TCP payload bytes as on the wire (ip/tcp lengths, not caplen)
    window: int  # raw window field
    checksum_ok: bool = True


@dataclass(frozen=True)
class ZeekConn:
    orig: tuple[str, int]
    resp: tuple[str, int]
    history: str
    conn_state: str
    orig_state: str  # inactive, syn_sent, syn_ack_sent, partial, established, closed, reset
    resp_state: str


class State(enum.IntEnum):
    """``EndpointState`` from TCP_Endpoint.h (same numbering as init-bare's TCP_*)."""

    INACTIVE = 0
    SYN_SENT = 1
    SYN_ACK_SENT = 2
    PARTIAL = 3
    ESTABLISHED = 4
    CLOSED = 5
    RESET = 6


# TCP_Endpoint::HistoryMasks
HIST_SYN_PKT = 0x1
HIST_FIN_PKT = 0x2
HIST_RST_PKT = 0x4
HIST_FIN_RST_PKT = 0x8
HIST_DATA_PKT = 0x10
HIST_ACK_PKT = 0x20
HIST_MULTI_FLAG_PKT = 0x40


def seq_delta(a: int, b: int) -> int:
    """Zeek's ``seq_delta``: ``int32_t(a - b)``."""
    d = (a - b) & _M32
    return d - (1 << 32) if d & 0x80000000 else d


def _is_handshake(s: State) -> bool:
    return s in (State.INACTIVE, State.SYN_SENT, State.SYN_ACK_SENT)


class _Counter:
    """The ``*_cnt`` / ``*_thresh`` pair behind ``Connection::ScaledHistoryEntry``."""

    __slots__ = ("count", "threshold")

    def __init__(self) -> None:
        self.count = 0
        self.threshold = 1

    def hit(self) -> bool:
        self.count += 1
        if self.count == self.threshold:
            new = (self.threshold * 10) & _M32
            if new <= self.threshold:
                self.count = 0
            else:
                self.threshold = new
            return True
        return False


class _Reassembler:
    """Sequence-range model of ``TCP_Reassembler`` (one per endpoint, for its data)."""

    def __init__(self, endp: _Endpoint) -> None:
        self.endp = endp
        self.last_reassem_seq = 1  # Reassembler(1, REASSEM_TCP)
        self.trim_seq = 1
        self.blocks: list[list[int]] = []  # sorted, non-overlapping [seq, upper)
        self.skip_deliveries = False
        self.did_eof = False

    # -- DataBlockList --------------------------------------------------------
    def _insert(self, seq: int, upper: int) -> None:
        """Insert only the parts of [seq, upper) not already held (old data wins)."""
        pieces = []
        cur = seq
        for b_seq, b_upper in self.blocks:
            if b_upper <= cur:
                continue
            if b_seq >= upper:
                break
            if b_seq > cur:
                pieces.append([cur, b_seq])
            cur = max(cur, b_upper)
            if cur >= upper:
                break
        if cur < upper:
            pieces.append([cur, upper])
        if pieces:
            self.blocks.extend(pieces)
            self.blocks.sort()

    def _data_size(self) -> int:
        return sum(u - s for s, u in self.blocks)

    def _num_undelivered(self) -> int:
        return self.blocks[-1][1] - self.last_reassem_seq if self.blocks else 0

    def _deliver_contiguous(self) -> None:
        for b_seq, b_upper in self.blocks:
            if b_seq > self.last_reassem_seq:
                break
            if b_seq == self.last_reassem_seq:
                self.last_reassem_seq += b_upper - b_seq

    # -- TCP_Reassembler ------------------------------------------------------
    def data_sent(self, seq: int, length: int) -> None:
        endp = self.endp
        ack = endp.to_relative(endp.ack_seq, endp.ack_wraps)
        upper = seq + length
        if self.skip_deliveries:
            return
        if seq < ack:
            if upper <= ack:
                return  # already delivered and acked
            seq = ack
        self._new_block(seq, upper)
        if endp.no_data_acked() and self._num_undelivered() > TCP_MAX_ABOVE_HOLE_WITHOUT_ANY_ACKS:
            self.blocks.clear()
            self.skip_deliveries = True
        if self._data_size() > TCP_EXCESSIVE_DATA_WITHOUT_FURTHER_ACKS:
            self.blocks.clear()
            self.skip_deliveries = True

    def _new_block(self, seq: int, upper: int) -> None:  # Reassembler::NewBlock
        if upper <= seq or upper <= self.trim_seq:
            return
        seq = max(seq, self.trim_seq)
        before = self.last_reassem_seq
        self._insert(seq, upper)
        # BlockInserted: only does anything if the new block touches last_reassem_seq.
        if seq <= before < upper:
            self._deliver_contiguous()
            endp = self.endp
            if endp.no_data_acked() and endp.size() > TCP_MAX_INITIAL_WINDOW:
                self.trim_to_seq(self.last_reassem_seq)

    def trim_to_seq(self, seq: int) -> None:  # DataBlockList::Trim
        if seq > self.last_reassem_seq:
            self._undelivered(seq)
        self.blocks = [b for b in self.blocks if b[1] > seq]
        self.trim_seq = seq

    def _undelivered(self, up_to_seq: int) -> None:  # TCP_Reassembler::Undelivered
        conn = self.endp.conn
        if up_to_seq <= 2 and conn.is_partial:
            return
        if not self.skip_deliveries:
            while True:
                hole = next(
                    (b for b in self.blocks if self.last_reassem_seq <= b[0] < up_to_seq),
                    None,
                )
                if hole is None:
                    break
                gap_len = hole[0] - self.last_reassem_seq
                self._gap()
                self.last_reassem_seq += gap_len
                self._deliver_contiguous()
            if up_to_seq > self.last_reassem_seq:
                self._gap()
        if up_to_seq > self.last_reassem_seq:
            self.last_reassem_seq = up_to_seq

    def _gap(self) -> None:  # TCP_Reassembler::Gap
        def clean(e: _Endpoint) -> bool:
            return e.state == State.ESTABLISHED or (
                e.state == State.CLOSED and e.prev_state == State.ESTABLISHED
            )

        if clean(self.endp) and clean(self.endp.peer):
            self.endp.scaled("G", self.endp.gap_cnt)

    def ack_received(self, seq: int) -> None:
        endp = self.endp
        if endp.fin_cnt > 0 and seq >= endp.fin_seq:
            seq = endp.fin_seq - 1
        if seq <= self.trim_seq:
            return
        self.trim_to_seq(seq)
        self.check_eof()

    def check_eof(self) -> None:
        endp = self.endp
        if (
            not self.did_eof
            and (endp.fin_cnt > 0 or endp.state in (State.CLOSED, State.RESET))
            and not self.data_pending()
        ):
            self.did_eof = True
            endp.conn.endpoint_eof(endp)

    def data_pending(self) -> bool:
        if self.skip_deliveries:
            return False
        endp = self.endp
        delivered = endp.start_seq + self.last_reassem_seq
        last = (endp.seq_wraps << 32) + endp.last_seq
        if last < delivered:
            return False
        if delivered not in (last - 1, last):
            return True
        return endp.state != State.RESET and bool(endp.peer.reasm.blocks)


class _Endpoint:
    """``TCP_Endpoint``: the fields the history/state logic reads and writes."""

    def __init__(self, conn: _Conn, is_orig: bool) -> None:
        self.conn = conn
        self.is_orig = is_orig
        self.state = State.INACTIVE
        self.prev_state = State.INACTIVE
        self.peer: _Endpoint = self  # set by the connection
        self.start_seq = 0  # int64 in Zeek; always set from a uint32 here
        self.last_seq = 0
        self.ack_seq = 0
        self.seq_wraps = 0
        self.ack_wraps = 0
        self.fin_seq = 0
        self.fin_cnt = 0
        self.rst_cnt = 0
        self.did_close = False
        self.hist_last_syn = 0
        self.hist_last_fin = 0
        self.hist_last_rst = 0
        self.chk_cnt = _Counter()
        self.rxmt_cnt = _Counter()
        self.win0_cnt = _Counter()
        self.gap_cnt = _Counter()
        self.reasm = _Reassembler(self)

    # -- sequence bookkeeping -------------------------------------------------
    def to_relative(self, seq: int, wraps: int) -> int:  # ToRelativeSeqSpace (uint64)
        return ((wraps << 32) + seq - self.start_seq) & _M64

    def init_seqs(self, start: int, ack: int, last: int) -> None:
        self.start_seq = start & _M32
        self.ack_seq = ack & _M32
        self.last_seq = last & _M32

    def update_last_seq(self, seq: int) -> None:
        if seq < self.last_seq:
            self.seq_wraps += 1
        self.last_seq = seq

    def update_ack_seq(self, seq: int) -> None:
        if seq < self.ack_seq:
            self.ack_wraps += 1
        self.ack_seq = seq

    def no_data_acked(self) -> bool:
        ack = (self.ack_wraps << 32) + self.ack_seq
        return ack in (self.start_seq, self.start_seq + 1)

    def size(self) -> int:  # TCP_Endpoint::Size
        if (
            self.prev_state == State.SYN_SENT
            and self.state == State.RESET
            and self.peer.state == State.INACTIVE
            and not self.no_data_acked()
        ):
            return 0
        last64 = (self.seq_wraps << 32) + self.last_seq
        ack64 = (self.ack_wraps << 32) + self.ack_seq
        size = ((last64 if last64 > ack64 else ack64) - self.start_seq) & _M64
        if size:
            size -= 1
        if self.fin_cnt > 0 and size:
            size -= 1
        return size

    def set_state(self, new: State) -> None:
        if new != self.state:
            if (
                not _is_handshake(new)
                and _is_handshake(self.state)
                and _is_handshake(self.peer.state)
            ):
                self.conn.set_inactivity_timeout(TCP_INACTIVITY_TIMEOUT)
            self.prev_state = self.state
            self.state = new

    # -- history ----------------------------------------------------------------
    def check_history(self, mask: int, code: str) -> bool:
        if not self.is_orig:
            mask <<= 16
            code = code.lower()
        return self.conn.check_history(mask, code)

    def add_history(self, code: str) -> None:
        self.conn.history += code if self.is_orig else code.lower()

    def scaled(self, code: str, counter: _Counter) -> None:
        if counter.hit():
            self.conn.history += code if self.is_orig else code.lower()


def _get_segment_len(payload_len: int, flags: int) -> int:
    seg_len = payload_len
    if flags & SYN:
        seg_len += 1
    if flags & FIN:
        seg_len += 1
    if flags & RST:
        seg_len -= payload_len
    return seg_len


def _init_endpoint(ep: _Endpoint, flags: int, first_seg_seq: int, last_seq: int) -> None:
    st = ep.state
    if st == State.INACTIVE:
        if flags & SYN:
            ep.ack_seq = first_seg_seq
            ep.start_seq = first_seg_seq
        else:
            # Partial connection: number as though a SYN had been seen.
            ep.ack_seq = (first_seg_seq - 1) & _M32
            ep.start_seq = (first_seg_seq - 1) & _M32
            last_seq = first_seg_seq  # but don't mark the first packet as a duplicate
        ep.last_seq = last_seq
    elif st in (State.SYN_SENT, State.SYN_ACK_SENT):
        if flags & SYN and first_seg_seq != ep.start_seq:  # SYN_seq_jump
            ep.init_seqs(first_seg_seq, first_seg_seq, last_seq)
    elif st in (State.ESTABLISHED, State.PARTIAL):
        if flags & SYN:
            ep.init_seqs(first_seg_seq, first_seg_seq, last_seq)
    elif st == State.RESET:
        if flags & SYN and ep.prev_state == State.INACTIVE:
            ep.init_seqs(first_seg_seq, first_seg_seq, last_seq)


def _get_relative_seq(ep: _Endpoint, cur_base: int, last: int, wraps: int) -> tuple[int, bool]:
    delta = seq_delta(cur_base, last)
    if delta < 0:
        if wraps and cur_base > last:
            wraps -= 1
    elif delta > 0:
        if cur_base < last:
            wraps += 1
    if wraps == 0:
        delta = seq_delta(cur_base, ep.start_seq)
        return delta & _M64, delta < 0
    return ep.to_relative(cur_base, wraps), False


def _update_history(flags: int, ep: _Endpoint, rel_seq: int, length: int) -> None:
    bits_set = bool(flags & SYN) + bool(flags & FIN) + bool(flags & RST)
    if bits_set > 1:
        if flags & FIN and flags & RST:
            ep.check_history(HIST_FIN_RST_PKT, "I")
        else:
            ep.check_history(HIST_MULTI_FLAG_PKT, "Q")
    elif bits_set == 1:
        if flags & SYN:
            code = "H" if flags & ACK else "S"
            if ep.check_history(HIST_SYN_PKT, code) and rel_seq != ep.hist_last_syn:
                ep.add_history(code)
            ep.hist_last_syn = rel_seq
        if flags & FIN:
            # For FINs the sequence number that counts is the one after the data.
            fin_at = (rel_seq + length) & _M64
            if ep.check_history(HIST_FIN_PKT, "F") and fin_at != ep.hist_last_fin:
                ep.add_history("F")
            ep.hist_last_fin = fin_at
        if flags & RST:
            if ep.check_history(HIST_RST_PKT, "R") and rel_seq != ep.hist_last_rst:
                ep.add_history("R")
            ep.hist_last_rst = rel_seq
    else:
        if length:
            ep.check_history(HIST_DATA_PKT, "D")
        elif flags & ACK:
            ep.check_history(HIST_ACK_PKT, "A")


def _update_window(ep: _Endpoint, window: int, flags: int) -> None:
    # Only the zero-window part of update_window() matters for the history; scaling
    # cannot turn a non-zero 16-bit window into zero.
    if (
        window == 0
        and not flags & RST
        and ep.peer.state != State.CLOSED
        and ep.state != State.RESET
    ):
        ep.scaled("W", ep.win0_cnt)


def _update_last_seq(ep: _Endpoint, last_seq: int, flags: int, length: int) -> int:
    delta_last = seq_delta(last_seq, ep.last_seq)
    if flags & (SYN | RST) and (
        delta_last > TOO_LARGE_SEQ_DELTA or delta_last < -TOO_LARGE_SEQ_DELTA
    ):
        pass
    elif flags & FIN and ep.last_seq == (ep.start_seq + 1) & _M32:
        ep.update_last_seq(last_seq)
    elif ep.state == State.RESET:
        pass  # don't trust any subsequent sequence numbers
    elif delta_last > 0:
        ep.update_last_seq(last_seq)
    elif length > 0:
        ep.scaled("T", ep.rxmt_cnt)  # DidRxmit
    return delta_last


_ORIG, _RESP = 1, 2


class _Conn:
    """One Zeek ``Connection`` with its ``TCPSessionAdapter``."""

    def __init__(self, first: Pkt, likely_server_ports: Collection[int]) -> None:
        self.orig_addr = first.src
        self.resp_addr = first.dst
        self.history = ""
        self.hist_seen = 0
        self.last_time = first.ts
        self.removed = False
        self.first_packet_seen = 0
        self.is_partial = False
        self.is_active = True
        self.close_deferred = False
        self.deferred_gen_event = False
        self.orig = _Endpoint(self, True)
        self.resp = _Endpoint(self, False)
        self.orig.peer = self.resp
        self.resp.peer = self.orig
        # Timers: (due time, kind).  "analyzer" timers are cancelled on a full close.
        self.timers: list[tuple[float, str]] = []
        # IPBasedAnalyzer::NewConn -> WantConnection; FlipRoles before the adapter exists.
        if self._want_flip(first, likely_server_ports):
            self.orig_addr, self.resp_addr = self.resp_addr, self.orig_addr
            self.history += "^"
        # TCPSessionAdapter constructor and TCPAnalyzer::MakeSessionAdapter.
        self.timers.append((first.ts + TCP_SYN_TIMEOUT, "expire"))
        # MakeSessionAdapter calls SetInactivityTimeout(udp_inactivity_timeout) before
        # the session manager has inserted the connection, and Session::AddTimer drops
        # timers of a session not in the table: the value is set, no timer is armed.
        # A timer is armed when the timeout changes later (handshake completed).
        self.inactivity_timeout = UDP_INACTIVITY_TIMEOUT

    @staticmethod
    def _want_flip(p: Pkt, likely: Collection[int]) -> bool:
        flags = p.flags
        if not flags & SYN or flags & ACK:
            src_port, dst_port = p.src[1], p.dst[1]
            if src_port in likely:
                if dst_port in likely:
                    return not flags & SYN and src_port < dst_port
                return True
        return False

    # -- Connection ---------------------------------------------------------------
    def check_history(self, mask: int, code: str) -> bool:
        if not self.hist_seen & mask:
            self.hist_seen |= mask
            self.history += code
            return False
        return True

    def set_inactivity_timeout(self, timeout: float) -> None:
        if timeout == self.inactivity_timeout:
            return
        self.timers = [t for t in self.timers if t[1] != "inactivity"]
        if timeout:
            self.timers.append((self.last_time + timeout, "inactivity"))
        self.inactivity_timeout = timeout

    def flip_roles(self) -> None:  # Connection::FlipRoles + TCPSessionAdapter::FlipRoles
        self.orig_addr, self.resp_addr = self.resp_addr, self.orig_addr
        self.orig, self.resp = self.resp, self.orig
        self.orig.is_orig = not self.orig.is_orig
        self.resp.is_orig = not self.resp.is_orig
        fps = self.first_packet_seen
        self.first_packet_seen = (_RESP if fps & _ORIG else 0) | (_ORIG if fps & _RESP else 0)
        self.is_partial = False
        self.history += "^"

    # -- timers ---------------------------------------------------------------------
    def run_timers(self, now: float) -> None:
        """Dispatch every timer due at or before ``now`` (Zeek's expire_timers())."""
        while not self.removed and self.timers:
            due, kind = min(self.timers)
            if due > now:
                return
            self.timers.remove((due, kind))
            getattr(self, "_timer_" + kind)(due)

    def _cancel_analyzer_timers(self) -> None:
        self.timers = [t for t in self.timers if t[1] == "inactivity"]

    def _timer_inactivity(self, t: float) -> None:  # Session::InactivityTimer
        if self.last_time + self.inactivity_timeout <= t:
            self.removed = True
        else:
            self.timers.append((self.last_time + self.inactivity_timeout, "inactivity"))

    def _timer_attempt(self, t: float) -> None:
        if not self.is_active:
            return
        if (
            self.orig.state in (State.SYN_SENT, State.SYN_ACK_SENT)
            and self.resp.state == State.INACTIVE
        ):
            self.is_active = False
            self.removed = True

    def _timer_expire(self, t: float) -> None:
        if not self.is_active:
            return
        o, r = self.orig, self.resp
        if self.last_time + TCP_CONNECTION_LINGER < t:
            if o.did_close or r.did_close:
                if (
                    (o.did_close and r.did_close)
                    or State.RESET in (o.state, r.state)
                    or State.INACTIVE in (o.state, r.state)
                ):
                    self.is_active = False
                    self.removed = True
                    return
            if r.state == State.INACTIVE and o.state == State.INACTIVE:
                self.removed = True
                return
        self.timers.append((t + TCP_SESSION_TIMER, "expire"))

    def _timer_delete(self, t: float) -> None:
        self.removed = True

    # -- IsReuse ----------------------------------------------------------------------
    def is_reuse(self, p: Pkt) -> bool:
        flags = p.flags
        if not flags & SYN:
            return False
        conn_orig = self.orig
        if flags & ACK:
            if self.orig.state != State.INACTIVE:
                return False
            conn_orig = self.resp
        if not (self.orig.did_close or self.resp.did_close):
            base_seq = p.seq & _M32
            if base_seq == conn_orig.start_seq:
                return False
            if (
                not flags & ACK
                and conn_orig.state == State.SYN_ACK_SENT
                and self.resp.state == State.INACTIVE
                and base_seq == self.resp.start_seq
            ):
                return False  # SYN and SYN-ACK reordered; the state machine flips
        return True

    # -- Process ------------------------------------------------------------------------
    def process(self, p: Pkt) -> None:
        t = p.ts
        is_orig = p.src == self.orig_addr  # IPBasedAnalyzer: source addr and port
        endpoint = self.orig if is_orig else self.resp
        peer = endpoint.peer

        if not p.checksum_ok:  # TCPAnalyzer::ValidateChecksum
            endpoint.scaled("C", endpoint.chk_cnt)
            return

        flags = p.flags
        length = p.payload_len
        self._set_partial_status(flags, endpoint.is_orig)
        seg_len = _get_segment_len(length, flags)
        base_seq = p.seq & _M32
        ack_seq = p.ack & _M32
        seq_one_past_segment = (base_seq + seg_len) & _M32

        _init_endpoint(endpoint, flags, base_seq, seq_one_past_segment)
        rel_seq, seq_underflow = _get_relative_seq(
            endpoint, base_seq, endpoint.last_seq, endpoint.seq_wraps
        )
        _update_history(flags, endpoint, rel_seq, length)
        _update_window(endpoint, p.window, flags)

        if not self.orig.did_close or not self.resp.did_close:
            self.last_time = t

        if flags & FIN:
            endpoint.fin_cnt += 1
            endpoint.fin_seq = (rel_seq + seg_len) & _M64
        if flags & RST:
            endpoint.rst_cnt += 1

        rel_ack = 0
        if flags & ACK:
            if peer.state == State.INACTIVE:
                rel_ack = 1
                peer.init_seqs(ack_seq - 1, ack_seq - 1, ack_seq - 1)  # init_peer
            else:
                rel_ack, ack_underflow = _get_relative_seq(
                    peer, ack_seq, peer.ack_seq, peer.ack_wraps
                )
                if ack_underflow:
                    rel_ack = 0
                elif not flags & RST:  # update_ack_seq; acks in RSTs are not trusted
                    delta_ack = seq_delta(ack_seq, peer.ack_seq)
                    if not (ack_seq == 0 and delta_ack > TOO_LARGE_SEQ_DELTA) and delta_ack > 0:
                        peer.update_ack_seq(ack_seq)

        delta_last = _update_last_seq(endpoint, seq_one_past_segment, flags, length)

        do_close, gen_event = self._update_state_machine(
            t, endpoint, peer, base_seq, ack_seq, length, delta_last, is_orig, flags
        )

        if flags & ACK:
            peer.reasm.ack_received(rel_ack)

        # CheckPIA_FirstPacket (with the possibly stale is_orig, as in Zeek)
        self.first_packet_seen |= _ORIG if is_orig else _RESP

        rel_data_seq = rel_seq + 1 if flags & SYN else rel_seq
        if length > 0 and not flags & RST and not seq_underflow:
            endpoint.reasm.data_sent(rel_data_seq, length)

        endpoint.reasm.check_eof()

        if do_close:
            self.connection_closed(endpoint, peer, gen_event)

    def _set_partial_status(self, flags: int, is_orig: bool) -> None:
        if is_orig:
            if not self.first_packet_seen & _ORIG:
                self.is_partial = not flags & SYN or bool(flags & ACK)
        else:
            if not self.first_packet_seen & _RESP and not self.is_partial:
                self.is_partial = not flags & SYN

    # -- state machine ---------------------------------------------------------------
    def _update_state_machine(
        self,
        t: float,
        endpoint: _Endpoint,
        peer: _Endpoint,
        base_seq: int,
        ack_seq: int,
        length: int,
        delta_last: int,
        is_orig: bool,
        flags: int,
    ) -> tuple[bool, bool]:
        st = endpoint.state
        if st == State.INACTIVE:
            return self._inactive(t, endpoint, peer, base_seq, length, is_orig, flags)
        if st in (State.SYN_SENT, State.SYN_ACK_SENT):
            return self._syn_sent(endpoint, flags)
        if st in (State.ESTABLISHED, State.PARTIAL):
            return self._established(endpoint, peer, flags)
        if st == State.CLOSED:
            return self._closed(endpoint, flags)
        return False, False  # RESET: only weirds

    def _inactive(
        self,
        t: float,
        endpoint: _Endpoint,
        peer: _Endpoint,
        base_seq: int,
        length: int,
        is_orig: bool,
        flags: int,
    ) -> tuple[bool, bool]:
        do_close = gen_event = False
        if flags & SYN:
            if is_orig:
                if flags & ACK:
                    endpoint.set_state(State.SYN_ACK_SENT)  # connection_originator_SYN_ack
                else:
                    endpoint.set_state(State.SYN_SENT)
                self.timers.append((t + TCP_ATTEMPT_DELAY, "attempt"))
            else:
                if not flags & ACK and (
                    peer.state == State.SYN_ACK_SENT and base_seq == endpoint.start_seq
                ):
                    # SYN/SYN-ACK reversal: flip the endpoints, establish the connection.
                    self.is_partial = False
                    self.flip_roles()
                    peer.set_state(State.ESTABLISHED)
                    self.first_packet_seen |= _ORIG  # SetFirstPacketSeen(true)
                if peer.state == State.SYN_SENT:
                    peer.set_state(State.ESTABLISHED)
                endpoint.set_state(State.ESTABLISHED)

        if flags & FIN:
            endpoint.set_state(State.CLOSED)
            do_close = gen_event = True

        if flags & RST:
            endpoint.set_state(State.RESET)
            if is_orig:
                is_reject = peer.state == State.ESTABLISHED
            else:
                is_reject = peer.state in (State.SYN_SENT, State.SYN_ACK_SENT)
            do_close = True
            gen_event = not is_reject

        if endpoint.state == State.INACTIVE:  # no control flags changed the state
            if not is_orig and length == 0 and self.orig.state == State.SYN_SENT:
                pass  # an ack of the SYN before the SYN-ACK: not a partial connection
            elif flags & ACK and peer.state == State.ESTABLISHED:
                # SYN-ACK seen but not the SYN, now a pure ACK: establish.
                endpoint.set_state(State.ESTABLISHED)
                self.is_partial = False
                self.first_packet_seen |= _ORIG if is_orig else _RESP
            else:
                endpoint.set_state(State.PARTIAL)
        return do_close, gen_event

    def _syn_sent(self, endpoint: _Endpoint, flags: int) -> tuple[bool, bool]:
        do_close = gen_event = False
        if flags & FIN:
            endpoint.set_state(State.CLOSED)
            do_close = gen_event = True
        if flags & RST:
            endpoint.set_state(State.RESET)
            self.is_active = False  # ConnectionReset
            do_close = True
        return do_close, gen_event

    def _established(self, endpoint: _Endpoint, peer: _Endpoint, flags: int) -> tuple[bool, bool]:
        do_close = gen_event = False
        if flags & SYN:
            if endpoint.state == State.PARTIAL and peer.state == State.INACTIVE and not flags & ACK:
                endpoint.set_state(State.SYN_SENT)  # SYN_after_partial
        if flags & FIN and not flags & RST:
            endpoint.set_state(State.CLOSED)
            if peer.state == State.RESET and peer.prev_state == State.CLOSED:
                # The peer sent a FIN then a RST: that was a normal termination.
                peer.set_state(State.CLOSED)
            do_close = gen_event = True
        if flags & RST:
            endpoint.set_state(State.RESET)
            do_close = True
            if peer.state != State.RESET or peer.prev_state != State.ESTABLISHED:
                self.is_active = False  # ConnectionReset
        return do_close, gen_event

    def _closed(self, endpoint: _Endpoint, flags: int) -> tuple[bool, bool]:
        do_close = False
        if flags & RST and endpoint.peer.state != State.CLOSED:
            endpoint.set_state(State.RESET)
            if not endpoint.did_close:
                do_close = True  # RST after FIN
        return do_close, False

    # -- closing --------------------------------------------------------------------
    def _data_pending(self, endp: _Endpoint) -> bool:
        return endp.reasm.data_pending()

    def connection_closed(self, endpoint: _Endpoint, peer: _Endpoint, gen_event: bool) -> None:
        if self._data_pending(endpoint):
            self.close_deferred = True
            if not self.deferred_gen_event:
                self.deferred_gen_event = gen_event
            return
        self.close_deferred = False
        if endpoint.did_close:
            return
        endpoint.did_close = True
        close_complete = (
            endpoint.state == State.RESET or peer.did_close or peer.state == State.INACTIVE
        )
        if close_complete:
            if endpoint.prev_state != State.INACTIVE or peer.state != State.INACTIVE:
                if self.deferred_gen_event:
                    gen_event = True
                    self.deferred_gen_event = False
                if gen_event:
                    self.is_active = False  # ConnectionFinished
            self._cancel_analyzer_timers()
            self.timers.append((self.last_time + TCP_CLOSE_DELAY, "delete"))
        elif endpoint.prev_state != State.INACTIVE:
            self.timers.append((self.last_time + TCP_SESSION_TIMER, "expire"))
        # else: PartialCloseTimer, only with a connection_partial_close handler (not modelled)

    def endpoint_eof(self, endp: _Endpoint) -> None:
        if self.close_deferred:
            self.connection_closed(endp, endp.peer, self.deferred_gen_event)
            self.close_deferred = False

    # -- result ---------------------------------------------------------------------------
    def result(self) -> ZeekConn:
        o, r = self.orig, self.resp
        return ZeekConn(
            orig=self.orig_addr,
            resp=self.resp_addr,
            history=self.history,
            conn_state=conn_state(o.state, r.state, self.history, o.size(), r.size()),
            orig_state=o.state.name.lower(),
            resp_state=r.state.name.lower(),
        )


def conn_state(os: State, rs: State, history: str, orig_size: int, resp_size: int) -> str:
    """``conn_state()`` from scripts/base/protocols/conn/main.zeek (TCP branch)."""
    o_inactive = os in (State.INACTIVE, State.PARTIAL)
    r_inactive = rs in (State.INACTIVE, State.PARTIAL)
    if rs == State.RESET:
        if os in (State.SYN_SENT, State.SYN_ACK_SENT) or (
            os == State.RESET and orig_size == 0 and resp_size == 0
        ):
            return "REJ"
        if o_inactive:
            return "RSTRH"
        return "RSTR"
    if os == State.RESET:
        if r_inactive:
            # Zeek patterns match the whole string (anchored both ends).
            if re.fullmatch(r"\^?S[^HAFGIQ]*R.*", history, flags=re.DOTALL):
                return "RSTOS0"
            return "OTH"
        return "RSTO"
    if rs == State.CLOSED and os == State.CLOSED:
        return "SF"
    if os == State.CLOSED:
        return "SH" if r_inactive else "S2"
    if rs == State.CLOSED:
        return "SHR" if o_inactive else "S3"
    if os == State.SYN_SENT and rs == State.INACTIVE:
        return "S0"
    if os == State.ESTABLISHED and rs == State.ESTABLISHED:
        return "S1"
    return "OTH"


def zeek_conns(
    packets: Sequence[Pkt], *, likely_server_ports: Collection[int] = frozenset()
) -> list[ZeekConn]:
    """Every conn.log entry Zeek would write for these packets of one 5-tuple.

    Usually one; more when a SYN reuses the 5-tuple (``IsReuse``) or when a timer
    removed the connection before a later packet arrived.
    """
    out: list[ZeekConn] = []
    conn: _Conn | None = None
    for p in packets:
        if conn is not None:
            conn.run_timers(p.ts)
            if conn.removed:
                out.append(conn.result())
                conn = None
            elif conn.is_reuse(p):
                out.append(conn.result())
                conn = None
        if conn is None:
            conn = _Conn(p, likely_server_ports)
        conn.process(p)
    if conn is not None:
        out.append(conn.result())
    return out


def zeek_conn(
    packets: Sequence[Pkt], *, likely_server_ports: Collection[int] = frozenset()
) -> ZeekConn:
    """The conn.log entry for one connection's packets.

    Raises ``ValueError`` if Zeek would log them as more than one connection (see
    ``zeek_conns``) or if there are no packets.
    """
    conns = zeek_conns(packets, likely_server_ports=likely_server_ports)
    if len(conns) != 1:
        raise ValueError(f"Zeek would log {len(conns)} connections here: {conns!r}")
    return conns[0]
