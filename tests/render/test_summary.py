"""``conversation_json`` writes what ``json.dumps(conversation_entry(...))`` writes."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from tests.capture.chaos import orderly
from wirelens.app.fastread import fast_overview
from wirelens.explain.catalog import Catalog
from wirelens.explain.conversation_summary import ConversationSummary
from wirelens.explain.tcp_state import State
from wirelens.render.summary import conversation_entry, conversation_json


def reference(s: ConversationSummary, cat: Catalog, start_ns: int) -> str:
    return json.dumps(conversation_entry(s, cat, start_ns), ensure_ascii=False)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_conversation_of_a_capture(tmp_path: Path, lang: str) -> None:
    ov = fast_overview(str(orderly(tmp_path / "o.pcap", 6000, 71, 0.1)))
    cat = Catalog(lang)
    for s in ov.conversations:
        assert conversation_json(s, cat, ov.first_ns) == reference(s, cat, ov.first_ns)


def test_odd_strings_and_numbers() -> None:
    cat = Catalog("en")
    s = ConversationSummary(
        number=7, client='[2001:db8::"\\\u00e9\u4e2d\n]:1', server="1.2.3.4:0", client_guessed=True,
        handshake="none", close="none", half_close=True, closed_first="", packets=(),
        bytes_c2s=0, bytes_s2c=2**40, first_ns=10**18 + 123_456_789, last_ns=10**18 + 10**15,
        final_states=(State.ESTABLISHED, State.CLOSE_WAIT), history="^ShADd\u00ff", verdict="OTH",
        packet_count=3, anomalies=(("zero-window", 1), ("re\"set", 2)),
        anomaly_counts=(("zero-window", 1), ("re\"set", 5)), anomalies_cut=True)
    for start in (0, 10**18, 10**18 + 999_999_999, 2 * 10**18):
        assert conversation_json(s, cat, start) == reference(s, cat, start)
    empty = replace(s, anomalies=(), anomaly_counts=(), anomalies_cut=False, verdict="SF")
    assert conversation_json(empty, cat, 0) == reference(empty, cat, 0)


def test_seconds_are_rounded_to_the_microsecond_as_round_does() -> None:
    from wirelens.render.summary import _seconds

    rng = random.Random(6)
    values = [rng.randrange(0, 10**15) for _ in range(20000)]
    values += [rng.randrange(0, 10**12) // 1000 * 1000 + rng.choice((0, 1, 499, 500, 501, 999))
               for _ in range(20000)]
    values += [0, 1, 499, 500, 501, 1500, 2500, 10**15 - 1, 10**15, 10**18, -1, -500, -1501]
    for ns in values:
        assert repr(_seconds(ns)) == repr(round(ns / 1e9, 6)), ns
