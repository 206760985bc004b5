"""The explanation as pcapng comments: one line per packet, and the story for the section.

Wireshark shows a packet's comment in its packet list (``frame.comment``) and can filter
on it, so each explained packet gets one line: its conversation and role, how each end's
TCP state changed, its anomalies in Wireshark's own words, and what the course notes
claim of it with the verdict. The section header's comment tells each conversation's
story (the ladder as text, the notes on the whole conversation), the socket calls and the
warnings, as the terminal shows them. Pure text: ``capture.annotated`` writes the file.
"""

from __future__ import annotations

from collections import defaultdict

from wirelens.explain.catalog import Catalog
from wirelens.explain.model import Explanation, NoteCheck, PacketView
from wirelens.render.ladder import text_lines
from wirelens.render.terminal import NoteMemory

# What Wireshark 4.0 writes in the Info column for each of our anomaly kinds
# (explain/analysis.KIND_NAMES): the words a student sees in Wireshark itself.
WIRESHARK_WORDS = {
    "retransmission": "[TCP Retransmission]",
    "fast-retransmission": "[TCP Fast Retransmission]",
    "spurious-retransmission": "[TCP Spurious Retransmission]",
    "out-of-order": "[TCP Out-Of-Order]",
    "lost-segment": "[TCP Previous segment not captured]",
    "acked-unseen": "[TCP ACKed unseen segment]",
    "duplicate-ack": "[TCP Dup ACK]",
    "zero-window": "[TCP ZeroWindow]",
    "zero-window-probe": "[TCP ZeroWindowProbe]",
    "zero-window-probe-ack": "[TCP ZeroWindowProbeAck]",
    "window-full": "[TCP Window Full]",
    "window-update": "[TCP Window Update]",
    "keep-alive": "[TCP Keep-Alive]",
    "keep-alive-ack": "[TCP Keep-Alive ACK]",
    "reset": "Connection reset (RST)",  # Wireshark's expert note on a RST
}
SEPARATOR = "; "
STORY_WIDTH = 100  # columns of the ladder drawn in the section comment


def _one_line(text: str) -> str:
    return " ".join(text.split())


def note_text(note: NoteCheck, cat: Catalog) -> str:
    return cat.text("comment.note", ref=str(note.ref), claim=cat(note.claim),
                    verdict=cat.text(f"verdict.{note.verdict.value}"))


def _anomalies(exp: Explanation) -> dict[int, list[tuple[str, bool]]]:
    """Packet number -> (Wireshark's words, a capture artefact?) for each anomaly on it."""
    out: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    for conv in exp.conversations:
        copies = set(conv.summary.artefacts)
        for kind, packet in conv.anomalies:
            artefact = packet in copies and kind != "reset"
            out[packet].append((WIRESHARK_WORDS.get(kind, kind), artefact))
    return out


def packet_comment(p: PacketView, anomalies: list[tuple[str, bool]], cat: Catalog,
                   memory: NoteMemory | None = None) -> str:
    """One line: role, state changes, anomalies in Wireshark's words, the notes' verdicts
    (with ``memory``, a note already told on an earlier packet is left out)."""
    role = cat(p.role_text)
    parts = [cat.text("comment.conversation", number=p.conversation, role=role)
             if p.conversation else role]
    if p.states_before is not None and p.states_after is not None:
        for i, side in enumerate(("client", "server")):
            before, after = p.states_before[i], p.states_after[i]
            if before != after:
                parts.append(cat.text("comment.side_state", side=cat.text(f"ui.{side}"),
                                      before=before.value, after=after.value))
    for label, artefact in anomalies:
        parts.append(cat.text("comment.artefact", label=label) if artefact else label)
    parts += [note_text(note, cat) for note in p.notes
              if memory is None or memory.seen(note, p.index) is None]
    return _one_line(SEPARATOR.join(parts))


def packet_comments(exp: Explanation, lang: str) -> dict[int, str]:
    """Frame number -> its comment, for every packet of the explanation. A note of the
    course notes is told on the first packet it concerns (as the terminal does), so the
    Ethernet header's note is not on every frame."""
    cat = Catalog(lang)
    flagged = _anomalies(exp)
    memory = NoteMemory()
    return {p.index: packet_comment(p, flagged.get(p.index, []), cat, memory)
            for p in exp.packets}


def story_comment(exp: Explanation, lang: str) -> str:
    """The section's comment: each conversation's story, the socket calls, the warnings."""
    cat = Catalog(lang)
    lines = [cat.text("comment.story_title", lang=lang)]
    for conv in exp.conversations:
        s = conv.summary
        lines.append("")
        lines.append(cat.text(
            "ui.conversation_line", number=s.number, client=s.client, server=s.server,
            handshake=cat.text("conv.handshake." + s.handshake),
            close=cat.text("conv.close." + s.close), packets=len(s.packets),
            bytes_c2s=s.bytes_c2s, bytes_s2c=s.bytes_s2c))
        if s.client_guessed:
            lines.append(cat.text("ui.guessed"))
        lines += [line.rstrip() for line in text_lines(exp, s.number, STORY_WIDTH, cat)]
        lines += ["  " + note_text(note, cat) for note in conv.notes]
    if exp.socket_calls:
        lines += ["", cat.text("comment.calls_title")]
        lines += [f"  {cat.text('ui.' + c.side)}: {cat(c.text)}" for c in exp.socket_calls]
    if exp.warnings:
        lines += ["", cat.text("comment.warnings_title")]
        lines += ["  ! " + cat(w) for w in exp.warnings]
    return "\n".join(lines)
