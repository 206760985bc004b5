"""The JSON keys promised by the schema (docs/json-schema.md)."""

import json

from tests.explain.builders import CLOSE_FOUR, DATA, HANDSHAKE, frames
from wirelens.explain.explainer import explain
from wirelens.explain.model import SCHEMA_VERSION
from wirelens.render.json import dumps


def test_schema_keys_and_values():
    doc = json.loads(dumps(explain(frames(HANDSHAKE + DATA + CLOSE_FOUR)), "zh"))
    assert doc["schema_version"] == SCHEMA_VERSION and doc["language"] == "zh"
    p = doc["packets"][1]
    assert {"index", "time", "summary", "role", "states", "layers"} <= p.keys()
    assert p["role"] == "handshake-2"
    assert p["states"] == {"client": "ESTABLISHED", "server": "SYN_RECEIVED"}
    tcp = next(layer for layer in p["layers"] if layer["name"] == "TCP")
    ack = next(f for f in tcp["fields"] if f["name"] == "tcp.ack_raw")
    assert {"name", "value", "offset", "length", "explain", "note"} <= ack.keys()
    assert ack["note"]["verdict"] == "agrees" and ack["note"]["ref"].startswith("000_")
    conv = doc["conversations"][0]
    assert (conv["client"], conv["server"]) == ("127.0.0.1:40000", "127.0.0.1:8080")
    assert (conv["handshake"], conv["close"]) == ("complete", "four-segment")
    assert conv["packets"] == list(range(1, 12)) and conv["anomalies"] == []
    assert doc["socket_calls"] == [] and doc["warnings"] == []


def test_chinese_is_not_ascii_escaped():
    text = dumps(explain(frames(HANDSHAKE)), "zh")
    assert "握手" in text and "\\u" not in text
