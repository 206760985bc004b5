"""Inline SVG: the ladder (sequence) diagram and the TCP state diagram.

Both are strings of SVG built from the explanation model, and every captured string in
them is escaped. A text comes in each language asked for, one ``<text>`` element per
language marked ``data-lang`` (the page's CSS shows one language at a time); an SVG for
one language gets plain text. Shapes carry classes only; the page's stylesheet, or the
small one in a standalone file, gives them colour.

The state diagram is drawn from ``tcp_state.transition_graph()``, the graph of the one
transition table, at fixed positions in the layout of RFC 9293's figure 5: one node per
state, one edge per (state, event) entry.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import escape

from wirelens.explain.catalog import Catalog
from wirelens.explain.model import CallView, Explanation, PacketView
from wirelens.explain.tcp_state import TRANSITIONS, Event, State, transition_graph
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


# ---------------------------------------------------------------- the state diagram

NODE_W, NODE_H = 196, 44
DIAGRAM_W, DIAGRAM_H = 1000, 730
S = State
# Fixed positions (node centres), as RFC 9293 figure 5 lays the states out.
POSITIONS: dict[State, tuple[float, float]] = {
    S.CLOSED: (500, 44),
    S.LISTEN: (500, 150),
    S.SYN_RECEIVED: (170, 258),
    S.SYN_SENT: (830, 258),
    S.ESTABLISHED: (500, 366),
    S.FIN_WAIT_1: (170, 476),
    S.CLOSE_WAIT: (830, 476),
    S.CLOSING: (500, 540),
    S.FIN_WAIT_2: (170, 604),
    S.LAST_ACK: (830, 604),
    S.TIME_WAIT: (500, 664),
}
# Edges back to CLOSED from far below run along a "bus" at the left or right margin.
LEFT_BUS, RIGHT_BUS = 22.0, 978.0
BUS: dict[State, float] = {
    S.SYN_RECEIVED: LEFT_BUS, S.ESTABLISHED: LEFT_BUS, S.FIN_WAIT_1: LEFT_BUS,
    S.FIN_WAIT_2: LEFT_BUS, S.TIME_WAIT: LEFT_BUS, S.CLOSE_WAIT: RIGHT_BUS,
    S.CLOSING: RIGHT_BUS, S.LAST_ACK: RIGHT_BUS,
}
# Which side of its node a state's self-loops sit on.
LOOP_SIDE: dict[State, str] = {
    S.LISTEN: "right", S.SYN_SENT: "top", S.SYN_RECEIVED: "top", S.ESTABLISHED: "bottom",
    S.FIN_WAIT_1: "top", S.FIN_WAIT_2: "bottom", S.CLOSE_WAIT: "top", S.LAST_ACK: "bottom",
    S.CLOSING: "top", S.TIME_WAIT: "bottom", S.CLOSED: "right",
}

Point = tuple[float, float]


def edge_id(before: State, event: Event) -> str:
    return f"{before.value}|{event.value}"


def _clip(centre: Point, toward: Point) -> Point:
    """Where the line from a node's centre toward a point leaves the node's box."""
    (cx, cy), (tx, ty) = centre, toward
    dx, dy = tx - cx, ty - cy
    if dx == 0 and dy == 0:
        return centre
    scale = min(NODE_W / 2 / abs(dx) if dx else math.inf, NODE_H / 2 / abs(dy) if dy else math.inf)
    return cx + dx * scale, cy + dy * scale


def _head(tip: Point, from_: Point) -> str:
    angle = math.atan2(tip[1] - from_[1], tip[0] - from_[0])
    pts = [tip] + [(tip[0] - 13 * math.cos(angle + s * 0.4),
                    tip[1] - 13 * math.sin(angle + s * 0.4)) for s in (1, -1)]
    return "M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in pts) + " Z"


@dataclass(frozen=True, slots=True)
class _Geometry:
    path: str
    head: str
    label: Point
    anchor: str = "middle"


def _loop(state: State) -> _Geometry:
    cx, cy = POSITIONS[state]
    side = LOOP_SIDE[state]
    hw, hh = NODE_W / 2, NODE_H / 2
    if side in ("top", "bottom"):
        sign = -1 if side == "top" else 1
        y = cy + sign * hh
        a, b = (cx - 26, y), (cx + 26, y)
        c1, c2 = (cx - 46, y + sign * 50), (cx + 46, y + sign * 50)
        label: Point = (cx + 56, y + sign * 36)
        anchor = "start"
    else:
        x = cx + hw
        a, b = (x, cy - 12), (x, cy + 12)
        c1, c2 = (x + 56, cy - 40), (x + 56, cy + 40)
        label, anchor = (x + 50, cy + 5), "start"
    path = (f"M{a[0]:.1f} {a[1]:.1f} C{c1[0]:.1f} {c1[1]:.1f} {c2[0]:.1f} {c2[1]:.1f} "
            f"{b[0]:.1f} {b[1]:.1f}")
    return _Geometry(path, _head(b, c2), label, anchor)


def _bus(before: State) -> _Geometry:
    cx, cy = POSITIONS[before]
    bus = BUS[before]
    tx, ty = POSITIONS[S.CLOSED]
    sign = -1 if bus < cx else 1
    start_x = cx + sign * NODE_W / 2
    end_x = tx + sign * NODE_W / 2
    r = 14
    path = (f"M{start_x:.1f} {cy:.1f} H{bus - sign * r:.1f} Q{bus:.1f} {cy:.1f} {bus:.1f} "
            f"{cy - r:.1f} V{ty + r:.1f} Q{bus:.1f} {ty:.1f} {bus - sign * r:.1f} {ty:.1f} "
            f"H{end_x:.1f}")
    label: Point = ((bus + end_x) / 2, ty - 9)
    return _Geometry(path, _head((end_x, ty), (end_x + sign * 10, ty)), label)


# Where along a straight edge its label goes, and on which side, where the middle is taken.
LABEL_AT: dict[tuple[State, State], tuple[float, int]] = {
    (S.FIN_WAIT_1, S.TIME_WAIT): (0.72, 1),
    (S.CLOSE_WAIT, S.LAST_ACK): (0.3, 1),
}


def _direct(before: State, after: State, bend: float) -> _Geometry:
    a, b = POSITIONS[before], POSITIONS[after]
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy)
    # the control point, pushed to the right of the direction of travel
    control = (mx - dy / length * bend, my + dx / length * bend)
    start, end = _clip(a, control), _clip(b, control)
    path = (f"M{start[0]:.1f} {start[1]:.1f} Q{control[0]:.1f} {control[1]:.1f} "
            f"{end[0]:.1f} {end[1]:.1f}")
    # The label sits beside the curve's midpoint: on the side it bends to, or for a straight
    # edge on the side away from the diagram's middle, where fewer lines run.
    at, side = LABEL_AT.get((before, after), (0.5, 0))
    mid = ((1 - at) ** 2 * start[0] + 2 * at * (1 - at) * control[0] + at**2 * end[0],
           (1 - at) ** 2 * start[1] + 2 * at * (1 - at) * control[1] + at**2 * end[1])
    nx, ny = -dy / length, dx / length
    away = side or (mid[0] - DIAGRAM_W / 2) or 1.0
    if bend < 0 or (bend == 0 and nx * away < 0):
        nx, ny = -nx, -ny
    label = (mid[0] + nx * 10, mid[1] + ny * 10 + (12 if ny > 0.3 else 0 if ny < -0.3 else 5))
    anchor = "start" if nx > 0.3 else "end" if nx < -0.3 else "middle"
    return _Geometry(path, _head(end, control), label, anchor)


def _geometry(before: State, after: State, pairs: set[tuple[State, State]]) -> _Geometry:
    if before == after:
        return _loop(before)
    if after == S.CLOSED and before in BUS:
        return _bus(before)
    bend = 34.0 if (after, before) in pairs else 0.0
    return _direct(before, after, bend)


def state_diagram_svg(
    langs: Sequence[str],
    *,
    path: Iterable[tuple[State, Event]] = (),
    start: State | None = None,
    end: State | None = None,
    side: str = "",
) -> str:
    """The TCP state diagram, with the (state, event) entries of ``path`` highlighted."""
    graph = transition_graph()
    highlighted = {edge_id(b, e) for b, e in path}
    pairs = {(State(a), State(b)) for a, b, _ in graph.edges(keys=True)}
    edges = []
    for a, b, key in graph.edges(keys=True):
        before, after, event = State(a), State(b), Event(key)
        edges.append((edge_id(before, event) in highlighted, event.value.endswith("_rst"),
                      before, event, after))
    # faint reset edges first, the path last, so the path is drawn on top
    edges.sort(key=lambda e: (e[0], not e[1]))
    out = [f'<svg class="states" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {DIAGRAM_W} '
           f'{DIAGRAM_H}" role="img" data-side="{esc(side)}" aria-label="'
           f'{esc(" / ".join(key_texts("html.state_diagram", langs).values()))}">']
    out.append('<g class="edges">')
    for on_path, is_rst, before, event, after in edges:
        geo = _geometry(before, after, pairs)
        classes = ["edge"] + (["rst"] if is_rst else []) + (["path"] if on_path else [])
        title = " / ".join(key_texts(f"html.event.{event.value}", langs).values())
        out.append(f'<g class="{" ".join(classes)}" data-edge="{edge_id(before, event)}" '
                   f'data-from="{before.value}" data-to="{after.value}" '
                   f'data-event="{event.value}"><title>{esc(before.value)} → '
                   f'{esc(after.value)}: {esc(title)}</title>'
                   f'<path class="line" d="{geo.path}"/><path class="head" d="{geo.head}"/>')
        out.append(_text(geo.label[0], geo.label[1], key_texts(f"html.event.{event.value}",
                                                               langs),
                         "elabel", geo.anchor))
        out.append("</g>")
    out.append('</g><g class="nodes">')
    for state in State:
        x, y = POSITIONS[state]
        classes = ["node"] + (["start"] if state == start else []) + (
            ["end"] if state == end else [])
        description = " / ".join(key_texts(f"state.{state.value}", langs).values())
        out.append(f'<g class="{" ".join(classes)}" data-state="{state.value}">'
                   f"<title>{esc(state.value)}: {esc(description)}</title>"
                   f'<rect x="{x - NODE_W / 2:.1f}" y="{y - NODE_H / 2:.1f}" width="{NODE_W}" '
                   f'height="{NODE_H}" rx="{NODE_H / 2:.0f}"/>')
        out.append(_plain(x, y + 7, state.value, "name"))
        out.append("</g>")
    out.append("</g></svg>")
    return "".join(out)


# ---------------------------------------------------------------- paths taken


def _guess_event(before: State, after: State, sent: bool) -> Event | None:
    """The table entry from ``before`` to ``after`` that fits a segment sent or received."""
    prefix = "snd_" if sent else "rcv_"
    candidates = [e for (b, e), a in TRANSITIONS.items() if b == before and a == after]
    fitting = [e for e in candidates if e.value.startswith(prefix)] or candidates
    return fitting[0] if fitting else None


def state_changes(p: PacketView) -> list[tuple[str, State, Event, State]]:
    """(side, before, event, after) for each endpoint whose state this packet changed.

    The event is read back from the transition texts the explainer wrote
    (``transition.<event>`` or ``transition.<STATE>.<event>``), and checked against the table.
    """
    if p.states_before is None or p.states_after is None:
        return []
    told: dict[str, Event] = {}
    for message in p.transitions:
        if not message.key.startswith("transition."):
            continue
        side = message.params.get("side")
        name = side.key.removeprefix("ui.") if isinstance(side, Message) else str(side)
        try:
            told[name] = Event(message.key.rsplit(".", 1)[1])
        except ValueError:
            continue
    out = []
    for i, side in enumerate(SIDES):
        before, after = p.states_before[i], p.states_after[i]
        if before == after:
            continue
        event: Event | None = told.get(side)
        if event is None or TRANSITIONS.get((before, event)) != after:
            event = _guess_event(before, after, sent=p.sender == side)
        if event is not None:
            out.append((side, before, event, after))
    return out


@dataclass(frozen=True, slots=True)
class EndpointPath:
    side: str
    start: State | None
    end: State | None
    edges: tuple[tuple[State, Event], ...]


def endpoint_paths(packets: Sequence[PacketView], conversation: int) -> dict[str, EndpointPath]:
    """Each endpoint's way through the state diagram in one conversation."""
    mine = [p for p in packets if p.conversation == conversation and p.states_before]
    out = {}
    for i, side in enumerate(SIDES):
        edges = tuple((b, e) for p in mine for s, b, e, _ in state_changes(p) if s == side)
        start = mine[0].states_before[i] if mine and mine[0].states_before else None
        end = mine[-1].states_after[i] if mine and mine[-1].states_after else None
        out[side] = EndpointPath(side, start, end, edges)
    return out


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
