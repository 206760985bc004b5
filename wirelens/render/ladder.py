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


def _value(p: PacketView, name: str) -> str:
    """A field's shown value, found by name in any layer; "" when the packet has none."""
    return next((f.field.display for layer in p.layers for f in layer.fields
                 if f.field.name == name), "")


def _rcode_name(p: PacketView) -> str:
    """A response's result by name (NXDOMAIN), not its number, as tcpdump says it."""
    found = next((f.field for layer in p.layers for f in layer.fields
                  if f.field.name == "dns.flags.rcode"), None)
    return "" if found is None else str(found.params.get("name", found.display))


def link_label(p: PacketView) -> str:
    """ARP and neighbour discovery, in tcpdump's words: who-has (to whom), is-at; UDP and
    DNS: the datagram's length, the question and the answer."""
    if p.role == "datagram":
        return f"#{p.index} UDP len {p.payload_len}"
    if p.role == "dns-query":
        return f"#{p.index} DNS {_value(p, 'dns.id')} {_value(p, 'dns.qry.name')}?"
    if p.role == "dns-response":
        answer = _value(p, "dns.a") or _value(p, "dns.aaaa") or _rcode_name(p)
        return f"#{p.index} DNS {_value(p, 'dns.id')} → {answer}"
    if _value(p, "arp.opcode") == "1":
        to = "broadcast" if _value(p, "eth.dst") == "ff:ff:ff:ff:ff:ff" else _value(p, "eth.dst")
        return f"#{p.index} ARP who-has {_value(p, 'arp.dst.proto_ipv4')}? ({to})"
    if _value(p, "arp.opcode") == "2":
        return (f"#{p.index} ARP {_value(p, 'arp.src.proto_ipv4')} is-at "
                f"{_value(p, 'arp.src.hw_mac')}")
    kind = _value(p, "icmpv6.type")
    if kind == "135":
        return f"#{p.index} NS who-has {_value(p, 'icmpv6.nd.ns.target_address')}? (multicast)"
    if kind == "136":
        return (f"#{p.index} NA {_value(p, 'icmpv6.nd.na.target_address')} is-at "
                f"{_value(p, 'icmpv6.opt.target_linkaddr') or '?'}")
    return f"#{p.index} ICMPv6 type {kind}" if kind else f"#{p.index}"


def in_ladder(p: PacketView, conversation: int) -> bool:
    """A conversation's own TCP packets, and the ARP or neighbour discovery between its two
    hosts (``conversation`` 0: those of a capture that holds no TCP conversation)."""
    if p.conversation:
        return p.conversation == conversation
    return bool(p.sender) and p.related == conversation


def arrow_label(p: PacketView) -> str:
    if not p.conversation and p.sender:
        return link_label(p)
    parts = [f"#{p.index} [{p.flags}]"]
    if p.rel_seq is not None and (p.payload_len or "S" in p.flags or "F" in p.flags):
        parts.append(f"seq {p.rel_seq}")
    if p.rel_ack is not None and "." in p.flags:
        parts.append(f"ack {p.rel_ack}")
    if p.payload_len:
        parts.append(f"len {p.payload_len}")
    if _value(p, "tcp.window_size_value") == "0" and "R" not in p.flags:
        parts.append("win 0")  # the receiver's buffer is full: the sender must wait
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


def dropped_arrow(label: str, width: int, to_right: bool) -> str:
    """An arrow that stops half-way with a cross: the wire dropped this frame."""
    room = max(width - 8, 1)
    if len(label) > room:
        label = label[: max(room - 1, 0)] + "…"
    shaft = "─" * max(width // 2 - len(label) - 5, 1)
    if to_right:
        body = f"── {label} {shaft}✗"
        return body + " " * max(width - len(body), 0)
    body = f"✗{shaft} {label} ──"
    return " " * max(width - len(body), 0) + body


def wire_arrow(exp: Explanation, p: PacketView, width: int) -> str | None:
    """The arrow of a packet the wire dropped, copied or held back; None for the others."""
    passage = exp.wire.passage(p.index) if exp.wire is not None else None
    if passage is None:
        return None
    if passage.action == "dropped" and passage.copy == 1:
        return dropped_arrow(arrow_label(p), width, p.sender == "client")
    if passage.copy == 2:
        return draw_arrow(f"{arrow_label(p)} =#{passage.original}", width, p.sender == "client")
    if passage.action == "swapped":
        return draw_arrow(f"{arrow_label(p)} ⇄#{passage.original}", width, p.sender == "client")
    return None


def _call_text(calls: list[CallView]) -> str:
    return " ".join(f"{c.call}()" for c in calls)


def home(exp: Explanation, call: CallView) -> int:
    """The conversation whose ladder shows a call tied to no packet: the one going on when
    it was made, else the next to begin, else the last; 0 when there is none. A new
    socket() belongs to the next connection to begin, whatever is going on."""
    spans = [(c.summary.first_ns, c.summary.last_ns, c.number) for c in exp.conversations]
    if len(spans) < 2:
        return 0
    after = [n for first, _, n in spans if first > call.start_ns]
    if call.call == "socket" and after:
        return after[0]
    during = [n for first, last, n in spans if first <= call.start_ns <= last]
    if during:
        return during[-1]
    return after[0] if after else spans[-1][2]


def rows(exp: Explanation, conversation: int, width: int) -> list[Row]:
    """Rows of one conversation's ladder, for a drawing ``width`` characters wide."""
    lane = max(width - 2 * CALL_COLUMN - 2, 20)
    by_packet: dict[int, list[CallView]] = {}
    unlinked: dict[str, list[CallView]] = {"client": [], "server": []}
    for call in exp.socket_calls:
        if call.packets:
            by_packet.setdefault(call.packets[0], []).append(call)
        elif call.side in unlinked and home(exp, call) in (conversation, 0):
            unlinked[call.side].append(call)
    shown = [p for p in exp.packets if in_ladder(p, conversation)]
    # A call tied to no packet is drawn where it happened: before the first later packet.
    slots: list[dict[str, list[CallView]]] = [{"client": [], "server": []}
                                              for _ in range(len(shown) + 1)]
    for side, calls in unlinked.items():
        for call in calls:
            at = next((k for k, p in enumerate(shown) if p.ts_ns > call.start_ns), len(shown))
            slots[at][side].append(call)
    out: list[Row] = []
    for k, slot in enumerate(slots):
        for i in range(max(len(slot["client"]), len(slot["server"]))):
            out.append(Row(_call_text(slot["client"][i : i + 1]), " " * lane,
                           _call_text(slot["server"][i : i + 1]), 0, ""))
        if k == len(shown):
            break
        p = shown[k]
        calls = by_packet.get(p.index, [])
        left = _call_text([c for c in calls if c.side == "client"])
        right = _call_text([c for c in calls if c.side == "server"])
        arrow = draw_arrow(arrow_label(p), lane, p.sender == "client")
        if exp.wire is not None:  # what the misbehaving wire did to it (capture/wire.py)
            arrow = wire_arrow(exp, p, lane) or arrow
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
