"""Where a demo runs (the two-host lab when it can, loopback otherwise) and the ARP demo.

``run_scenario`` is what ``explain-demo`` calls: it builds the lab, runs the exchange in
it and tears it down, or falls back to loopback with the reason and what is lost. The
result carries the line that says where it ran, the capture's description and the
lab's subnet (so the ARP note can work out the mask's AND).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

from wirelens.capture.lab import IPV4, IPV6, Lab, LabError
from wirelens.capture.live import LiveCapture
from wirelens.demos import runner, scenarios
from wirelens.demos.place import Loopback, Place
from wirelens.demos.runner import CLOSE_WAIT_SECONDS, DemoRun
from wirelens.demos.scenarios.base import DemoOptions
from wirelens.demos.tcp import DemoError
from wirelens.explain.text import Message, msg
from wirelens.explain.watchers import NeighbourAnswered

SCENARIOS = ("arp", *scenarios.names())  # arp here; the rest from the scenario library
WIRE_DELAY = "50ms"  # one way, for a scenario whose two FINs must cross (shared/LAB.md)
ARP_PORT = 9  # the "discard" port: the datagram only has to make the client's kernel ask
ARP_DATAGRAM = b"who has you?"


@dataclass
class Ran:
    """A demo that ran: its capture, where it ran, and how to describe both."""

    run: DemoRun
    where: Message  # the first output line: lab, loopback, or loopback because ...
    source: Message  # the capture, in words
    subnets: tuple[str, ...] = ()
    lab: dict[str, str] = field(default_factory=dict)  # the lab's facts, when it ran there


def reason(error: LabError) -> Message:
    return msg(f"lab.reason.{error.code}", detail=error.detail)


@contextmanager
def place_for(*, loopback: bool, ipv6: bool, host: str | None,
              verbose: TextIO | None = None,
              need_lab: bool = False,
              wire_delay: str = "") -> Iterator[tuple[Place, Message, Lab | None]]:
    """The lab when it can be built (and ``loopback`` is not asked for), else loopback.

    Yields (place, where-line, lab or None); the lab is removed when the block ends.
    ``need_lab``: no fallback, raise the ``LabError`` instead (ARP needs two hosts).
    ``wire_delay`` ("50ms"): the cable is the wire of capture/wire.py with that one-way
    delay, not the veth pair (two FINs can then cross)."""
    loop_host = host or ("::1" if ipv6 else "127.0.0.1")
    if loopback or host is not None:
        yield Loopback(loop_host), msg("lab.where_loopback", host=loop_host), None
        return
    lab = Lab(IPV6 if ipv6 else IPV4, verbose=verbose)
    if wire_delay:
        # imported here: 7 ms saved at start-up when not needed
        from wirelens.capture.impair import parse_plan
        from wirelens.capture.wire import Wire

        lab = Lab(IPV6 if ipv6 else IPV4, verbose=verbose, link="wire",
                  wire=Wire(parse_plan(delay=[wire_delay])))
    try:
        lab.start()
    except LabError as exc:
        if need_lab:
            raise
        yield Loopback(loop_host), msg("lab.where_fallback", host=loop_host,
                                       reason=reason(exc)), None
        return
    try:
        where = "wire.where.lab_one_end" if lab.link == "wire" else "lab.where_lab"
        yield lab, msg(where, **lab.describe()), lab
    finally:
        lab.close()


# ---------------------------------------------------------------- the ARP demo


def run_arp_demo(lab: Lab, port: int = ARP_PORT) -> DemoRun:
    """The client sends one UDP datagram to the server; before it can, its kernel must
    learn the server's MAC. The capture keeps only that question and its answer."""
    family = socket.AF_INET6 if lab.addressing.version == 6 else socket.AF_INET
    with lab.enter("server"):
        server = socket.socket(family, socket.SOCK_DGRAM)
    bpf = lab.neighbour_filter()
    capture = LiveCapture(lab.interface, bpf, until=NeighbourAnswered())
    warnings: list[Message] = []
    try:
        server.bind((lab.server_address, port))
        server.settimeout(CLOSE_WAIT_SECONDS)
        with lab.enter("sniffer"):
            capture.start()
        try:
            with lab.enter("client"):
                client = socket.socket(family, socket.SOCK_DGRAM)
            with client:
                client.sendto(ARP_DATAGRAM, (lab.server_address, port))
            server.recvfrom(1024)  # it arrived: the question was answered
            if not capture.finished.wait(CLOSE_WAIT_SECONDS):
                warnings.append(msg("warning.capture_incomplete",
                                    reason=f"{CLOSE_WAIT_SECONDS} s"))
        except OSError as exc:
            raise DemoError(f"the datagram did not arrive: {exc}") from exc
        finally:
            judge_pid = capture.judge_pid
            frames = capture.stop()
    finally:
        server.close()
    return DemoRun(frames, [], lab.interface, bpf, lab.server_address, port, b"", warnings,
                   judge_pid=judge_pid)


# ---------------------------------------------------------------- either demo, anywhere


def run_scenario(scenario: str, *, port: int = 0, message: str = "Hello, Server!",
                 loopback: bool = False, ipv6: bool = False, host: str | None = None,
                 verbose: TextIO | None = None) -> Ran:
    """Runs ``tcp`` (lab, else loopback) or ``arp`` (lab only: raises LabError without it)."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}")
    arp = scenario == "arp"
    if arp and (loopback or host is not None):
        raise LabError("ARP needs two hosts on an Ethernet link; loopback has neither",
                       "failed")
    delayed = scenario in scenarios.SCENARIOS and scenarios.get(scenario).needs_delayed_wire
    with place_for(loopback=loopback, ipv6=ipv6, host=host, verbose=verbose,
                   need_lab=arp, wire_delay=WIRE_DELAY if delayed else "") as (place, where, lab):
        if arp and lab is not None:
            run = run_arp_demo(lab, port or ARP_PORT)
            source = msg("lab.arp_trigger", interface=run.interface, filter=run.bpf,
                         server=lab.server_address, port=run.port)
        else:
            run = runner.run_scenario(scenario, place, DemoOptions(port, message))
            if scenario != "tcp":
                source = run.source_text()
            elif lab:
                source = msg("lab.source", interface=run.interface, filter=run.bpf)
            else:
                source = msg("ui.source_live", interface=run.interface, filter=run.bpf)
        if lab is not None:
            return Ran(run, where, source, (lab.addressing.network,), lab.describe())
        return Ran(run, where, source)


__all__ = ["Ran", "place_for", "run_arp_demo", "run_scenario"]
