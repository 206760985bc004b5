"""The scenario library: every exchange the course notes describe, by name, in one table.

Each module plays one scenario (or one family: the ways a connection closes) against a
``Place``, so the same code runs on loopback and between the lab's two hosts. The table
below is the only registry: ``explain-demo --list`` prints it in this order.
"""

from __future__ import annotations

from wirelens.demos.scenarios import (
    backlog,
    chat,
    closing,
    dns,
    refused,
    reset,
    tcp,
    udp,
    zero_window,
)
from wirelens.demos.scenarios.base import Scenario

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    tcp.SCENARIO,
    refused.SCENARIO,
    closing.SERVER_CLOSES,
    closing.HALF_CLOSE,
    closing.SIMULTANEOUS_CLOSE,
    reset.SCENARIO,
    zero_window.SCENARIO,
    backlog.SCENARIO,
    chat.SCENARIO,
    udp.SCENARIO,
    dns.SCENARIO,
)}


class UnknownScenario(KeyError):
    """No scenario has this name; the message lists the names."""

    def __str__(self) -> str:
        return str(self.args[0])


def names() -> tuple[str, ...]:
    return tuple(SCENARIOS)


def get(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise UnknownScenario(f"unknown scenario {name!r}; choose from: "
                              + ", ".join(SCENARIOS)) from None
