"""The explanation as one self-contained HTML page, for projecting in class and for students.

Everything is in the one file: styles, script, the SVG drawings and the data. Both
languages are embedded (every ``Message`` said with ``Catalog("zh")`` and ``Catalog("en")``),
so the page switches language without reloading. The page fetches nothing, and a
Content-Security-Policy meta tag with a fresh nonce lets only its own inline script and
styles run.

Captured bytes and strings are untrusted: the template autoescapes, the data reaches the
script through ``tojson`` inside a JSON script element, and the script builds the packet
view with ``textContent`` only.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from wirelens.explain.catalog import LANGUAGES, Catalog, load
from wirelens.explain.model import (
    CallView,
    ConversationView,
    Explanation,
    FieldView,
    NoteCheck,
    PacketView,
    register_html_view,
)
from wirelens.explain.text import Message, msg
from wirelens.render.statediagram import (
    edge_id,
    endpoint_paths,
    state_changes,
    state_diagram_svg,
)
from wirelens.render.svg import (
    SIDES,
    arrow_text,
    ladder_packets,
    ladder_svg,
    phase_of,
)

FIT_ROWS = 14  # a ladder this short is scaled to fit the screen's height in projection mode
MAX_PACKETS = 300  # more steps than a lesson needs; keeps a page from a big capture small
HEX_SHOWN = 4096  # of a frame's bytes on the page: its headers and a few screens of payload
# Fields shown in projection mode (all are shown in the normal view); set TCP flags and
# payloads are added per packet.
KEY_FIELDS = frozenset({
    "eth.src", "eth.dst", "eth.type", "ip.src", "ip.dst", "ip.proto", "ipv6.src", "ipv6.dst",
    "ipv6.nxt", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "udp.srcport",
    "udp.dstport", "udp.length", "arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4",
    "arp.dst.hw_mac", "arp.dst.proto_ipv4", "vlan.id", "sll.src.eth", "null.family",
})
# Which colour (and which layer of the model) each header belongs to.
LAYER_KINDS = {
    "Frame": "frame", "Ethernet": "link", "Linux cooked": "link", "Linux cooked v2": "link",
    "Loopback": "link", "802.1Q VLAN": "link", "802.1ad service tag": "link", "ARP": "link",
    "IPv4": "network",
    "IPv6": "network", "TCP": "transport", "UDP": "transport", "Payload": "payload",
    "Padding": "padding", "Trailer": "padding", "FCS": "padding", "IP fragment": "payload",
}
UI_PREFIXES = ("html.", "ui.", "verdict.", "state.")


def both(message: Message, langs: Sequence[str] = LANGUAGES) -> dict[str, str]:
    """One message in every language: ``{"zh": ..., "en": ...}``."""
    return {lang: Catalog(lang)(message) for lang in langs}


def _short(name: str) -> str:
    """``tcp.flags.syn`` -> ``flags.syn``: the layer's box already names the protocol."""
    return name.split(".", 1)[1] if "." in name else name


class _NoteMemory:
    """Which packet first showed each note, so a repeat can point back instead."""

    def __init__(self) -> None:
        self.first: dict[str, int] = {}

    def seen(self, note: NoteCheck, packet: int) -> int | None:
        key = f"{note.topic}|{note.verdict.value}|{note.observed.key}|" + repr(
            sorted(note.observed.params.items()))
        if key in self.first:
            return self.first[key]
        self.first[key] = packet
        return None


def _note(note: NoteCheck, field: int | None, earlier: int | None) -> dict[str, Any]:
    if earlier is not None:  # shown as one line that points back to the first showing
        return {"topic": note.topic, "verdict": note.verdict.value, "claim": both(note.claim),
                "field": field, "earlier": earlier}
    return {
        "topic": note.topic,
        "ref": str(note.ref),
        "verdict": note.verdict.value,
        "claim": both(note.claim),
        "observed": both(note.observed),
        "reason": both(note.reason),
        "field": field,
        "earlier": earlier,
    }


def _field(view: FieldView, number: int, note: int | None) -> dict[str, Any]:
    f = view.field
    is_key = f.name in KEY_FIELDS or f.name.endswith(".payload") or (
        f.name.startswith("tcp.flags.") and f.value == 1)
    return {
        "id": number,
        "name": f.name,
        "short": _short(f.name),
        "value": f.display,
        "offset": f.offset,
        "length": f.length,
        "bits": [f.bit_offset, f.bit_length] if f.bit_length else None,
        "key": is_key,
        "text": both(view.text),
        "note": note,
    }


def _call(call: CallView, packet: int) -> dict[str, Any]:
    relation = "returned" if call.relation == "returned-after" else "caused"
    return {"side": call.side, "call": call.call, "relation": relation if packet else "",
            "text": both(call.text)}


def _step(p: PacketView, early: Sequence[CallView], calls: Sequence[CallView],
          memory: _NoteMemory, extra_notes: Sequence[NoteCheck]) -> dict[str, Any]:
    """One step of the page: a packet, with the socket calls that touched it (``early``:
    the calls before the first packet, shown with it) and the notes checked on it."""
    notes: list[dict[str, Any]] = []
    layers = []
    number = 0
    for layer in p.layers:
        fields = []
        for view in layer.fields:
            note_index = None
            if view.note is not None:
                note_index = len(notes)
                notes.append(_note(view.note, number, memory.seen(view.note, p.index)))
            fields.append(_field(view, number, note_index))
            number += 1
        layers.append({
            "name": layer.name,
            "kind": LAYER_KINDS.get(layer.name, "other"),
            "offset": layer.offset,
            "length": layer.length,
            "fields": fields,
        })
    for call in (*early, *calls):
        if call.note is not None:
            notes.append(_note(call.note, None, memory.seen(call.note, p.index)))
    for note in extra_notes:
        notes.append(_note(note, None, memory.seen(note, p.index)))
    edges: dict[str, list[str]] = {side: [] for side in SIDES}
    for side, before, event, _after in state_changes(p):
        edges[side].append(edge_id(before, event))
    receiver = {"client": "server", "server": "client"}.get(p.sender, "")
    return {
        "n": p.index,
        "conv": p.conversation,
        "sender": p.sender,
        "receiver": receiver,
        "phase": phase_of(p.role),
        "flags": p.flags,
        "label": arrow_text(p),
        "summary": p.summary,
        "time": round(p.time, 6),
        "role": both(p.role_text),
        "before": [s.value for s in p.states_before] if p.states_before else None,
        "after": [s.value for s in p.states_after] if p.states_after else None,
        "transitions": [both(t) for t in p.transitions],
        "warnings": [both(w) for w in p.warnings],
        "edges": edges,
        "hex": p.data[:HEX_SHOWN].hex(),
        "hex_cut": len(p.data) if len(p.data) > HEX_SHOWN else 0,
        "layers": layers,
        "notes": notes,
        "calls": [_call(c, 0) for c in early] + [_call(c, p.index) for c in calls],
    }


def _ui_texts() -> dict[str, dict[str, str]]:
    return {lang: {k: v for k, v in load(lang).items() if k.startswith(UI_PREFIXES)}
            for lang in LANGUAGES}


def _drawn(exp: Explanation, shown: Sequence[PacketView]) -> list[ConversationView]:
    """The conversations the page draws: those with a packet among the steps (and the first,
    whose ladder also carries the packets of no conversation)."""
    present = {p.conversation for p in shown}
    return [c for i, c in enumerate(exp.conversations) if i == 0 or c.number in present]


def page_data(exp: Explanation, lang: str) -> dict[str, Any]:
    """Everything the page's script needs, in both languages (JSON-ready)."""
    shown = exp.packets[:MAX_PACKETS]
    at_packet: dict[int, list[CallView]] = {}
    before_first: list[CallView] = []
    for call in exp.socket_calls:
        for packet in call.packets[:1]:
            at_packet.setdefault(packet, []).append(call)
        if not call.packets:
            before_first.append(call)
    # A conversation's own checks (who closed first, TIME_WAIT) come with its last packet.
    conv_notes: dict[int, list[NoteCheck]] = {}
    for conv in exp.conversations:
        if conv.summary.packets:
            conv_notes.setdefault(conv.summary.packets[-1], []).extend(conv.notes)
    memory = _NoteMemory()
    steps = []
    for i, p in enumerate(shown):
        steps.append(_step(p, before_first if i == 0 else [], at_packet.get(p.index, []),
                           memory, conv_notes.get(p.index, [])))
    paths = {}
    drawn = _drawn(exp, shown)
    for conv in drawn:
        ends = endpoint_paths(shown, conv.number)
        paths[str(conv.number)] = {
            side: {"edges": [edge_id(b, e) for b, e in path.edges],
                   "start": path.start.value if path.start else None,
                   "end": path.end.value if path.end else None}
            for side, path in ends.items()
        }
    conversations = []
    for conv in drawn:
        s = conv.summary
        line = msg("ui.conversation_line", number=s.number, client=s.client, server=s.server,
                   handshake=msg(f"conv.handshake.{s.handshake}"),
                   close=msg(f"conv.close.{s.close}"), packets=len(s.packets),
                   bytes_c2s=s.bytes_c2s, bytes_s2c=s.bytes_s2c)
        conversations.append({"number": s.number, "client": s.client, "server": s.server,
                              "line": both(line)})
    return {
        "lang": lang,
        "langs": list(LANGUAGES),
        "ui": _ui_texts(),
        "total": len(exp.packets),
        "steps": steps,
        "paths": paths,
        "conversations": conversations,
        "calls": [{**_call(c, 0), "packets": list(c.packets)} for c in exp.socket_calls],
        "warnings": [both(w) for w in exp.warnings],
    }


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("wirelens.render", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Chinese as UTF-8 rather than \\u escapes: a third of the size. ``tojson`` still escapes
    # < > & ' so nothing in the data can end the script element.
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False,
                                         "separators": (",", ":")}
    return env


@cache
def _asset(name: str) -> Markup:
    """The page's own stylesheet or script, inlined as is (they are ours, not captured)."""
    text = resources.files("wirelens.render").joinpath("templates", name).read_text("utf-8")
    return Markup(text)


def _source(exp: Explanation) -> dict[str, str]:
    if exp.source_text is not None:
        return both(exp.source_text)
    return {lang: exp.source for lang in LANGUAGES}


def render_page(exp: Explanation, lang: str = "zh", *, nonce: str | None = None,
                held: Sequence[int] | None = None) -> str:
    """The whole page, first shown in ``lang`` (the reader can switch). ``held``: the page
    is a live view (``explain-demo --live``) and these packets wait on the wire."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    nonce = nonce or secrets.token_hex(16)
    shown = exp.packets[:MAX_PACKETS]
    numbers = [c.number for c in _drawn(exp, shown)] or [0]
    ladders = [
        {"svg": Markup(ladder_svg(exp, n, LANGUAGES, shown, shown[0].index if shown else 0)),
         "fit": len(ladder_packets(exp, n, shown)) <= FIT_ROWS}
        for n in numbers
    ]
    first = exp.conversations[0].number if exp.conversations else 0
    ends = endpoint_paths(shown, first)
    diagrams = [
        {"side": side,
         "svg": Markup(state_diagram_svg(LANGUAGES, path=ends[side].edges,
                                         start=ends[side].start, end=ends[side].end,
                                         side=side))}
        for side in SIDES
    ] if exp.conversations else []  # no TCP, no TCP states to draw
    data = page_data(exp, lang)
    if held is not None:  # the script marks them, and hands the stepping keys to the shell
        data["live"] = {"held": list(held)}
    cats = {code: Catalog(code) for code in LANGUAGES}
    text = {code: {k: v for k, v in load(code).items() if k.startswith(UI_PREFIXES)}
            for code in LANGUAGES}
    template = _environment().get_template("page.html.j2")
    return template.render(
        lang=lang,
        langs=LANGUAGES,
        t=text[lang],
        text=text,
        cats=cats,
        nonce=nonce,
        source=_source(exp),
        endpoints=exp.endpoints,
        total=len(shown),
        truncated=len(exp.packets) > len(shown),
        all_packets=len(exp.packets),
        ladders=ladders,
        diagrams=diagrams,
        data=data,
        css=_asset("page.css"),
        script=_asset("page.js"),
        wire=_wire(exp),
    )


def live_shell(lang: str, *, nonce: str, csp: str, token: str) -> str:
    """The page of a live run (live/server.py): a bar to step the wire, and the classroom
    page of what the wire carried so far in a frame below it."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    config = {"token": token, "lang": lang, "ui": _ui_texts()}
    return _environment().get_template("live.html.j2").render(
        lang=lang, t=_ui_texts()[lang], nonce=nonce, csp=csp, config=config,
        script=_asset("live.js"))


def _wire(exp: Explanation) -> Markup:
    """What the misbehaving wire did, in both languages, with its time-sequence graph."""
    if exp.wire is None:
        return Markup("")
    # imported here: 37 ms saved at start-up when not needed
    from wirelens.render.wire import wire_html

    return Markup(wire_html(exp.wire, LANGUAGES))


def fragment(exp: Explanation, lang: str = "zh", height: int = 760) -> str:
    """The page for Jupyter: inside a sandboxed ``iframe`` (scripts only, no same-origin),
    so its styles, ids and keys cannot clash with the notebook's, and its CSP holds."""
    page = render_page(exp, lang)
    return (f'<iframe srcdoc="{escape(page)}" sandbox="allow-scripts" '
            f'style="width:100%;height:{height}px;border:1px solid #cbd5e1;border-radius:6px" '
            f'title="wirelens"></iframe>')


def page_bytes(exp: Explanation, lang: str) -> bytes:
    return render_page(exp, lang).encode("utf-8")


register_html_view(fragment)  # Jupyter shows an Explanation as this page

__all__ = ["render_page", "fragment", "page_data", "page_bytes", "live_shell", "MAX_PACKETS"]
