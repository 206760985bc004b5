"""The overview of a capture (``overview.builder.Overview``) as terminal text or as JSON.

The JSON is the ``wirelens.overview`` document of docs/json-schema.md. It is written
piece by piece, one conversation per line, so a capture with a million conversations never
needs its whole JSON text in memory at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any, Protocol

from wirelens.explain.catalog import Catalog
from wirelens.explain.conversation_record import Settled
from wirelens.explain.conversation_summary import ConversationSummary
from wirelens.explain.model import SCHEMA_VERSION
from wirelens.explain.text import Message
from wirelens.overview.builder import FlowSummary, Overview
from wirelens.render.json import anomaly_entries, story_fields, verdict_fields

if TYPE_CHECKING:  # rich is loaded for the text only: JSON for scripts needs none of it
    from rich.console import Console
    from rich.text import Text

class Writer(Protocol):
    """Where a document goes: a text file, or anything with its ``write``."""

    def write(self, text: str, /) -> int: ...


SHOWN_PACKETS = 8  # packet numbers listed per anomaly kind in the text view


def _seconds(ns: int) -> float:
    """``round(ns / 1e9, 6)``, sooner where that is sure to be the whole microseconds
    rounded to the nearest (not halfway, and the float's error far below a nanosecond)."""
    if 0 <= ns < _EXACT_NS:
        micro, rest = divmod(ns, 1000)
        if rest != 500:
            return (micro + (rest > 500)) / 1e6
    return round(ns / 1e9, 6)


_EXACT_NS = 10**15  # 11.6 days: below that, ns / 1e9 is within 0.06 ns of the exact value


def conversation_entry(s: ConversationSummary, cat: Catalog, start_ns: int) -> dict[str, Any]:
    """One entry of ``conversations[]`` in summary mode: ``packets`` is a count."""
    return {
        **story_fields(s),
        **verdict_fields(s, cat),
        "history": s.history,
        "packets": s.packet_count,
        "bytes": {"client_to_server": s.bytes_c2s, "server_to_client": s.bytes_s2c},
        "start": _seconds(s.first_ns - start_ns),
        "duration": _seconds(s.last_ns - s.first_ns),
        "final_states": {"client": s.final_states[0].value, "server": s.final_states[1].value},
        "anomalies": anomaly_entries(s.anomalies, s.artefacts),
        "anomaly_counts": dict(s.anomaly_counts),
        "anomalies_cut": s.anomalies_cut,
    }



def _udp_entry(u: FlowSummary, start_ns: int) -> dict[str, Any]:
    return {"a": u.a, "b": u.b, "packets": u.packets,
            "bytes": {"a_to_b": u.bytes_ab, "b_to_a": u.bytes_ba},
            "start": _seconds(u.first_ns - start_ns), "duration": _seconds(u.last_ns - u.first_ns)}


def conversation_json(s: ConversationSummary, cat: Catalog, start_ns: int) -> str:
    """``json.dumps(conversation_entry(s, cat, start_ns), ensure_ascii=False)``, written
    out piece by piece: the same text, several times faster (a big capture has a million
    conversations). tests/render/test_overview_json.py checks that the two agree."""
    return numbered(s.number, conversation_rest(s, cat, start_ns))


def numbered(number: int, rest: str) -> str:
    """A conversation's JSON text: its number, then the ``rest`` of it (what
    ``conversation_rest`` and ``settled_rest`` write, for a number known only later)."""
    return f'{{"number": {number!r}{rest}'


def conversation_rest(s: ConversationSummary, cat: Catalog, start_ns: int) -> str:
    """``conversation_json`` after the number."""
    return _rest(_quote(s.client), _quote(s.server), _story(s, cat), s.packet_count,
                 s.bytes_c2s, s.bytes_s2c, s.first_ns, s.last_ns, start_ns, _outcome(s))


def settled_rest(rec: Settled, address: Callable[[Any], str], cat: Catalog, start_ns: int
                 ) -> str:
    """``conversation_rest`` of a settled conversation's summary, without making it: what
    it shares with its template is written once per shape. ``address`` gives an endpoint
    key's text (``addr_text``), which needs no escaping in JSON."""
    t = rec.template
    parts = _shapes.get(id(t))
    if parts is None or parts[0] is not t or parts[1] != cat.lang:
        if len(_shapes) >= _SHAPES_KEPT:  # each tracker has templates of its own
            _shapes.clear()
        parts = _shapes[id(t)] = _shape_parts(t, cat)
    _, _, story, outcome, after = parts
    if t.anomalies:  # its RST's frame, then the rest
        outcome = f"{outcome}{rec.last_index!r}{after}"
    client, server = rec.ends()
    return _rest(f'"{address(client)}"', f'"{address(server)}"', story, rec.packet_count,
                 rec.bytes_c2s, rec.bytes_s2c, rec.first_ns, rec.last_ns, start_ns, outcome)


def _shape_parts(t: ConversationSummary, cat: Catalog
                 ) -> tuple[ConversationSummary, str, str, str, str]:
    """(the template, the language, its story's text, its outcome's text up to the frame
    number of its anomaly (all of it when it lists none), the rest after that number)."""
    assert len(t.anomalies) <= 1, "a template lists its RST at most (settle._template)"
    outcome = _outcome(replace(t, anomalies=tuple((kind, -1) for kind, _ in t.anomalies)))
    before, _, after = outcome.partition("-1")
    return t, cat.lang, _story(t, cat), before, after


# id of a template: what ``settled_rest`` writes of it (see ``_shape_parts``)
_shapes: dict[int, tuple[ConversationSummary, str, str, str, str]] = {}
_SHAPES_KEPT = 4096


def _rest(client: str, server: str, story: str, packets: int, c2s: int, s2c: int,
          first_ns: int, last_ns: int, start_ns: int, outcome: str) -> str:
    """A conversation's JSON text after its number, its two ends given quoted."""
    return (
        f', "client": {client}, "server": {server}, {story}, '
        f'"packets": {packets!r}, "bytes": {{"client_to_server": {c2s!r}, '
        f'"server_to_client": {s2c!r}}}, "start": {_seconds(first_ns - start_ns)!r}, '
        f'"duration": {_seconds(last_ns - first_ns)!r}, {outcome}}}'
    )


def _story(s: ConversationSummary, cat: Catalog) -> str:
    """The fields from ``client_guessed`` to ``history``."""
    q = _quote
    return (
        f'"client_guessed": {_BOOL[s.client_guessed]}, "handshake": {q(s.handshake)}, '
        f'"close": {q(s.close)}, "half_close": {_BOOL[s.half_close]}, '
        f'"closed_first": {q(s.closed_first)}, {_verdict_json(s, cat)}, '
        f'"history": {q(s.history)}'
    )


def _outcome(s: ConversationSummary) -> str:
    """The fields from ``final_states`` to the end."""
    q = _quote
    copies = set(s.artefacts)
    anomalies = ", ".join(f'{{"kind": {q(kind)}, "packet": {packet!r}, '
                          f'"artefact": {_BOOL[packet in copies]}}}'
                          for kind, packet in s.anomalies)
    counts = ", ".join(f"{q(kind)}: {count!r}" for kind, count in s.anomaly_counts)
    return (
        f'"final_states": {{"client": {q(s.final_states[0].value)}, '
        f'"server": {q(s.final_states[1].value)}}}, "anomalies": [{anomalies}], '
        f'"anomaly_counts": {{{counts}}}, "anomalies_cut": {_BOOL[s.anomalies_cut]}'
    )


_BOOL = {False: "false", True: "true"}
_quote = encode_basestring  # what json.dumps(..., ensure_ascii=False) uses for a str
_verdicts: dict[tuple[str, str], str] = {}


def _verdict_json(s: ConversationSummary, cat: Catalog) -> str:
    """The verdict fields as JSON (no braces); they depend on the verdict alone."""
    text = _verdicts.get((cat.lang, s.verdict))
    if text is None:
        text = json.dumps(verdict_fields(s, cat), ensure_ascii=False)[1:-1]
        _verdicts[(cat.lang, s.verdict)] = text
    return text


def write_json(ov: Overview, lang: str, out: Writer, *, indent: str = "") -> None:
    """The overview document; ``indent`` shifts it right when it sits inside a list."""
    cat = Catalog(lang)
    kinds = {kind for s in ov.conversations for kind, _ in s.anomaly_counts}
    write_document(ov, cat, out, kinds,
                   (conversation_json(s, cat, ov.first_ns) for s in ov.conversations),
                   lambda: ov.warnings, indent=indent)


def write_document(ov: Overview, cat: Catalog, out: Writer, kinds: Iterable[str],
                   conversations: Iterable[str], warnings: Callable[[], Iterable[Message]],
                   *, indent: str = "") -> None:
    """The overview document with its conversations already written as JSON (one string
    each, in order) and its anomaly ``kinds`` known; ``warnings`` is asked for after the
    conversations are written (a merge may find some on the way). ``ov.conversations`` is
    not read."""
    head: dict[str, Any] = {
        "schema": "wirelens.overview",
        "schema_version": SCHEMA_VERSION,
        "language": cat.lang,
        "source": ov.source,
        "summary": True,
        "frames": ov.frames,
        "duration": _seconds(ov.last_ns - ov.first_ns),
        "counts": dict(ov.counts),
        "anomaly_kinds": {kind: cat.text(f"anomaly.{kind}") for kind in sorted(kinds)},
        "arp": {"requests": ov.arp[0], "replies": ov.arp[1]},
        "udp_flows": ov.udp_flows,
    }
    pad = indent + "  "
    out.write(indent + "{\n")
    for key, value in head.items():
        out.write(f"{pad}{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
    _write_lines(out, pad, "conversations", conversations)
    out.write(",\n")
    _write_list(out, pad, "udp", (_udp_entry(u, ov.first_ns) for u in ov.udp))
    out.write(",\n")
    _write_list(out, pad, "warnings", (cat(w) for w in warnings()))
    out.write("\n" + indent + "}")


def _write_list(out: Writer, pad: str, key: str, items: Iterable[Any]) -> None:
    _write_lines(out, pad, key, (json.dumps(item, ensure_ascii=False) for item in items))


def _write_lines(out: Writer, pad: str, key: str, lines: Iterable[str]) -> None:
    out.write(f"{pad}{json.dumps(key)}: [")
    between = ",\n" + pad + "  "
    batch: list[str] = []
    first = True
    for line in lines:  # written a batch at a time: a big capture has a million lines
        batch.append(line)
        if len(batch) >= _BATCH:
            out.write(("\n" + pad + "  " if first else between) + between.join(batch))
            batch, first = [], False
    if batch:
        out.write(("\n" + pad + "  " if first else between) + between.join(batch))
        first = False
    out.write("]" if first else "\n" + pad + "]")


_BATCH = 512


def write_json_documents(overviews: Iterable[Overview], lang: str, out: Writer,
                         several: bool) -> None:
    """One document, or a JSON list of them (one per file) when ``several``."""
    if not several:
        for ov in overviews:
            write_json(ov, lang, out)
            out.write("\n")
        return
    out.write("[\n")
    for i, ov in enumerate(overviews):
        if i:
            out.write(",\n")
        write_json(ov, lang, out, indent="  ")
    out.write("\n]\n")


def _packet_list(packets: list[int], cat: Catalog) -> str:
    shown = ", ".join(str(p) for p in packets[:SHOWN_PACKETS])
    if len(packets) > SHOWN_PACKETS:
        shown += " " + cat.text("overview.more", count=len(packets) - SHOWN_PACKETS)
    return shown


def conversation_lines(s: ConversationSummary, cat: Catalog) -> list[Text]:
    # imported here: 9 ms saved at start-up when not needed
    from rich.text import Text

    lines = [Text(cat.text("overview.conversation", number=s.number, client=s.client,
                           server=s.server), style="bold")]
    if s.client_guessed:
        lines.append(Text("  " + cat.text("overview.guessed"), style="dim"))
    story = [
        cat.text("overview.handshake", handshake=cat.text(f"conv.handshake.{s.handshake}")),
        cat.text("overview.close", close=cat.text(f"conv.close.{s.close}")),
    ]
    lines.append(Text("  " + "; ".join(story)))
    if s.half_close:
        lines.append(Text("  " + cat.text("overview.half_close")))
    style = "green" if s.verdict == "SF" else "yellow" if s.verdict in ("S1", "OTH") else "red"
    lines.append(Text("  " + cat.text("overview.verdict", verdict=s.verdict,
                                      meaning=cat.text(f"zeek.{s.verdict}")), style=style))
    lines.append(Text("  " + cat.text("overview.history", history=s.history or "-"),
                      style="dim"))
    lines.append(Text("  " + cat.text(
        "overview.traffic", packets=s.packet_count, bytes_c2s=s.bytes_c2s,
        bytes_s2c=s.bytes_s2c, seconds=f"{(s.last_ns - s.first_ns) / 1e9:.6f}")))
    if s.anomaly_counts:
        lines.append(Text("  " + cat.text("overview.anomalies") + ":", style="bold red"))
        listed: dict[str, list[int]] = {}
        for kind, packet in s.anomalies:
            listed.setdefault(kind, []).append(packet)
        for kind, count in s.anomaly_counts:
            lines.append(Text("    " + cat.text(
                "overview.anomaly_line", kind=kind, count=count,
                packets=_packet_list(listed.get(kind, []), cat)), style="red"))
            lines.append(Text("      " + cat.text(f"anomaly.{kind}"), style="dim"))
        if s.artefacts:
            lines.append(Text("    " + cat.text(
                "overview.artefact_line", packets=_packet_list(list(s.artefacts), cat)),
                style="yellow"))
            lines.append(Text("      " + cat.text("anomaly.artefact"), style="dim"))
    return lines


def render(ov: Overview, console: Console, lang: str) -> None:
    # imported here: 15 ms saved at start-up when not needed
    from rich.rule import Rule

    cat = Catalog(lang)
    console.print(Rule(f"[bold]{cat.text('overview.title', source=ov.source)}[/]"))
    counts = ", ".join(f"{cat.text(f'overview.count.{k}')} {n}" for k, n in ov.counts)
    seconds = f"{(ov.last_ns - ov.first_ns) / 1e9:.6f}"
    console.print(cat.text("overview.frames", frames=ov.frames, seconds=seconds)
                  + (f" — {counts}" if counts else ""), highlight=False)
    if not ov.conversations:
        console.print(cat.text("overview.none"), style="dim")
    for s in ov.conversations:
        for line in conversation_lines(s, cat):
            console.print(line, highlight=False, soft_wrap=True)
    if ov.udp:
        console.print(Rule(cat.text("overview.udp_title", flows=ov.udp_flows), align="left"))
        for u in ov.udp:
            console.print("  " + cat.text("overview.udp_line", a=u.a, b=u.b, packets=u.packets,
                                          bytes_ab=u.bytes_ab, bytes_ba=u.bytes_ba),
                          highlight=False)
    if any(ov.arp):
        console.print(cat.text("overview.arp", requests=ov.arp[0], replies=ov.arp[1]),
                      highlight=False)
    if ov.warnings:
        console.print(Rule(cat.text("ui.warnings"), align="left", style="red"))
        for w in ov.warnings:
            console.print("  ! " + cat(w), style="red", highlight=False)
