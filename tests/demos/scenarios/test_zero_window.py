"""``zero-window``: a receiver that stops reading, run for real on loopback."""

from __future__ import annotations

import pytest

from tests.demos.scenarios.runs import MOD, payload, ran, raw

pytestmark = pytest.mark.live


def test_zero_window_then_a_probe_then_a_window_update() -> None:
    doc = ran("zero-window").doc
    packets = doc["packets"]
    server = [p for p in packets if p["sender"] == "server"]
    closed = next(p for p in server if raw(p, "tcp.window_size_value") == 0)
    later = [p for p in server if p["index"] > closed["index"]]
    update = next(p for p in later if raw(p, "tcp.window_size_value") > 0)
    probes = [p for p in packets if closed["index"] < p["index"] < update["index"]
              and p["sender"] == "client" and not payload(p)
              and raw(p, "tcp.seq_raw") == (raw(closed, "tcp.ack_raw") - 1) % MOD]
    assert probes, "no zero-window probe between the window closing and opening"
    assert doc["conversations"][0]["bytes"]["client_to_server"] == 6016
