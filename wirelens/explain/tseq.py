"""The numbers behind a time-sequence graph (Wireshark's "Stevens" TCP stream graph).

One direction's data segments as (time, relative sequence number at the segment's end),
each marked new or retransmitted (Wireshark's analysis), the receiver's ACKs and the edge
of its advertised window (ACK + window, scaled; ``receive_window`` gives the window itself
over time), and the sender's congestion window from TCP_INFO samples. Pure: the renderers
draw it as characters or as SVG.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wirelens.explain.analysis import RETRANSMISSIONS
from wirelens.explain.conversation import ConversationTracker
from wirelens.explain.dissect import dissect, segment_of
from wirelens.explain.records import Frame


@dataclass(frozen=True, slots=True)
class SeqPoint:
    time: float  # seconds since the first packet
    seq: int  # relative sequence number (data: the segment's end; ack: the ACK number)
    kind: str  # "new", "retransmission", "ack", "window"
    packet: int


@dataclass(frozen=True, slots=True)
class TimeSeq:
    sender: str  # whose bytes: "client"
    points: tuple[SeqPoint, ...]
    cwnd: tuple[tuple[float, int], ...]  # (seconds, segments)
    duration: float
    top: int  # the highest sequence number shown

    @property
    def retransmissions(self) -> int:
        return sum(1 for p in self.points if p.kind == "retransmission")

    @property
    def receive_window(self) -> tuple[tuple[float, int], ...]:
        """(seconds, bytes) the receiver advertised in each ACK: its window's edge less the
        ACK number, i.e. how much more it would take (flow control at work)."""
        acks = {p.packet: p.seq for p in self.points if p.kind == "ack"}
        return tuple((p.time, p.seq - acks[p.packet]) for p in self.points
                     if p.kind == "window" and p.packet in acks)


def time_sequence(frames: Sequence[Frame], cwnd_samples: Sequence[tuple[int, int]] = (),
                  sender: str = "client") -> TimeSeq:
    """``cwnd_samples``: (time in ns, congestion window in segments) of the sender."""
    tracker = ConversationTracker()
    points: list[SeqPoint] = []
    first = frames[0].ts_ns if frames else 0
    scale = {"client": -1, "server": -1}
    for frame in frames:
        seg = segment_of(dissect(frame))
        if seg is None:
            continue
        story = tracker.feed(seg)
        if story.conversation != 1:
            continue
        t = (frame.ts_ns - first) / 1e9
        if seg.syn:
            scale[story.sender] = seg.wscale
        if story.sender == sender and seg.payload_len:
            kind = "retransmission" if story.kinds & RETRANSMISSIONS else "new"
            points.append(SeqPoint(t, story.rel_seq + seg.payload_len, kind, frame.index))
        elif story.sender != sender and story.rel_ack is not None and not seg.syn:
            points.append(SeqPoint(t, story.rel_ack, "ack", frame.index))
            both = scale["client"] >= 0 and scale["server"] >= 0
            shift = scale[story.sender] if both else 0
            points.append(SeqPoint(t, story.rel_ack + (seg.window << shift), "window",
                                   frame.index))
    cwnd = tuple(((ns - first) / 1e9, segs) for ns, segs in cwnd_samples if ns >= first)
    duration = max([p.time for p in points] + [c[0] for c in cwnd] + [0.0])
    top = max((p.seq for p in points if p.kind != "window"), default=0)
    return TimeSeq(sender, tuple(points), cwnd, duration, top)
