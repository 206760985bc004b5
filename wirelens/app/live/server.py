"""The live page's server: aiohttp on 127.0.0.1, a free port, in the class's process.

Why aiohttp: one well-kept library gives both the HTTP server and the WebSocket (its
framing, ping and close handshake), on asyncio, which also watches the pipes from the wire
and from the privileged side (``loop.add_reader``) in the same thread as the sockets: no
locks, no second framework. (Starlette would need uvicorn beside it for the same.)

Who may talk to it. The address is printed with a random token (``?t=``): every request
must carry it, compared in constant time; a request without it, with another token, with
an ``Origin`` that is not this server's own, or a ``Host`` that is not 127.0.0.1:PORT (a
rebound DNS name) gets 403 and changes nothing. The shell page (``live.html.j2``) allows
its own nonce'd script and style, a WebSocket to this origin and frames from it, nothing
else; the packet views inside it are the ordinary classroom page, each with its own CSP.

What it says. The shell holds a WebSocket; after every change (the wire held, delivered
or dropped a frame, a socket call began or returned, a kernel's timer moved) it gets the
room's state as JSON, and loads ``/view?v=N`` (the classroom page of every frame so far,
at the held packet) into a frame. The shell sends ``{"do": "next"}`` (release the oldest
held frame) or ``{"do": "drop"}``, with ``"n"`` when the class picked another held packet;
the server writes ``release N`` / ``drop N`` to the wire's loop. A dropped frame is told to
the privileged side (a ``d`` down the ``ready`` pipe): a recvfrom() waiting for a datagram
gives up. When the exchange is over the privileged side's final child sends the page
of the whole capture, served at ``/final``.

It ends when the page has been closed for ``GRACE`` s (a reload comes back sooner), or on
SIGTERM / SIGINT.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import sys
import time
import webbrowser
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from wirelens.app.live import news
from wirelens.app.live.room import DROPPED, SIDE_OF, Room
from wirelens.capture import gateline
from wirelens.explain.catalog import LANGUAGES, Catalog
from wirelens.explain.text import msg
from wirelens.render.html import both, live_shell, render_page

GRACE = 3.0  # s without any page before the class is taken to have left
MAX_MESSAGE = 4096  # bytes of one message from the page
MAX_PAGE = 64 * 1024 * 1024  # bytes of the final page read from its pipe
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Channels:
    commands: int  # to the wire: release N / drop N
    events: int  # from the wire: held / out / dropped
    news: int  # from the privileged side
    final: int  # the whole capture's page, at the end
    ready: int  # a byte down it: the page is there, the exchange may begin


@dataclass
class _State:
    room: Room
    channels: Channels
    lang: str
    token: str
    origin: str
    host: str
    sockets: set[web.WebSocketResponse] = field(default_factory=set)
    final: bytes | None = None
    final_parts: list[bytes] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    ever_connected: bool = False
    leave_timer: asyncio.TimerHandle | None = None
    lines: dict[int, gateline.Lines] = field(default_factory=dict)


def preload() -> None:
    """What serving needs, imported while the process may still read every file."""
    # imports these here on purpose: loading them, while still root, is the point
    import aiohttp.http_websocket  # noqa: F401
    import aiohttp.web_ws  # noqa: F401

    from wirelens.render.html import _environment

    _environment().get_template("live.html.j2")


def serve(channels: Channels, lang: str, open_page: bool = False, *,
          server_listening: bool = True) -> int:
    return asyncio.run(_main(channels, lang, open_page, Room(server_listening=server_listening)))


async def _main(channels: Channels, lang: str, open_page: bool, room: Room) -> int:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    state = _State(room, channels, lang, secrets.token_urlsafe(24),
                   f"http://127.0.0.1:{port}", f"127.0.0.1:{port}")
    app = web.Application(middlewares=[_guard(state)], client_max_size=MAX_MESSAGE)
    app.router.add_get("/", lambda r: _shell(state, r))
    app.router.add_get("/view", lambda r: _view(state, r))
    app.router.add_get("/final", lambda r: _final(state))
    app.router.add_get("/ws", lambda r: _socket(state, r))
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.SockSite(runner, listener, shutdown_timeout=1.0).start()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, state.stop.set)
    loop.add_reader(channels.events, _read_events, state)
    loop.add_reader(channels.news, _read_news, state)
    loop.add_reader(channels.final, _read_final, state)
    url = f"{state.origin}/?t={state.token}"
    print(Catalog(lang).text("live.url", url=url), flush=True)
    if open_page:
        loop.run_in_executor(None, _open, url)
    try:
        await state.stop.wait()
    finally:
        for ws in list(state.sockets):
            await ws.close()
        await runner.cleanup()
    return 0


def _open(url: str) -> None:
    try:
        if webbrowser.open(url):
            return
    except webbrowser.Error:
        pass
    print(f"no browser could be started here: open {url} yourself", file=sys.stderr)


# ---------------------------------------------------------------- who may ask


def _guard(state: _State) -> Any:
    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        token = request.query.get("t", "")
        origin = request.headers.get("Origin")
        if (not secrets.compare_digest(token.encode(), state.token.encode())
                or (origin is not None and origin != state.origin)
                or request.headers.get("Host") != state.host):
            return web.Response(status=403, text="forbidden\n", headers=HEADERS)
        return await handler(request)

    return guard


# ---------------------------------------------------------------- what it serves


def _csp(nonce: str, state: _State) -> str:
    ws = state.origin.replace("http://", "ws://", 1)
    return (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
            f"connect-src {ws}; frame-src {state.origin}; img-src data:; base-uri 'none'; "
            f"form-action 'none'")


def _lang(state: _State, request: web.Request) -> str:
    """The page's language: ``&lang=`` (the page puts it in its address when the class
    switches, so a reload keeps it), else the command line's."""
    asked = request.query.get("lang", "")
    return asked if asked in LANGUAGES else state.lang


async def _shell(state: _State, request: web.Request) -> web.Response:
    nonce = secrets.token_hex(16)
    page = live_shell(_lang(state, request), nonce=nonce, csp=_csp(nonce, state),
                      token=state.token)
    policy = _csp(nonce, state) + "; frame-ancestors 'none'"  # (a header's word only)
    return web.Response(text=page, content_type="text/html", charset="utf-8",
                        headers={**HEADERS, "Content-Security-Policy": policy})


def _framed(html: bytes | str) -> web.Response:
    body = html.encode("utf-8") if isinstance(html, str) else html
    return web.Response(body=body, content_type="text/html", charset="utf-8",
                        headers={**HEADERS, "Content-Security-Policy": "frame-ancestors 'self'"})


async def _view(state: _State, request: web.Request) -> web.Response:
    room = state.room
    held = [s.index for s in room.held()]
    return _framed(render_page(room.explanation(), _lang(state, request), held=held))


async def _final(state: _State) -> web.Response:
    if state.final is None:
        return web.Response(status=404, text="not yet\n", headers=HEADERS)
    return _framed(state.final)


async def _socket(state: _State, request: web.Request) -> web.WebSocketResponse:
    # no heartbeat: on loopback a closed page closes its connection, and a pong late under
    # load must not end the class's exchange
    ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE)
    await ws.prepare(request)
    state.sockets.add(ws)
    if not state.ever_connected:
        try:
            os.write(state.channels.ready, b"r")
        except OSError:
            pass
    state.ever_connected = True
    if state.leave_timer is not None:
        state.leave_timer.cancel()
        state.leave_timer = None
    try:
        await ws.send_str(_message(state))
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                _obey(state, message.data)
    finally:
        state.sockets.discard(ws)
        if not state.sockets:
            loop = asyncio.get_running_loop()
            state.leave_timer = loop.call_later(GRACE, _left, state)
    return ws


def _left(state: _State) -> None:
    if not state.sockets:
        state.stop.set()


def _obey(state: _State, text: str) -> None:
    """``{"do": "next" | "drop"}`` acts on the oldest held packet; with ``"n"`` (a packet's
    number on the page) on that one, if it is held (the class chose it)."""
    try:
        asked = json.loads(text)
        word = {"next": gateline.RELEASE, "drop": gateline.DROP}[asked["do"]]
        chosen = asked.get("n")
        if chosen is not None and (type(chosen) is not int or chosen < 1):
            return
    except (ValueError, KeyError, TypeError, AttributeError):
        return
    seen = state.room.pick(chosen)
    if seen is None:
        return
    try:
        os.write(state.channels.commands, gateline.command(word, seen.number))
    except OSError:  # the wire has stopped: the exchange is over
        return
    state.room.asked(seen)


# ---------------------------------------------------------------- what it hears


def _lines(state: _State, fd: int) -> list[bytes] | None:
    try:
        chunk = os.read(fd, 1 << 18)
    except BlockingIOError:
        return []
    if not chunk:
        asyncio.get_running_loop().remove_reader(fd)
        return None
    return state.lines.setdefault(fd, gateline.Lines()).feed(chunk)


def _read_events(state: _State) -> None:
    changed = False
    for line in _lines(state, state.channels.events) or []:
        event = gateline.parse_event(line)
        seen = state.room.event(event) if event is not None else None
        if seen is not None:
            changed = True
            if seen.state == DROPPED:  # a recvfrom() waiting for it may give up
                try:
                    os.write(state.channels.ready, news.DROPPED_WORD)
                except OSError:
                    pass
    if changed:
        _broadcast(state)


def _read_news(state: _State) -> None:
    changed = False
    for line in _lines(state, state.channels.news) or []:
        changed = state.room.news(news.read_news(line)) or changed
    if changed:
        _broadcast(state)


def _read_final(state: _State) -> None:
    fd = state.channels.final
    try:
        chunk = os.read(fd, 1 << 20)
    except BlockingIOError:
        return
    if chunk and sum(map(len, state.final_parts)) + len(chunk) <= MAX_PAGE:
        state.final_parts.append(chunk)
        return
    asyncio.get_running_loop().remove_reader(fd)
    if chunk:  # too big to be the page: none is shown
        state.final_parts.clear()
    if state.final_parts:
        state.final = b"".join(state.final_parts)
        state.final_parts.clear()
        _broadcast(state)
    elif not state.room.ended or not state.ever_connected:
        state.stop.set()  # the demo ended without a page to show


def _message(state: _State) -> str:
    room = state.room
    status = room.status(time.time_ns())
    exp = room.explanation()
    for item in status["held"]:
        seen = room.frames[item["n"] - 1]
        packet = exp.packets[item["n"] - 1] if item["n"] <= len(exp.packets) else None
        item["summary"] = packet.summary if packet else ""
        item["role"] = both(packet.role_text) if packet else None
        again = room.resend_text(seen)
        item["resend"] = both(again) if again is not None else None
    # a dropped datagram: said in the bar, since no later packet will show it again
    status["dropped"] = [both(msg("live.dropped_udp", packet=s.index, s=news.GIVE_UP,
                                  side=msg(f"ui.{SIDE_OF[s.direction]}")))
                         for s in room.frames if room.dropped_datagram(s)]
    status["final"] = state.final is not None
    return json.dumps(status, ensure_ascii=False)


def _broadcast(state: _State) -> None:
    if not state.sockets:
        return
    text = _message(state)
    for ws in list(state.sockets):
        asyncio.ensure_future(_send(ws, text))


async def _send(ws: web.WebSocketResponse, text: str) -> None:
    try:
        await ws.send_str(text)
    except (ConnectionError, RuntimeError):
        pass
