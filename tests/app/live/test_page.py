"""``explain-demo tcp --live``: the live page in real Chromium (Playwright), stepping a
real exchange over the gated wire; the server's guard; nothing left after SIGKILL.

Never ``playwright install``: Debian's chromium (the Makefile installs it). Live (root).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.app.live.driver import Demo, nothing_left
from tests.conftest import console_script

pytestmark = pytest.mark.live
WAIT_MS = 60_000  # a guard against a hang, not a speed check
# our names of what sets Wireshark's tcp.analysis.retransmission
RESENT = ("retransmission", "fast-retransmission", "spurious-retransmission")


class Live:
    """The live page of one demo, watched for errors and for requests to anywhere else."""

    def __init__(self, browser: Any, demo: Demo) -> None:
        self.demo = demo
        self.url, self.port, self.token = demo.url()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.route("**/*", self._route)
        self.page.goto(self.url)

    def _route(self, route: Any) -> None:
        if route.request.url.startswith(self.origin + "/"):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def held(self, after: int = 0) -> tuple[int, str]:
        """The first packet held on the wire numbered above ``after``, and the bar's text."""
        self.page.wait_for_function(
            f"() => (document.body.dataset.held || '').split(' ')"
            f".some(n => n !== '' && Number(n) > {after})", timeout=WAIT_MS)
        numbers = self.page.evaluate("() => document.body.dataset.held").split()
        return next(int(n) for n in numbers if int(n) > after), self.page.inner_text("#wl-status")

    def oldest(self) -> tuple[int, str]:
        """The packet Next would release (the oldest held), and the bar's text."""
        return self.held(-1)

    def gone(self, number: int) -> None:
        """Waits until packet ``number`` is no longer held."""
        self.page.wait_for_function(
            f"() => !(document.body.dataset.held || '').split(' ').includes('{number}')",
            timeout=WAIT_MS)

    def shown(self, number: int) -> Any:
        """The classroom view in the frame, once it shows packet ``number``."""
        frame = self.page.frame_locator("iframe.shown")
        frame.locator(".pk-num", has_text=re.compile(f"^#{number}$")).wait_for(timeout=WAIT_MS)
        return frame

    def over(self) -> None:
        self.page.locator("#wl-status .over").wait_for(timeout=WAIT_MS)

    def close(self) -> None:
        assert self.errors == [], "the page threw or logged errors"
        assert self.outside == [], "the page asked for something outside its server"
        self.context.close()


def states(frame: Any) -> str:
    return " ".join(frame.locator(".states-box").inner_text().split())


def shark(path: Path, fields: str) -> list[list[str]]:
    assert shutil.which("tshark"), "tshark is not installed (the Makefile installs it)"
    out = subprocess.run(["tshark", "-n", "-r", str(path), "-T", "fields",
                          *[a for f in fields.split() for a in ("-e", f)]],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return [line.split("\t") for line in out.splitlines()]


def release_to_the_end(live: Live) -> None:
    """Next, whatever is held, until the page shows the whole capture."""
    while True:
        live.page.wait_for_function(
            "() => document.body.dataset.held || document.querySelector('#wl-status .over')",
            timeout=WAIT_MS)
        if live.page.locator("#wl-status .over").count():
            return
        first = int(live.page.evaluate("() => document.body.dataset.held").split()[0])
        live.page.keyboard.press("Space")
        live.gone(first)


def test_the_class_steps_the_handshake_and_sees_each_state_change(browser: Any,
                                                                  tmp_path: Path) -> None:
    saved, page = tmp_path / "live.pcapng", tmp_path / "live.html"
    demo = Demo("--save", str(saved), "--html", str(page))
    try:
        live = Live(browser, demo)
        expected = [
            ("handshake step 1/3 (SYN)", "client CLOSED → SYN_SENT server LISTEN → SYN_RECEIVED"),
            ("handshake step 2/3 (SYN-ACK)", "client SYN_SENT → ESTABLISHED"),
            ("handshake step 3/3 (ACK)", "server SYN_RECEIVED → ESTABLISHED"),
        ]
        # Time is real: a SYN held past its timeout comes again, held too; each role is
        # checked on its first packet, and every packet is released in turn.
        seen = 0
        while seen < len(expected):
            role, change = expected[seen]
            number, bar = live.oldest()
            frame = live.shown(number)
            if role in bar:
                assert role in frame.locator(".pk-role").inner_text()
                assert change in states(frame)
                if seen == 0:  # connect() is seen blocking while its SYN is held
                    assert re.search(r"client: connect\(\) blocking", bar), bar
                held_arrow = frame.locator(f'.pkt.held[data-packet="{number}"]')
                assert held_arrow.count() == 1  # drawn held on the ladder
                seen += 1
            live.page.keyboard.press("ArrowRight" if seen % 2 else "Space")
            live.gone(number)
        release_to_the_end(live)
        live.over()
        final = live.page.frame_locator("iframe.shown")
        final.locator(".summary").wait_for(timeout=WAIT_MS)  # the whole capture's page
        live.close()
        assert demo.wait() == 0, demo.stderr()
    finally:
        demo.kill()
    assert len(shark(saved, "frame.number")) >= 10
    assert "Content-Security-Policy" in page.read_text("utf-8")  # --html still writes


def test_a_held_syn_is_resent_after_its_timeout_as_wireshark_flags_it(browser: Any,
                                                                      tmp_path: Path) -> None:
    saved = tmp_path / "live.pcapng"
    demo = Demo("--save", str(saved))
    try:
        live = Live(browser, demo)
        assert live.held()[0] == 1
        number, bar = live.held(1)  # nobody pressed: the client's kernel sent it again
        assert number == 2 and "handshake step 1/3 (SYN)" in bar
        found = re.search(r"Retransmission on timeout .*packet #1 .*RTO (\d+) ms", bar)
        assert found, bar
        assert int(found.group(1)) >= 1000  # the RTO had doubled from its 1 s start
        release_to_the_end(live)
        live.close()
        assert demo.wait() == 0, demo.stderr()
    finally:
        demo.kill()
    rows = shark(saved, "frame.number tcp.flags.syn tcp.flags.ack tcp.analysis.retransmission")
    syns = [row for row in rows if row[1] == "1" and row[2] == "0"]
    assert len(syns) >= 2 and syns[1][3] == "1" and syns[0][3] == ""
    # and wirelens flags the same frames, the resent SYN among them
    overview = json.loads(subprocess.run(
        [str(console_script("explain-pcap")), str(saved), "--summary", "--format", "json"],
        capture_output=True, text=True, check=True, timeout=120).stdout)
    ours = {a["packet"] for c in overview["conversations"] for a in c["anomalies"]
            if a["kind"] in RESENT}
    assert ours == {int(row[0]) for row in rows if row[3] == "1"}
    assert int(syns[1][0]) in ours


def test_a_dropped_data_segment_is_resent(browser: Any, tmp_path: Path) -> None:
    saved = tmp_path / "live.pcapng"
    demo = Demo("--save", str(saved))
    try:
        live = Live(browser, demo)
        while True:
            dropped, bar = live.oldest()
            if "· data ·" in bar:
                break
            live.page.keyboard.press("ArrowRight")
            live.gone(dropped)
        live.page.click("#wl-drop")
        live.gone(dropped)
        resent = f"packet #{dropped} within its retransmission timeout"
        while True:  # the client's kernel sends it again (an ACK may come first)
            number, bar = live.oldest()
            if resent in bar:
                break
            live.page.keyboard.press("ArrowRight")
            live.gone(number)
        again = int(re.search(resent + r".*? as #(\d+)", bar).group(1))
        frame = live.shown(number)
        assert frame.locator(f'.pkt.held[data-packet="{again}"]').count() == 1
        release_to_the_end(live)
        live.close()
        assert demo.wait() == 0, demo.stderr()
    finally:
        demo.kill()
    rows = shark(saved, "ip.src tcp.len tcp.analysis.retransmission")
    sent = [row[2] for row in rows if row[0] == "10.199.0.1" and row[1] == "14"]
    assert sent == ["", "1"]  # the client's message: sent, then resent as Wireshark flags it


def _status(url: str, origin: str | None = None, host: str | None = None) -> int:
    request = urllib.request.Request(url)
    if origin is not None:
        request.add_header("Origin", origin)
    if host is not None:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_403_without_the_token_or_from_another_origin_and_nothing_changes(
        browser: Any) -> None:
    demo = Demo()
    try:
        live = Live(browser, demo)
        assert live.held()[0] == 1
        base = live.origin
        for path in ("/", "/view", "/final", "/ws"):
            assert _status(base + path) == 403
            assert _status(f"{base}{path}?t={live.token}x") == 403
            assert _status(f"{base}{path}?t=") == 403
        assert _status(live.url, origin="http://evil.example") == 403
        assert _status(live.url, host="evil.example") == 403
        assert _status(live.url) == 200
        # a WebSocket from a page of another origin cannot release the held SYN
        other = live.context.new_page()
        other.route("http://evil.example/**", lambda route: route.fulfill(
            body="<html></html>", content_type="text/html"))
        other.goto("http://evil.example/")
        result = other.evaluate("""url => new Promise(done => {
            const ws = new WebSocket(url);
            ws.onopen = () => { ws.send(JSON.stringify({do: "next"})); done("open"); };
            ws.onerror = () => done("refused");
        })""", f"ws://127.0.0.1:{live.port}/ws?t={live.token}")
        assert result == "refused"
        other.close()
        number, bar = live.held()
        assert number == 1 and "connect() blocking" in bar  # still held, nothing released
        live.close()
    finally:
        demo.kill()


def test_sigkill_of_the_demo_leaves_nothing(browser: Any) -> None:
    demo = Demo()
    try:
        live = Live(browser, demo)
        live.held()
        os.kill(demo.proc.pid, signal.SIGKILL)  # the demo's own process, nothing else
        demo.proc.wait(30)
        left = nothing_left(demo.proc.pid)
        assert not left, left
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", live.port), timeout=2).close()
        live.context.close()
    finally:
        demo.kill()


def test_closing_the_page_ends_the_exchange(browser: Any) -> None:
    demo = Demo()
    try:
        live = Live(browser, demo)
        live.held()
        live.close()
        assert demo.wait() == 130
        assert "The page was closed" in demo.stderr()
    finally:
        demo.kill()
    assert not nothing_left(demo.proc.pid)


def test_ctrl_c_ends_the_exchange_and_leaves_nothing(browser: Any) -> None:
    demo = Demo()
    try:
        live = Live(browser, demo)
        live.held()
        os.killpg(demo.proc.pid, signal.SIGINT)  # what Ctrl-C in its terminal sends
        assert demo.wait() == 130
        live.context.close()
    finally:
        demo.kill()
    assert not nothing_left(demo.proc.pid)


def test_play_steps_at_its_pace_and_pause_stops_it(browser: Any) -> None:
    demo = Demo()
    try:
        live = Live(browser, demo)
        live.held()
        live.page.select_option("#wl-pace", "1")
        live.page.keyboard.press("p")
        assert live.page.get_attribute("#wl-play", "aria-pressed") == "true"
        live.gone(1)  # released by themselves, one a second
        live.gone(2)
        live.page.click("#wl-play")
        assert live.page.get_attribute("#wl-play", "aria-pressed") == "false"
        number, _ = live.oldest()
        live.page.wait_for_timeout(2500)  # two and a half paces: nothing went
        assert live.oldest()[0] == number
        live.close()
    finally:
        demo.kill()
