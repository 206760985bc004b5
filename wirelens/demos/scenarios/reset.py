"""``reset``: two ways a connection ends with a RST instead of FINs.

1. Close with unread data: the client's bytes arrived (the server looks at them with
   MSG_PEEK, which leaves them unread), then the server calls close(). Unread data would
   be lost silently, so the kernel aborts with a RST; the client's recv() raises
   ConnectionResetError.
2. SO_LINGER with a zero timeout: the client's close() throws away whatever is left and
   sends a RST at once; the server's recv() raises ConnectionResetError.
"""

from __future__ import annotations

import socket
import struct
import threading

from wirelens.demos.scenarios.base import Demo, Scenario, describe_bytes
from wirelens.demos.scenarios.servers import accept, connect, listening
from wirelens.demos.tcp import DemoError
from wirelens.explain.watchers import ResetSeen

UNREAD = b"You will never read this."
LINGER_ZERO = struct.pack("ii", 1, 0)  # struct linger: l_onoff = 1, l_linger = 0 seconds


def _expect_reset(demo: Demo, side: str, sock: socket.socket) -> None:
    try:
        demo.call(side, "recv", sock.recv, 1024, describe=describe_bytes, nbytes=len)
    except ConnectionResetError:
        return
    raise DemoError(f"the {side}'s recv() did not see the RST")


def unread_data(demo: Demo, server: socket.socket, port: int) -> None:
    def serve() -> None:
        conn = accept(demo, server)
        demo.call("server", "recv", conn.recv, 1024, socket.MSG_PEEK,
                  describe=lambda d: f"MSG_PEEK: {describe_bytes(d)}", nbytes=len)
        demo.call("server", "close", conn.close)

    demo.thread("server", serve)
    client = connect(demo, port)
    demo.call("client", "send", client.send, UNREAD, describe=lambda _: describe_bytes(UNREAD),
              nbytes=lambda n: n)
    _expect_reset(demo, "client", client)
    demo.call("client", "close", client.close)
    demo.join()


def linger_zero(demo: Demo, server: socket.socket, port: int) -> None:
    accepted = threading.Event()

    def serve() -> None:
        conn = accept(demo, server)
        accepted.set()
        _expect_reset(demo, "server", conn)
        demo.call("server", "close", conn.close)

    demo.thread("server", serve)
    client = connect(demo, port)
    if not accepted.wait(demo.timeout):
        raise DemoError("the server did not accept")
    demo.call("client", "setsockopt", client.setsockopt, socket.SOL_SOCKET, socket.SO_LINGER,
              LINGER_ZERO, describe=lambda _: "SO_LINGER on, 0 s")
    demo.call("client", "close", client.close)
    demo.join()


def run(demo: Demo) -> None:
    server, port = listening(demo)
    demo.start_capture(port)
    unread_data(demo, server, port)
    linger_zero(demo, server, port)
    demo.call("server", "close", server.close)


SCENARIO = Scenario("reset", "scenario.reset.summary", run,
                    stop=lambda port: ResetSeen(conversations=2))
