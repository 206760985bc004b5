"""The attempts a capture shows refused: read over the whole capture before the tracker
follows it, so that a SYN answered by a RST is never told as reaching a listener."""

from __future__ import annotations

from collections.abc import Iterable

from wirelens.explain.segment import Segment
from wirelens.explain.wirenumbers import ACK, RST, SYN


def refused_syns(segments: Iterable[Segment]) -> frozenset[int]:
    """The frame numbers of the SYNs that opened an attempt answered by a RST.

    Read over the whole capture before the tracker follows it, so that a refused SYN is not
    told as reaching a listener (RFC 9293 3.10.7.1: a SYN to a port nobody listens on gets
    a RST from the kernel, and there is no connection on that side). A SYN sent again with
    the same sequence number belongs to the first; the attempt is answered by whatever the
    other end sends back first.
    """
    waiting: dict[tuple[str, int, str, int], tuple[int, int]] = {}  # answerer's view -> SYN
    refused: set[int] = set()
    for seg in segments:
        if seg.flags & (SYN | ACK | RST) == SYN:
            key = (seg.dst, seg.dport, seg.src, seg.sport)
            first = waiting.get(key)
            if first is None or first[1] != seg.seq:
                waiting[key] = (seg.index, seg.seq)
            continue
        answered = waiting.pop((seg.src, seg.sport, seg.dst, seg.dport), None)
        if answered is not None and seg.flags & RST:
            refused.add(answered[0])
    return frozenset(refused)
