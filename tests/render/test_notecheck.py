"""A note check as every renderer puts it in JSON (render/notecheck.py)."""

from __future__ import annotations

from wirelens.explain import notes
from wirelens.explain.catalog import Catalog
from wirelens.render.notecheck import note_dict


def test_a_note_check_is_said_in_the_language_asked_for() -> None:
    check = notes.checksum("wrong", loopback=False)
    english = note_dict(check, Catalog("en"))
    assert list(english) == ["topic", "ref", "claim", "observed", "verdict", "reason"]
    assert (english["topic"], english["verdict"]) == ("checksum", "differs")
    assert english["ref"] == str(check.ref)
    assert english["claim"] == Catalog("en")(check.claim)
    chinese = note_dict(check, Catalog("zh"))
    assert chinese["claim"] != english["claim"] and chinese["reason"] != english["reason"]
    assert {k: chinese[k] for k in ("topic", "ref", "verdict")} == {
        k: english[k] for k in ("topic", "ref", "verdict")}
