"""``backlog``: more connections than the listen queue takes, run for real on loopback."""

from __future__ import annotations

import pytest

from tests.demos.scenarios.runs import calls, flag, kernel, ran, raw

pytestmark = pytest.mark.live


def test_backlog_drops_the_extra_syn_and_it_is_sent_again() -> None:
    doc = ran("backlog").doc
    packets = doc["packets"]
    assert not any(flag(p, "reset") for p in packets)  # dropped, not refused
    syns = [(raw(p, "tcp.srcport"), raw(p, "tcp.seq_raw")) for p in packets
            if flag(p, "syn") and not flag(p, "ack")]
    again = {syn for syn in syns if syns.count(syn) > 1}
    assert len(again) == 1 and len(set(syns)) == 3
    assert [c["handshake"] for c in doc["conversations"]] == ["complete"] * 3
    (listen,) = calls(doc, "server", "listen")
    assert listen["result"] == "1" and listen["note"]["verdict"] == "differs"
    listener = [k for k in kernel(doc, "queue-full", "server") if k["kernel_state"] == "LISTEN"]
    assert len(listener) == 1 and "2" in listener[0]["explain"]
