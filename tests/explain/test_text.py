"""Language-neutral text: a catalog key and the values for its placeholders."""

from __future__ import annotations

import pickle

import pytest

from wirelens.explain.text import Message, msg


def test_msg_keeps_the_key_and_its_values() -> None:
    m = msg("field.tcp.seq", value=7, nested=msg("role.data"))
    assert (m.key, dict(m.params)) == ("field.tcp.seq", {"value": 7, "nested": msg("role.data")})
    assert Message("x").params == {}


def test_the_values_are_read_only() -> None:
    with pytest.raises(TypeError):
        msg("k", a=1).params["a"] = 2  # type: ignore[index]


def test_a_message_survives_pickling_as_rows_from_worker_processes_do() -> None:
    m = msg("note.close.claim", close=msg("conv.close.reset"), n=3)
    back = pickle.loads(pickle.dumps(m))
    assert back == m and back.params["close"].key == "conv.close.reset"
    with pytest.raises(TypeError):
        back.params["n"] = 4  # type: ignore[index]
