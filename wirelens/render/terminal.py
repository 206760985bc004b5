"""The explanation in a terminal, with rich: ladder first, then every packet layer by layer.

Readable at 80 columns; nothing here knows where the packets came from.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from wirelens.explain.catalog import Catalog
from wirelens.explain.model import Explanation, LayerView, NoteCheck, PacketView, Verdict
from wirelens.explain.wirestory import WireView
from wirelens.render.ladder import text_lines
from wirelens.render.wire import cwnd_lines, grouped, plot_lines, seen_text, window_lines

VERDICT_STYLE = {Verdict.AGREES: ("✓", "green"), Verdict.NUANCE: ("~", "yellow"),
                 Verdict.DIFFERS: ("✗", "red")}

LAYER_STYLE = {"Frame": "dim", "Ethernet": "magenta", "IPv4": "blue", "IPv6": "blue",
               "TCP": "cyan", "UDP": "cyan", "ARP": "magenta", "Payload": "green"}


def short_name(name: str) -> str:
    """``tcp.flags.syn`` -> ``flags.syn``: the layer's box already says which protocol."""
    return name.split(".", 1)[1] if "." in name else name


def byte_range(offset: int, length: int) -> str:
    return str(offset) if length == 1 else f"{offset}–{offset + length - 1}"


class NoteMemory:
    """Shows a note in full the first time, then only points back to that packet."""

    def __init__(self) -> None:
        self.first: dict[tuple[str, str, str], int] = {}

    def seen(self, note: NoteCheck, packet: int) -> int | None:
        key = (note.topic, note.verdict.value, note.observed.key + repr(sorted(
            note.observed.params.items())))
        if key in self.first:
            return self.first[key]
        self.first[key] = packet
        return None


def note_block(note: NoteCheck, cat: Catalog) -> Text:
    mark, style = VERDICT_STYLE[note.verdict]
    text = Text()
    text.append(f"{cat.text('ui.claim')} ({note.ref}): ", style="bold")
    text.append(cat(note.claim) + "\n")
    text.append(f"{cat.text('ui.observed')}: ", style="bold")
    text.append(cat(note.observed) + "\n")
    text.append(f"{mark} {cat.text('verdict.' + note.verdict.value)}: ", style=f"bold {style}")
    text.append(cat(note.reason))
    return text


def layer_table(layer: LayerView, cat: Catalog) -> Table:
    style = LAYER_STYLE.get(layer.name, "white")
    title = f"{layer.name}  {cat.text('ui.bytes')} {byte_range(layer.offset, layer.length)}"
    table = Table(title=title, title_justify="left", title_style=f"bold {style}",
                  show_header=False, box=None, padding=(0, 1), expand=True)
    table.add_column(cat.text("ui.field"), style=style, no_wrap=True, max_width=16)
    table.add_column(cat.text("ui.value"), no_wrap=False, max_width=20)
    table.add_column(cat.text("ui.bytes"), style="dim", no_wrap=True)
    table.add_column(cat.text("ui.meaning"), ratio=1)
    for view in layer.fields:
        f = view.field
        value = f.display if len(f.display) <= 20 else f.display[:19] + "…"
        where = byte_range(f.offset, f.length)
        if f.bit_length:
            where += f".{f.bit_offset}"
        table.add_row(short_name(f.name), value, where, cat(view.text))
    return table


def packet_renderable(p: PacketView, cat: Catalog, memory: NoteMemory) -> RenderableType:
    parts: list[RenderableType] = []
    who = ""
    if p.sender:
        other = "server" if p.sender == "client" else "client"
        who = f" · {cat.text('ui.' + p.sender)} → {cat.text('ui.' + other)}"
    parts.append(Rule(f"[bold]{cat.text('ui.packet')} {p.index}[/] · {p.time:.6f} s{who} · "
                      f"{cat(p.role_text)}", align="left"))
    parts.append(Text(p.summary, style="bold"))
    if p.states_before and p.states_after:
        parts.append(Text(cat.text(
            "ui.states_line",
            client_before=p.states_before[0].value, client_after=p.states_after[0].value,
            server_before=p.states_before[1].value, server_after=p.states_after[1].value,
        ), style="yellow"))
    for t in p.transitions:
        parts.append(Text("  · " + cat(t), style="yellow"))
    for w in p.warnings:
        parts.append(Text("  ! " + cat(w), style="red"))
    for layer in p.layers:
        parts.append(layer_table(layer, cat))
        for view in layer.fields:
            if view.note is None:
                continue
            earlier = memory.seen(view.note, p.index)
            mark, style = VERDICT_STYLE[view.note.verdict]
            if earlier is None:
                parts.append(Padding(note_block(view.note, cat), (0, 0, 0, 2)))
            else:
                parts.append(Text(f"  {mark} {cat(view.note.claim)} "
                                  f"{cat.text('ui.see_before', packet=earlier)}", style=style))
    return Group(*parts)


def render(exp: Explanation, console: Console, lang: str, *, details: bool = True) -> None:
    """``details=False`` leaves out each packet layer by layer (a bulk transfer's hundreds)."""
    cat = Catalog(lang)
    console.print(Rule(f"[bold]{cat.text('ui.title')}[/]"))
    console.print(cat(exp.source_text) if exp.source_text else exp.source, style="dim")
    width = min(console.width, 100)
    for conv in exp.conversations:
        s = conv.summary
        console.print(Text(cat.text(
            "ui.conversation_line", number=s.number, client=s.client, server=s.server,
            handshake=cat.text("conv.handshake." + s.handshake),
            close=cat.text("conv.close." + s.close), packets=len(s.packets),
            bytes_c2s=s.bytes_c2s, bytes_s2c=s.bytes_s2c,
        ), style="bold"))
        if s.client_guessed:
            console.print(cat.text("ui.guessed"), style="dim")
        for line in text_lines(exp, s.number, width, cat):
            console.print(line, highlight=False, markup=False, soft_wrap=True)
        for note in conv.notes:
            console.print(Padding(note_block(note, cat), (0, 0, 0, 2)))
    if not exp.conversations and any(p.sender for p in exp.packets):  # ARP alone, say
        for line in text_lines(exp, 0, width, cat):
            console.print(line, highlight=False, markup=False, soft_wrap=True)
    if exp.socket_calls:
        console.print(Rule(cat.text("ui.calls"), align="left"))
        for call in exp.socket_calls:
            console.print(f"  {cat.text('ui.' + call.side):>6}  {cat(call.text)}",
                          highlight=False)
            if call.note is not None:
                console.print(Padding(note_block(call.note, cat), (0, 0, 0, 10)))
    if exp.kernel:
        console.print(Rule(cat.text("ui.kernel"), align="left"))
        for k in exp.kernel:
            mark, style = (("·", "dim") if k.agrees is None else
                           VERDICT_STYLE[Verdict.AGREES if k.agrees else Verdict.DIFFERS])
            console.print(f"  {mark} {cat(k.text)}", style=style, highlight=False, markup=False)
    if exp.wire is not None:
        render_wire(exp.wire, console, cat)
    memory = NoteMemory()
    for p in exp.packets if details else ():
        console.print(packet_renderable(p, cat, memory))
    if exp.warnings:
        console.print(Rule(cat.text("ui.warnings"), align="left", style="red"))
        for w in exp.warnings:
            console.print("  ! " + cat(w), style="red", highlight=False)


def render_wire(view: WireView, console: Console, cat: Catalog) -> None:
    console.print(Rule(f"[bold]{cat.text('wire.ui.title')}[/]", align="left"))
    console.print(cat(view.summary), highlight=False)
    for extra in view.extra:
        console.print(cat(extra), highlight=False)
    if view.rtt is not None:
        console.print(cat(view.rtt.text), highlight=False)
    if view.effects:
        console.print(Text(cat.text("wire.ui.effects"), style="bold"))
        for e in view.effects:
            console.print(Padding(Text(cat(e.text)), (0, 0, 0, 2)))
    if view.anomalies:
        console.print(Text(cat.text("wire.ui.anomalies"), style="bold"))
        explained: set[str] = set()
        for label, a in grouped(view.anomalies):
            console.print(f"  {label} {', '.join(a.names)} ({seen_text(view, a.packet, cat)})"
                          f": {cat(a.cause)}", highlight=False, markup=False, style="yellow")
            for name, meaning in zip(a.names, a.meaning, strict=True):
                if name not in explained:  # each name's meaning once
                    explained.add(name)
                    console.print(f"      {cat(meaning)}", highlight=False, style="dim")
    if view.kernel:
        console.print(Text(cat.text("wire.ui.kernel"), style="bold"))
        for k in view.kernel:
            style = "green" if k.agrees else "red"
            console.print(Padding(Text(cat(k.text), style=style), (0, 0, 0, 2)))
    for note in view.notes:
        console.print(Padding(note_block(note, cat), (0, 0, 0, 2)))
    if view.series is not None:
        width = min(console.width, 100)
        console.print(Text(cat.text("wire.ui.plot"), style="bold"))
        for row in plot_lines(view.series, width - 2, 16, cat):
            console.print("  " + row, highlight=False, markup=False, soft_wrap=True)
        receiver = "server" if view.series.sender == "client" else "client"
        for title, rows in ((cat.text("wire.ui.plot_cwnd"), cwnd_lines(view.series, width - 2)),
                            (cat.text("wire.ui.plot_rwnd", side=cat.text(f"ui.{receiver}")),
                             window_lines(view.series, width - 2))):
            if rows:
                console.print(title, highlight=False)
                for row in rows:
                    console.print("  " + row, highlight=False, markup=False, soft_wrap=True)
    if view.log and len(view.log) <= 400:
        console.print(Text(cat.text("wire.ui.log"), style="bold"))
        first = view.log[0].read_ns
        for entry in view.log:
            what = entry.action + (f" {entry.delay_ns / 1e6:g} ms" if entry.delay_ns else "")
            packet = f"#{entry.packet}" if entry.packet else "-"
            console.print(f"  {entry.number:>4} {(entry.read_ns - first) / 1e9:9.6f} s "
                          f"{entry.direction} {entry.summary:<18} {what:<18} {packet:>5} "
                          f"{entry.reason}", highlight=False, markup=False, style="dim")
