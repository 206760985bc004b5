"""The class's view of a live run, fed by the wire's events and the privileged side's news.

No I/O: ``terminal`` and ``server`` read their pipes and hand each event here; this says
what the class sees. The frames are the ones the wire read, in the order it read them
(the wire is where the class watches: a held packet has left its sender and not yet
reached its receiver). Each is explained with the socket calls that have returned so
far, as ``explain-pcap`` explains a capture.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wirelens.app.live.news import Kernel
from wirelens.capture import gateline
from wirelens.capture.impair import frame_facts
from wirelens.explain.explainer import explain
from wirelens.explain.model import Explanation, PacketView
from wirelens.explain.records import Frame, SocketCall
from wirelens.explain.text import Message, msg

HELD, OUT, DROPPED = "held", "out", "dropped"
SIDE_OF = {"c2s": "client", "s2c": "server"}
RECENT = 16  # frames whose delivery time the page is told


@dataclass
class Seen:
    """One frame the wire read, and what became of it so far."""

    index: int  # 1-based, in the order the wire read them (the page's packet number)
    number: int  # the wire's own frame number (what release / drop name)
    direction: str
    ns: int
    data: bytes
    state: str = HELD
    out_ns: int = 0


@dataclass(frozen=True, slots=True)
class Resend:
    """A held frame that carries what an earlier one did: the kernel sent it again."""

    of: int  # the earlier frame's index
    gap_ms: float
    kernel: Kernel | None  # the sender's timers, as last read


class Room:
    def __init__(self, *, server_listening: bool = True) -> None:
        # False: nothing listens on the port (``refused``), so a SYN is not explained as
        # reaching a listener while its answer is still held
        self.server_listening = server_listening
        self.frames: list[Seen] = []
        self._numbers: dict[int, Seen] = {}
        self.calls: list[SocketCall] = []
        self.ongoing: list[tuple[str, str, int]] = []  # (side, call, since ns)
        self.kernel: dict[str, Kernel] = {}
        self.ended = False
        self.version = 0  # counts the changes the class has been told of
        self._explained: tuple[int, Explanation] | None = None
        # wire numbers the class has released or dropped whose fate the wire has not told
        # yet: a second key press meanwhile goes to the next packet, not to the same one
        self._asked: set[int] = set()

    # -- fed

    def event(self, event: gateline.Event) -> Seen | None:
        """The wire held, wrote or dropped a frame; returns it (None: not one we know)."""
        if event.kind == HELD:
            if event.number in self._numbers:
                return None
            seen = Seen(len(self.frames) + 1, event.number, event.direction, event.ns,
                        event.data)
            self.frames.append(seen)
            self._numbers[event.number] = seen
        else:
            found = self._numbers.get(event.number)
            if found is None:
                return None
            seen = found
            self._asked.discard(seen.number)
            seen.state = OUT if event.kind == "out" else DROPPED
            seen.out_ns = event.ns
        self.version += 1
        return seen

    def news(self, item: object) -> bool:
        """A line of the privileged side's news (``news.read_news``); True when it changed
        what the class sees."""
        if item == "end":
            self.ended = True
        elif isinstance(item, SocketCall):
            self.calls.append(item)
            for i, (side, call, _) in enumerate(self.ongoing):
                if (side, call) == (item.side, item.call):
                    del self.ongoing[i]
                    break
        elif isinstance(item, Kernel):
            self.kernel[item.side] = item
        elif isinstance(item, tuple):
            side, call, _, start = item
            self.ongoing.append((side, call, start))
        else:
            return False
        self.version += 1
        return True

    # -- seen

    def held(self) -> list[Seen]:
        """What waits for the class; nothing once the exchange is over (a frame still held
        then, a copy the kernels no longer needed, stays on the wire for good)."""
        return [] if self.ended else [s for s in self.frames if s.state == HELD]

    def oldest_held(self) -> Seen | None:
        """What Next, Drop, Play and a key act on when the class names no packet: the
        oldest held packet no word has been sent for yet (arrival order)."""
        return self.pick(None)

    def pick(self, index: int | None) -> Seen | None:
        """The held packet the class chose (by its page number), or with None the oldest;
        None when that packet is not held, or a word for it is already on its way."""
        waiting = [s for s in self.held() if s.number not in self._asked]
        if index is None:
            return waiting[0] if waiting else None
        return next((s for s in waiting if s.index == index), None)

    def asked(self, seen: Seen) -> None:
        """A word (release, drop) for ``seen`` went to the wire."""
        self._asked.add(seen.number)

    def dropped_datagram(self, seen: Seen) -> bool:
        """A UDP datagram dropped: no kernel sends it again, as it would a TCP segment."""
        return seen.state == DROPPED and frame_facts(seen.data).proto == "udp"

    def explanation(self) -> Explanation:
        """Every frame the wire read so far, explained (kept until something changes)."""
        if self._explained is None or self._explained[0] != self.version:
            frames = [Frame(s.index, s.ns, s.data) for s in self.frames]
            calls = sorted(self.calls, key=lambda c: c.start_ns)
            self._explained = (self.version, explain(frames, socket_calls=calls,
                                                      server_listening=self.server_listening))
        return self._explained[1]

    def packet(self, seen: Seen) -> PacketView | None:
        packets = self.explanation().packets
        return packets[seen.index - 1] if seen.index <= len(packets) else None

    def resend(self, seen: Seen) -> Resend | None:
        """The earlier frame this one repeats (same direction, TCP sequence number, SYN and
        FIN, payload length), if any."""
        facts = frame_facts(seen.data)
        if facts.proto != "tcp" or not (facts.payload_len or facts.flags & 0x03):
            return None
        for earlier in reversed(self.frames[:seen.index - 1]):
            other = frame_facts(earlier.data)
            if earlier.direction == seen.direction and other.seq == facts.seq \
                    and other.flags & 0x03 == facts.flags & 0x03 \
                    and other.payload_len == facts.payload_len:
                return Resend(earlier.index, (seen.ns - earlier.ns) / 1e6,
                              self.kernel.get(SIDE_OF[seen.direction]))
        return None

    def resend_text(self, seen: Seen) -> Message | None:
        again = self.resend(seen)
        if again is None:
            return None
        k = again.kernel
        side = msg(f"ui.{SIDE_OF[seen.direction]}")
        if k is None:  # a listener's SYN-ACK: no socket to ask until accept() returns it
            return msg("live.resend_no_info", side=side, packet=seen.index, earlier=again.of,
                       gap=f"{again.gap_ms:.0f}")
        return msg("live.resend", side=side, packet=seen.index, earlier=again.of,
                   gap=f"{again.gap_ms:.0f}", rto=f"{k.rto_us / 1000:.0f}",
                   retransmits=k.retransmits)

    def status(self, now_ns: int) -> dict[str, Any]:
        """What the page's bar shows (JSON-ready; texts as messages said by the caller)."""
        return {
            "version": self.version,
            "now_ns": now_ns,
            "packets": len(self.frames),
            "ended": self.ended,
            "held": [{"n": s.index, "wire": s.number, "side": SIDE_OF[s.direction],
                      "since_ns": s.ns} for s in self.held()],
            # when each frame released so far reached its receiver (the last few: enough for
            # the page to tell how long a release took)
            "delivered": {str(s.index): s.out_ns for s in self.frames[-RECENT:]
                          if s.state == OUT},
            "ongoing": [{"side": side, "call": call, "since_ns": since}
                        for side, call, since in self.ongoing],
        }
