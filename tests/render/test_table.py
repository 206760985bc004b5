"""The class table as CSV, JSON, HTML and text (render/table.py); the rows themselves come from
overview/table.py (tests/overview/test_table.py)."""

from __future__ import annotations

import csv
import io
import json
import re

from rich.console import Console

from tests.explain.builders import CLOSE_FOUR, DATA, HANDSHAKE, Step, frames
from wirelens.explain.catalog import Catalog
from wirelens.overview.builder import overview
from wirelens.overview.table import TableRow, error_row, rows_of
from wirelens.render.table import (
    COLUMNS,
    NUMERIC,
    cell_texts,
    render_text,
    row_values,
    to_csv,
    to_html,
    to_json,
)

EN = Catalog("en")
# Handshake, the client's message sent twice, the reply, then a reset instead of a close.
RETRANSMITTED_THEN_RESET: list[Step] = HANDSHAKE + DATA[:1] + DATA[:1] + DATA[1:] + [
    ("c", "RA", 15, 15, b"")]


def rows(name: str, steps: list[Step]) -> list[TableRow]:
    return rows_of(name, overview(frames(steps), name))


def a_class() -> list[TableRow]:
    """Three files: one good conversation, one unanswered SYN, one that is no capture."""
    return [*rows("good.pcap", HANDSHAKE + DATA + CLOSE_FOUR),
            *rows("syn.pcap", HANDSHAKE[:1]),
            error_row("bad.pcap", "not a capture file")]


# ---------------------------------------------------------------- values


def test_a_conversation_row_holds_numbers_and_booleans() -> None:
    (row,) = rows("good.pcap", HANDSHAKE + DATA + CLOSE_FOUR)
    values = row_values(row, EN)
    assert list(values) == list(COLUMNS)
    assert values["packets"] == 11 and values["bytes_c2s"] == 14 == values["bytes_s2c"]
    assert values["close"] == "four-segment" and values["closed_first"] == "client"
    assert values["half_close"] is False and values["duration"] == 1e-05
    assert values["anomalies"] == {} and values["notes_differ"] == []


def test_a_file_row_is_null_where_it_has_no_conversation() -> None:
    file_row, _ = rows("syn.pcap", HANDSHAKE[:1])
    values = row_values(file_row, EN)
    assert values["kind"] == "file" and values["reason"] == "unanswered"
    assert values["why"].startswith("the SYN was never answered")
    assert all(values[name] is None for name in NUMERIC)


def test_an_error_row_says_the_error_as_it_is() -> None:
    values = row_values(error_row("bad.pcap", "not a capture file"), EN)
    assert (values["kind"], values["reason"], values["why"]) == (
        "error", "error", "not a capture file")


def test_retransmissions_other_anomalies_and_differing_notes_fill_their_columns() -> None:
    (row,) = rows("rst.pcap", RETRANSMITTED_THEN_RESET)
    values = row_values(row, EN)
    assert values["retransmissions"] == 1 and values["anomalies"] == {"reset": 1}
    assert [n["topic"] for n in values["notes_differ"]] == ["close"]
    cells = dict(zip(COLUMNS, cell_texts(row, EN), strict=True))
    assert cells["anomalies"] == "reset:1" and cells["half_close"] == "false"
    assert cells["notes_differ"].startswith("000_63acb3c6e91957be.txt § 四次握手: Closing takes")
    assert " → " in cells["notes_differ"]


# ---------------------------------------------------------------- forms


def test_the_csv_has_the_columns_then_a_row_each() -> None:
    table = list(csv.reader(io.StringIO(to_csv(a_class(), "en"))))
    assert table[0] == list(COLUMNS)
    assert [(r[0], r[1]) for r in table[1:]] == [
        ("good.pcap", "conversation"), ("syn.pcap", "file"), ("syn.pcap", "conversation"),
        ("bad.pcap", "error")]
    assert all(len(r) == len(COLUMNS) for r in table)


def test_the_json_counts_files_and_conversations() -> None:
    document = json.loads(to_json(a_class(), "en"))
    assert (document["schema"], document["schema_version"]) == ("wirelens.table", "1.0")
    assert (document["files"], document["conversations"]) == (3, 2)
    assert document["columns"] == list(COLUMNS) and len(document["rows"]) == 4
    assert json.loads(to_json(a_class(), "zh"))["rows"][1]["why"] != document["rows"][1]["why"]


def test_the_page_uses_its_nonce_and_escapes_every_cell() -> None:
    hostile = [*rows("<b>a</b>.pcap", HANDSHAKE), error_row("x.pcap", "<script>x</script>")]
    page = to_html(hostile, "en", nonce="n0nce")
    assert re.findall(r"<(?:script|style)[^>]*>", page) == [
        '<style nonce="n0nce">', '<script nonce="n0nce">']
    assert "<b>a</b>" not in page and "&lt;b&gt;a&lt;/b&gt;.pcap" in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    numeric = re.findall(r'data-column="(\w+)" data-numeric="1"', page)
    assert set(numeric) == NUMERIC
    assert page.count('<tr class="row-conversation">') == 1
    assert page.count('<tr class="row-error">') == 1


def test_every_page_gets_a_new_nonce_unless_given_one() -> None:
    def nonce(page: str) -> str:
        found = re.search(r'<script nonce="([0-9a-f]+)">', page)
        assert found is not None
        return found.group(1)

    first, second = (nonce(to_html(a_class(), "en")) for _ in range(2))
    assert first != second and len(first) == 32


def test_the_terminal_table_says_why_and_what_the_notes_contradict() -> None:
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    render_text(a_class() + rows("rst.pcap", RETRANSMITTED_THEN_RESET), console, "en")
    text = out.getvalue()
    assert "wirelens: 4 capture(s), 3 TCP conversation(s)" in text
    assert "the SYN was never answered" in text and "not a capture file" in text
    # a conversation row's "why" is the notes it contradicts
    (rst_line,) = [line for line in text.splitlines() if "rst.pcap" in line]
    assert "Closing takes four steps" in rst_line
