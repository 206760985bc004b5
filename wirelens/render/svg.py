"""Inline SVG: the ladder (sequence) diagram (the state diagram is in statediagram.py).

Both are strings of SVG built from the explanation model, and every captured string in
them is escaped. A text comes in each language asked for, one ``<text>`` element per
language marked ``data-lang`` (the page's CSS shows one language at a time); an SVG for
one language gets plain text. Shapes carry classes only; the page's stylesheet, or the
small one in a standalone file, gives them colour.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import escape

from wirelens.explain.catalog import Catalog
from wirelens.explain.model import CallView, Explanation, PacketView
from wirelens.explain.text import Message

SIDES = ("client", "server")
FLAG_NAMES = (("S", "SYN"), ("F", "FIN"), ("R", "RST"), ("P", "PSH"), ("U", "URG"),
              ("E", "ECE"), ("W", "CWR"), (".", "ACK"))


def esc(text: object) -> str:
    return str(escape(str(text)))


def texts(message: Message, langs: Sequence[str]) -> dict[str, str]:
    """One message said in each language."""
    return {lang: Catalog(lang)(message) for lang in langs}


def key_texts(key: str, langs: Sequence[str], **params: object) -> dict[str, str]:
    return texts(Message(key, params), langs)


def _text(x: float, y: float, words: Mapping[str, str], cls: str,
          anchor: str = "middle", extra: str = "") -> str:
    """A ``<text>`` per language; with one language, no ``data-lang`` marker."""
    single = len(words) == 1
    out = []
    for lang, word in words.items():
        marker = "" if single else f' data-lang="{lang}"'
        out.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{cls}"'
                   f'{marker}{extra}>{esc(word)}</text>')
    return "".join(out)


def _plain(x: float, y: float, word: str, cls: str, anchor: str = "middle") -> str:
    return _text(x, y, {"": word}, cls, anchor)


# ---------------------------------------------------------------- the ladder


def flag_names(flags: str) -> str:
    """tcpdump's letters in words: ``S.`` -> ``SYN+ACK``, ``P.`` -> ``PSH+ACK``."""
    names = [name for letter, name in FLAG_NAMES if letter in flags]
    return "+".join(names) or "none"


def is_tcp(p: PacketView) -> bool:
    """Whether the packet is a TCP segment that a conversation follows."""
    return p.states_before is not None


def protocol_name(p: PacketView) -> str:
    """The innermost header of a packet that is not TCP: "UDP", "ARP", "IPv6" ..."""
    names = [layer.name for layer in p.layers if layer.name not in ("Frame", "Payload",
                                                                     "Padding")]
    return names[-1] if names else "?"


def arrow_parts(p: PacketView) -> tuple[str, str]:
    """What an arrow says, above it (number and flags in words) and below it (the relative
    numbers that matter: seq when it counts payload, SYN or FIN; ack when ACK is set)."""
    if not is_tcp(p):
        return f"#{p.index} {protocol_name(p)}", f"len {p.payload_len}" if p.payload_len else ""
    numbers = []
    if p.rel_seq is not None and (p.payload_len or "S" in p.flags or "F" in p.flags):
        numbers.append(f"seq {p.rel_seq}")
    if p.rel_ack is not None and "." in p.flags:
        numbers.append(f"ack {p.rel_ack}")
    if p.payload_len:
        numbers.append(f"len {p.payload_len}")
    return f"#{p.index} {flag_names(p.flags)}", " ".join(numbers)


def arrow_text(p: PacketView) -> str:
    return " ".join(part for part in arrow_parts(p) if part)


def phase_of(role: str) -> str:
    """The phase a packet's role belongs to: handshake, data, close, reset, or ""."""
    if role.startswith("handshake"):
        return "handshake"
    if role.startswith("close") or role.endswith("close-1"):
        return "close"
    if role == "reset":
        return "reset"
    return "data" if role in ("data", "ack") else ""


def ladder_packets(exp: Explanation, conversation: int,
                   shown: Sequence[PacketView] | None = None) -> list[PacketView]:
    """The packets one ladder draws, in capture order. A packet of no TCP conversation goes on
    the ladder of the conversation it relates to (the ARP between its two hosts), or else on
    the first one."""
    first = exp.conversations[0].number if exp.conversations else 0

    def belongs(p: PacketView) -> bool:
        if p.conversation:
            return p.conversation == conversation
        return (p.related or first) == conversation

    return [p for p in (exp.packets if shown is None else shown) if belongs(p)]


@dataclass(frozen=True, slots=True)
class _Row:
    top: float
    height: float
    packet: PacketView | None
    calls: tuple[CallView, ...]


WIDTH = 560
CLIENT_X = 132
SERVER_X = 428
HEADER = 60
CALL_ROW = 21
PACKET_ROW = 64
SLOPE = 12


def _call_rows(exp: Explanation, packets: Sequence[PacketView]) -> list[_Row]:
    at_packet: dict[int, list[CallView]] = {}
    unlinked: dict[str, list[CallView]] = {side: [] for side in SIDES}
    for call in exp.socket_calls:
        if call.packets:
            at_packet.setdefault(call.packets[0], []).append(call)
        elif call.side in unlinked:
            unlinked[call.side].append(call)
    rows: list[_Row] = []
    y = float(HEADER)
    for i in range(max((len(v) for v in unlinked.values()), default=0)):
        calls = tuple(unlinked[side][i] for side in SIDES if i < len(unlinked[side]))
        rows.append(_Row(y, CALL_ROW, None, calls))
        y += CALL_ROW
    y += 6
    for p in packets:
        calls = tuple(at_packet.get(p.index, ()))
        height = PACKET_ROW + max(0, _most_per_side(calls) - 2) * 15
        rows.append(_Row(y, height, p, calls))
        y += height
    return rows


def _most_per_side(calls: Iterable[CallView]) -> int:
    counts = {side: 0 for side in SIDES}
    for call in calls:
        counts[call.side] = counts.get(call.side, 0) + 1
    return max(counts.values())


def _calls_svg(calls: Sequence[CallView], y: float) -> str:
    out = []
    for side, x, anchor in (("client", CLIENT_X - 9, "end"), ("server", SERVER_X + 9, "start")):
        for i, call in enumerate(c for c in calls if c.side == side):
            cls = "call returned" if call.relation == "returned-after" else "call"
            out.append(_plain(x, y + i * 15, f"{call.call}()", cls, anchor))
    return "".join(out)


def _arrow_svg(p: PacketView, row: _Row) -> str:
    y0 = row.top + 27
    if p.sender not in SIDES:  # nobody's: a dashed line across, no direction
        return (f'<line class="arrow other" x1="{CLIENT_X}" y1="{y0 + SLOPE / 2:.1f}" '
                f'x2="{SERVER_X}" y2="{y0 + SLOPE / 2:.1f}"/>')
    x1, x2 = (CLIENT_X, SERVER_X) if p.sender == "client" else (SERVER_X, CLIENT_X)
    y1, y2 = y0, y0 + SLOPE
    # the head: a triangle at the receiving lane, along the line
    angle = math.atan2(y2 - y1, x2 - x1)
    back = [(x2 - 14 * math.cos(angle + s * 0.42), y2 - 14 * math.sin(angle + s * 0.42))
            for s in (1, -1)]
    head = " ".join(f"{x:.1f},{y:.1f}" for x, y in [(x2, y2), *back])
    tip = 10 * math.cos(angle)
    return (f'<line class="arrow" x1="{x1}" y1="{y1:.1f}" x2="{x2 - tip:.1f}" '
            f'y2="{y2 - 10 * math.sin(angle):.1f}"/><polygon class="head" points="{head}"/>')


def _dropped_svg(p: PacketView, row: _Row) -> str:
    """The wire dropped it: the line stops half-way, under a cross (capture/wire.py)."""
    y0 = row.top + 27
    x1 = CLIENT_X if p.sender == "client" else SERVER_X
    xm = (CLIENT_X + SERVER_X) / 2
    ym = y0 + SLOPE / 2
    return (f'<line class="arrow dropped" x1="{x1}" y1="{y0:.1f}" x2="{xm:.1f}" y2="{ym:.1f}"/>'
            f'<path class="cross" d="M{xm - 7:.1f},{ym - 7:.1f} L{xm + 7:.1f},{ym + 7:.1f} '
            f'M{xm - 7:.1f},{ym + 7:.1f} L{xm + 7:.1f},{ym - 7:.1f}" stroke="#d22" '
            f'stroke-width="3"/>')


def _brackets(rows: Sequence[_Row], langs: Sequence[str]) -> str:
    """Handshake, data and close phases, each a bracket left of the client's calls."""
    runs: list[tuple[str, float, float]] = []
    for row in rows:
        if row.packet is None:
            continue
        phase = phase_of(row.packet.role)
        if runs and runs[-1][0] == phase:
            runs[-1] = (phase, runs[-1][1], row.top + row.height)
        else:
            runs.append((phase, row.top, row.top + row.height))
    out = []
    for phase, top, bottom in runs:
        if not phase:
            continue
        a, b = top + 8, bottom - 8
        mid = (a + b) / 2
        out.append(f'<g class="phase phase-{phase}"><path d="M30 {a:.1f} H24 V{b:.1f} H30"/>')
        out.append(_text(0, 0, key_texts(f"html.phase.{phase}", langs), "phase-label",
                     extra=f' transform="translate(14 {mid:.1f}) rotate(-90)"'))
        out.append("</g>")
    return "".join(out)


def ladder_svg(exp: Explanation, conversation: int, langs: Sequence[str],
               shown: Sequence[PacketView] | None = None, current: int = 0) -> str:
    """One conversation's ladder as an inline ``<svg>``; ``current`` marks a packet."""
    return _ladder(exp, conversation, langs, shown, current)[0]


def _ladder(exp: Explanation, conversation: int, langs: Sequence[str],
            shown: Sequence[PacketView] | None, current: int) -> tuple[str, float]:
    packets = ladder_packets(exp, conversation, shown)
    conv = next((c for c in exp.conversations if c.number == conversation), None)
    ends = (conv.summary.client, conv.summary.server) if conv else exp.endpoints
    rows = _call_rows(exp, packets)
    height = (rows[-1].top + rows[-1].height + 12) if rows else HEADER + 20
    label = f"{ends[0]} ⇄ {ends[1]}" if conv else "packets"
    out = [f'<svg class="ladder" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} '
           f'{height:.0f}" preserveAspectRatio="xMidYMin meet" role="img" '
           f'aria-label="{esc(label)}" data-conversation="{conversation}">']
    for side, x in zip(SIDES, (CLIENT_X, SERVER_X), strict=True):
        out.append(_text(x, 21, key_texts(f"ui.{side}", langs), f"lane-title lane-{side}"))
        address = ends[SIDES.index(side)]
        if address:
            out.append(_plain(x, 41, address, "lane-address"))
        out.append(f'<line class="lane lane-{side}" x1="{x}" y1="{HEADER - 10}" x2="{x}" '
                   f'y2="{height - 6:.0f}"/>')
    out.append(_brackets(rows, langs))
    for row in rows:
        if row.packet is None:
            out.append(_calls_svg(row.calls, row.top + 15))
            continue
        p = row.packet
        phase = phase_of(p.role)
        classes = ["pkt", f"from-{p.sender or 'none'}"] + ([] if is_tcp(p) else ["other"])
        if phase:
            classes.append(f"phase-{phase}")
        if "R" in p.flags:
            classes.append("rst")
        if p.index == current:
            classes.append("current")
        out.append(f'<g class="{" ".join(classes)}" data-packet="{p.index}" tabindex="0" '
                   f'role="button" aria-label="{esc(arrow_text(p))}">')
        out.append(f'<rect class="hit" x="{CLIENT_X - 4}" y="{row.top + 1:.1f}" '
                   f'width="{SERVER_X - CLIENT_X + 8}" height="{row.height - 2:.1f}" rx="6"/>')
        dropped = exp.wire is not None and p.index in exp.wire.dropped
        out.append(_dropped_svg(p, row) if dropped else _arrow_svg(p, row))
        above, below = arrow_parts(p)
        middle = (CLIENT_X + SERVER_X) / 2
        out.append(_plain(middle, row.top + 20, above, "label"))
        if below:
            out.append(_plain(middle, row.top + 27 + SLOPE + 16, below, "numbers"))
        out.append(_calls_svg(row.calls, row.top + 32))
        out.append("</g>")
    out.append("</svg>")
    return "".join(out), height


# ---------------------------------------------------------------- standalone file

STANDALONE_CSS = """
svg{font-family:system-ui,"Noto Sans","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",
sans-serif;background:#fff}
.lane{stroke:#334155;stroke-width:3}
.lane-title{font-size:18px;font-weight:700;fill:#0f172a}
.lane-address{font:13px ui-monospace,"DejaVu Sans Mono",monospace;fill:#475569}
.arrow{stroke:#0f172a;stroke-width:2}.head{fill:#0f172a}
.other .arrow,.arrow.other{stroke:#94a3b8;stroke-dasharray:4 4}.other .head{fill:#94a3b8}
.rst .arrow{stroke:#b91c1c}.rst .head{fill:#b91c1c}
.label{font-size:15px;fill:#0f172a;font-weight:700}
.numbers{font:13px ui-monospace,"DejaVu Sans Mono",monospace;fill:#334155}
.hit{fill:transparent}.current .hit{fill:#fde68a}
.current .arrow{stroke:#be185d;stroke-width:4}.current .head{fill:#be185d}
.call{font:13px ui-monospace,"DejaVu Sans Mono",monospace;fill:#0f766e}
.call.returned{font-style:italic}
.phase path{fill:none;stroke:#64748b;stroke-width:2}.phase-label{font-size:12px;fill:#475569}
"""


def ladder_document(exp: Explanation, lang: str) -> str:
    """Every conversation's ladder, stacked, as a standalone SVG file in one language."""
    numbers = [c.number for c in exp.conversations] or [0]
    parts = []
    y = 0.0
    for number in numbers:
        svg, height = _ladder(exp, number, (lang,), None, 0)
        parts.append(svg.replace("<svg ", f'<svg x="0" y="{y:.0f}" width="{WIDTH}" '
                                          f'height="{height:.0f}" ', 1))
        y += height + 20
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
            f'width="{WIDTH}" height="{y:.0f}" viewBox="0 0 {WIDTH} {y:.0f}">'
            f"<style>{STANDALONE_CSS}</style>" + "".join(parts) + "</svg>\n")
