"""The TCP state diagram drawn from the transition table (render/statediagram.py), and each
endpoint's path through it read off the packets."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

from tests.render.pages import sample
from wirelens.explain.tcp_state import TRANSITIONS, Event, State
from wirelens.explain.text import Message
from wirelens.render import statediagram
from wirelens.render.statediagram import (
    DIAGRAM_H,
    DIAGRAM_W,
    NODE_H,
    NODE_W,
    POSITIONS,
    edge_id,
    endpoint_paths,
    state_changes,
    state_diagram_svg,
)

SVG = "{http://www.w3.org/2000/svg}"


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if cls in g.get("class", "").split()]


def test_the_state_diagram_has_a_node_per_state_and_an_edge_per_transition() -> None:
    root = ET.fromstring(state_diagram_svg(("en",)))
    nodes, edges = groups(root, "node"), groups(root, "edge")
    assert sorted(g.get("data-state", "") for g in nodes) == sorted(s.value for s in State)
    assert sorted(g.get("data-edge", "") for g in edges) == sorted(
        edge_id(before, event) for before, event in TRANSITIONS)
    for g in edges:  # each edge joins the states its table entry joins
        before, event = State(g.get("data-from")), Event(g.get("data-event"))
        assert g.get("data-to") == TRANSITIONS[(before, event)].value


def test_the_state_diagram_highlights_the_path_each_endpoint_took() -> None:
    paths = endpoint_paths(sample().packets, 1)
    assert [f"{b.value}>{e.value}" for b, e in paths["client"].edges] == [
        "CLOSED>snd_syn", "SYN_SENT>rcv_syn_ack", "ESTABLISHED>snd_fin",
        "FIN_WAIT_1>rcv_fin_ack_of_fin"]
    assert paths["server"].start is State.LISTEN and paths["server"].end is State.CLOSED
    root = ET.fromstring(state_diagram_svg(("en",), path=paths["server"].edges,
                                           start=paths["server"].start))
    marked = [g.get("data-edge") for g in groups(root, "path")]
    assert marked == [edge_id(b, e) for b, e in paths["server"].edges]
    start = [g.get("data-state") for g in groups(root, "start")]
    assert start == ["LISTEN"]


def test_fixed_positions_keep_every_state_inside_the_drawing() -> None:
    assert set(POSITIONS) == set(State)
    for x, y in POSITIONS.values():
        assert NODE_W / 2 < x < DIAGRAM_W - NODE_W / 2
        assert NODE_H / 2 < y < DIAGRAM_H - NODE_H / 2
    drawn = state_diagram_svg(("en",))
    assert drawn == state_diagram_svg(("en",))  # deterministic


# ---------------------------------------------------------------- the drawing


def on_box(state: State, x: float, y: float) -> bool:
    """Whether (x, y) lies on the border of ``state``'s node (to the 0.1 the SVG is written in)."""
    cx, cy = POSITIONS[state]
    dx, dy = abs(x - cx), abs(y - cy)
    inside = dx <= NODE_W / 2 + 0.1 and dy <= NODE_H / 2 + 0.1
    return inside and (abs(dx - NODE_W / 2) <= 0.1 or abs(dy - NODE_H / 2) <= 0.1)


def first_point(d: str) -> tuple[float, float]:
    """Where an SVG path starts (its "M x y")."""
    found = re.match(r"M([\d.]+) ([\d.]+)", d)
    assert found is not None, d
    return float(found.group(1)), float(found.group(2))


def test_every_edge_leaves_its_state_and_its_head_touches_the_next() -> None:
    root = ET.fromstring(state_diagram_svg(("en",)))
    for g in groups(root, "edge"):
        line, head = (p.get("d", "") for p in g.iter(f"{SVG}path"))
        # the head's path starts at its tip
        assert on_box(State(g.get("data-from")), *first_point(line)), g.get("data-edge")
        assert on_box(State(g.get("data-to")), *first_point(head)), g.get("data-edge")


def test_the_path_is_drawn_last_so_it_lies_on_top() -> None:
    path = [(State.CLOSED, Event.SND_SYN), (State.SYN_SENT, Event.RCV_SYN_ACK)]
    root = ET.fromstring(state_diagram_svg(("en",), path=path, end=State.ESTABLISHED))
    drawn = [g.get("data-edge") for g in groups(root, "edge")]
    assert set(drawn[-2:]) == {"CLOSED|snd_syn", "SYN_SENT|rcv_syn_ack"}
    assert [g.get("data-state") for g in groups(root, "end")] == ["ESTABLISHED"]
    resets = [g for g in groups(root, "edge") if g.get("data-event", "").endswith("_rst")]
    assert resets and all("rst" in g.get("class", "").split() for g in resets)


def test_two_languages_give_each_label_twice_and_one_gives_plain_text() -> None:
    both = ET.fromstring(state_diagram_svg(("zh", "en")))
    (syn,) = [g for g in groups(both, "edge") if g.get("data-edge") == "CLOSED|snd_syn"]
    labels = [t for t in syn.iter(f"{SVG}text") if t.get("class") == "elabel"]
    assert [t.get("data-lang") for t in labels] == ["zh", "en"]
    english = state_diagram_svg(("en",))
    assert "data-lang" not in english


def test_the_side_is_an_attribute_value_not_markup() -> None:
    drawn = state_diagram_svg(("en",), side='"><script>')
    assert "<script>" not in drawn and 'data-side="&#34;&gt;&lt;script&gt;"' in drawn


# ---------------------------------------------------------------- paths taken


def test_a_packet_that_changes_no_state_changes_nothing() -> None:
    data = sample().packets[3]  # the client's message: both stay ESTABLISHED
    assert state_changes(data) == []


def test_without_the_explainers_words_the_event_is_found_in_the_table() -> None:
    for p in sample().packets:
        assert state_changes(replace(p, transitions=())) == state_changes(p), p.index


def test_the_told_event_wins_where_the_table_allows_two() -> None:
    # SYN_RECEIVED -> ESTABLISHED on receiving either an ACK of the SYN or a SYN-ACK
    third = sample().packets[2]
    told = Message("transition.SYN_RECEIVED.rcv_syn_ack", {"side": Message("ui.server", {})})
    assert state_changes(replace(third, transitions=(told,))) == [
        ("server", State.SYN_RECEIVED, Event.RCV_SYN_ACK, State.ESTABLISHED)]


def test_a_told_event_the_table_contradicts_is_replaced_by_one_that_fits() -> None:
    third = sample().packets[2]
    wrong = Message("transition.SYN_RECEIVED.snd_fin", {"side": Message("ui.server", {})})
    assert state_changes(replace(third, transitions=(wrong,))) == [
        ("server", State.SYN_RECEIVED, Event.RCV_ACK_OF_SYN, State.ESTABLISHED)]


def test_a_conversation_not_in_the_capture_has_empty_paths() -> None:
    paths = endpoint_paths(sample().packets, 7)
    assert paths == {side: statediagram.EndpointPath(side, None, None, ())
                     for side in ("client", "server")}
