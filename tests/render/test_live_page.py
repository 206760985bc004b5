"""The live page's shell (html.live_shell) and the live view of the classroom page."""

from __future__ import annotations

import json
import re

from tests.render.test_html import page_json, sample
from wirelens.render import html

CSP = ("default-src 'none'; script-src 'nonce-abc'; style-src 'nonce-abc'; "
       "connect-src ws://127.0.0.1:9; frame-src http://127.0.0.1:9")


def test_the_shell_carries_its_policy_its_token_and_only_its_own_script() -> None:
    page = html.live_shell("en", nonce="abc", csp=CSP, token="tok</script>")
    assert f'content="{CSP}"'.replace("'", "&#39;") in page
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts == ['<script type="application/json" id="wl-live">', '<script nonce="abc">']
    config = json.loads(re.search(r'id="wl-live">(.*?)</script>', page, re.S).group(1))
    assert config["token"] == "tok</script>" and config["lang"] == "en"
    assert "tok</script>" not in page  # tojson escapes what could end the element
    assert {"html.live.next", "html.live.held"} <= set(config["ui"]["zh"])
    assert page.count("<iframe") == 2 and 'sandbox="allow-scripts"' in page


def test_a_live_view_marks_its_held_packets_and_a_plain_page_is_unchanged() -> None:
    exp = sample()
    live = page_json(html.render_page(exp, "en", nonce="n", held=[3, 4]))
    assert live["live"] == {"held": [3, 4]}
    assert "live" not in page_json(html.render_page(exp, "en", nonce="n"))
