"""The class table's page in Chromium: it sorts and filters, fetches nothing, throws
nothing, and a hostile file name stays text."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.render.pages import IMG, SCRIPT
from tests.render.test_page_browser import Watched
from wirelens.app.command import sample_path
from wirelens.app.tablejob import table_rows
from wirelens.render.table import to_html

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("table")
    sample = Path(sample_path())
    for name in ("b.pcapng", "a.pcapng", SCRIPT.replace("/", "_") + IMG + ".pcapng"):
        (folder / name).write_bytes(sample.read_bytes())
    (folder / "notes.txt").write_text("not a capture")
    rows = table_rows([str(folder)], progress=False)
    # one conversation made bigger, so sorting by bytes has something to do
    big = replace(rows[1], conversation=replace(rows[1].conversation, bytes_c2s=99_999))
    rows = [rows[0], big, *rows[2:]]
    out = folder / "table.html"
    out.write_text(to_html(rows, "en"), "utf-8")
    return out


def cells(page: Any, column: int) -> list[str]:
    found: list[str] = page.eval_on_selector_all(
        "#wl-table tbody tr:not([hidden])", f"rs => rs.map(r => r.cells[{column}].textContent)")
    return found


def test_sorts_and_filters(browser: Any, page_file: Path) -> None:
    from wirelens.render.table import COLUMNS

    watched = Watched(browser, (1400, 900))
    page = watched.open(page_file)
    assert page.locator("#wl-shown").inner_text() == "4 of 4 rows"
    bytes_column = COLUMNS.index("bytes_c2s")
    head = page.locator("th[data-column='bytes_c2s']")
    head.click()
    assert head.get_attribute("aria-sort") == "ascending"
    values = cells(page, bytes_column)
    assert values == ["", "14", "14", "99999"]  # numbers as numbers; the error row first
    head.click()
    assert cells(page, bytes_column)[0] == "99999"
    page.locator("#wl-filter").fill("NOT a pcap")  # any case
    assert page.locator("#wl-shown").inner_text() == "1 of 4 rows"
    assert cells(page, COLUMNS.index("kind")) == ["error"]
    page.locator("#wl-filter").fill("")
    page.locator("th[data-column='file']").press("Enter")  # the keyboard sorts too
    names = [Path(n).name for n in cells(page, COLUMNS.index("file"))]
    assert names == sorted(names)
    assert SCRIPT.replace("/", "_") in page.locator("#wl-table").inner_text()  # shown as text
    watched.check()
