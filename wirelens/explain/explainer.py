"""From captured frames (and a demo's socket calls) to the whole ``Explanation``.

Two passes: the first dissects every frame and follows the TCP conversations, so that
the second, which writes each packet's explanation, already knows how each
conversation ended (a FIN's note says whether the close took three or four segments).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from wirelens.explain import kernelcheck, neighbours, notes, scenario_notes
from wirelens.explain.conversation import ConversationTracker, SegmentStory
from wirelens.explain.conversation_summary import ConversationSummary
from wirelens.explain.datagrams import Datagram, DatagramTracker, udp_payload_length
from wirelens.explain.dissect import NO_OPTIONS, Dissection, DissectOptions, dissect, segment_of
from wirelens.explain.fields import FieldValue, Layer
from wirelens.explain.layers import dns
from wirelens.explain.layers.ethernet import mac_kind
from wirelens.explain.layers.tcp import accecn_counter, ecn_bits, tcpdump_flags
from wirelens.explain.model import (
    ConversationView,
    Explanation,
    FieldView,
    LayerView,
    NoteCheck,
    PacketView,
)
from wirelens.explain.records import Frame, KernelSnapshot, SocketCall
from wirelens.explain.refused import refused_syns
from wirelens.explain.segment import Segment
from wirelens.explain.socketcalls import Seen, link
from wirelens.explain.tcp_state import State, transition_text
from wirelens.explain.text import Message, msg
from wirelens.explain.wirenumbers import LINKTYPE_ETHERNET


@dataclass(frozen=True, slots=True)
class _Tracked:
    dissection: Dissection
    segment: Segment | None
    story: SegmentStory | None
    datagram: Datagram | None = None  # a UDP datagram: who sent it, what for


def _is_loopback(address: str) -> bool:
    return address.startswith("127.") or address == "::1"


def tcpdump_summary(d: Dissection, seg: Segment | None, story: SegmentStory | None) -> str:
    f = d.facts
    if seg is not None and story is not None:
        ip = "IP6" if f.get("ip_version") == 6 else "IP"
        parts = [f"{ip} {seg.src}.{seg.sport} > {seg.dst}.{seg.dport}: "
                 f"Flags [{tcpdump_flags(seg.flags)}]"]
        if seg.seq_len or seg.syn:
            end = story.rel_seq + seg.payload_len
            rel = f"{story.rel_seq}:{end}" if seg.payload_len else f"{story.rel_seq}"
            parts.append(f"seq {rel} (abs {seg.seq})")
        if seg.has_ack:
            rel_ack = "?" if story.rel_ack is None else str(story.rel_ack)
            parts.append(f"ack {rel_ack} (abs {seg.ack})")
        parts.append(f"win {seg.window}")
        parts.append(f"length {seg.payload_len}")
        return ", ".join(parts)
    if "icmp6_type" in f:
        return neighbours.icmpv6_summary(d)
    if "arp_op" in f:
        if f["arp_op"] == 1:
            return f"ARP, Request who-has {f['dst']} tell {f['src']}, length 28"
        return f"ARP, Reply {f['src']} is-at {f['arp_src_mac']}, length 28"
    if "udp" in d.protocols and "sport" in f:
        ip = "IP6" if f.get("ip_version") == 6 else "IP"
        head = (f"{ip} {f['src']}.{f['sport']} > {f['dst']}.{f['dport']}: UDP, "
                f"length {udp_payload_length(d)}")
        return f"{head}: DNS {dns.summary(f)}" if "dns_id" in f else head
    if "src" in f:
        return f"IP {f['src']} > {f['dst']}: proto {f.get('proto', '?')}"
    return d.problem or "not dissected"


def _tcp_text(fv: FieldValue, seg: Segment, story: SegmentStory, loopback: bool,
              refused: bool) -> Message:
    """The meaning of the TCP fields whose explanation depends on the conversation."""
    p = dict(fv.params)
    side = msg(f"ui.{story.sender}")
    if fv.name == "tcp.seq_raw":
        if seg.syn:
            return msg("field.tcp.seq.isn", side=side, **p)
        if seg.payload_len:
            return msg("field.tcp.seq.data", side=side, rel=story.rel_seq,
                       first=story.rel_seq, last=story.rel_seq + seg.payload_len - 1,
                       length=seg.payload_len, **p)
        if seg.fin:
            return msg("field.tcp.seq.fin", side=side, rel=story.rel_seq, **p)
        return msg("field.tcp.seq.bare", side=side, rel=story.rel_seq, **p)
    if fv.name == "tcp.ack_raw":
        peer = msg(f"ui.{story.receiver}")
        if not seg.has_ack:
            return msg("field.tcp.ack.unused", **p)
        if story.acked == "syn" and story.receiver_isn is not None:
            return msg("field.tcp.ack.syn", peer=peer, isn=story.receiver_isn, **p)
        if story.acked == "fin" and story.fin_seq is not None:
            return msg("field.tcp.ack.fin", peer=peer, fin_seq=story.fin_seq, **p)
        return msg("field.tcp.ack.data", peer=peer, rel=story.rel_ack, **p)
    if fv.name in ("tcp.srcport", "tcp.dstport"):
        owner = story.sender if fv.name == "tcp.srcport" else story.receiver
        # no listener: the attempt was answered by a RST, or (a live run, its answer not
        # yet seen) the SYN finds the server CLOSED
        syn_to_none = seg.syn and not seg.has_ack and story.states_before is not None \
            and story.states_before[1] is State.CLOSED
        if owner == "server" and (refused or syn_to_none):
            return msg(f"{fv.key}.nobody", **p)
        return msg(f"{fv.key}.{owner}", **p)
    if fv.name == "tcp.checksum" and fv.key.endswith(".wrong") and loopback:
        return msg("field.tcp.checksum.offload", **p)
    return Message(fv.key, fv.params)


def _field_note(fv: FieldValue, t: _Tracked, conv: ConversationSummary | None,
                first_of_conv: set[tuple[int, str]],
                link: neighbours.LinkContext) -> NoteCheck | None:
    d, seg, story = t.dissection, t.segment, t.story
    name = fv.name
    if neighbours.is_neighbour(d):
        found = neighbours.field_note(fv, d, link)
        if found is not None:
            return found
    if name in ("ip.dst", "ipv6.dst") and seg is not None:
        return notes.ip_versions(4 if name == "ip.dst" else 6, fv.display)
    if name == "frame.cap_len" and d.frame.linktype == LINKTYPE_ETHERNET:
        return notes.frame_size(len(d.frame.data))
    if name == "eth.type":
        return notes.eth_header(14)
    if name == "eth.src":
        return notes.mac_address(fv.display, mac_kind(fv.display))
    if name in ("ip.src", "ipv6.src"):
        return notes.ip_address(4 if name == "ip.src" else 6, fv.display)
    if name == "ip.hdr_len":
        return notes.ip_header(int(fv.params["bytes"]))
    if t.datagram is not None:
        return scenario_notes.field_note(fv, d)
    if seg is None or story is None:
        return None
    if name == "tcp.seq_raw" and story.role == "handshake-1":
        return notes.handshake(story, seg.seq, seg.ack)
    if name == "tcp.ack_raw" and story.role in ("handshake-2", "handshake-3"):
        return notes.handshake(story, seg.seq, seg.ack)
    if name == "tcp.srcport" and story.role == "handshake-1":
        return notes.client_port(seg.sport)
    if name == "tcp.checksum":
        loop = _is_loopback(seg.src) and _is_loopback(seg.dst)
        return notes.checksum(fv.key.rsplit(".", 1)[-1], loop)
    if name == "tcp.flags.ack" and seg.has_ack and not story.role.startswith("handshake"):
        key = (story.conversation, "ack_flag")
        if key not in first_of_conv:
            first_of_conv.add(key)
            return notes.ack_flag(story.role)
    if name == "tcp.flags.fin" and seg.fin and conv is not None:
        return notes.close(conv)
    return None


def _packet_view(t: _Tracked, first_ns: int, conv: ConversationSummary | None,
                 seen_topics: set[tuple[int, str]],
                 link: neighbours.LinkContext = neighbours.NO_HOSTS) -> PacketView:
    d, seg, story = t.dissection, t.segment, t.story
    neighbour = neighbours.is_neighbour(d)
    loopback = seg is not None and _is_loopback(seg.src) and _is_loopback(seg.dst)
    layers = []
    for layer in d.layers:
        views = []
        for fv in layer.fields:
            text = (_tcp_text(fv, seg, story, loopback,
                              conv is not None and conv.handshake == "refused")
                    if seg is not None and story is not None and fv.name.startswith("tcp.")
                    else neighbour and neighbours.field_text(fv, d, link)
                    or Message(fv.key, fv.params))
            views.append(FieldView(fv, text, _field_note(fv, t, conv, seen_topics, link)))
        layers.append(LayerView(layer.name, layer.offset, layer.length, tuple(views)))
    warnings: list[Message] = []
    if d.problem:
        warnings.append(msg("warning.dissection", packet=d.frame.index, problem=d.problem))
    transitions: list[Message] = []
    if story is not None:
        for side, event in ((story.sender, story.events[0]), (story.receiver, story.events[1])):
            i = 0 if side == "client" else 1
            before, after = story.states_before[i], story.states_after[i]
            if side in story.unexpected:
                transitions.append(msg("state.unexpected", side=msg(f"ui.{side}"),
                                       state=before.value,
                                       event=event.value))
            elif before != after:
                transitions.append(transition_text(before, event, after, side))
        if seg is not None and seg.syn and seg.payload_len:
            warnings.append(msg("warning.tfo", packet=d.frame.index, length=seg.payload_len))
        if story.role == "handshake-2" and story.unexpected and conv is not None \
                and conv.handshake == "complete":
            warnings.append(msg("warning.synack_first", packet=d.frame.index))
        if story.role == "reset-ignored":
            warnings.append(msg("warning.reset_ignored", packet=d.frame.index))
        if story.artefact:  # the previous segment captured again (on loopback, say)
            warnings.append(msg("warning.artefact", packet=d.frame.index))
        elif story.retransmission:
            warnings.append(msg("warning.retransmission", packet=d.frame.index))
    role = story.role if story else t.datagram.role if t.datagram else ""
    # ARP and neighbour discovery: sent by one of the two hosts, though not TCP
    link_sender, related = neighbours.sender_of(d, link) if neighbour else ("", 0)
    return PacketView(
        index=d.frame.index,
        ts_ns=d.frame.ts_ns,
        time=(d.frame.ts_ns - first_ns) / 1e9,
        summary=tcpdump_summary(d, seg, story),
        flags=tcpdump_flags(seg.flags) if seg else "",
        role=role,
        role_text=msg(f"role.{role}") if role else neighbours.role_text(d) if neighbour
        else msg("role.other", protocols="/".join(d.protocols)),
        conversation=story.conversation if story else 0,
        sender=story.sender if story else t.datagram.sender if t.datagram else link_sender,
        related=related,
        rel_seq=story.rel_seq if story else None,
        rel_ack=story.rel_ack if story else None,
        payload_len=t.datagram.payload_len if t.datagram else len(d.payload),
        states_before=story.states_before if story else None,
        states_after=story.states_after if story else None,
        transitions=tuple(transitions),
        layers=tuple(layers),
        data=d.frame.data,
        warnings=tuple(warnings),
    )


def _accecn(tracked: list[_Tracked]) -> list[_Tracked]:
    """Segments after an AccECN handshake (a SYN with AE, CWR and ECE set, a SYN-ACK with
    AE or CWR) carry the ACE counter in those three bits, as Wireshark shows it."""
    syn: set[int] = set()
    agreed: set[int] = set()
    out = []
    for t in tracked:
        seg, story = t.segment, t.story
        tcp_layer = next((layer for layer in t.dissection.layers if layer.name == "TCP"), None)
        if seg is None or story is None or tcp_layer is None:
            out.append(t)
            continue
        bits, conv = ecn_bits(tcp_layer), story.conversation
        if seg.syn and not seg.has_ack and bits == 0b111:
            syn.add(conv)
        elif seg.syn and seg.has_ack and conv in syn and bits & 0b110:
            agreed.add(conv)
        elif not seg.syn and conv in agreed:
            d = t.dissection
            layers = tuple(accecn_counter(layer) if layer is tcp_layer else layer
                           for layer in d.layers)
            t = replace(t, dissection=replace(d, layers=layers))
        out.append(t)
    return out


def _conversation_view(s: ConversationSummary, tracked: Sequence[_Tracked]) -> ConversationView:
    checks = [c for c in (notes.close(s), notes.close_first(s), notes.time_wait(s)) if c]
    checks += scenario_notes.conversation_notes(
        s, ((t.dissection, t.segment, t.story) for t in tracked))
    # Wireshark's names for what the tracker's analysis flagged (analysis.KIND_NAMES).
    return ConversationView(s, tuple(checks), s.anomalies)


def _seen(t: _Tracked) -> Seen | None:
    """The packet as the socket-call rules see it (TCP or UDP), or None for anything else."""
    if t.segment is not None and t.story is not None:
        return Seen.segment(t.segment, t.story)
    g = t.datagram
    return None if g is None else Seen.datagram(g.index, g.ts_ns, g.sender, g.role,
                                                g.payload_len, g.client)


def _missing(s: ConversationSummary) -> list[Message]:
    """What a complete open-and-close would have shown and this capture did not."""
    out = []
    if s.handshake in ("unanswered", "partial", "none"):
        out.append(msg(f"warning.handshake.{s.handshake}", conversation=s.number))
    if s.close in ("four-segment", "three-segment", "simultaneous"):
        client, server = s.final_states
        if client.value not in ("TIME_WAIT", "CLOSED") or server.value not in (
            "TIME_WAIT", "CLOSED"
        ):
            out.append(msg("warning.final_ack", conversation=s.number))
    elif s.close == "half-open":
        out.append(msg("warning.half_open", conversation=s.number))
    return out


def explain(
    frames: Iterable[Frame],
    *,
    socket_calls: Sequence[SocketCall] = (),
    source: str = "",
    source_text: Message | None = None,
    server_listening: bool = True,
    subnets: Sequence[str] = (),
    kernel: Sequence[KernelSnapshot] = (),
    dissect_options: DissectOptions = NO_OPTIONS,
    first_conversation: int = 1,
) -> Explanation:
    """``subnets``: networks the capture's hosts are known to be on (the lab knows its own),
    so that the ARP note can work out the mask's AND as the course notes do. ``kernel``:
    what ``ss`` said at a demo's checkpoints, compared with the inferred states.
    ``dissect_options``: what the bytes do not say (a demo's DNS server port)."""
    dissected = [dissect(frame, dissect_options) for frame in frames]
    segs = [segment_of(d) for d in dissected]
    # the whole capture is at hand: an attempt's answer is known before its SYN is told
    tracker = ConversationTracker(server_listening=server_listening,
                                  refused=refused_syns(s for s in segs if s is not None),
                                  first_number=first_conversation)
    datagrams = DatagramTracker()
    tracked: list[_Tracked] = []
    for d, seg in zip(dissected, segs, strict=True):
        story = tracker.feed(seg) if seg is not None else None
        tracked.append(_Tracked(d, seg, story, datagrams.feed(d) if seg is None else None))
    summaries = {s.number: s for s in tracker.summaries()}
    tracked = _accecn(tracked)
    first_ns = tracked[0].dissection.frame.ts_ns if tracked else 0
    seen_topics: set[tuple[int, str]] = set()
    hosts = neighbours.context(((t.dissection, t.story.sender if t.story else "",
                                 t.story.conversation if t.story else 0) for t in tracked),
                               subnets)
    packets = tuple(
        _packet_view(t, first_ns, summaries.get(t.story.conversation) if t.story else None,
                     seen_topics, hosts)
        for t in tracked
    )
    conversations = tuple(_conversation_view(s, tracked) for s in summaries.values())
    seen = [s for s in map(_seen, tracked) if s is not None]
    calls = link(socket_calls, seen)
    initial = (State.CLOSED, State.LISTEN if server_listening else State.CLOSED)
    moments = [kernelcheck.Moment(t.story.conversation, t.segment.ts_ns, t.story.states_after,
                                  t.story.role) for t in tracked if t.segment and t.story]
    kernel_views = kernelcheck.compare(kernel, list(summaries.values()), moments, initial)
    warnings: list[Message] = []
    if not tracked:
        warnings.append(msg("warning.empty"))
    fragments = sum(1 for t in tracked if t.dissection.facts.get("fragment"))
    if fragments:  # a deliberate difference from Wireshark, said where it matters
        warnings.append(msg("warning.fragments", frames=fragments))
    for s in summaries.values():
        warnings.extend(_missing(s))
    for p in packets:
        warnings.extend(p.warnings)
    warnings.extend(msg("warning.kernel_differs", what=v.text) for v in kernel_views
                    if v.agrees is False)
    first = next(iter(summaries.values()), None)
    flow = next((t.datagram for t in tracked if t.datagram), None)
    return Explanation(
        source=source,
        packets=packets,
        conversations=conversations,
        socket_calls=calls,
        warnings=tuple(warnings),
        endpoints=(first.client, first.server) if first else (flow.client, flow.server)
        if flow else hosts.endpoints(),
        source_text=source_text,
        kernel=kernel_views,
    )


__all__ = ["explain", "tcpdump_summary", "Layer"]
