"""The explanation as JSON (schema in docs/json-schema.md), in one chosen language."""

from __future__ import annotations

import json
from typing import Any

from wirelens.explain.catalog import Catalog
from wirelens.explain.conversation_summary import ConversationSummary
from wirelens.explain.model import (
    SCHEMA_VERSION,
    CallView,
    ConversationView,
    Explanation,
    FieldView,
    KernelView,
    PacketView,
)
from wirelens.render.notecheck import note_dict


def _field(view: FieldView, cat: Catalog) -> dict[str, Any]:
    f = view.field
    out: dict[str, Any] = {
        "name": f.name,
        "value": f.display,
        "raw": f.value,
        "offset": f.offset,
        "length": f.length,
        "explain": cat(view.text),
    }
    if f.bit_length:
        out["bits"] = {"offset": f.bit_offset, "length": f.bit_length}
    if view.note is not None:
        out["note"] = note_dict(view.note, cat)
    return out


def _states(states: Any) -> dict[str, str] | None:
    return None if states is None else {"client": states[0].value, "server": states[1].value}


def packet_dict(p: PacketView, cat: Catalog) -> dict[str, Any]:
    return {
        "index": p.index,
        "time": round(p.time, 9),
        "timestamp_ns": p.ts_ns,
        "summary": p.summary,
        "flags": p.flags,
        "role": p.role,
        "role_text": cat(p.role_text),
        "conversation": p.conversation,
        "sender": p.sender,
        "relative": {"seq": p.rel_seq, "ack": p.rel_ack},
        "payload_length": p.payload_len,
        "states_before": _states(p.states_before),
        "states": _states(p.states_after),
        "transitions": [cat(t) for t in p.transitions],
        "length": len(p.data),
        "layers": [
            {
                "name": layer.name,
                "offset": layer.offset,
                "length": layer.length,
                "fields": [_field(f, cat) for f in layer.fields],
            }
            for layer in p.layers
        ],
    }


def conversation_dict(c: ConversationView, cat: Catalog) -> dict[str, Any]:
    s = c.summary
    return {
        **story_fields(s),
        "history": s.history,
        **verdict_fields(s, cat),
        "packets": list(s.packets),
        "packet_count": s.packet_count,
        "bytes": {"client_to_server": s.bytes_c2s, "server_to_client": s.bytes_s2c},
        "duration": round((s.last_ns - s.first_ns) / 1e9, 9),
        "final_states": {"client": s.final_states[0].value, "server": s.final_states[1].value},
        "anomalies": anomaly_entries(c.anomalies, s.artefacts),
        "anomaly_counts": dict(s.anomaly_counts),
        "notes": [note_dict(n, cat) for n in c.notes],
    }


def anomaly_entries(anomalies: tuple[tuple[str, int], ...], artefacts: tuple[int, ...]
                    ) -> list[dict[str, Any]]:
    """Each anomaly as JSON: its kind, its packet, and whether it is a capture artefact."""
    copies = set(artefacts)
    return [{"kind": kind, "packet": packet, "artefact": packet in copies}
            for kind, packet in anomalies]


def story_fields(s: ConversationSummary) -> dict[str, Any]:
    """Who talked and how the conversation opened and closed: shared with the overview."""
    return {
        "number": s.number,
        "client": s.client,
        "server": s.server,
        "client_guessed": s.client_guessed,
        "handshake": s.handshake,
        "close": s.close,
        "half_close": s.half_close,
        "closed_first": s.closed_first,
    }


def verdict_fields(s: ConversationSummary, cat: Catalog) -> dict[str, Any]:
    """Zeek's conn_state for a conversation, and its meaning in words (schema 1.1)."""
    return {"verdict": s.verdict, "verdict_text": cat.text(f"zeek.{s.verdict}")}


def call_dict(c: CallView, cat: Catalog) -> dict[str, Any]:
    out: dict[str, Any] = {
        "side": c.side,
        "call": c.call,
        "time": c.start_ns / 1e9,
        "end_time": c.end_ns / 1e9,
        "result": c.result,
        "packets": list(c.packets),
        "relation": c.relation,
        "explain": cat(c.text),
    }
    if c.note is not None:
        out["note"] = note_dict(c.note, cat)
    return out


def kernel_dict(k: KernelView, cat: Catalog) -> dict[str, Any]:
    return {
        "checkpoint": k.label,
        "side": k.side,
        "time": k.ts_ns / 1e9,
        "socket": k.socket,
        "kernel_state": k.kernel_state,  # ss's name ("TIME-WAIT"); "" when none was listed
        "inferred_state": k.inferred,  # ours ("TIME_WAIT"); "" when the capture shows none
        "agrees": k.agrees,
        "explain": cat(k.text),
    }


def to_dict(exp: Explanation, lang: str) -> dict[str, Any]:
    cat = Catalog(lang)
    return {
        "schema": "wirelens.explanation",
        "schema_version": SCHEMA_VERSION,
        "language": lang,
        "source": cat(exp.source_text) if exp.source_text else exp.source,
        "endpoints": {"client": exp.endpoints[0], "server": exp.endpoints[1]},
        "packets": [packet_dict(p, cat) for p in exp.packets],
        "conversations": [conversation_dict(c, cat) for c in exp.conversations],
        "socket_calls": [call_dict(c, cat) for c in exp.socket_calls],
        "kernel": [kernel_dict(k, cat) for k in exp.kernel],
        "warnings": [cat(w) for w in exp.warnings],
        **_wire(exp, cat),
    }


def _wire(exp: Explanation, cat: Catalog) -> dict[str, Any]:
    """The misbehaving wire's section, only when the demo ran over it."""
    if exp.wire is None:
        return {}
    # imported here: 44 ms saved at start-up when not needed
    from wirelens.render.wire import wire_dict

    return {"wire": wire_dict(exp.wire, cat)}


def dumps(exp: Explanation, lang: str) -> str:
    return json.dumps(to_dict(exp, lang), ensure_ascii=False, indent=2) + "\n"
