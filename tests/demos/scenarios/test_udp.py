"""``udp``: one datagram each way, run for real on loopback."""

from __future__ import annotations

import pytest

from tests.demos.scenarios.runs import calls, has, ran, raw

pytestmark = pytest.mark.live


def test_udp_has_no_handshake_and_an_8_byte_header() -> None:
    doc = ran("udp").doc
    packets = doc["packets"]
    assert not any(has(p, "tcp.flags.syn") for p in packets)
    assert doc["conversations"] == []
    assert [p["sender"] for p in packets] == ["client", "server"]
    for p in packets:
        assert raw(p, "udp.length") == 8 + p["payload_length"]
        assert bytes.fromhex(raw(p, "udp.payload"))
    assert [(c["call"], c["packets"]) for c in calls(doc, "client", "sendto")] == [
        ("sendto", [1])]
    topics = {f["note"]["topic"] for p in packets for layer in p["layers"]
              for f in layer["fields"] if "note" in f}
    assert {"udp_header", "udp_unreliable"} <= topics
