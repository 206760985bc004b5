"""Real Chromium for the page tests (Debian's, driven by Playwright; never a download).

``browser`` is a module-scoped fixture: a module that imports it gets one browser for all
its tests. Without Playwright or Chromium the tests skip with the reason, unless
``WIRELENS_REQUIRE_LIVE=1`` says this run exists to exercise them: then they fail.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


def browser_problem() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install playwright)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    problem = browser_problem()
    if problem is not None:
        if os.environ.get("WIRELENS_REQUIRE_LIVE") == "1":
            pytest.fail(f"WIRELENS_REQUIRE_LIVE=1 but {problem}", pytrace=False)
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()
