"""The class table (``explain.table``) as CSV, JSON, a self-contained HTML page, or text.

Every form has the same columns (``COLUMNS``, documented in docs/json-schema.md). The HTML
page fetches nothing: its own script and styles are inline and allowed by a
Content-Security-Policy nonce, as the classroom page's are; rows reach the page as escaped
table cells, and the script only sorts and hides them.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from wirelens.explain.catalog import Catalog
from wirelens.overview.table import TableRow, conversation_count
from wirelens.render.notecheck import note_dict

if TYPE_CHECKING:
    from rich.console import Console

TABLE_FORMAT = "wirelens.table"
TABLE_SCHEMA = "1.0"
COLUMNS = ("file", "kind", "conversation", "client", "server", "handshake", "close",
           "closed_first", "half_close", "verdict", "history", "packets", "bytes_c2s",
           "bytes_s2c", "duration", "retransmissions", "artefacts", "anomalies",
           "notes_differ", "reason", "why")
NUMERIC = frozenset({"conversation", "packets", "bytes_c2s", "bytes_s2c", "duration",
                     "retransmissions", "artefacts"})


def _note_text(row: TableRow, cat: Catalog) -> list[str]:
    return [f"{n.ref}: {cat(n.claim)} → {cat(n.observed)}" for n in row.differs]


def row_values(row: TableRow, cat: Catalog) -> dict[str, Any]:
    """One row as JSON values: numbers, booleans, null where the row has no such thing."""
    s = row.conversation
    why = row.error if row.kind == "error" else cat(row.why) if row.why else ""
    out: dict[str, Any] = dict.fromkeys(COLUMNS)
    out.update(file=row.file, kind=row.kind, reason=row.reason, why=why,
               notes_differ=[note_dict(n, cat) for n in row.differs])
    if s is None:
        return out
    out.update(
        conversation=s.number, client=s.client, server=s.server, handshake=s.handshake,
        close=s.close, closed_first=s.closed_first, half_close=s.half_close,
        verdict=s.verdict, history=s.history, packets=s.packet_count,
        bytes_c2s=s.bytes_c2s, bytes_s2c=s.bytes_s2c,
        duration=round((s.last_ns - s.first_ns) / 1e9, 6),
        retransmissions=row.retransmissions, artefacts=len(s.artefacts),
        anomalies=dict(row.other_anomalies),
    )
    return out


def cell_texts(row: TableRow, cat: Catalog) -> list[str]:
    """One row as the CSV and the page show it: every value a string."""
    values = row_values(row, cat)
    values["notes_differ"] = "; ".join(_note_text(row, cat))
    values["anomalies"] = " ".join(f"{k}:{n}" for k, n in row.other_anomalies)
    out = []
    for name in COLUMNS:
        value = values[name]
        if isinstance(value, bool):
            value = "true" if value else "false"
        out.append("" if value is None else str(value))
    return out


def to_csv(rows: Sequence[TableRow], lang: str) -> str:
    cat = Catalog(lang)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(cell_texts(row, cat))
    return out.getvalue()


def to_json(rows: Sequence[TableRow], lang: str) -> str:
    cat = Catalog(lang)
    document = {
        "schema": TABLE_FORMAT,
        "schema_version": TABLE_SCHEMA,
        "language": lang,
        "files": len(dict.fromkeys(r.file for r in rows)),
        "conversations": conversation_count(rows),
        "columns": list(COLUMNS),
        "rows": [row_values(r, cat) for r in rows],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def to_html(rows: Sequence[TableRow], lang: str, *, nonce: str | None = None) -> str:
    # imported here: 22 ms saved at start-up when not needed
    from wirelens.render.html import _asset, _environment

    cat = Catalog(lang)
    template = _environment().get_template("table.html.j2")
    files = len(dict.fromkeys(r.file for r in rows))
    return template.render(
        lang=lang,
        nonce=nonce or secrets.token_hex(16),
        title=cat.text("table.title", files=files, conversations=conversation_count(rows)),
        filter=cat.text("table.filter"),
        hint=cat.text("table.sort_hint"),
        shown=cat.text("table.shown", shown="{shown}", total="{total}"),
        columns=[(name, cat.text(f"table.column.{name}"), name in NUMERIC) for name in COLUMNS],
        rows=[(r.kind, cell_texts(r, cat)) for r in rows],
        css=_asset("table.css"),
        script=_asset("table.js"),
    )


TEXT_COLUMNS = ("file", "conversation", "handshake", "close", "closed_first", "verdict",
                "bytes_c2s", "bytes_s2c", "retransmissions", "why")


def render_text(rows: Sequence[TableRow], console: Console, lang: str) -> None:
    """The table on a terminal: the main columns, the file rows' reasons in words."""
    # imported here: 11 ms saved at start-up when not needed
    from rich.table import Table

    cat = Catalog(lang)
    files = len(dict.fromkeys(r.file for r in rows))
    table = Table(title=cat.text("table.title", files=files,
                                 conversations=conversation_count(rows)))
    for name in TEXT_COLUMNS:
        table.add_column(cat.text(f"table.column.{name}"),
                         justify="right" if name in NUMERIC else "left")
    for row in rows:
        cells = dict(zip(COLUMNS, cell_texts(row, cat), strict=True))
        if row.kind == "conversation" and cells["notes_differ"]:
            cells["why"] = cells["notes_differ"]
        table.add_row(*(cells[name] for name in TEXT_COLUMNS),
                      style="red" if row.kind != "conversation" else None)
    console.print(table)
