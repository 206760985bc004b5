"""The explanation as a Markdown report, with the ladder as a Mermaid sequence diagram.

For pasting into course notes, an issue or a wiki that renders Mermaid (GitHub does). One
language per report. Captured strings are escaped for Markdown (and for HTML, which
Markdown lets through), and for Mermaid inside the diagram.
"""

from __future__ import annotations

import re

from wirelens.explain.catalog import Catalog
from wirelens.explain.model import CallView, Explanation, NoteCheck, PacketView
from wirelens.render.svg import arrow_text, ladder_packets

VERDICT_MARK = {"agrees": "✓", "nuance": "~", "differs": "✗"}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: object) -> str:
    """Plain text for Markdown: special characters escaped, HTML made harmless, one line."""
    out = _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return out.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mermaid(text: object) -> str:
    """Text for a Mermaid message or note: one line, its special characters as entity codes."""
    out = " ".join(str(text).split())
    return "".join(f"#{ord(c)};" if c in '#;<>&"`{}' else c for c in out)


def _calls(calls: list[CallView]) -> str:
    return " ".join(f"{c.call}()" for c in calls)


def sequence_diagram(exp: Explanation, conversation: int, cat: Catalog) -> list[str]:
    """One conversation as a Mermaid ``sequenceDiagram`` (lines, without the fence)."""
    conv = next((c for c in exp.conversations if c.number == conversation), None)
    client, server = (conv.summary.client, conv.summary.server) if conv else exp.endpoints
    lines = ["sequenceDiagram",
             f"    participant C as {mermaid(cat.text('ui.client') + ' ' + client)}",
             f"    participant S as {mermaid(cat.text('ui.server') + ' ' + server)}"]
    at_packet: dict[int, list[CallView]] = {}
    for side in ("client", "server"):
        early = [c for c in exp.socket_calls if c.side == side and not c.packets]
        if early:
            where = "left of C" if side == "client" else "right of S"
            lines.append(f"    Note {where}: {mermaid(_calls(early))}")
    for call in exp.socket_calls:
        if call.packets:
            at_packet.setdefault(call.packets[0], []).append(call)
    for p in ladder_packets(exp, conversation):
        text = mermaid(arrow_text(p))
        if p.sender == "client":
            lines.append(f"    C->>S: {text}")
        elif p.sender == "server":
            lines.append(f"    S->>C: {text}")
        else:
            lines.append(f"    Note over C,S: {text}")
        for side, who, where in (("client", "C", "left of"), ("server", "S", "right of")):
            calls = [c for c in at_packet.get(p.index, []) if c.side == side]
            if calls:
                lines.append(f"    Note {where} {who}: {mermaid(_calls(calls))}")
    return lines


def _note_lines(note: NoteCheck, cat: Catalog) -> list[str]:
    verdict = note.verdict.value
    return [
        f"- {VERDICT_MARK[verdict]} **{md(cat.text('verdict.' + verdict))}**: "
        f"{md(cat(note.claim))} ({md(note.ref)})",
        f"  - {md(cat.text('ui.observed'))}: {md(cat(note.observed))}",
        f"  - {md(cat(note.reason))}",
    ]


def _states(p: PacketView) -> str:
    if p.states_after is None:
        return ""
    return f"{p.states_after[0].value} / {p.states_after[1].value}"


def render_markdown(exp: Explanation, lang: str) -> str:
    cat = Catalog(lang)
    source = cat(exp.source_text) if exp.source_text is not None else exp.source
    out = [f"# {md(cat.text('html.report_title'))}", "", md(source), ""]
    for conv in exp.conversations:
        s = conv.summary
        out.append("## " + md(cat.text(
            "ui.conversation_line", number=s.number, client=s.client, server=s.server,
            handshake=cat.text("conv.handshake." + s.handshake),
            close=cat.text("conv.close." + s.close), packets=len(s.packets),
            bytes_c2s=s.bytes_c2s, bytes_s2c=s.bytes_s2c)))
        out += ["", f"### {md(cat.text('html.sequence'))}", "", "```mermaid",
                *sequence_diagram(exp, s.number, cat), "```", ""]
    if not exp.conversations and exp.packets:
        out += ["```mermaid", *sequence_diagram(exp, 0, cat), "```", ""]
    headers = [cat.text(f"html.{k}") for k in ("number", "time", "sender", "flags", "role",
                                               "states_after")]
    out += [f"## {md(cat.text('html.packet_table'))}", "",
            "| " + " | ".join(md(h) for h in headers) + " |",
            "|" + "---|" * len(headers)]
    for p in exp.packets:
        sender = cat.text(f"ui.{p.sender}") if p.sender else ""
        out.append(f"| {p.index} | {p.time:.6f} | {md(sender)} | {md(p.flags)} | "
                   f"{md(cat(p.role_text))} | {md(_states(p))} |")
    out.append("")
    seen: set[str] = set()
    notes: list[str] = []
    all_notes = [n for p in exp.packets for n in p.notes]
    all_notes += [n for c in exp.conversations for n in c.notes]
    all_notes += [c.note for c in exp.socket_calls if c.note is not None]
    for note in all_notes:
        key = f"{note.topic}|{note.verdict.value}|{cat(note.observed)}"
        if key not in seen:
            seen.add(key)
            notes += _note_lines(note, cat)
    if notes:
        out += [f"## {md(cat.text('ui.notes'))}", "", *notes, ""]
    if exp.socket_calls:
        out += [f"## {md(cat.text('ui.calls'))}", ""]
        out += [f"- {md(cat.text('ui.' + c.side))}: {md(cat(c.text))}" for c in exp.socket_calls]
        out.append("")
    if exp.warnings:
        out += [f"## {md(cat.text('ui.warnings'))}", ""]
        out += [f"- {md(cat(w))}" for w in exp.warnings]
        out.append("")
    return "\n".join(out)
