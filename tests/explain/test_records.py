"""The frozen records that cross from capture/ into explain/."""

from __future__ import annotations

from wirelens.explain.records import Frame
from wirelens.explain.wirenumbers import LINKTYPE_ETHERNET


def test_a_frame_is_ethernet_and_uncut_unless_told() -> None:
    frame = Frame(1, 1_500_000_000, b"\0" * 60)
    assert (frame.linktype, frame.wire_len, frame.time) == (LINKTYPE_ETHERNET, 60, 1.5)


def test_a_frame_cut_by_the_snap_length_keeps_its_wire_length() -> None:
    assert Frame(1, 0, b"\0" * 96, orig_len=1514).wire_len == 1514
