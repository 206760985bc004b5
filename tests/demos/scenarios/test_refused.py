"""``refused``: a connect() to a port where nothing listens, run for real on loopback."""

from __future__ import annotations

import pytest

from tests.demos.scenarios.runs import MOD, calls, flag, ran, raw

pytestmark = pytest.mark.live


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
