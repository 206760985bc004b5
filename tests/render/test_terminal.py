"""The terminal rendering at a fixed width: nothing wider than the console (the exact ladder:
test_ladder.py)."""

import io

from rich.console import Console

from tests.render.pages import textbook_with_calls
from wirelens.render.terminal import render


def test_whole_rendering_fits_80_columns_in_both_languages():
    for lang in ("en", "zh"):
        out = io.StringIO()
        console = Console(file=out, width=80, color_system=None, legacy_windows=False)
        render(textbook_with_calls(), console, lang)
        text = out.getvalue()
        assert max(console.measure(line).maximum for line in text.splitlines()) <= 80 or all(
            len(line) <= 80 for line in text.splitlines())
        assert "#10" in text
