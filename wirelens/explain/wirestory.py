"""What the misbehaving wire did, and what each TCP did about it.

Input: the merged capture (each packet once, ``Passage`` saying where it was seen and
when it left and arrived), the wire's log, the rules, and each socket's ``TCP_INFO`` read
by the demo. Output: a ``WireView`` that ties each effect to its cause ("the wire dropped
packet 7; 204 ms later the client's TCP sent the same bytes again"), names every
anomaly as Wireshark does (``analysis.Kind``), measures the handshake RTT against the
configured delay, and holds the capture's retransmission count against the kernel's,
showing a disagreement instead of hiding it. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wirelens.explain.analysis import RETRANSMISSIONS, Kind, kind_names
from wirelens.explain.conversation import ConversationTracker, SegmentStory
from wirelens.explain.dissect import dissect, segment_of
from wirelens.explain.model import NoteCheck, NoteRef, Verdict
from wirelens.explain.records import Frame, SocketCall
from wirelens.explain.segment import Segment
from wirelens.explain.socketcalls import error_of
from wirelens.explain.text import Message, msg
from wirelens.explain.tseq import TimeSeq

N001 = "001_29022acc895f3c90.txt"
REF_TCP = NoteRef(N001, "TCP协议")
REF_UDP = NoteRef(N001, "UDP协议")
RTO_MIN_NS = 200_000_000  # Linux's TCP_RTO_MIN: no retransmission timeout fires sooner


@dataclass(frozen=True, slots=True)
class Passage:
    """One packet of the merged capture: where it was seen, when it left and arrived."""

    index: int  # its number in the merged capture
    direction: str  # "c2s", "s2c" or "" (neither host's MAC sent it)
    sent_ns: int | None  # seen leaving, at the sender's end of the wire
    arrived_ns: int | None  # seen arriving, at the receiver's end
    seen_at: tuple[str, ...]  # ("client",), ("server",) or both
    wire_frame: int = 0  # the wire's own number for it; 0 when the log does not know it
    action: str = ""  # impair.Action's value: passed, delayed, dropped, duplicated, swapped
    reason: str = ""  # the rule that decided it: "--loss 1"
    delay_ns: int = 0
    copy: int = 1  # 2: the wire's extra copy of a duplicated frame
    original: int = 0  # for a copy, the packet it copies; for a swapped one, the packet
    # it was delivered after


@dataclass(frozen=True, slots=True)
class WireLogLine:
    """A line of the wire's log (every frame it read, in order)."""

    number: int
    direction: str
    summary: str
    read_ns: int
    action: str
    reason: str
    delay_ns: int
    written_ns: tuple[int, ...]
    packet: int  # the merged capture's packet number, 0 when not captured


@dataclass(frozen=True, slots=True)
class KernelInfo:
    """One demo socket's TCP_INFO, read just before its close() (times in microseconds)."""

    side: str
    ts_ns: int
    state: str
    total_retrans: int
    rtt_us: int
    min_rtt_us: int
    rto_us: int
    snd_cwnd: int
    snd_ssthresh: int
    dsack_dups: int
    reord_seen: int
    rcv_ooopack: int


@dataclass(frozen=True, slots=True)
class Effect:
    """A cause on the wire and what a TCP (or nobody) did about it."""

    kind: str  # "drop-resent", "drop-not-resent", "drop-resent-by-app", "duplicate",
    # "swap", "delay"
    packets: tuple[int, ...]  # cause first, then its effects
    text: Message


@dataclass(frozen=True, slots=True)
class Anomaly:
    """A packet Wireshark's analysis flags, named as Wireshark names it."""

    packet: int
    names: tuple[str, ...]
    cause: Message
    meaning: tuple[Message, ...]


@dataclass(frozen=True, slots=True)
class KernelCheck:
    """The capture's retransmissions from one side against that socket's kernel count."""

    side: str
    kernel: KernelInfo | None
    flagged: int  # packets from this side Wireshark flags as retransmissions of any kind
    resent: int  # packets from this side whose sequence number it had sent before
    wire_copies: int  # of those, copies the wire made (TCP never sent them twice)
    after_read: int  # of those, sent after TCP_INFO was read (the kernel could not count)
    agrees: bool
    text: Message


@dataclass(frozen=True, slots=True)
class Rtt:
    measured_ns: int  # SYN leaving the client to SYN-ACK reaching it
    configured_ns: int  # the wire's delay there and back
    syn: int
    syn_ack: int
    text: Message


@dataclass(frozen=True, slots=True)
class WireView:
    rules: tuple[str, ...]
    passages: tuple[Passage, ...]
    log: tuple[WireLogLine, ...]
    effects: tuple[Effect, ...]
    anomalies: tuple[Anomaly, ...]
    kernel: tuple[KernelCheck, ...]
    rtt: Rtt | None
    notes: tuple[NoteCheck, ...]
    summary: Message
    series: TimeSeq | None = None  # a bulk transfer's time-sequence graph
    extra: tuple[Message, ...] = ()  # further lines: the seed, a transfer's wall time

    def passage(self, index: int) -> Passage | None:
        return next((p for p in self.passages if p.index == index), None)

    @property
    def dropped(self) -> frozenset[int]:
        return frozenset(p.index for p in self.passages if p.action == "dropped")


@dataclass(frozen=True, slots=True)
class _Seen:
    frame: Frame
    seg: Segment | None
    story: SegmentStory | None
    udp: bool
    payload: bytes = b""  # a UDP datagram's data (to tell whether anyone sent it again)


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.1f}"


def _track(frames: Sequence[Frame]) -> list[_Seen]:
    tracker = ConversationTracker()
    out = []
    for frame in frames:
        d = dissect(frame)
        seg = segment_of(d)
        story = tracker.feed(seg) if seg is not None else None
        udp = "udp" in d.protocols and seg is None
        out.append(_Seen(frame, seg, story, udp, bytes(d.payload) if udp else b""))
    return out


def _side(direction: str, sender: bool = True) -> Message:
    who = "client" if (direction == "c2s") == sender else "server"
    return msg(f"ui.{who}")


def _kinds(seen: _Seen) -> int:
    return seen.story.kinds if seen.story is not None else 0


def _names(kinds: int) -> str:
    return ", ".join(kind_names(kinds & ~Kind.RESET)) or "-"


def _drop_effect(p: Passage, seen: list[_Seen], by_index: dict[int, _Seen],
                 passages: dict[int, Passage], calls: Sequence[SocketCall]) -> Effect:
    s = by_index[p.index]
    who = _side(p.direction)
    base = dict(packet=p.index, frame=p.wire_frame, rule=p.reason, side=who,
                what=_what(s))
    if s.seg is not None and s.seg.seq_len > 0:
        again = next((o for o in seen if o.frame.index > p.index and o.seg is not None
                      and o.seg.source == s.seg.source and o.seg.seq == s.seg.seq
                      and o.seg.seq_len > 0), None)
        if again is not None:
            resent = passages.get(again.frame.index)
            left = resent.sent_ns if resent is not None and resent.sent_ns else again.frame.ts_ns
            gap = left - (p.sent_ns or s.frame.ts_ns)  # leaving to leaving, at the sender
            kinds = _kinds(again)
            key = ("fast" if kinds & Kind.FAST_RETRANSMISSION
                   else "timeout" if gap >= RTO_MIN_NS else "early")
            return Effect("drop-resent", (p.index, again.frame.index),
                          msg(f"wire.effect.drop_resent_{key}", again=again.frame.index,
                              ms=_ms(gap), kinds=_names(kinds), **base))
        return Effect("drop-not-resent", (p.index,),
                      msg("wire.effect.drop_not_resent_tcp", **base))
    if s.udp:
        return _udp_drop_effect(p, s, seen, calls, base)
    return Effect("drop-not-resent", (p.index,), msg("wire.effect.drop_other", **base))


def _gave_up(calls: Sequence[SocketCall], side: str, after_ns: int) -> SocketCall | None:
    """The ``side``'s recvfrom() that was still waiting when a datagram left for it at
    ``after_ns`` and that ended in a timeout: the application's only sign of a loss."""
    return next((c for c in calls if c.side == side and c.call == "recvfrom"
                 and error_of(c) == "TimeoutError" and c.end_ns >= after_ns), None)


def _udp_drop_effect(p: Passage, s: _Seen, seen: list[_Seen], calls: Sequence[SocketCall],
                     base: dict[str, object]) -> Effect:
    """A dropped datagram: seen leaving, never arriving; did the receiver's recvfrom() give
    up, and did anyone (UDP never does; an application may) send the same bytes again?"""
    receiver = "server" if p.direction == "c2s" else "client"
    left = p.sent_ns if p.sent_ns is not None else s.frame.ts_ns
    waited = _gave_up(calls, receiver, left)
    fate = msg("wire.effect.udp_not_awaited", receiver=msg(f"ui.{receiver}"))
    if waited is not None:
        fate = msg("wire.effect.udp_timed_out", receiver=msg(f"ui.{receiver}"),
                   seconds=f"{(waited.end_ns - waited.start_ns) / 1e9:.1f}")
    params = dict(base, receiver=msg(f"ui.{receiver}"), fate=fate)
    again = next((o for o in seen if o.frame.index > p.index and o.udp
                  and o.payload == s.payload), None)
    if again is not None:
        resent = dict(params, again=again.frame.index, ms=_ms(again.frame.ts_ns - left))
        return Effect("drop-resent-by-app", (p.index, again.frame.index),
                      msg("wire.effect.drop_udp_resent", **resent))
    return Effect("drop-not-resent", (p.index,), msg("wire.effect.drop_udp", **params))


def _what(s: _Seen) -> str:
    if s.seg is not None and s.story is not None:
        flags = "".join(c for bit, c in ((0x02, "S"), (0x01, "F"), (0x04, "R"), (0x08, "P"),
                                          (0x10, ".")) if s.seg.flags & bit)
        text = f"[{flags}] seq {s.story.rel_seq}"
        if s.seg.payload_len:
            text += f":{s.story.rel_seq + s.seg.payload_len} len {s.seg.payload_len}"
        return text
    return "UDP" if s.udp else "frame"


def _answers(seen: list[_Seen], after: int, direction: str) -> list[_Seen]:
    """The receiver's pure ACKs that came after packet ``after`` and before its next data."""
    out = []
    for o in seen:
        if o.frame.index <= after or o.seg is None or o.story is None:
            continue
        from_receiver = (o.story.sender == "server") == (direction == "c2s")
        if not from_receiver:
            continue
        if o.seg.payload_len:
            break
        out.append(o)
        if len(out) == 3:
            break
    return out


def _duplicate_effect(p: Passage, by_index: dict[int, _Seen], seen: list[_Seen]) -> Effect:
    copy = by_index[p.index]
    if copy.udp:  # nothing numbers datagrams: the receiver cannot tell a copy
        return Effect("duplicate", (p.original, p.index), msg(
            "wire.effect.duplicate_udp", packet=p.original, copy=p.index, frame=p.wire_frame,
            rule=p.reason, side=_side(p.direction),
            receiver=_side(p.direction, sender=False)))
    acks = [a for a in _answers(seen, p.index, p.direction) if _kinds(a) & Kind.DUPLICATE_ACK]
    ack_text = ", ".join(f"#{a.frame.index} ({_names(_kinds(a))})" for a in acks) or "-"
    return Effect("duplicate", (p.original, p.index, *(a.frame.index for a in acks)),
                  msg("wire.effect.duplicate", packet=p.original, copy=p.index,
                      frame=p.wire_frame, rule=p.reason, kinds=_names(_kinds(copy)),
                      receiver=_side(p.direction, sender=False), acks=ack_text,
                      side=_side(p.direction)))


def _swap_effect(p: Passage, by_index: dict[int, _Seen], seen: list[_Seen]) -> Effect:
    held, first = by_index[p.index], by_index.get(p.original)
    acks = [a for a in _answers(seen, p.original, p.direction) if _kinds(a)]
    ack_text = ", ".join(f"#{a.frame.index} ({_names(_kinds(a))})" for a in acks) or "-"
    return Effect("swap", (p.index, p.original, *(a.frame.index for a in acks)),
                  msg("wire.effect.swap", packet=p.index, partner=p.original,
                      frame=p.wire_frame, rule=p.reason, what=_what(held),
                      partner_what=_what(first) if first else "?",
                      partner_kinds=_names(_kinds(first)) if first else "-",
                      kinds=_names(_kinds(held)), acks=ack_text,
                      receiver=_side(p.direction, sender=False)))


def _gaps(effects: Sequence[Effect], seen: list[_Seen]) -> list[tuple[int, int, int, str]]:
    """(from, to, cause, data sender): while a dropped segment awaited its resend, or a held
    one its late delivery, the receiver had a hole in its byte stream."""
    out = []
    senders = {s.frame.index: s.story.sender for s in seen if s.story is not None}
    for e in effects:
        if e.kind == "drop-resent":
            out.append((e.packets[0], e.packets[1], e.packets[0], senders.get(e.packets[0], "")))
        elif e.kind == "swap":
            out.append((e.packets[1], e.packets[0], e.packets[0], senders.get(e.packets[0], "")))
    return out


def _cause(index: int, effects: Sequence[Effect],
           gaps: Sequence[tuple[int, int, int, str]] = (), sender: str = "") -> Message:
    for start, end, cause, data_sender in gaps:
        if start < index < end and sender and sender != data_sender:
            return msg("wire.cause.gap", packet=cause)
    for e in effects:
        if index in e.packets[1:]:
            return msg("wire.cause.effect_of", kind=msg(f"wire.kind.{e.kind}"),
                       packet=e.packets[0])
        if e.packets and e.packets[0] == index:
            return msg(f"wire.cause.{e.kind.replace('-', '_')}", packet=index)
    return msg("wire.cause.none")


def _anomalies(seen: list[_Seen], effects: Sequence[Effect]) -> list[Anomaly]:
    out = []
    gaps = _gaps(effects, seen)
    for s in seen:
        kinds = _kinds(s) & ~Kind.RESET
        if not kinds:
            continue
        names = tuple(kind_names(kinds))
        sender = s.story.sender if s.story is not None else ""
        cause = _cause(s.frame.index, effects, gaps, sender)
        out.append(Anomaly(s.frame.index, names, cause,
                           tuple(msg(f"anomaly.{n}") for n in names)))
    return out


def _kernel_checks(seen: list[_Seen], passages: dict[int, Passage],
                   kernel: Sequence[KernelInfo]) -> list[KernelCheck]:
    """The kernel counts every segment it sent again; the capture shows them as segments
    whose sequence number was sent before by the same side (whatever Wireshark calls
    them: retransmission, or out-of-order when the resend came within one handshake RTT)."""
    out = []
    for side in ("client", "server"):
        info = next((k for k in kernel if k.side == side), None)
        flagged = resent = copies = after = 0
        sent_before: set[int] = set()
        for s in seen:
            if s.story is None or s.seg is None or s.story.sender != side:
                continue
            if _kinds(s) & RETRANSMISSIONS:
                flagged += 1
            if s.seg.seq_len == 0:
                continue
            if s.seg.seq not in sent_before:
                sent_before.add(s.seg.seq)
                continue
            resent += 1
            p = passages.get(s.frame.index)
            if p is not None and p.copy == 2:
                copies += 1
                continue
            sent = p.sent_ns if p is not None and p.sent_ns is not None else s.frame.ts_ns
            if info is not None and sent > info.ts_ns:
                after += 1
        by_tcp = resent - copies - after
        params = dict(side=msg(f"ui.{side}"), flagged=flagged, resent=resent, copies=copies,
                      after=after, counted=by_tcp)
        if info is None:
            out.append(KernelCheck(side, None, flagged, resent, copies, after, False,
                                   msg("wire.kernel.unknown", **params)))
            continue
        agrees = by_tcp == info.total_retrans
        key = "agrees" if agrees else "differs"
        out.append(KernelCheck(side, info, flagged, resent, copies, after, agrees, msg(
            f"wire.kernel.{key}", kernel=info.total_retrans, rtt=f"{info.rtt_us / 1000:.1f}",
            cwnd=info.snd_cwnd, state=info.state, **params)))
    return out


def _rtt(seen: list[_Seen], passages: dict[int, Passage], delays: tuple[int, int]) -> Rtt | None:
    syn = next((s for s in seen if s.story is not None and s.story.role == "handshake-1"), None)
    syn_ack = next((s for s in seen if s.story is not None and s.story.role == "handshake-2"),
                   None)
    if syn is None or syn_ack is None:
        return None
    p_syn, p_ack = passages.get(syn.frame.index), passages.get(syn_ack.frame.index)
    left = p_syn.sent_ns if p_syn and p_syn.sent_ns is not None else syn.frame.ts_ns
    back = p_ack.arrived_ns if p_ack and p_ack.arrived_ns is not None else syn_ack.frame.ts_ns
    measured, configured = back - left, sum(delays)
    return Rtt(measured, configured, syn.frame.index, syn_ack.frame.index, msg(
        "wire.rtt", syn=syn.frame.index, syn_ack=syn_ack.frame.index, measured=_ms(measured),
        configured=_ms(configured), c2s=_ms(delays[0]), s2c=_ms(delays[1]),
        rest=_ms(measured - configured)))


def _notes(seen: list[_Seen], effects: Sequence[Effect], delivered: bool | None) -> list[NoteCheck]:
    out = []
    resent = [e for e in effects if e.kind == "drop-resent"]
    if resent:
        fast = any(e.text.key.endswith(("_fast", "_early")) for e in resent)
        verdict = Verdict.NUANCE if fast or delivered is False else Verdict.AGREES
        reason = "reason_fast" if fast else "reason_timeout"
        if delivered is False:
            reason = "reason_incomplete"
        out.append(NoteCheck("wire_retransmission", REF_TCP, msg("wire.note.retransmission.claim"),
                             msg("wire.note.retransmission.observed", count=len(resent),
                                 packets=", ".join(f"#{e.packets[1]}" for e in resent)),
                             verdict, msg(f"wire.note.retransmission.{reason}")))
    lost_udp = [e for e in effects if e.text.key.startswith("wire.effect.drop_udp")]
    if lost_udp:
        by_app = [e for e in lost_udp if e.kind == "drop-resent-by-app"]
        gave_up = sum(1 for e in lost_udp
                      if e.text.params["fate"].key == "wire.effect.udp_timed_out")
        packets = ", ".join(f"#{e.packets[0]}" for e in lost_udp)
        key = "observed_resent" if by_app else "observed"
        out.append(NoteCheck("wire_udp_loss", REF_UDP, msg("wire.note.udp.claim"),
                             msg(f"wire.note.udp.{key}", count=len(lost_udp), packets=packets,
                                 gave_up=gave_up, resent=len(by_app)),
                             Verdict.NUANCE if by_app else Verdict.AGREES,
                             msg("wire.note.udp.reason_resent" if by_app
                                 else "wire.note.udp.reason")))
    swaps = [e for e in effects if e.kind in ("swap", "duplicate")  # TCP's byte stream only
             and e.text.key != "wire.effect.duplicate_udp"]
    if swaps:
        out.append(NoteCheck("wire_byte_stream", REF_TCP, msg("wire.note.stream.claim"),
                             msg("wire.note.stream.observed", count=len(swaps)),
                             Verdict.AGREES if delivered is not False else Verdict.DIFFERS,
                             msg("wire.note.stream.reason")))
    return out


def explain_wire(
    frames: Sequence[Frame],
    passages: Sequence[Passage],
    log: Sequence[WireLogLine] = (),
    *,
    rules: Sequence[str] = (),
    delays: tuple[int, int] = (0, 0),
    kernel: Sequence[KernelInfo] = (),
    delivered: bool | None = None,
    series: TimeSeq | None = None,
    extra: Sequence[Message] = (),
    calls: Sequence[SocketCall] = (),
) -> WireView:
    """``delays``: the wire's one-way delay (c2s, s2c) in ns; ``delivered``: whether the
    application got every byte that was sent (None when the demo could not tell);
    ``calls``: the demo's socket calls (a recvfrom() that gave up on a lost datagram)."""
    seen = _track(frames)
    by_index = {s.frame.index: s for s in seen}
    by_passage = {p.index: p for p in passages}
    effects: list[Effect] = []
    for p in passages:
        if p.index not in by_index:
            continue
        if p.action == "dropped":
            effects.append(_drop_effect(p, seen, by_index, by_passage, calls))
        elif p.copy == 2 and p.original:
            effects.append(_duplicate_effect(p, by_index, seen))
        elif p.action == "swapped" and p.original:
            effects.append(_swap_effect(p, by_index, seen))
    for direction, ns in zip(("c2s", "s2c"), delays, strict=True):
        if ns:
            count = sum(1 for p in passages if p.direction == direction
                        and p.action in ("delayed", "duplicated"))
            effects.append(Effect("delay", (), msg("wire.effect.delay", ms=_ms(ns),
                                                   side=_side(direction), count=count)))
    counts = {a: sum(1 for line in log if line.action == a)
              for a in ("passed", "delayed", "dropped", "duplicated", "swapped")}
    summary = msg("wire.summary", frames=len(log), rules=" ".join(rules) or "-", **counts)
    return WireView(
        rules=tuple(rules), passages=tuple(passages), log=tuple(log), effects=tuple(effects),
        anomalies=tuple(_anomalies(seen, effects)),
        # TCP_INFO is TCP's: a capture without a TCP segment (udp) has nothing to hold
        # against it
        kernel=tuple(_kernel_checks(seen, by_passage, kernel)
                     if kernel or any(x.seg is not None for x in seen) else ()),
        rtt=_rtt(seen, by_passage, delays), notes=tuple(_notes(seen, effects, delivered)),
        summary=summary, series=series, extra=tuple(extra),
    )
