"""``chat``: several messages each way until "quit", run for real on loopback."""

from __future__ import annotations

import pytest

from tests.demos.scenarios.runs import flag, payload, ran

pytestmark = pytest.mark.live


def test_chat_several_messages_each_way_and_quit_ends_it() -> None:
    doc = ran("chat").doc
    data = [(p["sender"], payload(p)) for p in doc["packets"] if payload(p)]
    assert [s for s, _ in data] == ["client", "server", "client", "server", "client"]
    assert data[-1] == ("client", b"quit")
    fins = [p for p in doc["packets"] if flag(p, "fin")]
    assert fins[0]["sender"] == "client"
    (conv,) = doc["conversations"]
    assert "chat_quit" in [n["topic"] for n in conv["notes"]]
