"""Step-through and quiz over an explanation: the pure part (no terminal I/O here).

``Stepper`` holds which packet is shown and moves on keys; ``Quiz`` asks, before each
packet, which one comes next and keeps the score. The interactive loop that reads keys
lives in ``wirelens.app.interactive``; tests drive these classes directly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from wirelens.explain.model import Explanation, PacketView

NEXT_KEYS = frozenset({" ", "n", "right", "enter", "j"})
BACK_KEYS = frozenset({"p", "left", "k", "backspace"})
HOME_KEYS = frozenset({"home", "g"})
END_KEYS = frozenset({"end", "G"})
QUIT_KEYS = frozenset({"q", "escape", "ctrl-c"})


@dataclass
class Stepper:
    count: int
    index: int = 0  # 0-based position of the packet shown

    def press(self, key: str) -> bool:
        """Moves for ``key``; False when the key means "quit"."""
        if key in QUIT_KEYS:
            return False
        if key in NEXT_KEYS:
            self.index = min(self.index + 1, self.count - 1)
        elif key in BACK_KEYS:
            self.index = max(self.index - 1, 0)
        elif key in HOME_KEYS:
            self.index = 0
        elif key in END_KEYS:
            self.index = self.count - 1
        return True

    @property
    def counter(self) -> str:
        return f"{self.index + 1} / {self.count}"


@dataclass(frozen=True, slots=True)
class Choice:
    sender: str  # "client" or "server"
    flags: str  # tcpdump letters


@dataclass(frozen=True, slots=True)
class Question:
    packet: int
    choices: tuple[Choice, ...]
    answer: int  # index into choices


# What a student might guess for the next packet of a TCP exchange.
POOL = (
    Choice("client", "S"), Choice("server", "S."), Choice("client", "."),
    Choice("server", "."), Choice("client", "P."), Choice("server", "P."),
    Choice("client", "F."), Choice("server", "F."), Choice("server", "R."),
    Choice("client", "R."),
)


# A UDP datagram has no flags: the question is only which way it goes, and whether a
# student still expects a handshake or a close around it.
DATAGRAM_ROLES = frozenset({"datagram", "dns-query", "dns-response"})
UDP_POOL = (
    Choice("client", "UDP"), Choice("server", "UDP"), Choice("client", "S"),
    Choice("server", "S."), Choice("client", "F."), Choice("server", "R."),
)


def question_for(packet: PacketView, rng: random.Random, size: int = 4) -> Question | None:
    udp = not packet.flags and packet.role in DATAGRAM_ROLES
    if not packet.sender or not (packet.flags or udp):
        return None
    right = Choice(packet.sender, "UDP" if udp else packet.flags)
    others = [c for c in (UDP_POOL if udp else POOL) if c != right]
    rng.shuffle(others)
    choices = [right, *others[: size - 1]]
    rng.shuffle(choices)
    return Question(packet.index, tuple(choices), choices.index(right))


@dataclass
class Quiz:
    exp: Explanation
    seed: int = 0
    questions: list[Question] = field(default_factory=list)
    answers: dict[int, int] = field(default_factory=dict)  # packet -> chosen index

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        self.questions = [q for p in self.exp.packets if (q := question_for(p, rng))]

    def answer(self, question: Question, choice: int) -> bool:
        self.answers[question.packet] = choice
        return choice == question.answer

    @property
    def score(self) -> tuple[int, int]:
        right = sum(1 for q in self.questions if self.answers.get(q.packet) == q.answer)
        return right, len(self.questions)
