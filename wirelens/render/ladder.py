"""The ladder (sequence) diagram as plain lines: client lane left, server lane right.

Shared by the terminal renderer (and the step mode): one row per packet with an arrow in
its direction, the flags and relative numbers on it, and the socket calls that caused the
packet, or returned because of it, written beside the lane of their side.
"""

from __future__ import annotations

from dataclasses import dataclass

from wirelens.explain.catalog import Catalog
from wirelens.explain.model import CallView, Explanation, PacketView

CALL_COLUMN = 12  # characters reserved on each side for socket calls


@dataclass(frozen=True, slots=True)
class Row:
    left: str  # client-side socket calls
    arrow: str  # the arrow between the lanes, already drawn to width
    right: str  # server-side socket calls
    packet: int  # 0 for a row that is not a packet
    sender: str


def arrow_label(p: PacketView) -> str:
    parts = [f"#{p.index} [{p.flags}]"]
    if p.rel_seq is not None and (p.payload_len or "S" in p.flags or "F" in p.flags):
        parts.append(f"seq {p.rel_seq}")
    if p.rel_ack is not None and "." in p.flags:
        parts.append(f"ack {p.rel_ack}")
    if p.payload_len:
        parts.append(f"len {p.payload_len}")
    return " ".join(parts)


def draw_arrow(label: str, width: int, to_right: bool) -> str:
    label = f" {label} "
    if len(label) > width - 4:
        label = label[: max(width - 5, 0)] + "…"
    shaft = width - len(label) - 1
    left_part = shaft // 2
    right_part = shaft - left_part
    if to_right:
        return "─" * left_part + label + "─" * right_part + "▶"
    return "◀" + "─" * left_part + label + "─" * right_part


def _call_text(calls: list[CallView]) -> str:
    return " ".join(f"{c.call}()" for c in calls)


def rows(exp: Explanation, conversation: int, width: int) -> list[Row]:
    """Rows of one conversation's ladder, for a drawing ``width`` characters wide."""
    lane = max(width - 2 * CALL_COLUMN - 2, 20)
    by_packet: dict[int, list[CallView]] = {}
    unlinked: dict[str, list[CallView]] = {"client": [], "server": []}
    for call in exp.socket_calls:
        if call.packets:
            by_packet.setdefault(call.packets[0], []).append(call)
        elif call.side in unlinked:
            unlinked[call.side].append(call)
    out: list[Row] = []
    for i in range(max(len(unlinked["client"]), len(unlinked["server"]))):
        out.append(Row(_call_text(unlinked["client"][i : i + 1]), " " * lane,
                       _call_text(unlinked["server"][i : i + 1]), 0, ""))
    for p in exp.packets:
        if p.conversation != conversation:
            continue
        calls = by_packet.get(p.index, [])
        left = _call_text([c for c in calls if c.side == "client"])
        right = _call_text([c for c in calls if c.side == "server"])
        arrow = draw_arrow(arrow_label(p), lane, p.sender == "client")
        out.append(Row(left, arrow, right, p.index, p.sender))
    return out


def header(exp: Explanation, conversation: int, width: int, cat: Catalog) -> tuple[str, str]:
    conv = next((c for c in exp.conversations if c.number == conversation), None)
    client = conv.summary.client if conv else exp.endpoints[0]
    server = conv.summary.server if conv else exp.endpoints[1]
    return f"{cat.text('ui.client')} {client}", f"{cat.text('ui.server')} {server}"


def text_lines(exp: Explanation, conversation: int, width: int, cat: Catalog) -> list[str]:
    """The ladder as plain text lines (used by tests and by terminals without colour)."""
    left, right = header(exp, conversation, width, cat)
    pad = max(width - len(left) - len(right), 1)
    lines = [left + " " * pad + right]
    for row in rows(exp, conversation, width):
        lines.append(
            f"{row.left[:CALL_COLUMN]:>{CALL_COLUMN}}│{row.arrow}│{row.right[:CALL_COLUMN]}"
        )
    return lines
