"""Wireshark's TCP sequence analysis, segment by segment: retransmissions, duplicate ACKs ...

Theory of operation: this follows ``tcp_analyze_sequence_number`` in Wireshark 4.0's
``epan/dissectors/packet-tcp.c`` rule for rule, so that a packet we flag is the packet
Wireshark flags (``tests/test_tshark_anomalies.py`` checks this against tshark). Each
direction of a conversation keeps a ``Flow``: the highest next sequence number seen
(``nextseq``, 0 while unknown, as in Wireshark), the last ACK number and window it sent,
when, and how many duplicate ACKs in a row. ``Analysis.segment`` reads the sender's and
the receiver's flows, returns the segment's flags as a ``Kind`` bit set, and updates the
sender's flow. All sequence arithmetic is modulo 2**32, as Wireshark's guint32.

Deliberate differences from Wireshark, each too small to matter for a story:
- Wireshark stops adding a SYN's or FIN's extra sequence number to ``nextseq`` once 1000
  segments of one direction are unacknowledged; we always add it.
- We keep no per-segment list of unacknowledged data, so there is no RTT per ACK and no
  bytes-in-flight; the out-of-order threshold still uses the handshake RTT as Wireshark's.

Wireshark's comparisons, with d = (a - b) mod 2**32: GT_SEQ(a, b) is (b - a) mod 2**32 >=
2**31; LT_SEQ(a, b) is d >= 2**31; LE_SEQ(a, b) is (b - a) mod 2**32 < 2**31. Nothing here
does I/O or raises on odd input; it is plain integer work, so it stays fast.
"""

from __future__ import annotations

from enum import IntFlag

from wirelens.explain.wirenumbers import ACK, FIN, RST, SYN

MOD_MASK = 0xFFFFFFFF
HALF = 1 << 31
MAX_WINDOW = 0xFFFFFFFF  # Wireshark's "window not seen yet"
FAST_RETRANSMISSION_NS = 20_000_000  # a retransmission within 20 ms of a duplicate ACK
OUT_OF_ORDER_NS = 3_000_000  # out-of-order threshold when the handshake RTT is unknown
MAX_SHIFT = 14  # RFC 7323: a window scale above 14 is taken as 14


class Kind(IntFlag):
    """What Wireshark's expert analysis says of one segment (tcp.analysis.*)."""

    RETRANSMISSION = 1 << 0
    FAST_RETRANSMISSION = 1 << 1
    SPURIOUS_RETRANSMISSION = 1 << 2
    OUT_OF_ORDER = 1 << 3
    LOST_SEGMENT = 1 << 4  # "previous segment not captured"
    ACKED_UNSEEN = 1 << 5  # "ACKed unseen segment"
    DUPLICATE_ACK = 1 << 6
    ZERO_WINDOW = 1 << 7
    ZERO_WINDOW_PROBE = 1 << 8
    ZERO_WINDOW_PROBE_ACK = 1 << 9
    WINDOW_FULL = 1 << 10
    WINDOW_UPDATE = 1 << 11
    KEEP_ALIVE = 1 << 12
    KEEP_ALIVE_ACK = 1 << 13
    RESET = 1 << 14  # not an analysis flag in Wireshark: the RST flag, listed with the rest


# The names the JSON and the catalogs use, and the tshark field that says the same.
KIND_NAMES: dict[Kind, str] = {
    Kind.RETRANSMISSION: "retransmission",
    Kind.FAST_RETRANSMISSION: "fast-retransmission",
    Kind.SPURIOUS_RETRANSMISSION: "spurious-retransmission",
    Kind.OUT_OF_ORDER: "out-of-order",
    Kind.LOST_SEGMENT: "lost-segment",
    Kind.ACKED_UNSEEN: "acked-unseen",
    Kind.DUPLICATE_ACK: "duplicate-ack",
    Kind.ZERO_WINDOW: "zero-window",
    Kind.ZERO_WINDOW_PROBE: "zero-window-probe",
    Kind.ZERO_WINDOW_PROBE_ACK: "zero-window-probe-ack",
    Kind.WINDOW_FULL: "window-full",
    Kind.WINDOW_UPDATE: "window-update",
    Kind.KEEP_ALIVE: "keep-alive",
    Kind.KEEP_ALIVE_ACK: "keep-alive-ack",
    Kind.RESET: "reset",
}
TSHARK_FIELDS: dict[Kind, str] = {
    Kind.RETRANSMISSION: "tcp.analysis.retransmission",
    Kind.FAST_RETRANSMISSION: "tcp.analysis.fast_retransmission",
    Kind.SPURIOUS_RETRANSMISSION: "tcp.analysis.spurious_retransmission",
    Kind.OUT_OF_ORDER: "tcp.analysis.out_of_order",
    Kind.LOST_SEGMENT: "tcp.analysis.lost_segment",
    Kind.ACKED_UNSEEN: "tcp.analysis.ack_lost_segment",
    Kind.DUPLICATE_ACK: "tcp.analysis.duplicate_ack",
    Kind.ZERO_WINDOW: "tcp.analysis.zero_window",
    Kind.ZERO_WINDOW_PROBE: "tcp.analysis.zero_window_probe",
    Kind.ZERO_WINDOW_PROBE_ACK: "tcp.analysis.zero_window_probe_ack",
    Kind.WINDOW_FULL: "tcp.analysis.window_full",
    Kind.WINDOW_UPDATE: "tcp.analysis.window_update",
    Kind.KEEP_ALIVE: "tcp.analysis.keep_alive",
    Kind.KEEP_ALIVE_ACK: "tcp.analysis.keep_alive_ack",
    Kind.RESET: "tcp.flags.reset",
}
# Kinds that say the packet carries bytes sent before (the most specific one is named).
RETRANSMISSIONS = Kind.RETRANSMISSION | Kind.FAST_RETRANSMISSION | Kind.SPURIOUS_RETRANSMISSION

_SFR = SYN | FIN | RST
_SF = SYN | FIN
# The same bits as plain ints: IntFlag arithmetic is slow in the per-segment hot path.
_RTX, _FAST, _SPUR, _OOO = (int(Kind.RETRANSMISSION), int(Kind.FAST_RETRANSMISSION),
                            int(Kind.SPURIOUS_RETRANSMISSION), int(Kind.OUT_OF_ORDER))
_LOST, _UNSEEN, _DUP, _ZW = (int(Kind.LOST_SEGMENT), int(Kind.ACKED_UNSEEN),
                             int(Kind.DUPLICATE_ACK), int(Kind.ZERO_WINDOW))
_ZWP, _ZWP_ACK, _FULL, _UPDATE = (int(Kind.ZERO_WINDOW_PROBE), int(Kind.ZERO_WINDOW_PROBE_ACK),
                                  int(Kind.WINDOW_FULL), int(Kind.WINDOW_UPDATE))
_KA, _KA_ACK, _RST = int(Kind.KEEP_ALIVE), int(Kind.KEEP_ALIVE_ACK), int(Kind.RESET)


def kind_names(kinds: int) -> list[str]:
    """The names of the kinds in a bit set, in ``KIND_NAMES`` order."""
    return [name for kind, name in KIND_NAMES.items() if kinds & kind]


class Flow:
    """One direction's sequence state, as Wireshark's ``tcp_analyze_seq_flow_info_t``."""

    __slots__ = ("nextseq", "nextseq_ns", "maxseqtobeacked", "lastack", "lastack_ns",
                 "window", "win_scale", "dupacks", "lastflags")

    def __init__(self) -> None:
        self.nextseq = 0  # one past the highest sequence number sent; 0 while unknown
        self.nextseq_ns = 0  # when nextseq last moved
        self.maxseqtobeacked = 0  # highest contiguous sequence number sent
        self.lastack = 0
        self.lastack_ns = 0
        self.window = MAX_WINDOW  # the raw (unscaled) window last advertised
        self.win_scale = -1  # -1 unknown, -2 "no scaling", else the shift count
        self.dupacks = 0  # duplicate ACKs in a row
        self.lastflags = 0  # the Kind bits of this direction's last segment


class Analysis:
    """Both directions of one conversation plus the handshake round-trip time."""

    __slots__ = ("flows", "mru_syn_ns", "first_rtt_ns")

    def __init__(self) -> None:
        self.flows = (Flow(), Flow())
        self.mru_syn_ns = 0  # time of the latest SYN (without ACK)
        self.first_rtt_ns = 0  # from that SYN to the first ACK after it

    def segment(
        self, direction: int, seq: int, ack: int, seglen: int, flags: int, window: int,
        ts_ns: int, wscale: int = -1,
    ) -> int:  # fmt: skip
        """Analyse one segment sent in ``direction`` (0 or 1); returns its ``Kind`` bits."""
        fwd = self.flows[direction]
        rev = self.flows[1 - direction]
        kinds = _sequence(fwd, rev, seq, ack, seglen, flags, window, ts_ns, self.first_rtt_ns)
        if flags & SYN:
            if wscale >= 0:
                fwd.win_scale = min(wscale, MAX_SHIFT)
            _verify_window_scaling(bool(flags & ACK), fwd, rev)
            if not flags & ACK:
                self.mru_syn_ns = ts_ns
        elif flags & ACK and self.mru_syn_ns and not self.first_rtt_ns:
            self.first_rtt_ns = ts_ns - self.mru_syn_ns
        if flags & RST:
            kinds |= _RST
        return kinds


def _verify_window_scaling(is_synack: bool, fwd: Flow, rev: Flow) -> None:
    """Scaling is used only when both SYNs carried the option (packet-tcp.c)."""
    if fwd.win_scale == -1:
        fwd.win_scale = rev.win_scale = -2
    elif is_synack and rev.win_scale == -2:
        fwd.win_scale = -2


def _sequence(
    fwd: Flow, rev: Flow, seq: int, ack: int, seglen: int, flags: int, window: int,
    ts_ns: int, first_rtt_ns: int,
) -> int:  # fmt: skip
    kinds = 0
    nextseq = fwd.nextseq
    lastack = fwd.lastack
    plain = not flags & _SFR  # none of SYN, FIN, RST
    if seglen == 1 and seq == nextseq and rev.window == 0:
        kinds = _ZWP
    else:
        if nextseq and (nextseq - seq) & MOD_MASK >= HALF and not flags & RST:  # GT_SEQ
            kinds |= _LOST
        if plain:  # the rules below are for segments without SYN, FIN or RST
            if window == 0:
                kinds |= _ZW
            if seglen <= 1 and seq == (nextseq - 1) & MOD_MASK:
                kinds |= _KA
            if seglen == 0:
                if seq == nextseq and ack == lastack:  # the same ACK again
                    if window:
                        if window != fwd.window:
                            kinds |= _UPDATE
                        elif rev.lastflags & _KA:
                            kinds |= _KA_ACK
                        else:
                            # -1 (an ACKed-unseen was flagged against this side) counts as 0
                            fwd.dupacks = fwd.dupacks + 1 if fwd.dupacks >= 0 else 1
                            kinds |= _DUP
                    elif fwd.window == 0 and rev.lastflags & _ZWP:
                        kinds |= _ZWP_ACK
            elif rev.win_scale != -1:
                shift = 0 if rev.win_scale == -2 else rev.win_scale
                if (seq + seglen) & MOD_MASK == (rev.lastack + (rev.window << shift)) & MOD_MASK:
                    kinds |= _FULL
    if ack != lastack:
        fwd.dupacks = 0
    if (rev.maxseqtobeacked and (rev.maxseqtobeacked - ack) & MOD_MASK >= HALF
            and flags & ACK):
        # As tshark 4.0.17 flags it (not the older "every time"): past a gap in the peer's
        # data, once, moving on to the peer's nextseq; past all it sent, once until the peer
        # acks something new (its dupacks -1 marks it). gopacket-linux_sll_oversized_addr
        # and dnscap-dnso1tcp-midmiss hold both cases.
        if rev.maxseqtobeacked != rev.nextseq:
            rev.maxseqtobeacked = rev.nextseq
            kinds |= _UNSEEN
        else:
            if rev.dupacks == 0:
                kinds |= _UNSEEN
            rev.dupacks = -1
    if (seglen > 0 or flags & _SF) and not kinds & _KA:
        kinds |= _retransmission(fwd, rev, seq, seglen, ts_ns, first_rtt_ns,
                                 1 if flags & _SF else 0)
    end = (seq + seglen + (1 if flags & _SF else 0)) & MOD_MASK
    probe = kinds & _ZWP
    if (not nextseq or (nextseq - end) & MOD_MASK >= HALF) and not probe:
        fwd.nextseq = end
        fwd.nextseq_ns = ts_ns
    if (seq == fwd.maxseqtobeacked or not fwd.maxseqtobeacked) and not probe:
        fwd.maxseqtobeacked = fwd.nextseq
    fwd.window = window
    fwd.lastack = ack
    fwd.lastack_ns = ts_ns
    fwd.lastflags = kinds
    return kinds


def _retransmission(fwd: Flow, rev: Flow, seq: int, seglen: int, ts_ns: int,
                    first_rtt_ns: int, syn_fin: int = 0) -> int:
    """Which of retransmission, fast or spurious retransmission or out-of-order, if any.
    ``syn_fin``: 1 when the segment carries SYN or FIN, which use a sequence number (a
    second copy of a SYN ends where the first did: a retransmission, not out of order)."""
    nextseq = fwd.nextseq
    not_advanced = bool(nextseq) and (seq - nextseq) & MOD_MASK >= HALF  # LT_SEQ
    if seglen > 1 and (nextseq - 1) & MOD_MASK == seq:
        not_advanced = False  # new data right after a possible zero-window probe
    # In Wireshark's order (4.0): data the peer has already acknowledged is a spurious
    # retransmission whatever else holds; then fast retransmission, then out-of-order.
    if seglen > 0 and rev.lastack and 0 <= (rev.lastack - seq - seglen) & MOD_MASK < HALF:
        return _SPUR
    if (not_advanced and rev.dupacks >= 2 and rev.lastack == seq
            and 0 <= ts_ns - rev.lastack_ns < FAST_RETRANSMISSION_NS):
        return _FAST
    threshold = first_rtt_ns or OUT_OF_ORDER_NS
    if (not_advanced and 0 <= ts_ns - fwd.nextseq_ns < threshold
            and nextseq != (seq + seglen + syn_fin) & MOD_MASK):
        return _OOO
    if not_advanced:
        return _RTX
    return 0
