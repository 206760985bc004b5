"""The explanation model's own behaviour: note references, a packet's notes, the notebook view."""

from __future__ import annotations

import pytest

from tests.explain.builders import CLOSE_FOUR, DATA, HANDSHAKE, frames
from wirelens.explain import model
from wirelens.explain.explainer import explain
from wirelens.explain.model import NoteRef


def test_a_note_reference_reads_as_file_and_section() -> None:
    assert str(NoteRef("000_x.txt", "三次握手")) == "000_x.txt § 三次握手"


def test_a_packets_notes_are_those_of_its_fields_from_the_wire_up() -> None:
    syn = explain(frames(HANDSHAKE + DATA + CLOSE_FOUR)).packets[0]
    topics = [n.topic for n in syn.notes]
    assert topics[:3] == ["frame_size", "mac_address", "eth_header"]
    assert topics.index("ip_header") < topics.index("handshake_syn")


def test_a_conversation_views_number_is_its_summarys() -> None:
    explanation = explain(frames(HANDSHAKE))
    [view] = explanation.conversations
    assert view.number == view.summary.number == 1


def test_jupyter_gets_the_page_only_once_a_renderer_registered(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "_HTML_VIEW", {})
    explanation = explain(frames(HANDSHAKE))
    assert explanation._repr_html_() is None
    model.register_html_view(lambda e: f"<p>{len(e.packets)} packets</p>")
    assert explanation._repr_html_() == "<p>3 packets</p>"
