"""The wire's rules: which frame to drop, delay, duplicate or swap, decided frame by frame.

Theory of operation. This module is pure (no I/O, no clock, no randomness it does not
seed itself): ``wire.py`` reads each frame from a TAP device, asks ``Impairer.feed`` what
to do with it, and writes it out when told. A rule names its frames by

- number: ``--loss 1`` is the first *data segment* (a TCP segment with payload, or a UDP
  datagram) the wire carries, counted over both directions, or over one (``1:c2s``);
- TCP flags: ``syn`` (a SYN without ACK), ``synack``, ``fin``, ``rst``: the first such
  segment, in the direction(s) given;
- chance: ``25%`` of all IP frames in the direction(s) given. The draw for a frame is a
  function of (seed, option, direction, the frame's ordinal in its direction) alone, so the
  same seed drops the same frames in every run that carries the same traffic.

Rules combine: a frame can be delayed and duplicated; a dropped frame is only dropped.
``--reorder N`` holds data segment N until the next data segment of its direction has
gone, then delivers it: the two arrive swapped. Every decision is logged (``Action``).

The gate (``--live``): every TCP or UDP frame is held until the class says what becomes
of it (``Impairer.open_gate``: released, then delayed as the plan says, or dropped), in
the order the class chooses. ARP and neighbour discovery pass: a held ARP question would
only make the kernel give up on its neighbour while the class talks.
"""

from __future__ import annotations

import random
import re
import struct
from dataclasses import dataclass, field
from enum import Enum

from wirelens.explain.wirenumbers import (
    ACK,
    ETHERTYPE_ARP,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    FIN,
    PROTO_TCP,
    PROTO_UDP,
    PSH,
    RST,
    SYN,
)

DIRECTIONS = ("c2s", "s2c")
KINDS = ("syn", "synack", "fin", "rst")
MAX_DELAY_NS = 10_000_000_000  # 10 s: longer stalls every socket call of the demo
REORDER_HOLD_NS = 1_000_000_000  # a held segment goes anyway after 1 s with no partner
GATED = ("tcp", "udp")  # what the gate holds
GATE_OPTION = "--live"
UNITS_NS = {"us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}



class ImpairError(ValueError):
    """A bad impairment option; the message is one line naming the option and what it allows."""


class Action(Enum):
    """What the wire did to one frame (the log's words)."""

    PASSED = "passed"
    DELAYED = "delayed"
    DROPPED = "dropped"
    DUPLICATED = "duplicated"
    SWAPPED = "swapped"  # held back and delivered after the next data segment


# ---------------------------------------------------------------- what a frame is


@dataclass(frozen=True, slots=True)
class FrameFacts:
    """The few things a rule looks at, read from an Ethernet frame's bytes."""

    proto: str  # "tcp", "udp", "arp", "ip" (another IP protocol) or "other"
    flags: int = 0  # TCP flags
    payload_len: int = 0  # TCP or UDP payload bytes
    seq: int = 0  # TCP sequence number

    @property
    def is_ip(self) -> bool:
        return self.proto in ("tcp", "udp", "ip")

    @property
    def is_data(self) -> bool:
        """A TCP segment with payload, or any UDP datagram."""
        return self.proto == "udp" or (self.proto == "tcp" and self.payload_len > 0)

    def kind(self) -> str:
        """``syn``, ``synack``, ``fin``, ``rst`` or "" (for matching flag rules)."""
        if self.proto != "tcp":
            return ""
        if self.flags & RST:
            return "rst"
        if self.flags & SYN:
            return "synack" if self.flags & ACK else "syn"
        if self.flags & FIN:
            return "fin"
        return ""

    def summary(self) -> str:
        if self.proto == "tcp":
            letters = "".join(c for bit, c in ((SYN, "S"), (FIN, "F"), (RST, "R"), (PSH, "P"),
                                               (ACK, ".")) if self.flags & bit)
            return f"TCP [{letters}] len {self.payload_len}"
        if self.proto == "udp":
            return f"UDP len {self.payload_len}"
        return self.proto.upper()


def frame_facts(data: bytes) -> FrameFacts:
    """Reads an Ethernet frame (IPv4 or IPv6, then TCP or UDP); never raises."""
    if len(data) < 14:
        return FrameFacts("other")
    ethertype = struct.unpack_from("!H", data, 12)[0]
    if ethertype == ETHERTYPE_ARP:
        return FrameFacts("arp")
    if ethertype == ETHERTYPE_IPV4 and len(data) >= 34:
        ihl = (data[14] & 0x0F) * 4
        total = struct.unpack_from("!H", data, 16)[0]
        proto, start, end = data[23], 14 + ihl, min(14 + total, len(data))
    elif ethertype == ETHERTYPE_IPV6 and len(data) >= 54:
        proto, start = data[20], 54
        end = min(start + struct.unpack_from("!H", data, 18)[0], len(data))
    else:
        return FrameFacts("other")
    if proto == PROTO_TCP and end - start >= 20:
        seq = struct.unpack_from("!I", data, start + 4)[0]
        offset = (data[start + 12] >> 4) * 4
        return FrameFacts("tcp", data[start + 13], max(end - start - offset, 0), seq)
    if proto == PROTO_UDP and end - start >= 8:
        return FrameFacts("udp", 0, end - start - 8)
    return FrameFacts("ip")


# ---------------------------------------------------------------- the options


@dataclass(frozen=True, slots=True)
class Selector:
    """Which frames one rule applies to."""

    numbers: tuple[int, ...] = ()  # data segments, 1-based
    kinds: tuple[str, ...] = ()  # first SYN, SYN-ACK, FIN, RST
    percent: float = 0.0  # of every IP frame
    direction: str = ""  # "c2s", "s2c" or "" for both

    def covers(self, direction: str) -> bool:
        return not self.direction or self.direction == direction


@dataclass(frozen=True, slots=True)
class Plan:
    """Every rule of one run; empty when nothing is impaired."""

    loss: tuple[Selector, ...] = ()
    duplicate: tuple[Selector, ...] = ()
    reorder: tuple[Selector, ...] = ()
    delay_ns: tuple[tuple[str, int], ...] = ()  # (direction, one-way delay)
    seed: int = 0
    gate: bool = False  # --live: every TCP or UDP frame waits for the class

    @property
    def empty(self) -> bool:
        return not (self.loss or self.duplicate or self.reorder or self.gate
                    or any(ns for _, ns in self.delay_ns))

    def delay_of(self, direction: str) -> int:
        return sum(ns for d, ns in self.delay_ns if d == direction)

    @property
    def random(self) -> bool:
        return any(s.percent for s in self.loss + self.duplicate)

    def describe(self) -> list[str]:
        """The rules as the user wrote them (for the explanation and the JSON)."""
        out = []
        for name, rules in (("loss", self.loss), ("duplicate", self.duplicate),
                            ("reorder", self.reorder)):
            out += [f"--{name} {selector_text(s)}" for s in rules]
        both = {d: self.delay_of(d) for d in DIRECTIONS}
        if both["c2s"] == both["s2c"] and both["c2s"]:
            out.append(f"--delay {duration_text(both['c2s'])}")
        else:
            out += [f"--delay {duration_text(ns)}:{d}" for d, ns in both.items() if ns]
        if self.random:
            out.append(f"--seed {self.seed}")
        if self.gate:
            out.append(GATE_OPTION)
        return out


def selector_text(s: Selector) -> str:
    what = f"{s.percent:g}%" if s.percent else ",".join([*map(str, s.numbers), *s.kinds])
    return what + (f":{s.direction}" if s.direction else "")


def duration_text(ns: int) -> str:
    if ns % 1_000_000 == 0:
        return f"{ns // 1_000_000}ms"
    return f"{ns / 1e6:g}ms"


def _split_direction(option: str, value: str) -> tuple[str, str]:
    what, sep, direction = value.partition(":")
    if sep and direction not in DIRECTIONS:
        raise ImpairError(f"{option} {value}: unknown direction {direction!r}; allowed: "
                          + ", ".join(DIRECTIONS) + " (client to server, server to client)")
    return what.strip(), direction


def parse_selector(option: str, value: str) -> Selector:
    """``1``, ``1,3``, ``syn``, ``25%``, each optionally ``:c2s`` or ``:s2c``."""
    allowed = ("allowed: a data segment number (1, 2,3), a percentage (25%), "
               "or syn, synack, fin, rst; optionally :c2s or :s2c")
    what, direction = _split_direction(option, value)
    if what.endswith("%"):
        try:
            percent = float(what[:-1])
        except ValueError:
            raise ImpairError(f"{option} {value}: {what!r} is not a percentage; {allowed}"
                              ) from None
        if not 0 < percent <= 100 or percent != percent:
            raise ImpairError(f"{option} {value}: a percentage must be above 0% and at most "
                              f"100%; {allowed}")
        return Selector(percent=percent, direction=direction)
    numbers: list[int] = []
    kinds: list[str] = []
    for item in what.split(","):
        item = item.strip().lower()
        if item in KINDS:
            kinds.append(item)
        elif re.fullmatch(r"\d{1,6}", item) and int(item) >= 1:
            numbers.append(int(item))
        else:
            raise ImpairError(f"{option} {value}: {item!r} is not a frame choice; {allowed}")
    return Selector(tuple(sorted(set(numbers))), tuple(dict.fromkeys(kinds)), 0.0, direction)


def parse_delay(value: str, option: str = "--delay") -> tuple[tuple[str, int], ...]:
    """``100ms``, ``0.2s``, ``500us``, optionally ``:c2s`` or ``:s2c``: (direction, ns) pairs."""
    what, direction = _split_direction(option, value)
    match = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*(us|ms|s)", what.strip().lower())
    allowed = "allowed: a duration from 0 to 10s with its unit (100ms, 0.2s, 500us), " \
              "optionally :c2s or :s2c"
    if not match:
        raise ImpairError(f"{option} {value}: not a duration; {allowed}")
    ns = round(float(match.group(1)) * UNITS_NS[match.group(2)])
    if not 0 <= ns <= MAX_DELAY_NS:
        raise ImpairError(f"{option} {value}: out of range; {allowed}")
    return tuple((d, ns) for d in ((direction,) if direction else DIRECTIONS))


def parse_reorder(value: str, option: str = "--reorder") -> Selector:
    """``1`` (the default: data segments 1 and 2 swapped), ``3:s2c``. Both segments are of
    one direction: client to server unless ``:s2c`` says otherwise."""
    what, direction = _split_direction(option, value or "1")
    direction = direction or "c2s"
    if not re.fullmatch(r"\d{1,6}", what) or int(what) < 1:
        raise ImpairError(f"{option} {value}: allowed: the number of the data segment to "
                          f"deliver after the next one (1 swaps segments 1 and 2), "
                          f"optionally :c2s or :s2c")
    return Selector(numbers=(int(what),), direction=direction)


def parse_plan(loss: list[str] | None = None, delay: list[str] | None = None,
               reorder: list[str] | None = None, duplicate: list[str] | None = None,
               seed: int | None = None, default_seed: int = 0) -> Plan:
    """Every impairment option of one command line; raises ImpairError on the first bad one."""
    if seed is not None and not 0 <= seed < 2**32:
        raise ImpairError(f"--seed {seed}: allowed: an integer from 0 to {2**32 - 1}")
    delays: list[tuple[str, int]] = []
    for value in delay or []:
        delays += parse_delay(value)
    plan = Plan(
        loss=tuple(parse_selector("--loss", v) for v in loss or []),
        duplicate=tuple(parse_selector("--duplicate", v) for v in duplicate or []),
        reorder=tuple(parse_reorder(v) for v in reorder or []),
        delay_ns=tuple(delays),
        seed=default_seed if seed is None else seed,
    )
    for s in plan.reorder:
        if s.percent or s.kinds:
            raise ImpairError("--reorder: allowed: a data segment number")
    return plan


def check_fits(plan: Plan, data_segments: dict[str, int], demo: str,
               unit: str = "data segment", tcp: bool = True) -> None:
    """Rules that name data segments the demo will never send are errors, said before
    anything is created. ``data_segments``: how many each direction sends ("c2s", "s2c"),
    -1 where the count is not known in advance (a bulk transfer); ``unit``: what the demo's
    data segments are, in the message ("datagram" for udp); ``tcp``: False when the demo
    sends no TCP segment, so a rule naming TCP flags (syn, fin ...) could never apply."""
    def available(direction: str) -> int:
        counts = [data_segments.get(d, 0) for d in DIRECTIONS if not direction or d == direction]
        return -1 if -1 in counts else sum(counts)

    for s in plan.reorder:
        n = available(s.direction)
        if n != -1 and n < s.numbers[0] + 1:
            where = f" {s.direction}" if s.direction else ""
            raise ImpairError(
                f"--reorder {selector_text(s)}: the {demo} demo sends {n} {unit}(s)"
                f"{where}; reordering needs {unit}s {s.numbers[0]} and {s.numbers[0] + 1}")
    for option, rules in (("--loss", plan.loss), ("--duplicate", plan.duplicate)):
        for s in rules:
            n = available(s.direction)
            if s.kinds and not tcp:
                raise ImpairError(f"{option} {selector_text(s)}: the {demo} demo sends no "
                                  f"TCP segment (no syn, synack, fin or rst); allowed: "
                                  f"1 to {n}, or a percentage")
            if s.numbers and n != -1 and max(s.numbers) > n:
                flags = ", or syn, synack, fin, rst" if tcp else ""
                raise ImpairError(f"{option} {selector_text(s)}: the {demo} demo sends {n} "
                                  f"{unit}(s); allowed: 1 to {n}, a percentage{flags}")


# ---------------------------------------------------------------- deciding


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one frame: deliver a copy after each of ``delays_ns`` (none: dropped),
    or hold it (``held``) until a later frame releases it."""

    action: Action
    delays_ns: tuple[int, ...] = ()
    held: bool = False
    release: tuple[int, ...] = ()  # held frames to deliver right after this one
    reason: str = ""  # the rule that decided it, as written ("--loss 1")


@dataclass
class _Counts:
    frames: int = 0
    data: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


@dataclass
class _Hold:
    number: int
    direction: str
    since_ns: int
    reason: str


class Impairer:
    """Feeds frames through a ``Plan``; keeps the counters (per direction and overall)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._counts = {d: _Counts() for d in ("", *DIRECTIONS)}
        self._holds: list[_Hold] = []
        self._gated: dict[int, str] = {}  # held at the gate: frame number -> direction

    def _matches(self, option: str, s: Selector, direction: str, facts: FrameFacts,
                 ordinal: int) -> bool:
        if not s.covers(direction) or not facts.is_ip:
            return False
        counts = self._counts[s.direction]
        if s.percent:
            draw = random.Random(f"{self.plan.seed}:{option}:{s.direction}:{direction}:"
                                 f"{ordinal}").random()
            return draw * 100 < s.percent
        if facts.is_data and counts.data in s.numbers:
            return True
        kind = facts.kind()
        return bool(kind) and kind in s.kinds and counts.kinds.get(kind) == 1

    def feed(self, number: int, direction: str, facts: FrameFacts, now_ns: int) -> Decision:
        """The wire read frame ``number`` (its own count, 1-based) going ``direction``."""
        for key in ("", direction):
            c = self._counts[key]
            c.frames += 1
            if facts.is_data:
                c.data += 1
            kind = facts.kind()
            if kind:
                c.kinds[kind] = c.kinds.get(kind, 0) + 1
        ordinal = self._counts[direction].frames
        release = tuple(h.number for h in self._holds
                        if h.direction == direction and facts.is_data)
        self._holds = [h for h in self._holds if h.number not in release]
        if self.plan.gate and facts.proto in GATED:
            self._gated[number] = direction
            return Decision(Action.PASSED, (), True, release, GATE_OPTION)
        for s in self.plan.loss:
            if self._matches("loss", s, direction, facts, ordinal):
                return Decision(Action.DROPPED, (), False, release, f"--loss {selector_text(s)}")
        for s in self.plan.reorder:
            if s.covers(direction) and facts.is_data \
                    and self._counts[s.direction].data == s.numbers[0]:
                reason = f"--reorder {selector_text(s)}"
                self._holds.append(_Hold(number, direction, now_ns, reason))
                return Decision(Action.SWAPPED, (), True, release, reason)
        delay = self.plan.delay_of(direction)
        for s in self.plan.duplicate:
            if self._matches("duplicate", s, direction, facts, ordinal):
                return Decision(Action.DUPLICATED, (delay, delay), False, release,
                                f"--duplicate {selector_text(s)}")
        if delay:
            return Decision(Action.DELAYED, (delay,), False, release,
                            f"--delay {duration_text(delay)}")
        return Decision(Action.PASSED, (0,), False, release)

    def next_deadline(self) -> int | None:
        """When the oldest held frame must go even without a partner (ns), or None."""
        return min((h.since_ns + REORDER_HOLD_NS for h in self._holds), default=None)

    def expired(self, now_ns: int) -> list[tuple[int, str]]:
        """Held frames whose time is up: (number, direction); they leave the hold."""
        out = [(h.number, h.direction) for h in self._holds
               if now_ns >= h.since_ns + REORDER_HOLD_NS]
        self._holds = [h for h in self._holds if now_ns < h.since_ns + REORDER_HOLD_NS]
        return out

    def held(self) -> list[int]:
        return [h.number for h in self._holds]

    def open_gate(self, number: int, drop: bool = False) -> Decision | None:
        """The class released (or dropped) frame ``number`` held at the gate: what becomes of
        it now. None when that frame is not held (already gone, or never came)."""
        direction = self._gated.pop(number, None)
        if direction is None:
            return None
        if drop:
            return Decision(Action.DROPPED, (), False, (), f"{GATE_OPTION}: dropped by the class")
        delay = self.plan.delay_of(direction)
        if delay:
            return Decision(Action.DELAYED, (delay,), False, (),
                            f"{GATE_OPTION}, --delay {duration_text(delay)}")
        return Decision(Action.PASSED, (0,), False, (), f"{GATE_OPTION}: released by the class")

    def gated(self) -> list[int]:
        """The frames held at the gate, in the order they came."""
        return list(self._gated)


# ---------------------------------------------------------------- the log


@dataclass(frozen=True, slots=True)
class LogEntry:
    """What the wire did to one frame, with times from the capture's clock (ns)."""

    number: int  # the wire's own count of frames it read, 1-based
    direction: str
    summary: str  # "TCP [P.] len 14"
    digest: str  # of the frame's bytes, to find it in the captures
    read_ns: int
    action: Action
    reason: str = ""
    delay_ns: int = 0
    written_ns: tuple[int, ...] = ()  # one time per copy delivered; () when dropped
    after: int = 0  # a swapped frame: the number of the frame it was delivered after
    seq: int = 0
    payload_len: int = 0

    def text(self) -> str:
        what = self.action.value
        if self.action is Action.DELAYED:
            what += f" by {duration_text(self.delay_ns)}"
        if self.action is Action.SWAPPED:
            what += f" (after frame {self.after})" if self.after else " (no partner came)"
        return f"wire frame {self.number} {self.direction} {self.summary}: {what}"
