"""server: the live page's server, run as its own process on pipes the test holds (the
wire's events, the privileged side's news, the final page): who may ask it anything, what
it serves, what the page's WebSocket hears and what its buttons send to the wire. No root,
no lab, no browser."""

from __future__ import annotations

import asyncio
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from tests.capture.wirebuild import HANDSHAKE, segment
from wirelens.capture import gateline

GUARD = 30.0  # seconds: a guard against a hang, not a speed check
URL = re.compile(rb"http://127\.0\.0\.1:(\d+)/\?t=([0-9A-Za-z_-]+)")
T0 = 1_700_000_000_000_000_000

SERVE = """
import sys
from wirelens.app.live.server import Channels, serve
fds = [int(fd) for fd in sys.argv[1:]]
sys.exit(serve(Channels(*fds), "en"))
"""


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    token: str
    commands: int  # what the server writes to the wire (we read)
    events: int  # the wire's events (we write)
    news: int  # the privileged side's news (we write)
    final: int  # the final page (we write)
    ready: int  # what the server writes to the privileged side (we read)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/", token: str | None = None) -> str:
        return f"{self.origin}{path}?t={self.token if token is None else token}"


def _read_within(fd: int, timeout: float = GUARD) -> bytes:
    ready, _, _ = select.select([fd], [], [], timeout)
    assert ready, "nothing came"
    return os.read(fd, 1 << 16)


@pytest.fixture()
def served() -> Iterator[Served]:
    # (read end, write end) of each pipe; the server keeps one end of each
    commands, events, news, final, ready = (os.pipe() for _ in range(5))
    theirs = [commands[1], events[0], news[0], final[0], ready[1]]
    proc = subprocess.Popen([sys.executable, "-c", SERVE, *map(str, theirs)], pass_fds=theirs,
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    for fd in theirs:
        os.close(fd)
    assert proc.stdout is not None
    found = URL.search(_read_within(proc.stdout.fileno()))
    assert found is not None
    yield Served(proc, int(found.group(1)), found.group(2).decode(), commands[0], events[1],
                 news[1], final[1], ready[0])
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    proc.wait(GUARD)
    proc.stdout.close()
    for fd in (commands[0], events[1], news[1], final[1], ready[0]):
        try:
            os.close(fd)
        except OSError:
            pass  # closed by the test already


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with OPENER.open(request, timeout=GUARD) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_the_shell_is_served_with_its_token_and_a_strict_policy(served: Served) -> None:
    status, headers, body = get(served.url())
    assert status == 200 and b"<html" in body.lower()
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert f"connect-src ws://127.0.0.1:{served.port}" in policy
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("how", ["no-token", "wrong-token", "foreign-origin", "rebound-host"])
def test_a_request_that_is_not_the_pages_own_is_forbidden(served: Served, how: str) -> None:
    url, headers = served.url(), {}
    if how == "no-token":
        url = f"{served.origin}/"
    elif how == "wrong-token":
        url = served.url(token="x" * len(served.token))
    elif how == "foreign-origin":
        headers = {"Origin": "http://evil.example"}
    else:
        headers = {"Host": f"evil.example:{served.port}"}
    status, _, body = get(url, **headers)
    assert (status, body) == (403, b"forbidden\n")


def test_the_final_page_is_served_once_it_has_all_come(served: Served) -> None:
    assert get(served.url("/final"))[0] == 404  # not yet
    os.write(served.final, b"<!DOCTYPE html><p>the whole capture</p>")
    os.close(served.final)
    for _ in range(100):
        status, headers, body = get(served.url("/final"))
        if status == 200:
            break
        time.sleep(0.05)  # the server reads the pipe as it comes
    assert body == b"<!DOCTYPE html><p>the whole capture</p>"
    assert headers["Content-Security-Policy"] == "frame-ancestors 'self'"


def test_without_a_final_page_before_any_class_came_it_ends(served: Served) -> None:
    os.close(served.final)  # the demo ended, and nothing to show
    assert served.proc.wait(GUARD) == 0


def test_the_view_is_the_classroom_page_of_the_frames_so_far(served: Served) -> None:
    os.write(served.events, gateline.held(1, "c2s", T0, segment(HANDSHAKE[0], 1)))
    status, _, body = get(served.url("/view"))
    assert status == 200 and b"<!DOCTYPE html>" in body


async def _class_session(served: Served) -> list[dict[str, Any]]:
    """A page that connects, sees the SYN held, presses "next", then leaves."""
    said: list[dict[str, Any]] = []
    url = f"ws://127.0.0.1:{served.port}/ws?t={served.token}"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        said.append(json.loads((await ws.receive(GUARD)).data))
        os.write(served.events, gateline.held(1, "c2s", T0, segment(HANDSHAKE[0], 1)))
        said.append(json.loads((await ws.receive(GUARD)).data))
        await ws.send_str(json.dumps({"do": "next"}))
        await ws.send_str("not json")  # ignored
    return said


def test_the_page_hears_each_change_and_its_button_releases_the_held_frame(
        served: Served) -> None:
    said = asyncio.run(_class_session(served))
    assert said[0]["held"] == [] and said[0]["final"] is False
    (held,) = said[1]["held"]
    assert held["n"] == 1 and held["summary"]
    assert _read_within(served.ready) == b"r"  # the page is there: the exchange may begin
    assert _read_within(served.commands) == gateline.command(gateline.RELEASE, 1)
    # The page closed: the server ends after its grace time (no page came back).
    assert served.proc.wait(GUARD) == 0
