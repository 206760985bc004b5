"""``backlog``: what the number given to listen() limits.

The server calls listen(1) and does not accept() yet. Two clients connect: the kernel
completes both handshakes on its own and queues the two finished connections (Linux
holds backlog + 1). A third client's SYN finds the accept queue full: Linux drops it, it
does not refuse it, so the client sends the SYN again after about a second. Once that
second SYN is in the capture, the kernel is asked (the listener shows its queue), the
server accepts the queued two, and the third client's next SYN gets in. Then everyone
closes. Nothing is slept: each step waits for an event, within a few seconds in all.
"""

from __future__ import annotations

import socket

from wirelens.demos.scenarios.base import Demo, Scenario
from wirelens.demos.scenarios.servers import accept, connect, listening
from wirelens.demos.tcp import TIMEOUT, DemoError
from wirelens.explain.watchers import SynRetransmitted

BACKLOG = 1
CLIENTS = 3
EXTRA_TIMEOUT = 3 * TIMEOUT  # the third client waits through its SYN's retransmissions


def run(demo: Demo) -> None:
    server, port = listening(demo, backlog=BACKLOG)
    demo.start_capture(port)
    clients = [connect(demo, port) for _ in range(CLIENTS - 1)]
    extra: list[socket.socket] = []

    def third_client() -> None:
        sock = demo.open("client")
        sock.settimeout(max(EXTRA_TIMEOUT, demo.timeout))
        demo.call("client", "connect", sock.connect, (demo.host, port),
                  describe=lambda _: f"{demo.host}:{port}")
        extra.append(sock)

    demo.thread("client", third_client)
    demo.wait_for(SynRetransmitted(), "the third client's SYN sent again")
    demo.checkpoint("queue-full")
    conns = [accept(demo, server) for _ in range(CLIENTS)]  # the third once it gets in
    demo.join()
    if not extra:
        raise DemoError("the third client did not connect")
    for client in [*clients, *extra]:
        demo.call("client", "close", client.close)
    for conn in conns:
        demo.call("server", "recv", conn.recv, 1024, describe=repr, nbytes=len)
        demo.call("server", "close", conn.close)
    demo.call("server", "close", server.close)


SCENARIO = Scenario("backlog", "scenario.backlog.summary", run, stop_within=TIMEOUT)
