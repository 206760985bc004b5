"""The HTML page, without a browser (its drawings: test_svg.py and test_statediagram.py)."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest

from tests.render.pages import IMG, SCRIPT, hostile, sample, twenty_packets
from wirelens.explain.catalog import load
from wirelens.explain.tcp_state import Event
from wirelens.render import html


@cache
def sample_page() -> str:
    return html.render_page(sample(), "zh", nonce="n0nce")


def page_json(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="wl-data">(.*?)</script>', page, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def tags(page: str) -> list[str]:
    """Every start tag of the page, outside the JSON data."""
    outside = re.sub(r'(<script type="application/json" id="wl-data">).*?(</script>)', r"\1\2",
                     page, flags=re.S)
    return re.findall(r"<[a-zA-Z][^>]*>", outside)


# ---------------------------------------------------------------- structure


def test_the_page_is_one_document_with_both_panes_and_the_controls() -> None:
    page = sample_page()
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<html") == 1 and page.rstrip().endswith("</html>")
    for anchor in ('id="wl-detail"', 'id="wl-counter"', 'id="wl-prev"', 'id="wl-next"',
                   'id="wl-projection"', 'id="wl-theme"', 'data-set-lang="zh"',
                   'data-set-lang="en"', 'class="ladder"', 'class="states"'):
        assert anchor in page, anchor
    assert ">1 / 10<" in page
    assert page.count('class="pkt ') == 10  # one clickable arrow per packet
    assert page.count('<svg class="states"') == 2  # a state diagram per endpoint


def test_the_data_has_a_step_per_packet_with_layers_bytes_and_states() -> None:
    data = page_json(sample_page())
    steps = data["steps"]
    assert [s["n"] for s in steps] == list(range(1, 11))
    first = steps[0]
    assert [layer["name"] for layer in first["layers"]] == ["Frame", "Ethernet", "IPv4", "TCP"]
    assert bytes.fromhex(first["hex"]) == sample().packets[0].data
    assert first["before"] == ["CLOSED", "LISTEN"]
    assert first["after"] == ["SYN_SENT", "SYN_RECEIVED"]
    assert first["edges"] == {"client": ["CLOSED|snd_syn"], "server": ["LISTEN|rcv_syn"]}
    src = next(f for layer in first["layers"] for f in layer["fields"]
               if f["name"] == "tcp.srcport")
    assert (src["offset"], src["length"], src["value"]) == (34, 2, "41062")
    assert data["paths"]["1"]["server"]["edges"][-1] == "LAST_ACK|rcv_ack_of_fin"
    assert data["paths"]["1"]["client"]["end"] == "TIME_WAIT"


def test_both_languages_are_embedded_and_the_first_one_is_chosen() -> None:
    page = sample_page()
    data = page_json(page)
    assert data["lang"] == "zh" and set(data["ui"]) == {"zh", "en"}
    role = data["steps"][0]["role"]
    assert role == {"zh": "握手第 1/3 步（SYN）", "en": "handshake step 1/3 (SYN)"}
    meaning = data["steps"][0]["layers"][3]["fields"][0]["text"]
    assert set(meaning) == {"zh", "en"} and meaning["zh"] != meaning["en"]
    assert '<html lang="zh-CN" data-ui="zh"' in page
    # the drawings carry both languages, one element each
    assert 'data-lang="zh">客户端</text>' in page and 'data-lang="en">client</text>' in page
    english = html.render_page(sample(), "en")
    assert '<html lang="en" data-ui="en"' in english and page_json(english)["lang"] == "en"
    with pytest.raises(ValueError):
        html.render_page(sample(), "fr")


def test_every_html_catalog_key_exists_in_both_languages() -> None:
    for lang in ("zh", "en"):
        texts = load(lang)
        for event in Event:
            assert f"html.event.{event.value}" in texts
        for phase in ("handshake", "data", "close", "reset"):
            assert f"html.phase.{phase}" in texts
        for kind in set(html.LAYER_KINDS.values()):
            assert f"html.layer.{kind}" in texts
    assert {k for k in load("zh") if k.startswith("html.")} == {
        k for k in load("en") if k.startswith("html.")}


# ---------------------------------------------------------------- safety


def test_the_policy_allows_only_the_pages_own_script_and_style() -> None:
    page = sample_page()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert policy is not None
    rules = dict(rule.strip().split(" ", 1) for rule in policy.group(1).split(";"))
    assert rules["default-src"] == "'none'"
    assert rules["script-src"] == "'nonce-n0nce'"
    assert rules["style-src"] == "'nonce-n0nce'"
    assert rules["img-src"] == "data:"
    assert "unsafe" not in policy.group(1)
    # the policy comes before any script or style
    assert page.index("Content-Security-Policy") < page.index("<style")
    scripts = [t for t in tags(page) if t.startswith("<script")]
    assert scripts == ['<script type="application/json" id="wl-data">',
                       '<script nonce="n0nce">']
    assert [t for t in tags(page) if t.startswith("<style")] == ['<style nonce="n0nce">']


def test_a_new_nonce_for_every_page() -> None:
    def nonce(page: str) -> str:
        found = re.search(r"'nonce-([0-9a-f]+)'", page)
        assert found is not None
        return found.group(1)

    first, second = (nonce(html.render_page(sample(), "zh")) for _ in range(2))
    assert first != second and len(first) >= 32


def test_the_page_refers_to_nothing_outside_itself() -> None:
    for tag in tags(sample_page()):
        for _attribute, value in re.findall(r'\s(src|href|action|srcset|poster|data)="([^"]*)"',
                                            tag):
            assert value.startswith("data:"), tag
        assert not re.search(r"\son[a-z]+=", tag), tag  # no inline handlers (CSP forbids them)
        assert " style=" not in tag, tag  # no inline style attributes either
    urls = set(re.findall(r"https?://[^\s\"')<]+", sample_page()))
    assert urls <= {"http://www.w3.org/2000/svg"}  # the SVG namespace: a name, never fetched


def test_captured_markup_is_text_not_markup() -> None:
    page = html.render_page(hostile(), "en")
    assert SCRIPT not in page and IMG not in page
    assert "alert(1)" in page  # the text is there, escaped
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # socket call name, in the ladder
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.pcap" in page  # the source, in the footer
    data = page_json(page)
    payload = next(f for s in data["steps"] for layer in s["layers"] for f in layer["fields"]
                   if f["name"] == "tcp.payload")
    assert payload["value"] == SCRIPT + IMG
    assert [t for t in tags(page) if t.startswith(("<script", "<img", "<iframe"))] == [
        '<script type="application/json" id="wl-data">', f'<script nonce="{nonce_of(page)}">']
    assert "\\u003cscript\\u003e" in page  # tojson escapes < > inside the script element


def nonce_of(page: str) -> str:
    found = re.search(r"'nonce-([0-9a-f]+)'", page)
    assert found is not None
    return found.group(1)


def test_the_jupyter_fragment_is_the_page_in_a_sandboxed_frame() -> None:
    fragment = hostile()._repr_html_()
    assert fragment.startswith("<iframe srcdoc=\"&lt;!DOCTYPE html&gt;")
    assert 'sandbox="allow-scripts"' in fragment and "allow-same-origin" not in fragment
    assert SCRIPT not in fragment and "&lt;script" in fragment
    assert fragment.count("<") == 1 + fragment.count("</iframe>")  # one element, all else text


# ---------------------------------------------------------------- size


def test_the_sample_page_stays_small() -> None:
    assert len(sample_page().encode("utf-8")) < 1_000_000


def test_a_twenty_packet_page_stays_under_a_megabyte() -> None:
    exp = twenty_packets()
    assert len(exp.packets) == 20
    assert len(html.page_bytes(exp, "zh")) < 1_000_000


def test_a_long_capture_is_cut_to_the_first_steps_and_says_so(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html, "MAX_PACKETS", 4)
    page = html.render_page(sample(), "en")
    assert len(page_json(page)["steps"]) == 4 and page_json(page)["total"] == 10
    assert ">1 / 4<" in page and page.count('class="pkt ') == 4
    assert "This page shows the first 4 of 10 packets." in page


def test_a_capture_without_tcp_has_a_ladder_but_no_state_diagram() -> None:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    from wirelens.explain.explainer import explain
    from wirelens.explain.records import Frame

    datagram = Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=4000, dport=9) / b"hi"
    page = html.render_page(explain([Frame(1, 10**18, bytes(datagram))]), "en")
    assert page.count('class="pkt ') == 1 and '<svg class="states"' not in page
    assert html.render_page(explain([]), "en").count('class="pkt ') == 0
