"""The page in a real browser: Debian's chromium, driven by Playwright.

Never ``playwright install`` (it downloads a browser): the Makefile installs the Debian
package. Each test watches for dialogs, page errors, console errors and any request that is
not for the page's own file. Screenshots of every mode go to the test's temporary folder
(and to ``$WIRELENS_SCREENSHOTS`` when that names a folder, to look at them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.render.pages import IMG, SCRIPT, hostile
from wirelens.app import notebook
from wirelens.app.command import sample_path
from wirelens.render.html import render_page

pytestmark = pytest.mark.live

WIDE, PROJECTOR, NARROW = (1600, 1000), (1920, 1080), (700, 1000)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pages")
    out = {}
    for name, exp, lang in (("sample", notebook.explain_file(sample_path()), "zh"),
                            ("hostile", hostile(), "en")):
        out[name] = folder / f"{name}.html"
        out[name].write_text(render_page(exp, lang), "utf-8")
    return out


class Watched:
    """A page that records everything that must not happen."""

    def __init__(self, browser: Any, size: tuple[int, int]) -> None:
        self.context = browser.new_context(viewport={"width": size[0], "height": size[1]})
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.console: list[str] = []
        self.outside: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._console)
        self.page.on("request", self._request)
        self.page.route("**/*", self._route)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.console.append(message.text)

    def _request(self, request: Any) -> None:
        if not request.url.startswith(("file://", "data:")):
            self.outside.append(request.url)

    def _route(self, route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def open(self, path: Path) -> Any:
        self.page.goto(path.as_uri())
        return self.page

    def check(self) -> None:
        assert self.dialogs == [], "a dialog opened"
        assert self.errors == [], "the page threw"
        assert self.console == [], "the console reported errors"
        assert self.outside == [], "the page asked for something outside its file"
        self.context.close()


def shoot(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    keep = os.environ.get("WIRELENS_SCREENSHOTS")
    if keep and os.path.isdir(keep):
        shutil.copy(path, keep)
    return path


def counter(page: Any) -> str:
    text: str = page.locator("#wl-counter").inner_text()
    return text


def current_arrow(page: Any) -> list[str]:
    found: list[str] = page.eval_on_selector_all(
        ".pkt.current", "gs => gs.map(g => g.dataset.packet)")
    return found


def style(page: Any, selector: str, prop: str) -> str:
    value: str = page.eval_on_selector(
        selector, f"e => getComputedStyle(e).getPropertyValue('{prop}')")
    return value


# ---------------------------------------------------------------- stepping


def test_stepping_with_the_keyboard_and_by_clicking(browser: Any, pages: dict[str, Path],
                                                    tmp_path: Path) -> None:
    w = Watched(browser, WIDE)
    page = w.open(pages["sample"])
    assert counter(page) == "1 / 10" and current_arrow(page) == ["1"]
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert counter(page) == "3 / 10" and current_arrow(page) == ["3"]
    assert page.locator(".pk-num").inner_text() == "#3"
    page.keyboard.press("Space")
    assert counter(page) == "4 / 10"
    page.keyboard.press("ArrowLeft")
    assert counter(page) == "3 / 10"
    page.keyboard.press("End")
    assert counter(page) == "10 / 10" and current_arrow(page) == ["10"]
    page.keyboard.press("ArrowRight")  # stays on the last step
    assert counter(page) == "10 / 10"
    page.keyboard.press("Home")
    assert counter(page) == "1 / 10"
    page.click("#wl-next")
    assert counter(page) == "2 / 10"
    page.click('.pkt[data-packet="7"]')
    assert counter(page) == "7 / 10" and current_arrow(page) == ["7"]
    page.click("#wl-prev")
    page.keyboard.press("Space")  # the clicked button does not keep the focus and click again
    assert counter(page) == "7 / 10"
    # the current arrow is drawn in another colour, thicker
    assert style(page, ".pkt.current .arrow", "stroke") != style(
        page, '.pkt[data-packet="1"] .arrow', "stroke")
    assert float(style(page, ".pkt.current .arrow", "stroke-width").removesuffix("px")) > 3
    shoot(page, tmp_path, "normal-zh")
    w.check()


def test_each_step_shows_its_layers_states_and_notes(browser: Any, pages: dict[str, Path]) -> None:
    w = Watched(browser, WIDE)
    page = w.open(pages["sample"])
    layers = page.eval_on_selector_all(".layer", "ls => ls.map(l => l.dataset.layer)")
    assert layers == ["Frame", "Ethernet", "IPv4", "TCP"]
    assert page.locator(".states-box .line").all_inner_texts() == [
        "CLOSED\n→\nSYN_SENT", "LISTEN\n→\nSYN_RECEIVED"]
    assert page.locator(".st.changed").all_inner_texts() == ["SYN_SENT", "SYN_RECEIVED"]
    assert page.locator(".note.v-differs").count() >= 1  # the notes' 18-byte Ethernet header
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    layers = page.eval_on_selector_all(".layer", "ls => ls.map(l => l.dataset.layer)")
    assert layers == ["Frame", "Ethernet", "IPv4", "TCP", "Payload"]
    assert "Hello, Server!" in page.locator('.layer[data-layer="Payload"]').inner_text()
    # the state diagrams follow: the client's current state is marked, its path drawn
    now = page.eval_on_selector_all(
        "svg.states .node.now", "ns => ns.map(n => n.closest('svg').dataset.side + ':' + "
        "n.dataset.state)")
    assert now == ["client:ESTABLISHED", "server:ESTABLISHED"]
    path = page.eval_on_selector_all(
        'svg.states[data-side="server"] .edge.path', "es => es.map(e => e.dataset.edge)")
    assert "LISTEN|rcv_syn" in path and "LAST_ACK|rcv_ack_of_fin" in path
    w.check()


def test_the_hex_view_and_the_fields_light_each_other_up(browser: Any,
                                                        pages: dict[str, Path]) -> None:
    w = Watched(browser, WIDE)
    page = w.open(pages["sample"])

    def lit() -> list[int]:
        found: list[int] = page.eval_on_selector_all(
            ".hex .b.hl", "bs => bs.map(b => Number(b.dataset.i))")
        return found

    def lit_fields() -> list[str]:
        found: list[str] = page.eval_on_selector_all(
            "tr.hl .fname", "cs => cs.map(c => c.textContent)")
        return found

    page.locator('.layer[data-layer="TCP"] tr', has_text="srcport").hover()
    assert lit() == [34, 35]
    assert page.locator(".hex .a.hl").count() == 2  # the text column too
    page.locator('.hex .b[data-i="23"]').hover()
    assert lit_fields() == ["proto"] and lit() == [23]
    page.locator('.hex .b[data-i="47"]').hover()  # one byte, eight flags
    assert {"flags.syn", "flags.ack", "flags.fin"} <= set(lit_fields())
    # a click keeps the highlight after the pointer leaves
    page.locator('.layer[data-layer="IPv4"] tr', has_text="ttl").click()
    page.mouse.move(5, 500)
    assert lit() == [22]
    w.check()


# ---------------------------------------------------------------- languages and modes


def test_switching_language(browser: Any, pages: dict[str, Path], tmp_path: Path) -> None:
    w = Watched(browser, WIDE)
    page = w.open(pages["sample"])
    assert page.get_attribute("html", "data-ui") == "zh"
    assert page.locator(".pk-role").inner_text() == "握手第 1/3 步（SYN）"
    assert page.locator('.ladder text[data-lang="zh"]', has_text="客户端").is_visible()
    page.click('[data-set-lang="en"]')
    assert page.get_attribute("html", "data-ui") == "en"
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator(".pk-role").inner_text() == "handshake step 1/3 (SYN)"
    assert page.locator('.ladder text[data-lang="en"]', has_text="client").is_visible()
    assert not page.locator('.ladder text[data-lang="zh"]', has_text="客户端").is_visible()
    assert page.locator("#wl-projection").inner_text().endswith("Projection")
    page.keyboard.press("ArrowRight")
    shoot(page, tmp_path, "normal-en")
    page.keyboard.press("l")
    assert page.get_attribute("html", "data-ui") == "zh" and counter(page) == "2 / 10"
    assert "握手" in page.locator(".pk-role").inner_text()
    w.check()


def chinese_renders(page: Any) -> bool:
    """Chinese text is drawn with real glyphs, not the empty boxes of a missing font."""
    width = page.evaluate("""text => {
        const c = document.createElement('canvas').getContext('2d');
        c.font = '40px ' + getComputedStyle(document.body).fontFamily;
        return [c.measureText(text).width, c.measureText('\\uE000\\uE001').width,
                c.measureText('\\u65E0\\u6CD5').width];
    }""", "握手")
    return bool(width[0] > 0 and width[0] != width[1] and width[0] == width[2])


def test_projection_mode_at_1920x1080(browser: Any, pages: dict[str, Path],
                                      tmp_path: Path) -> None:
    w = Watched(browser, PROJECTOR)
    page = w.open(pages["sample"])
    assert chinese_renders(page)
    page.keyboard.press("p")
    assert "projection" in (page.get_attribute("html", "class") or "")
    assert page.get_attribute("#wl-projection", "aria-pressed") == "true"
    # big type: the root size grows with the screen, the packet's heading twice that
    base = float(style(page, "html", "font-size").removesuffix("px"))
    assert base >= 24
    assert float(style(page, ".pk-role", "font-size").removesuffix("px")) >= 1.3 * base
    # one step per screen: the page itself does not scroll, the ladder fits the height
    assert page.evaluate("document.scrollingElement.scrollHeight <= innerHeight + 1")
    box = page.locator(".ladder-box svg").bounding_box()
    assert box is not None and box["y"] + box["height"] <= PROJECTOR[1] + 1
    # the normal view's extras are gone; the layer boxes stay
    assert not page.locator(".summary").is_visible()
    assert not page.locator('.layer[data-layer="Frame"]').is_visible()
    assert page.locator('.layer[data-layer="TCP"]').is_visible()
    # ladder left, packet right
    left = page.locator(".left").bounding_box()
    right = page.locator(".right").bounding_box()
    assert left is not None and right is not None and left["x"] + left["width"] <= right["x"]
    shoot(page, tmp_path, "projection-zh-light-step1")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert counter(page) == "3 / 10"
    shoot(page, tmp_path, "projection-zh-light")
    page.keyboard.press("t")
    assert page.get_attribute("html", "data-theme") == "dark"
    assert style(page, "body", "background-color") == "rgb(0, 0, 0)"
    shoot(page, tmp_path, "projection-zh-dark")
    page.keyboard.press("t")
    assert style(page, "body", "background-color") == "rgb(255, 255, 255)"
    page.keyboard.press("s")
    assert page.locator('svg.states[data-side="client"]').is_visible()
    shoot(page, tmp_path, "projection-zh-states")
    page.keyboard.press("s")
    page.keyboard.press("p")
    assert "projection" not in (page.get_attribute("html", "class") or "")
    assert page.locator(".summary").is_visible()
    w.check()


def test_dark_theme_in_the_normal_view(browser: Any, pages: dict[str, Path],
                                       tmp_path: Path) -> None:
    w = Watched(browser, WIDE)
    page = w.open(pages["sample"])
    page.click("#wl-theme")
    assert page.get_attribute("html", "data-theme") == "dark"
    assert style(page, "body", "background-color") != "rgb(255, 255, 255)"
    shoot(page, tmp_path, "normal-zh-dark")
    w.check()


def test_wide_screens_side_by_side_narrow_ones_stacked(browser: Any, pages: dict[str, Path],
                                                       tmp_path: Path) -> None:
    for size, side_by_side in ((WIDE, True), (NARROW, False)):
        w = Watched(browser, size)
        page = w.open(pages["sample"])
        left = page.locator(".left").bounding_box()
        right = page.locator(".right").bounding_box()
        assert left is not None and right is not None
        if side_by_side:
            assert left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 5
        else:
            assert right["y"] >= left["y"] + left["height"] - 1
            shoot(page, tmp_path, "narrow-zh")
        w.check()


def test_the_jupyter_fragment_runs_in_its_sandboxed_frame(browser: Any, tmp_path: Path) -> None:
    page_file = tmp_path / "notebook.html"
    exp = notebook.explain_file(sample_path())
    page_file.write_text(f"<!DOCTYPE html><meta charset=utf-8><body>{exp._repr_html_()}</body>",
                         "utf-8")
    w = Watched(browser, WIDE)
    page = w.open(page_file)
    frame = page.frame_locator("iframe")
    assert frame.locator("#wl-counter").inner_text() == "1 / 10"
    frame.locator("#wl-next").click()
    frame.locator("#wl-next").click()
    assert frame.locator("#wl-counter").inner_text() == "3 / 10"
    frame.locator('[data-set-lang="en"]').click()
    assert frame.locator(".pk-role").inner_text() == "handshake step 3/3 (ACK)"
    w.check()


# ---------------------------------------------------------------- a hostile capture


def test_a_hostile_capture_shows_as_text_and_runs_nothing(browser: Any, pages: dict[str, Path],
                                                          tmp_path: Path) -> None:
    w = Watched(browser, WIDE)
    page = w.open(pages["hostile"])
    total = int(counter(page).split(" / ")[1])
    for _ in range(total):  # every step drawn, in both languages and both views
        page.keyboard.press("ArrowRight")
        page.keyboard.press("l")
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    payload = page.locator('.layer[data-layer="Payload"] .fval')
    assert payload.inner_text() == SCRIPT + IMG
    payload.hover()
    page.keyboard.press("p")
    shoot(page, tmp_path, "hostile-projection")
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 2  # the data and the page's own script
    assert page.evaluate("document.querySelectorAll('[onerror]').length") == 0
    assert IMG + "()" in page.locator(".ladder").first.inner_html().replace("&lt;", "<").replace(
        "&gt;", ">")
    w.check()
