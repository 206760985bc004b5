"""Inline SVG of the TCP state diagram, drawn from the one transition table.

``tcp_state.transition_graph()`` at fixed positions in the layout of RFC 9293's figure 5:
one node per state, one edge per (state, event) entry; the path each endpoint of a
conversation took is read off the packets' states.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wirelens.explain.model import PacketView
from wirelens.explain.tcp_state import TRANSITIONS, Event, State, transition_graph
from wirelens.explain.text import Message
from wirelens.render.svg import SIDES, _plain, _text, esc, key_texts

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
