"""The wire's part of the explanation: in the terminal, as JSON, and its plot as SVG.

``render_wire`` prints the rules, cause and effect, Wireshark's flags with their cause,
the handshake RTT, the kernel's counts against the capture's, the notes' verdicts and the
wire's log; ``plot_lines`` draws a time-sequence graph with characters (with the
congestion and receive windows below it on the same time axis: ``cwnd_lines``,
``window_lines``), ``plot_svg`` the same graph as an inline SVG for the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from wirelens.explain.catalog import Catalog
from wirelens.explain.text import Message
from wirelens.explain.tseq import TimeSeq
from wirelens.explain.wirestory import Anomaly, WireView
from wirelens.render.notecheck import note_dict

PLOT_MARKS = {"new": "•", "retransmission": "R", "ack": "a"}  # drawn in this order


def grouped(anomalies: Sequence[Anomaly]) -> list[tuple[str, Anomaly]]:
    """Runs of anomalies with the same names and cause, as one line each: ("#49–#67 (12×)",
    the first of them); a bulk transfer's duplicate ACKs would otherwise fill the screen."""
    out: list[tuple[str, Anomaly]] = []
    run: list[Anomaly] = []

    def flush() -> None:
        if run:
            label = f"#{run[0].packet}" if len(run) == 1 else \
                f"#{run[0].packet}–#{run[-1].packet} ({len(run)}×)"
            out.append((label, run[0]))

    for a in anomalies:
        if run and (a.names, a.cause) != (run[0].names, run[0].cause):
            flush()
            run = []
        run.append(a)
    flush()
    return out


def seen_text(view: WireView, packet: int, cat: Catalog) -> str:
    p = view.passage(packet)
    if p is None or not p.seen_at:
        return ""
    if len(p.seen_at) == 2:
        return cat.text("wire.ui.both_ends")
    return cat.text("wire.ui.only", side=cat.text(f"ui.{p.seen_at[0]}"))


def label_width(series: TimeSeq) -> int:
    """One width for the value labels of the graph and the windows below it, so all three
    share the same time axis, column for column."""
    tops = [series.top, *(c for _, c in series.cwnd), *(w for _, w in series.receive_window)]
    return max(len(str(t)) for t in tops)


def plot_lines(series: TimeSeq, width: int = 72, height: int = 16,
               cat: Catalog | None = None) -> list[str]:
    """The time-sequence graph as text: sequence number up, time to the right."""
    points = [p for p in series.points if p.kind in PLOT_MARKS]
    if not points:
        return [cat.text("wire.ui.plot_empty") if cat else "(no data)"]
    label = label_width(series)
    cols = max(width - label - 2, 10)
    span = series.duration or 1.0
    top = series.top or 1
    grid = [[" "] * cols for _ in range(height)]
    for kind in PLOT_MARKS:  # retransmissions drawn over new data, ACKs last
        for p in points:
            if p.kind != kind:
                continue
            x = min(int(p.time / span * (cols - 1)), cols - 1)
            y = min(int(p.seq / top * (height - 1)), height - 1)
            cell = grid[height - 1 - y][x]
            if cell == "R" and kind == "ack":
                continue
            grid[height - 1 - y][x] = PLOT_MARKS[kind]
    lines = []
    for row, cells in enumerate(grid):
        value = round(top * (height - 1 - row) / (height - 1))
        tick = str(value) if row in (0, height - 1) or row == height // 2 else ""
        lines.append(f"{tick:>{label}} │" + "".join(cells).rstrip())
    axis = cat.text("wire.ui.plot_axis", seconds=f"{span:.3f}") if cat else f"{span:.3f} s"
    lines.append(" " * label + " └" + "─" * cols)
    lines.append(" " * label + "  0" + axis.rjust(cols - 1))
    return lines


def _over_time(values: Sequence[tuple[float, int]], series: TimeSeq, width: int, height: int,
               mark: str) -> list[str]:
    """A small plot of one quantity on the graph's time axis (the congestion window, the
    receive window): ``mark`` where it was at each moment, the highest value at the top."""
    if not values:
        return []
    label = label_width(series)
    cols = max(width - label - 2, 10)
    span = series.duration or 1.0
    top = max(v for _, v in values) or 1
    grid = [[" "] * cols for _ in range(height)]
    for t, v in values:
        x = min(int(t / span * (cols - 1)), cols - 1)
        y = min(int(v / top * (height - 1)), height - 1)
        grid[height - 1 - y][x] = mark
    out = []
    for row, cells in enumerate(grid):
        value = round(top * (height - 1 - row) / (height - 1))
        tick = str(value) if row in (0, height - 1) else ""
        out.append(f"{tick:>{label}} │" + "".join(cells).rstrip())
    return out


def cwnd_lines(series: TimeSeq, width: int = 72, height: int = 6) -> list[str]:
    """The sender's congestion window (segments, from TCP_INFO samples) over time."""
    return _over_time(series.cwnd, series, width, height, "c")


def window_lines(series: TimeSeq, width: int = 72, height: int = 6) -> list[str]:
    """The receiver's advertised window (bytes, from its ACKs) over time."""
    return _over_time(series.receive_window, series, width, height, "w")


def plot_svg(series: TimeSeq, width: int = 640, height: int = 320) -> str:
    """The same graph as an SVG element (inline in the page; no script, no external file)."""
    pad = 40
    span = series.duration or 1.0
    top = series.top or 1
    w, h = width - 2 * pad, height - 2 * pad

    def xy(t: float, seq: int) -> tuple[float, float]:
        return pad + t / span * w, pad + h - min(seq / top, 1.05) * h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="wl-tseq" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img">',
             f'<rect x="{pad}" y="{pad}" width="{w}" height="{h}" fill="none" stroke="#999"/>',
             f'<text x="{pad}" y="{pad - 8}" font-size="11">{top}</text>',
             f'<text x="{pad + w}" y="{pad + h + 16}" font-size="11" text-anchor="end">'
             f'{span:.3f} s</text>']
    window = [xy(p.time, p.seq) for p in series.points if p.kind == "window"]
    if window:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in window)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#2a8" stroke-width="1" '
                     f'opacity="0.6"><title>receive window</title></polyline>')
    acks = [xy(p.time, p.seq) for p in series.points if p.kind == "ack"]
    if acks:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in acks)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#888" stroke-width="1">'
                     f'<title>ACK</title></polyline>')
    for p in series.points:
        if p.kind not in ("new", "retransmission"):
            continue
        x, y = xy(p.time, p.seq)
        color, r = ("#d22", 3.5) if p.kind == "retransmission" else ("#246", 1.8)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{color}">'
                     f'<title>#{p.packet} {escape(p.kind)} seq {p.seq}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def wire_dict(view: WireView, cat: Catalog) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rules": list(view.rules),
        "summary": cat(view.summary),
        "extra": [cat(m) for m in view.extra],
        "packets": [
            {"packet": p.index, "direction": p.direction, "seen_at": list(p.seen_at),
             "sent_ns": p.sent_ns, "arrived_ns": p.arrived_ns, "wire_frame": p.wire_frame,
             "action": p.action, "reason": p.reason, "delay_ns": p.delay_ns, "copy": p.copy,
             "original": p.original}
            for p in view.passages
        ],
        "log": [
            {"number": line.number, "direction": line.direction, "summary": line.summary,
             "read_ns": line.read_ns, "action": line.action, "reason": line.reason,
             "delay_ns": line.delay_ns, "written_ns": list(line.written_ns),
             "packet": line.packet}
            for line in view.log
        ],
        "effects": [{"kind": e.kind, "packets": list(e.packets), "text": cat(e.text)}
                    for e in view.effects],
        "anomalies": [{"packet": a.packet, "kinds": list(a.names), "cause": cat(a.cause),
                       "meaning": [cat(m) for m in a.meaning]} for a in view.anomalies],
        "kernel": [
            {"side": k.side, "flagged": k.flagged, "resent": k.resent,
             "wire_copies": k.wire_copies,
             "after_read": k.after_read, "agrees": k.agrees, "text": cat(k.text),
             "tcp_info": None if k.kernel is None else {
                 "total_retrans": k.kernel.total_retrans, "rtt_us": k.kernel.rtt_us,
                 "min_rtt_us": k.kernel.min_rtt_us, "rto_us": k.kernel.rto_us,
                 "snd_cwnd": k.kernel.snd_cwnd, "snd_ssthresh": k.kernel.snd_ssthresh,
                 "dsack_dups": k.kernel.dsack_dups, "reord_seen": k.kernel.reord_seen,
                 "rcv_ooopack": k.kernel.rcv_ooopack, "state": k.kernel.state,
                 "read_ns": k.kernel.ts_ns}}
            for k in view.kernel
        ],
        "rtt": None if view.rtt is None else {
            "measured_ns": view.rtt.measured_ns, "configured_ns": view.rtt.configured_ns,
            "syn": view.rtt.syn, "syn_ack": view.rtt.syn_ack, "text": cat(view.rtt.text)},
        "notes": [note_dict(n, cat) for n in view.notes],
    }
    if view.series is not None:
        s = view.series
        out["time_sequence"] = {
            "sender": s.sender, "duration": s.duration, "top": s.top,
            "retransmissions": s.retransmissions,
            "points": [{"time": round(p.time, 9), "seq": p.seq, "kind": p.kind,
                        "packet": p.packet} for p in s.points],
            "cwnd": [{"time": round(t, 9), "segments": c} for t, c in s.cwnd],
        }
    return out


def wire_html(view: WireView, langs: Sequence[str]) -> str:
    """The wire's section of the page: every text in each language (``data-lang`` spans, as
    the page switches them), and the time-sequence graph as an inline SVG."""
    cats = [Catalog(lang) for lang in langs]

    def both(message: Message) -> str:
        return "".join(f'<span data-lang="{cat.lang}">{escape(cat(message))}</span>'
                       for cat in cats)

    def key(name: str) -> str:
        return both(Message(name))

    parts = ['<section class="wire">', f"<h3>{key('wire.ui.title')}</h3>",
             f"<p>{both(view.summary)}</p>"]
    parts += [f"<p>{both(m)}</p>" for m in view.extra]
    if view.rtt is not None:
        parts.append(f"<p>{both(view.rtt.text)}</p>")
    if view.effects:
        parts.append(f"<h4>{key('wire.ui.effects')}</h4><ul>")
        parts += [f"<li>{both(e.text)}</li>" for e in view.effects]
        parts.append("</ul>")
    if view.anomalies:
        parts.append(f"<h4>{key('wire.ui.anomalies')}</h4><ul>")
        parts += [f"<li>{escape(label)} {escape(', '.join(a.names))}: {both(a.cause)}</li>"
                  for label, a in grouped(view.anomalies)]
        parts.append("</ul>")
    if view.kernel:
        parts.append(f"<h4>{key('wire.ui.kernel')}</h4><ul>")
        parts += [f'<li class="{"agrees" if k.agrees else "differs"}">{both(k.text)}</li>'
                  for k in view.kernel]
        parts.append("</ul>")
    for note in view.notes:
        parts.append(f"<p>{escape(str(note.ref))}: {both(note.claim)} — {both(note.observed)}"
                     f" — {both(note.reason)}</p>")
    if view.series is not None:
        parts.append(f"<h4>{key('wire.ui.plot')}</h4>")
        parts.append(plot_svg(view.series))
    parts.append("</section>")
    return "".join(parts)
