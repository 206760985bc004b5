"""``explain-demo tcp --live --step``: the class in the terminal, without a browser.

Each packet the wire holds is shown explained (as ``--step`` shows a packet); a keypress
releases it (space, enter, →), ``d`` drops it, ``q`` ends the exchange. Socket calls are
said as they begin and return. Runs in the class's process, without root; the loop sleeps
in ``select`` on the wire's events, the privileged side's news and the keyboard.

When standard input is not a terminal each line read is a keypress ("" or a space
releases, "d" drops, "q" quits) and its end quits: a script can step a live run.
"""

from __future__ import annotations

import os
import select
import sys
from contextlib import ExitStack

from rich.console import Console

from wirelens.app.live import news
from wirelens.app.live.room import DROPPED, HELD, Room, Seen
from wirelens.capture import gateline
from wirelens.explain.catalog import Catalog
from wirelens.explain.records import SocketCall
from wirelens.render.terminal import NoteMemory, packet_renderable

RELEASE_KEYS = frozenset({" ", "enter", "right", "n", ""})
DROP_KEYS = frozenset({"d"})
QUIT_KEYS = frozenset({"q", "ctrl-c", "escape"})


class Pipes:
    """The class's ends: it writes commands to the wire, reads the wire's events and the
    privileged side's news."""

    def __init__(self, commands: int, events: int, news_fd: int, alive: int = -1) -> None:
        self.commands, self.events, self.news = commands, events, news_fd
        self.alive = alive  # to the privileged side: "d", a frame was dropped (job._watch)
        self._lines = {events: gateline.Lines(), news_fd: gateline.Lines()}

    def say_dropped(self) -> None:
        if self.alive >= 0:
            try:
                os.write(self.alive, news.DROPPED_WORD)
            except OSError:
                pass

    def tell(self, word: str, number: int) -> bool:
        try:
            os.write(self.commands, gateline.command(word, number))
        except OSError:
            return False
        return True

    def read(self, fd: int) -> list[bytes] | None:
        """The lines waiting on ``fd``; None at its end."""
        try:
            chunk = os.read(fd, 1 << 18)
        except BlockingIOError:
            return []
        if not chunk:
            return None
        return self._lines[fd].feed(chunk)


def step(pipes: Pipes, lang: str, width: int = 0, *, server_listening: bool = True) -> int:
    """Runs until the exchange is over (0) or the class quits (130)."""
    # imported here: 4 ms saved at start-up when not needed
    from wirelens.app.interactive import raw_terminal, read_key

    console = Console(width=width or None, highlight=False)
    cat = Catalog(lang)
    room = Room(server_listening=server_listening)
    keyboard = sys.stdin.fileno()
    tty = os.isatty(keyboard)
    open_fds = {pipes.events, pipes.news, keyboard}
    shown: set[int] = set()
    with ExitStack() as stack:
        if tty:
            stack.enter_context(raw_terminal(keyboard))
        console.print(cat.text("live.terminal_keys"), style="dim")
        while pipes.news in open_fds or pipes.events in open_fds:
            readable, _, _ = select.select(sorted(open_fds), [], [])
            for fd in readable:
                if fd == keyboard:
                    key = read_key(fd) if tty else _line_key(fd)
                    if key is None:
                        open_fds.discard(fd)
                        key = "q"
                    if key in QUIT_KEYS:
                        console.print(cat.text("live.quit"))
                        return 130
                    # the terminal keeps arrival order: a key acts on the oldest held packet
                    first = room.oldest_held()
                    if first is not None and (key in RELEASE_KEYS or key in DROP_KEYS):
                        word = gateline.DROP if key in DROP_KEYS else gateline.RELEASE
                        if pipes.tell(word, first.number):
                            room.asked(first)
                    continue
                lines = pipes.read(fd)
                if lines is None:
                    open_fds.discard(fd)
                    continue
                for line in lines:
                    if fd == pipes.events:
                        event = gateline.parse_event(line)
                        seen = room.event(event) if event else None
                        if seen is not None:
                            _say_frame(console, cat, room, seen, shown)
                            if seen.state == DROPPED:
                                pipes.say_dropped()
                    else:
                        item = news.read_news(line)
                        if room.news(item):
                            _say_news(console, cat, item)
            if room.ended:
                console.print(cat.text("live.over"))
                return 0
    return 0


def _line_key(fd: int) -> str | None:
    """A line of a piped standard input as a key; None at its end."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(fd, 1)
        if not chunk:
            return None if not data else data.decode(errors="replace").strip().lower()
        data += chunk
    return data.decode(errors="replace").strip().lower()


def _say_frame(console: Console, cat: Catalog, room: Room, seen: Seen, shown: set[int]) -> None:
    side = cat.text(f"ui.{'client' if seen.direction == 'c2s' else 'server'}")
    if seen.state == HELD and seen.index not in shown:
        shown.add(seen.index)
        packet = room.packet(seen)
        if packet is not None:
            console.print(packet_renderable(packet, cat, NoteMemory()))
        again = room.resend_text(seen)
        if again is not None:
            console.print(cat(again), style="bold yellow")
        console.print(cat.text("live.held", packet=seen.index, side=side), style="bold")
    elif seen.state == DROPPED:
        key = "live.dropped_udp" if room.dropped_datagram(seen) else "live.dropped"
        console.print(cat.text(key, packet=seen.index, side=side, s=news.GIVE_UP),
                      style="red")
    else:
        held_ms = (seen.out_ns - seen.ns) / 1e6
        console.print(cat.text("live.delivered", packet=seen.index, ms=f"{held_ms:.0f}"),
                      style="green")


def _say_news(console: Console, cat: Catalog, item: object) -> None:
    if isinstance(item, tuple):
        side, call, _, _ = item
        console.print(cat.text("live.calling", side=cat.text(f"ui.{side}"), call=call),
                      style="cyan")
    elif isinstance(item, SocketCall):
        console.print(cat.text("live.returned", side=cat.text(f"ui.{item.side}"),
                               call=item.call, result=item.result or "-",
                               ms=f"{(item.end_ns - item.start_ns) / 1e6:.0f}"), style="cyan")
