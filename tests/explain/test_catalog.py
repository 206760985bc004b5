"""Both languages say the same things: same keys, same placeholders, nothing missing."""

import re

import pytest

from tests.explain.builders import (
    CLOSE_FOUR,
    CLOSE_SIMULTANEOUS,
    CLOSE_THREE,
    DATA,
    HANDSHAKE,
    REFUSED,
    frames,
)
from wirelens.explain.catalog import LANGUAGES, Catalog, load, placeholders
from wirelens.explain.explainer import explain
from wirelens.explain.model import Explanation
from wirelens.explain.records import SocketCall
from wirelens.explain.text import Message, msg


def test_both_catalogs_have_the_same_keys():
    zh, en = load("zh"), load("en")
    assert sorted(set(zh) ^ set(en)) == []


def test_both_catalogs_have_the_same_placeholders():
    zh, en = load("zh"), load("en")
    different = [k for k in en if placeholders(en[k]) != placeholders(zh[k])]
    assert different == []


def test_catalog_texts_are_not_empty():
    for lang in LANGUAGES:
        assert all(text.strip() for text in load(lang).values()), lang


def messages_of(exp: Explanation) -> list[Message]:
    out: list[Message] = list(exp.warnings)
    if exp.source_text:
        out.append(exp.source_text)
    for p in exp.packets:
        out += [p.role_text, *p.transitions, *p.warnings]
        out += [f.text for layer in p.layers for f in layer.fields]
        out += [m for n in p.notes for m in (n.claim, n.observed, n.reason)]
    for c in exp.conversations:
        out += [m for n in c.notes for m in (n.claim, n.observed, n.reason)]
    for call in exp.socket_calls:
        out.append(call.text)
        if call.note:
            out += [call.note.claim, call.note.observed, call.note.reason]
    return out


SCENARIOS = {
    "four": HANDSHAKE + DATA + CLOSE_FOUR,
    "three": HANDSHAKE + DATA + CLOSE_THREE,
    "simultaneous": HANDSHAKE + DATA + CLOSE_SIMULTANEOUS,
    "refused": REFUSED,
    "mid-stream": DATA,
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
@pytest.mark.parametrize("ipv6", [False, True])
def test_every_message_of_an_explanation_renders_in_both_languages(name, ipv6):
    calls = [SocketCall("server", "listen", 0, 1, "128"),
             SocketCall("server", "recv", 0, 2 * 10**18, "b''", 0)]
    exp = explain(frames(SCENARIOS[name], ipv6=ipv6), socket_calls=calls,
                  source_text=msg("ui.source_file", path="x.pcap"))
    for lang in LANGUAGES:
        cat = Catalog(lang)
        for message in messages_of(exp):
            text = cat(message)
            assert not text.startswith("["), (lang, message.key)
            assert not re.search(r"\{[a-z_]+\}", text), (lang, message.key, text)
