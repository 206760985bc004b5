"""The wire's part of the output: the plot, the JSON and the terminal section (the cut arrow
of the ladder: test_ladder.py)."""

from __future__ import annotations

import json

from rich.console import Console

from tests.capture.test_ends import LOSS
from tests.capture.wirebuild import ENDS, run
from tests.render.pages import wire_loss
from wirelens.capture.ends import merge
from wirelens.explain.explainer import explain
from wirelens.explain.tseq import SeqPoint, TimeSeq
from wirelens.render.json import to_dict
from wirelens.render.terminal import render
from wirelens.render.wire import cwnd_lines, plot_lines, plot_svg, window_lines


def test_plot_lines_draw_new_data_retransmissions_and_acks():
    series = TimeSeq("client", (SeqPoint(0.0, 100, "new", 1), SeqPoint(0.5, 100,
                     "retransmission", 2), SeqPoint(1.0, 200, "ack", 3)), (), 1.0, 200)
    lines = plot_lines(series, width=30, height=5)
    text = "\n".join(lines)
    assert text.count("•") == 1 and text.count("R") == 1 and text.count("a") == 1
    assert lines[0].startswith("200 │") and lines[-1].strip().endswith("1.000 s")
    assert all(len(line) <= 30 for line in lines)


def test_the_receive_window_is_drawn_on_the_graphs_time_axis():
    series = TimeSeq("client", (SeqPoint(0.0, 100, "new", 1), SeqPoint(0.5, 100, "ack", 2),
                                SeqPoint(0.5, 64100, "window", 2),
                                SeqPoint(1.0, 200, "ack", 3), SeqPoint(1.0, 128200, "window", 3)),
                     ((0.0, 10), (1.0, 20)), 1.0, 200)
    assert series.receive_window == ((0.5, 64000), (1.0, 128000))
    graph = plot_lines(series, width=40, height=5)
    window = window_lines(series, width=40, height=4)
    cwnd = cwnd_lines(series, width=40, height=4)
    assert window[0].startswith("128000 │") and window[0].rstrip().endswith("w")
    assert "".join(window).count("w") == 2
    # one label width for all three: the same column is the same moment in each
    assert {line.index("│") for line in graph[:-2] + window + cwnd} == {len("128000 ")}
    assert window[0].rindex("w") == graph[0].rindex("a")  # both at t = 1.0 s
    assert window_lines(TimeSeq("client", (), (), 0.0, 0)) == []


def test_plot_svg_is_one_element_with_a_mark_per_segment():
    svg = plot_svg(wire_loss().wire.series)  # type: ignore[union-attr]
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<circle") == 2 and 'fill="#d22"' in svg  # the retransmission in red


def test_json_has_the_wire_section():
    data = to_dict(wire_loss(), "en")
    wire = data["wire"]
    assert wire["rules"] == ["--loss 1"]
    assert [p["action"] for p in wire["packets"]].count("dropped") == 1
    assert wire["effects"][0]["kind"] == "drop-resent"
    assert wire["anomalies"] == [{"packet": 5, "kinds": ["retransmission"],
                                  "cause": wire["anomalies"][0]["cause"],
                                  "meaning": wire["anomalies"][0]["meaning"]}]
    assert wire["time_sequence"]["retransmissions"] == 1
    json.dumps(data)


def test_json_of_a_demo_without_the_wire_has_no_wire_key():
    client, server, log = run(LOSS)
    frames, _, _ = merge(client, server, ENDS, log)
    assert "wire" not in to_dict(explain(frames), "en")


def test_terminal_section_in_both_languages():
    for lang, title in (("en", "The wire"), ("zh", "网线")):
        console = Console(width=100, record=True, color_system=None)
        render(wire_loss(), console, lang)
        text = console.export_text()
        assert title in text and "✗" in text and "#5" in text
