"""``zero-window``: a slow reader with a small receive buffer.

The server asks for a small SO_RCVBUF before listen() (so the handshake already offers a
small window) and does not read. The client's bytes fill the buffer; the server
advertises a window of 0; the client, with bytes still to send, probes the closed window
and gets an answer that repeats 0. Only then does the server read: its window opens again
(a window update) and the rest flows. Each step is waited for in the capture, not slept.
"""

from __future__ import annotations

from wirelens.demos.scenarios.base import Demo, Scenario, describe_bytes
from wirelens.demos.scenarios.servers import accept, connect, listening
from wirelens.explain.watchers import ZeroWindowProbeAnswered, ZeroWindowSeen

RCVBUF = 2048  # asked for; Linux doubles it for its bookkeeping
DATA = bytes(range(33, 127)) * 64  # 6016 bytes: about three receive buffers


def run(demo: Demo) -> None:
    server, port = listening(demo, backlog=1, rcvbuf=RCVBUF)
    demo.start_capture(port)

    def serve() -> None:
        conn = accept(demo, server)
        demo.wait_for(ZeroWindowSeen("server"), "a window of 0")
        demo.wait_for(ZeroWindowProbeAnswered("server"), "a probe of the closed window")
        demo.checkpoint("window-closed")
        received = 0
        while True:
            chunk = demo.call("server", "recv", conn.recv, 65536, describe=describe_bytes,
                              nbytes=len)
            if not chunk:
                break
            received += len(chunk)
        demo.reply = str(received).encode()
        demo.call("server", "close", conn.close)
        demo.call("server", "close", server.close)

    demo.thread("server", serve)
    client = connect(demo, port)
    demo.call("client", "sendall", client.sendall, DATA, describe=lambda _: describe_bytes(DATA),
              nbytes=lambda _: len(DATA))
    demo.call("client", "close", client.close)
    demo.join()


SCENARIO = Scenario("zero-window", "scenario.zero-window.summary", run)
