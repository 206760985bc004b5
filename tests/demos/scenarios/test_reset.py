"""``reset``: connections ended by a RST, run for real on loopback."""

from __future__ import annotations

import pytest

from tests.demos.scenarios.runs import calls, flag, ran

pytestmark = pytest.mark.live


def test_reset_ends_both_connections_with_a_rst_and_no_fin() -> None:
    doc = ran("reset").doc
    first, second = doc["conversations"]
    by_index = {p["index"]: p for p in doc["packets"]}
    for conv, resetter in ((first, "server"), (second, "client")):
        mine = [by_index[i] for i in conv["packets"]]
        assert not any(flag(p, "fin") for p in mine)
        assert [p["sender"] for p in mine if flag(p, "reset")] == [resetter]
        assert conv["close"] == "reset"
    (recv_reset,) = [c for c in calls(doc, "client", "recv")
                     if c["result"] == "ConnectionResetError"]
    assert by_index[recv_reset["packets"][0]]["sender"] == "server"
    (server_reset,) = [c for c in calls(doc, "server", "recv")
                       if c["result"] == "ConnectionResetError"]
    assert flag(by_index[server_reset["packets"][0]], "reset")
