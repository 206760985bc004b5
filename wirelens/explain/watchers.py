"""Events a running demo waits for, read off the growing capture instead of a fixed sleep.

Each watcher is called with the capture's frame list after every packet (the list only
grows, so each looks at the new frames only) and answers whether its event has happened
yet. Once it has, the answer stays True. ``CloseWatcher`` (closewatch.py) is the one for
"every TCP conversation has closed"; the ones here cover the other scenarios.
"""

from __future__ import annotations

from collections.abc import Callable

from wirelens.explain.conversation import ConversationTracker, SegmentStory
from wirelens.explain.dissect import dissect, segment_of
from wirelens.explain.layers.icmpv6 import NA
from wirelens.explain.records import Frame
from wirelens.explain.segment import Segment

MOD = 1 << 32
Watcher = Callable[[list[Frame]], bool]  # asked after every packet, with all frames so far


class SegmentWatcher:
    """Follows the TCP conversations; a subclass says in ``hit`` which segment is the event."""

    def __init__(self) -> None:
        self._tracker = ConversationTracker()
        self._fed = 0
        self._hit = False

    def hit(self, seg: Segment, story: SegmentStory) -> bool:
        raise NotImplementedError

    def __call__(self, frames: list[Frame]) -> bool:
        for frame in frames[self._fed :]:
            seg = segment_of(dissect(frame))
            if seg is None:
                continue
            story = self._tracker.feed(seg)
            if not self._hit and self.hit(seg, story):
                self._hit = True
        self._fed = len(frames)
        return self._hit


class ResetSeen(SegmentWatcher):
    """``conversations`` different conversations have each been ended by a RST."""

    def __init__(self, conversations: int = 1) -> None:
        super().__init__()
        self._wanted = conversations
        self._reset: set[int] = set()

    def hit(self, seg: Segment, story: SegmentStory) -> bool:
        if seg.rst:
            self._reset.add(story.conversation)
        return len(self._reset) >= self._wanted


class SynRetransmitted(SegmentWatcher):
    """A client sent the same SYN again: the first one got no answer."""

    def __init__(self) -> None:
        super().__init__()
        self._syns: set[tuple[str, int, int]] = set()

    def hit(self, seg: Segment, story: SegmentStory) -> bool:
        if not seg.syn or seg.has_ack:
            return False
        key = (seg.src, seg.sport, seg.seq)
        if key in self._syns:
            return True
        self._syns.add(key)
        return False


class ZeroWindowSeen(SegmentWatcher):
    """``side`` advertised a window of 0: its receive buffer is full."""

    def __init__(self, side: str = "server") -> None:
        super().__init__()
        self._side = side

    def hit(self, seg: Segment, story: SegmentStory) -> bool:
        return (story.sender == self._side and seg.window == 0
                and not (seg.syn or seg.fin or seg.rst))


class ZeroWindowProbeAnswered(SegmentWatcher):
    """After ``receiver`` closed its window, the sender probed it and got an answer.

    Linux probes with an empty segment one sequence number below the next byte (the byte
    the receiver has already acknowledged), which the receiver must answer with an ACK
    that repeats its window.
    """

    def __init__(self, receiver: str = "server") -> None:
        super().__init__()
        self._receiver = receiver
        self._closed = False
        self._probed = False
        self._last_ack: int | None = None

    def hit(self, seg: Segment, story: SegmentStory) -> bool:
        if story.sender == self._receiver:
            self._last_ack = seg.ack if seg.has_ack else self._last_ack
            if seg.window == 0 and not (seg.syn or seg.fin or seg.rst):
                self._closed = True
            return self._probed
        probe = (self._closed and seg.payload_len <= 1 and not (seg.syn or seg.fin or seg.rst)
                 and self._last_ack is not None
                 and seg.seq in ((self._last_ack - 1) % MOD, self._last_ack))
        if probe:
            self._probed = True
        return False


class ReplySeen:
    """A UDP datagram came back from the server's ``port``: the request was answered."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._fed = 0
        self._hit = False

    def __call__(self, frames: list[Frame]) -> bool:
        for frame in frames[self._fed :]:
            d = dissect(frame)
            if "udp" in d.protocols and d.facts.get("sport") == self._port:
                self._hit = True
        self._fed = len(frames)
        return self._hit


class NeighbourAnswered:
    """An ARP reply or an IPv6 neighbour advertisement has been captured."""

    def __init__(self) -> None:
        self._fed = 0
        self._hit = False

    def __call__(self, frames: list[Frame]) -> bool:
        for frame in frames[self._fed :]:
            facts = dissect(frame).facts
            if facts.get("arp_op") == 2 or facts.get("icmp6_type") == NA:
                self._hit = True
        self._fed = len(frames)
        return self._hit
