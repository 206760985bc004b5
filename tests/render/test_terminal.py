"""The terminal rendering at a fixed width: exact ladder, nothing wider than the console."""

import io

from rich.console import Console

from tests.explain.builders import CLOSE_THREE, DATA, HANDSHAKE, frames
from wirelens.explain.catalog import Catalog
from wirelens.explain.explainer import explain
from wirelens.explain.records import SocketCall
from wirelens.render.ladder import text_lines
from wirelens.render.terminal import render


def exchange():
    fr = frames(HANDSHAKE + DATA + CLOSE_THREE)
    t = [f.ts_ns for f in fr]
    calls = [SocketCall("client", "connect", t[0] - 10, t[1] + 10),
             SocketCall("server", "accept", t[0] - 20, t[2] + 5),
             SocketCall("client", "close", t[7] - 5, t[7] - 1)]
    return explain(fr, socket_calls=calls)


def test_ladder_exact_at_80_columns():
    lines = text_lines(exchange(), 1, 80, Catalog("en"))
    assert lines == [
        "client 127.0.0.1:40000" + " " * 37 + "server 127.0.0.1:8080",
        "   connect()│─────────────────── #1 [S] seq 0 ────────────────────▶│",
        "            │◀──────────────── #2 [S.] seq 0 ack 1 ────────────────│",
        "            │─────────────────── #3 [.] ack 1 ────────────────────▶│accept()",
        "            │──────────── #4 [P.] seq 1 ack 1 len 14 ─────────────▶│",
        "            │◀─────────────────── #5 [.] ack 15 ───────────────────│",
        "            │◀──────────── #6 [P.] seq 1 ack 15 len 14 ────────────│",
        "            │─────────────────── #7 [.] ack 15 ───────────────────▶│",
        "     close()│─────────────── #8 [F.] seq 15 ack 15 ───────────────▶│",
        "            │◀─────────────── #9 [F.] seq 15 ack 16 ───────────────│",
        "            │────────────────── #10 [.] ack 16 ───────────────────▶│",
    ]


def test_whole_rendering_fits_80_columns_in_both_languages():
    for lang in ("en", "zh"):
        out = io.StringIO()
        console = Console(file=out, width=80, color_system=None, legacy_windows=False)
        render(exchange(), console, lang)
        text = out.getvalue()
        assert max(console.measure(line).maximum for line in text.splitlines()) <= 80 or all(
            len(line) <= 80 for line in text.splitlines())
        assert "#10" in text
