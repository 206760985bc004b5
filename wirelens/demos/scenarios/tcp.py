"""``tcp``: the course notes' client and server, one message each way, the client closes
first (the exchange itself is ``wirelens.demos.tcp``)."""

from __future__ import annotations

from wirelens.demos.scenarios.base import Demo, Scenario
from wirelens.demos.tcp import prepare_server, run_exchange
from wirelens.explain.text import msg


def run(demo: Demo) -> None:
    server = prepare_server(demo.log, demo.host, demo.options.port, demo.place)
    demo.keep(server.sock)
    if server.port_changed:
        demo.warnings.append(msg("warning.port_changed", asked=demo.options.port,
                                 port=server.port))
    demo.start_capture(server.port)
    demo.reply = run_exchange(demo.log, server, demo.options.message.encode("utf-8"),
                              demo.place)
    demo.end()


SCENARIO = Scenario("tcp", "scenario.tcp.summary", run)
