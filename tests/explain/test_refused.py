"""The attempts answered by a RST, found over the whole capture (explain/refused.py)."""

from tests.explain.builders import HANDSHAKE, REFUSED, segments
from wirelens.explain.refused import refused_syns


def test_the_syns_answered_by_a_reset_are_found_before_the_tracker_follows_them():
    assert refused_syns(segments(REFUSED)) == {1}
    assert refused_syns(segments(HANDSHAKE)) == set()
    # the SYN sent again belongs to the first; a later attempt with a new ISN is its own
    again = [REFUSED[0], REFUSED[0], REFUSED[1]]
    assert refused_syns(segments(again)) == {1}
    later = [("c", "S", 7, None, b""), ("s", "SA", 0, 8, b""), ("c", "A", 8, 1, b"")]
    assert refused_syns(segments(REFUSED + later)) == {1}
