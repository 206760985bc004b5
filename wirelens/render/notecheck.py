"""A note check (what the notes claim, what was captured, whether they agree) as every
renderer puts it in JSON (the page, the table and the wire's story too)."""

from __future__ import annotations

from typing import Any

from wirelens.explain.catalog import Catalog
from wirelens.explain.model import NoteCheck


def note_dict(note: NoteCheck, cat: Catalog) -> dict[str, Any]:
    return {
        "topic": note.topic,
        "ref": str(note.ref),
        "claim": cat(note.claim),
        "observed": cat(note.observed),
        "verdict": note.verdict.value,
        "reason": cat(note.reason),
    }
