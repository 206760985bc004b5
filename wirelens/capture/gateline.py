"""The words between the class and the gate of the wire (``explain-demo --live``).

Two pipes join the wire's loop (``wire.py``, a process without root) and the process the
class drives (the page's server or the terminal stepper, without root too):

- commands, to the wire: ``release N`` or ``drop N`` (N: the wire's own frame number), one
  a line. Nothing else is obeyed; a line that is not one of them is ignored.
- events, from the wire: ``held N DIR NS HEX`` (frame N read going DIR at wall-clock NS,
  its bytes in hex), ``out N NS`` (frame N written to the receiving host at NS) and
  ``dropped N``.

Both ends read each other's lines with ``Lines``, which keeps at most ``MAX_LINE`` bytes
of a line it has not seen the end of, so a broken peer cannot make it grow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RELEASE, DROP = "release", "drop"
MAX_LINE = 2 * 65536 + 128  # a held event carries one frame (at most 64 KiB) in hex
_COMMAND = re.compile(rb"(release|drop) ([1-9][0-9]{0,8})")
_HELD = re.compile(rb"held ([1-9][0-9]{0,8}) (c2s|s2c) ([0-9]{1,20}) ((?:[0-9a-f]{2})*)")
_OUT = re.compile(rb"(out|dropped) ([1-9][0-9]{0,8})(?: ([0-9]{1,20}))?")


@dataclass(frozen=True, slots=True)
class Fds:
    """The wire's ends of the two pipes: it reads ``commands`` and writes ``events``."""

    commands: int
    events: int


@dataclass(frozen=True, slots=True)
class Event:
    """One event of the gate, read back from its line."""

    kind: str  # "held", "out", "dropped"
    number: int
    direction: str = ""
    ns: int = 0
    data: bytes = b""


def command(word: str, number: int) -> bytes:
    return f"{word} {number}\n".encode()


def parse_command(line: bytes) -> tuple[str, int] | None:
    match = _COMMAND.fullmatch(line.strip())
    if match is None:
        return None
    return match.group(1).decode(), int(match.group(2))


def held(number: int, direction: str, ns: int, data: bytes) -> bytes:
    return f"held {number} {direction} {ns} {data.hex()}\n".encode()


def out(number: int, ns: int) -> bytes:
    return f"out {number} {ns}\n".encode()


def dropped(number: int) -> bytes:
    return f"dropped {number}\n".encode()


def parse_event(line: bytes) -> Event | None:
    line = line.strip()
    match = _HELD.fullmatch(line)
    if match is not None:
        return Event("held", int(match.group(1)), match.group(2).decode(),
                     int(match.group(3)), bytes.fromhex(match.group(4).decode()))
    match = _OUT.fullmatch(line)
    if match is not None:
        return Event(match.group(1).decode(), int(match.group(2)), "",
                     int(match.group(3) or 0))
    return None


class Lines:
    """Splits what a pipe gives into lines; a line longer than ``MAX_LINE`` is thrown away."""

    def __init__(self) -> None:
        self._part = b""
        self._skipping = False

    def feed(self, chunk: bytes) -> list[bytes]:
        if self._skipping:  # the rest of a line too long to keep
            end = chunk.find(b"\n")
            if end < 0:
                return []
            chunk, self._skipping = chunk[end + 1:], False
        *whole, rest = (self._part + chunk).split(b"\n")
        if len(rest) > MAX_LINE:
            rest, self._skipping = b"", True
        self._part = rest
        return [line for line in whole if len(line) <= MAX_LINE]
