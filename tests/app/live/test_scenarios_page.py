"""``explain-demo SCENARIO --live``: the library's scenarios stepped on the live page in
real Chromium (Playwright); the class picks which held packet goes first; a dropped
datagram ends the exchange cleanly; the language survives a reload. Live (root).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.app.live.driver import Demo, nothing_left
from tests.app.live.test_page import WAIT_MS, Live, release_to_the_end, shark

pytestmark = pytest.mark.live
CLIENT = "10.199.0.1"


def test_refused_on_the_page_ends_with_the_servers_rst(browser: Any, tmp_path: Path) -> None:
    saved = tmp_path / "live.pcapng"
    demo = Demo("--save", str(saved), scenario="refused")
    try:
        live = Live(browser, demo)
        number, bar = live.oldest()
        assert number == 1 and "connect() blocking" in bar
        release_to_the_end(live)
        live.over()
        final = live.page.frame_locator("iframe.shown")
        final.locator(".summary").wait_for(timeout=WAIT_MS)
        live.close()
        assert demo.wait() == 0, demo.stderr()
    finally:
        demo.kill()
    rows = shark(saved, "ip.src tcp.flags.syn tcp.flags.reset")
    assert [r[0] for r in rows if r[1] == "1"][:1] == [CLIENT]  # the client's SYN
    assert any(r[0] != CLIENT and r[2] == "1" for r in rows)  # answered by a RST
    assert not nothing_left(demo.proc.pid)


def test_a_dropped_datagram_is_not_resent_and_the_exchange_ends(browser: Any,
                                                                tmp_path: Path) -> None:
    saved = tmp_path / "live.pcapng"
    demo = Demo("--save", str(saved), scenario="udp")
    try:
        live = Live(browser, demo)
        number, _ = live.oldest()
        live.page.click("#wl-drop")
        live.gone(number)
        live.page.locator("#wl-status .resend", has_text="no kernel sends again").wait_for(
            timeout=WAIT_MS)
        live.over()  # both recvfrom() gave up about a second later: nothing else was held
        assert live.page.evaluate("() => document.body.dataset.held") == ""
        live.close()
        assert demo.wait() == 0, demo.stderr()
    finally:
        demo.kill()
    rows = shark(saved, "ip.src udp.length")
    assert [r[0] for r in rows if r[1]] == [CLIENT]  # it left the client, once, and no more
    assert not nothing_left(demo.proc.pid)


def test_the_class_releases_the_newer_of_two_held_packets_first(browser: Any,
                                                                 tmp_path: Path) -> None:
    """half-close: the client's request and its FIN wait on the wire together; the class
    picks the FIN (the newer) and releases it first: the server gets it first."""
    saved = tmp_path / "live.pcapng"
    demo = Demo("--save", str(saved), scenario="half-close")
    try:
        live = Live(browser, demo)
        for _ in range(3):  # the handshake, in arrival order
            number, _ = live.oldest()
            live.page.keyboard.press("ArrowRight")
            live.gone(number)
        live.page.wait_for_function(
            "() => (document.body.dataset.held || '').split(' ').filter(Boolean).length >= 2",
            timeout=WAIT_MS)
        older, newer = (int(n) for n in
                        live.page.evaluate("() => document.body.dataset.held").split()[:2])
        live.page.click(f'#wl-pick button[data-packet="{newer}"]')
        assert live.page.evaluate("() => document.body.dataset.chosen") == str(newer)
        assert live.page.get_attribute(f'#wl-pick button[data-packet="{newer}"]',
                                       "aria-pressed") == "true"
        live.page.click("#wl-next")
        live.gone(newer)
        assert str(older) in live.page.evaluate("() => document.body.dataset.held").split()
        release_to_the_end(live)
        live.close()
        assert demo.wait() == 0, demo.stderr()
    finally:
        demo.kill()
    # the merged capture is the story as each receiver lived it: the server got the FIN first
    rows = shark(saved, "ip.src tcp.len tcp.flags.fin")
    client = [(int(r[1]), r[2]) for r in rows if r[0] == CLIENT]
    fin = next(i for i, (_, f) in enumerate(client) if f == "1")
    data = next(i for i, (n, _) in enumerate(client) if n > 0)
    assert fin < data, client
    assert not nothing_left(demo.proc.pid)


def test_the_language_chosen_in_the_view_survives_a_reload(browser: Any) -> None:
    demo = Demo(scenario="refused")
    try:
        live = Live(browser, demo)
        live.oldest()
        frame = live.page.frame_locator("iframe.shown")
        frame.locator('[data-set-lang="zh"]').first.click()
        live.page.wait_for_function("() => location.search.includes('lang=zh')",
                                    timeout=WAIT_MS)
        assert live.page.inner_text("#wl-next").startswith("放行")
        live.page.reload()
        live.page.wait_for_function("() => document.body.dataset.held", timeout=WAIT_MS)
        assert live.page.inner_text("#wl-next").startswith("放行")
        assert live.page.evaluate("() => document.documentElement.lang") == "zh-CN"
        live.close()
    finally:
        demo.kill()
