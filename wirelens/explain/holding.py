"""The conversations a tracker holds: found by port pair and by number, and let go once
they have ended and been quiet a while, or early when too many are held.

``ConversationTracker`` (conversation.py) follows segments and moves conversations on;
``Holding`` keeps them. A conversation is a ``Conversation`` being followed or a
``Settled`` one (overview/settle.py), told whole; both have a number, a port pair, a first
frame and a last time. Pure: no I/O.
"""

from __future__ import annotations

import heapq

from wirelens.explain.conversation_record import Conversation, Pair, Settled, finished

Held = Conversation | Settled


class Holding:
    """``by_pair``: the conversation a segment of each port pair joins; ``by_number``: every
    conversation held. ``max_open`` bounds how many (None: no bound); ``forgot_early``
    counts those let go before their quiet time to make room."""

    def __init__(self, max_open: int | None = None) -> None:
        self.by_pair: dict[Pair, Held] = {}
        self.by_number: dict[int, Held] = {}
        self.max_open = max_open
        self.forgot_early = 0
        # (time, tie, conversation): each time a segment left its conversation over (closed
        # or reset), earliest first; ``pop`` looks at nothing else.
        self._ended: list[tuple[int, int, Held]] = []
        self._pushed = 0
        self._early: list[Held] = []  # let go by ``make_room``, not yet handed back

    def __len__(self) -> int:
        return len(self.by_number)

    def hold(self, conv: Held) -> None:
        """A new conversation; one its port pair had before is no longer found by it."""
        self.by_pair[conv.pair] = conv
        self.by_number[conv.number] = conv

    def let_go(self, conv: Held) -> None:
        """Forget ``conv`` now, handing nothing back (it is to be held again anew)."""
        del self.by_number[conv.number], self.by_pair[conv.pair]

    def ended(self, ts_ns: int, conv: Held) -> None:
        """A segment at ``ts_ns`` left ``conv`` over (closed or reset)."""
        self._pushed += 1
        heapq.heappush(self._ended, (ts_ns, self._pushed, conv))

    @property
    def room(self) -> int:
        """New conversations that can be held before one is let go early."""
        return (1 << 62) if self.max_open is None else self.max_open - len(self.by_number)

    def make_room(self) -> bool:
        """Whether a new conversation can be held, letting go of ended ones, earliest
        first, if there are too many."""
        if self.max_open is None or len(self.by_number) < self.max_open:
            return True
        before = len(self._early)
        while self._ended and len(self.by_number) >= self.max_open:
            self._forget_ended(self._early)
        self.forgot_early += len(self._early) - before
        return len(self.by_number) < self.max_open

    def pop(self, now_ns: int, quiet_ns: int) -> list[Held]:
        """The conversations that ended and have been quiet for ``quiet_ns`` before
        ``now_ns``, and those let go early, in the order of their first frames; all are
        forgotten."""
        done, self._early = self._early, []
        ended = self._ended
        while ended and now_ns - ended[0][0] > quiet_ns:
            self._forget_ended(done)
        done.sort(key=_first_index)
        return done

    def each(self) -> list[Held]:
        """Every conversation not yet handed back, by number."""
        held = list(self.by_number.values())
        if self._early:
            held = sorted(held + self._early, key=_number)
        return held

    def followed(self) -> list[Conversation]:
        """The conversations held that are followed one by one (not settled), in the order
        of their first frames."""
        held = [c for c in self.each() if type(c) is Conversation]
        held.sort(key=_first_index)
        return held

    def all_over(self) -> bool:
        return bool(self.by_number) and all(over(c) for c in self.by_number.values())

    def renumber(self, first: int, last: int) -> None:
        """Number the conversations numbered first..last anew, in the order of the frames
        that began them."""
        by_number = self.by_number
        held = [by_number[n] for n in range(first, last + 1) if n in by_number]
        early = [c for c in self._early if c.number >= first]
        if len(held) + len(early) < 2:
            return
        for conv in held:
            del by_number[conv.number]
        for number, conv in enumerate(sorted(held + early, key=_first_index), start=first):
            conv.number = number
        for conv in sorted(held, key=_number):
            by_number[conv.number] = conv

    def _forget_ended(self, done: list[Held]) -> None:
        """Take the earliest entry of ``_ended``; its conversation goes to ``done`` and is
        forgotten if that entry was its last segment and it is still over and held (else a
        later entry stands for it, or it was handed back already)."""
        ts_ns, _, conv = heapq.heappop(self._ended)
        if ts_ns == conv.last_ns and self.by_number.get(conv.number) is conv and over(conv):
            done.append(conv)
            del self.by_number[conv.number]
            if self.by_pair.get(conv.pair) is conv:
                del self.by_pair[conv.pair]


def over(conv: Held) -> bool:
    """Closed or reset: a settled conversation always is."""
    return isinstance(conv, Settled) or bool(conv.reset_by) or finished(conv)


def _first_index(conv: Held) -> int:
    return conv.first_index


def _number(conv: Held) -> int:
    return conv.number
