"""The terminal loops of ``--step`` and ``--quiz``: read a key, redraw.

Falls back to the full listing when standard input is not a terminal.
"""

from __future__ import annotations

import os
import sys
import termios
import tty
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.text import Text

from wirelens.explain.catalog import Catalog
from wirelens.explain.model import Explanation
from wirelens.render.ladder import rows, text_lines
from wirelens.render.step import Quiz, Stepper
from wirelens.render.terminal import NoteMemory, packet_renderable, render, render_wire
from wirelens.render.wire import seen_text

ESCAPES = {"\x1b[C": "right", "\x1b[D": "left", "\x1b[H": "home", "\x1b[F": "end",
           "\x1b[1~": "home", "\x1b[4~": "end", "\x1bOH": "home", "\x1bOF": "end"}


@contextmanager
def raw_terminal(fd: int) -> Iterator[None]:
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def read_key(fd: int) -> str:
    first = os.read(fd, 1).decode(errors="replace")
    if first == "\x03":
        return "ctrl-c"
    if first in ("\r", "\n"):
        return "enter"
    if first == "\x7f":
        return "backspace"
    if first != "\x1b":
        return first
    rest = os.read(fd, 8).decode(errors="replace")  # the escape sequence arrives in one read
    return ESCAPES.get(first + rest, "escape")


def _ladder_until(exp: Explanation, upto: int, width: int, cat: Catalog) -> list[str]:
    """The ladder of the shown packet's own conversation, down to that packet."""
    here = next((p for p in exp.packets if p.index == upto), None)
    conversation = (here.conversation or here.related) if here else 0
    if not conversation:
        conversation = next((p.conversation for p in exp.packets if p.conversation), 0)
    lines = text_lines(exp, conversation, width, cat)
    shown = [r.packet for r in rows(exp, conversation, width)]
    return [lines[0]] + [line for line, packet in zip(lines[1:], shown, strict=True)
                         if packet <= upto]


def step(exp: Explanation, console: Console, lang: str) -> int:
    if not sys.stdin.isatty() or not exp.packets:
        render(exp, console, lang)
        return 0
    cat = Catalog(lang)
    # Over the misbehaving wire, one more page after the last packet: what the wire did and
    # what each side did about it (the wire section of the full listing).
    stepper = Stepper(len(exp.packets) + (1 if exp.wire is not None else 0))
    fd = sys.stdin.fileno()
    with raw_terminal(fd):
        while True:
            console.clear()
            console.print(Text(f"{stepper.counter}   ␣/→ {cat.text('step.next')}  ← "
                               f"{cat.text('step.back')}  q {cat.text('step.quit')}",
                               style="bold reverse"))
            if stepper.index < len(exp.packets):
                packet = exp.packets[stepper.index]
                for line in _ladder_until(exp, packet.index, min(console.width, 100), cat):
                    console.print(line, highlight=False)
                _wire_lines(exp, packet.index, console, cat)
                console.print(packet_renderable(packet, cat, NoteMemory()))
            elif exp.wire is not None:
                render_wire(exp.wire, console, cat)
            if not stepper.press(read_key(fd)):
                return 0


def _wire_lines(exp: Explanation, index: int, console: Console, cat: Catalog) -> None:
    """Over the wire: where the packet was seen, and what the wire's doing caused in it."""
    if exp.wire is None:
        return

    seen = seen_text(exp.wire, index, cat)
    if seen:
        console.print(Text(seen, style="cyan"))
    for effect in exp.wire.effects:
        if index in effect.packets:
            console.print(Text(cat(effect.text), style="yellow"))


def quiz(exp: Explanation, console: Console, lang: str, seed: int = 0) -> int:
    if not sys.stdin.isatty():
        render(exp, console, lang)
        return 0
    cat = Catalog(lang)
    session = Quiz(exp, seed=seed)
    by_packet = {p.index: p for p in exp.packets}
    fd = sys.stdin.fileno()
    with raw_terminal(fd):
        for question in session.questions:
            console.print(Text(cat.text("quiz.ask", packet=question.packet), style="bold"))
            for n, choice in enumerate(question.choices, start=1):
                receiver = "server" if choice.sender == "client" else "client"
                console.print(f"  {n}) {cat.text('ui.' + choice.sender)} → "
                              f"{cat.text('ui.' + receiver)}  [{choice.flags}]", highlight=False)
            key = read_key(fd)
            while key not in {"1", "2", "3", "4"} and key not in {"q", "escape", "ctrl-c"}:
                key = read_key(fd)
            if key in {"q", "escape", "ctrl-c"}:
                break
            right = session.answer(question, int(key) - 1)
            console.print(cat.text("quiz.right" if right else "quiz.wrong"),
                          style="green" if right else "red")
            console.print(packet_renderable(by_packet[question.packet], cat, NoteMemory()))
    got, total = session.score
    console.print(Text(cat.text("quiz.score", right=got, total=total), style="bold"))
    return 0
