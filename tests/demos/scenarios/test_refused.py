"""``refused``: the port where nothing listens, and a connect() to it run for real on
loopback."""

from __future__ import annotations

import socket

import pytest

from tests.demos.scenarios.runs import MOD, calls, flag, ran, raw
from wirelens.demos.place import Loopback
from wirelens.demos.scenarios import refused
from wirelens.demos.scenarios.base import Demo, DemoOptions


def test_the_port_asked_for_is_taken_as_it_is() -> None:
    demo = Demo(refused.SCENARIO, Loopback(), DemoOptions(port=4242))
    assert refused.closed_port(demo) == 4242


def test_otherwise_it_is_a_port_nothing_listens_on_and_unlogged() -> None:
    demo = Demo(refused.SCENARIO, Loopback(), DemoOptions())
    port = refused.closed_port(demo)
    assert demo.log.calls == []  # the probe is not one of the demo's calls
    with socket.socket() as client, pytest.raises(ConnectionRefusedError):
        client.connect(("127.0.0.1", port))


@pytest.mark.live
def test_refused_is_a_syn_answered_by_a_rst() -> None:
    doc = ran("refused").doc
    syn, rst = doc["packets"]
    assert syn["sender"] == "client" and flag(syn, "syn") and not flag(syn, "ack")
    assert rst["sender"] == "server" and flag(rst, "reset") and flag(rst, "ack")
    assert raw(rst, "tcp.ack_raw") == (raw(syn, "tcp.seq_raw") + 1) % MOD
    (connect,) = calls(doc, "client", "connect")
    assert connect["result"] == "ConnectionRefusedError"
    assert (connect["packets"], connect["relation"]) == ([2], "returned-after")
    (conv,) = doc["conversations"]
    assert conv["handshake"] == "refused"
    assert [(n["topic"], n["verdict"]) for n in conv["notes"]] == [("refused", "agrees")]
    assert rst["states"] == {"client": "CLOSED", "server": "CLOSED"}
