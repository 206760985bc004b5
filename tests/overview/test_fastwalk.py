"""The header walk agrees with the full dissector on every frame it is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tshark_anomalies import LINKS, SCENARIOS, build
from wirelens.capture.pcapfile import open_capture
from wirelens.explain.dissect import dissect, segment_of
from wirelens.explain.records import Frame
from wirelens.overview.builder import OverviewBuilder
from wirelens.overview.fastwalk import Other, walk


@pytest.mark.parametrize("link", sorted(LINKS))
@pytest.mark.parametrize("ipv6", [False, True])
def test_walk_gives_the_dissectors_segments(tmp_path: Path, link: str, ipv6: bool) -> None:
    path = build(tmp_path, "w", SCENARIOS["fast-retransmission"], link, ipv6)
    with open_capture(path) as cap:
        for frame in cap:
            assert walk(frame) == segment_of(dissect(frame))


@pytest.mark.parametrize("data,linktype,kind", [
    (b"", 1, "truncated"), (b"\x00" * 14, 1, "other-ethertype"), (b"\x99", 101, "unknown-link"),
    (b"\x00" * 40, 147, "unknown-link"), (b"\x02\0\0\0" + b"\x45", 0, "truncated"),
])
def test_odd_frames_are_named(data: bytes, linktype: int, kind: str) -> None:
    got = walk(Frame(1, 0, data, linktype))
    assert isinstance(got, Other) and got.kind == kind


def test_fast_and_full_overviews_are_equal(tmp_path: Path) -> None:
    paths = [build(tmp_path, name, steps) for name, steps in SCENARIOS.items()]
    for path in paths:
        fast, full = OverviewBuilder(), OverviewBuilder()
        with open_capture(path) as cap:
            for frame in cap:
                fast.walked(frame)
                full.frame(frame)
        assert fast.finish("x") == full.finish("x")
