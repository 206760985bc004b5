"""A scenario run for real on loopback, once per session, and what its tests read in its
JSON: a field's raw value, a flag, the payload, the socket calls, the kernel's word.

Every test using a run captures packets, so it is marked live (see tests/conftest.py).
"""

from __future__ import annotations

import json
from typing import Any

from wirelens.demos.place import Loopback
from wirelens.demos.runner import DemoRun, run_scenario
from wirelens.explain.model import Explanation
from wirelens.render.json import dumps

MOD = 2**32
Packet = dict[str, Any]
Doc = dict[str, Any]


class Ran:
    def __init__(self, run: DemoRun) -> None:
        self.run = run
        self.exp: Explanation = run.explain()
        self.doc: Doc = json.loads(dumps(self.exp, "en"))


_RUNS: dict[str, Ran] = {}


def ran(name: str) -> Ran:
    """Scenario ``name`` run on loopback: once per session, shared by every test of it."""
    if name not in _RUNS:
        _RUNS[name] = Ran(run_scenario(name, Loopback()))
    return _RUNS[name]


def raw(packet: Packet, name: str) -> Any:
    for layer in packet["layers"]:
        for fv in layer["fields"]:
            if fv["name"] == name:
                return fv["raw"]
    raise KeyError(f"packet {packet['index']} has no field {name}")


def has(packet: Packet, name: str) -> bool:
    return any(fv["name"] == name for layer in packet["layers"] for fv in layer["fields"])


def flag(packet: Packet, name: str) -> bool:
    return bool(raw(packet, f"tcp.flags.{name}"))


def payload(packet: Packet) -> bytes:
    try:
        return bytes.fromhex(raw(packet, "tcp.payload"))
    except KeyError:
        return b""


def calls(doc: Doc, side: str, name: str) -> list[dict[str, Any]]:
    return [c for c in doc["socket_calls"] if c["side"] == side and c["call"] == name]


def kernel(doc: Doc, checkpoint: str, side: str) -> list[dict[str, Any]]:
    return [k for k in doc["kernel"] if k["checkpoint"] == checkpoint and k["side"] == side]
