"""``refused``: a client alone. connect() to a port where nothing listens: the server's
kernel answers the SYN with a RST, and connect() raises ConnectionRefusedError.

The port is one the kernel has just handed out and taken back (bind to port 0, close):
free, so nothing listens there.
"""

from __future__ import annotations

import socket

from wirelens.demos.scenarios.base import Demo, Scenario, address
from wirelens.demos.tcp import DemoError
from wirelens.explain.watchers import ResetSeen


def closed_port(demo: Demo) -> int:
    """A port on the server's address where nothing listens (not logged: not the demo's)."""
    if demo.options.port:
        return demo.options.port
    with demo.place.enter("server"), socket.socket(demo.family, socket.SOCK_STREAM) as probe:
        probe.bind((demo.host, 0))
        port: int = probe.getsockname()[1]
    return port


def run(demo: Demo) -> None:
    port = closed_port(demo)
    demo.start_capture(port)
    client = demo.open("client")
    try:
        demo.call("client", "connect", client.connect, (demo.host, port),
                  describe=lambda _: address(demo.host, port))
    except ConnectionRefusedError:
        pass  # what this scenario is for; the call log has it
    else:
        raise DemoError(f"something listens on {address(demo.host, port)}: not refused")
    demo.call("client", "close", client.close)
    demo.end()


SCENARIO = Scenario("refused", "scenario.refused.summary", run,
                    stop=lambda port: ResetSeen(), server_listening=False)
