"""Runs a demo exchange under a live capture: the only place the two meet.

``run_scenario(name, place, options)`` runs any scenario of the library
(``wirelens.demos.scenarios``); ``run_tcp_demo`` is the ``tcp`` scenario, kept for its
callers. The result, a ``DemoRun``, holds everything the explainer needs: the frames,
the socket calls, what the kernels said at the checkpoints, and what the bytes do not
say (the port the demo's DNS server answered on; that nothing listened).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType

from wirelens.demos import scenarios
from wirelens.demos.place import Loopback, Place
from wirelens.demos.scenarios.base import STOP_WITHIN, Demo, DemoOptions, ScenarioUnavailable
from wirelens.demos.tcp import DEFAULT_MESSAGE
from wirelens.explain.dissect import DissectOptions
from wirelens.explain.explainer import explain
from wirelens.explain.model import Explanation
from wirelens.explain.records import Frame, KernelSnapshot, SocketCall
from wirelens.explain.text import Message, msg

CLOSE_WAIT_SECONDS = STOP_WITHIN  # how long to wait for the last ACK after both sockets closed


@dataclass
class DemoRun:
    frames: list[Frame]
    calls: list[SocketCall]
    interface: str
    bpf: str
    host: str
    port: int
    reply: bytes
    warnings: list[Message] = field(default_factory=list)
    scenario: str = "tcp"
    kernel: list[KernelSnapshot] = field(default_factory=list)
    server_listening: bool = True  # False: nothing listened on the port (``refused``)
    decode: str = ""  # the application protocol on ``port`` ("dns"), for the dissector
    judge_pid: int = 0  # the unprivileged process that judged the stop condition (0: none)

    @property
    def dissect_options(self) -> DissectOptions:
        if not self.decode:
            return DissectOptions()
        ports = {("udp", self.port): self.decode}
        return DissectOptions(MappingProxyType(ports))

    def source_text(self) -> Message:
        """Which scenario ran, and where it was captured, in either language."""
        summary = scenarios.get(self.scenario).summary
        return msg("ui.source_scenario", scenario=self.scenario, summary=msg(summary),
                   interface=self.interface, filter=self.bpf)

    def explain(self, source_text: Message | None = None,
                subnets: tuple[str, ...] = ()) -> Explanation:
        exp = explain(self.frames, socket_calls=self.calls,
                      source=f"live capture on {self.interface}, filter \"{self.bpf}\"",
                      source_text=source_text or self.source_text(), subnets=subnets,
                      server_listening=self.server_listening, kernel=self.kernel,
                      dissect_options=self.dissect_options)
        if self.warnings:
            exp = replace(exp, warnings=tuple(self.warnings) + exp.warnings)
        return exp


def run_scenario(name: str, place: Place | None = None,
                 options: DemoOptions | None = None) -> DemoRun:
    """Runs scenario ``name`` in ``place`` (loopback when None) under a live capture.

    Raises ``scenarios.UnknownScenario`` for a name not in the library,
    ``ScenarioUnavailable`` where the place cannot show the scenario, ``DemoError`` when
    the exchange fails, ``CaptureStartError`` when the sniffer cannot start.
    """
    scenario = scenarios.get(name)
    where: Place = place or Loopback()
    reason = scenario.unavailable(where)
    if reason:
        raise ScenarioUnavailable(reason)
    demo = Demo(scenario, where, options or DemoOptions())
    try:
        scenario.run(demo)
        demo.join()
        demo.end()
    finally:
        frames = demo.stop_capture()
        demo.close_all()
    return DemoRun(frames, demo.log.ordered(), where.interface, demo.bpf, where.server_address,
                   demo.port, demo.reply, demo.warnings, name, demo.kernel,
                   scenario.server_listening, scenario.decode, demo.judge_pid)


def run_tcp_demo(host: str = "127.0.0.1", port: int = 0, message: str = DEFAULT_MESSAGE,
                 place: Place | None = None) -> DemoRun:
    return run_scenario("tcp", place or Loopback(host), DemoOptions(port, message))
