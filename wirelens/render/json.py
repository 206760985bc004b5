"""The explanation as JSON (schema in docs/json-schema.md), in one chosen language."""

from __future__ import annotations

import json
from typing import Any

from wirelens.explain.catalog import Catalog
from wirelens.explain.model import (
    SCHEMA_VERSION,
    CallView,
    ConversationView,
    Explanation,
    FieldView,
    NoteCheck,
    PacketView,
)


def note_dict(note: NoteCheck, cat: Catalog) -> dict[str, Any]:
    return {
        "topic": note.topic,
        "ref": str(note.ref),
        "claim": cat(note.claim),
        "observed": cat(note.observed),
        "verdict": note.verdict.value,
        "reason": cat(note.reason),
    }


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
        "number": s.number,
        "client": s.client,
        "server": s.server,
        "client_guessed": s.client_guessed,
        "handshake": s.handshake,
        "close": s.close,
        "half_close": s.half_close,
        "closed_first": s.closed_first,
        "history": s.history,
        "packets": list(s.packets),
        "bytes": {"client_to_server": s.bytes_c2s, "server_to_client": s.bytes_s2c},
        "duration": round((s.last_ns - s.first_ns) / 1e9, 9),
        "final_states": {"client": s.final_states[0].value, "server": s.final_states[1].value},
        "anomalies": [{"kind": kind, "packet": packet} for kind, packet in c.anomalies],
        "notes": [note_dict(n, cat) for n in c.notes],
    }


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
        "warnings": [cat(w) for w in exp.warnings],
    }


def dumps(exp: Explanation, lang: str) -> str:
    return json.dumps(to_dict(exp, lang), ensure_ascii=False, indent=2) + "\n"
