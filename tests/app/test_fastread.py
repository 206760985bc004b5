"""The overview's fast path (block reads, numpy columns, segments in bulk, shares in other
processes) writes exactly what the frame-by-frame path writes: the full dissector on each
frame, every segment fed to the tracker one by one."""

from __future__ import annotations

import gzip
import importlib.util
import io
import json
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.capture.chaos import chaos, orderly
from tests.test_tshark_anomalies import LINKS, SCENARIOS, build
from wirelens.app import pcapjob
from wirelens.app.fastread import NothingRead, _overview, fast_json, fast_overview
from wirelens.capture.pcapfile import CaptureError
from wirelens.explain.wirenumbers import FIN

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _frequent_sweeps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sweeps for ended conversations every 4096 segments here: the files of these tests
    have tens of thousands of frames, and each path must sweep where the others do."""
    from wirelens.overview import builder as overview

    monkeypatch.setattr(overview, "SWEEP_EVERY", 1 << 12)


def _gen_capture():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_capture", ROOT / "bench" / "gen_capture.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def slow(path: Path, fmt: str = "json") -> str:
    """The reference: frames read one by one, each through the header walk, every segment
    fed to the tracker on its own (the overview's path before blocks and columns)."""
    options = pcapjob.Options(fmt=fmt, progress=False, width=100)
    try:
        ov = _overview(str(path), None, columnar=False)
    except (CaptureError, NothingRead) as exc:
        return f"error: {exc}"
    return pcapjob.render_overview(ov, options)


def fast(path: Path, shares: int) -> str:
    out = io.StringIO()
    try:
        fast_json(str(path), "en", out, shares=shares)
    except (CaptureError, NothingRead) as exc:  # pcapjob says them as one line, as here
        return f"error: {exc}"
    return out.getvalue() + "\n"


def fast_text(path: Path) -> str:
    options = pcapjob.Options(fmt="text", progress=False, width=100)
    return pcapjob.render_overview(pcapjob.overview_file(str(path), options), options)


def assert_same(path: Path, shares: tuple[int, ...] = (1, 2)) -> None:
    expected = slow(path)
    for n in shares:
        assert fast(path, n) == expected, f"{path.name}, {n} share(s)"


@pytest.mark.parametrize("seed,packets,open_at_once", [
    (1, 3000, 300), (2, 20000, 40), (3, 12000, 2000), (4, 40000, 300),
])
def test_generated_captures(tmp_path: Path, seed: int, packets: int, open_at_once: int) -> None:
    path = tmp_path / f"gen-{seed}.pcap"
    _gen_capture().generate(str(path), packets, seed, open_at_once)
    assert_same(path)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_chaos_captures(tmp_path: Path, seed: int) -> None:
    """Odd turns of every kind, sweeps for ended conversations, port pairs reused."""
    path = chaos(tmp_path / f"chaos-{seed}.pcap", 40000, seed)
    assert_same(path)
    assert fast_text(path) == slow(path, "text")


def full(path: Path) -> str:
    """Every frame through the full dissector, as the small-file path reads it."""
    options = pcapjob.Options(fmt="json", progress=False, fast=False)
    return pcapjob.render_overview(pcapjob.overview_file(str(path), options), options)


def test_the_scenarios_of_the_tshark_checks(tmp_path: Path) -> None:
    """Here the full dissector agrees too (the walk and the dissector part ways only on
    frames such as a DNS message cut short, which the walk counts as UDP)."""
    paths = [build(tmp_path, name, steps) for name, steps in SCENARIOS.items()]
    paths += [build(tmp_path, f"{link}-{v6}", SCENARIOS["fast-retransmission"], link, v6)
              for link in LINKS for v6 in (False, True)]
    for path in paths:
        assert_same(path, shares=(1,))
        assert fast(path, 1) == full(path)


def test_pcapng_and_gzip(tmp_path: Path) -> None:
    from wirelens.capture.pcapfile import open_capture, write_pcapng

    plain = chaos(tmp_path / "c.pcap", 5000, 21)
    with open_capture(plain) as cap:
        frames = list(cap)
    ng = tmp_path / "c.pcapng"
    write_pcapng(ng, frames)
    gz = tmp_path / "c.pcap.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (ng, gz):
        assert_same(path, shares=(1,))


def test_fast_overview_is_the_frame_by_frame_overview(tmp_path: Path) -> None:
    path = chaos(tmp_path / "c.pcap", 20000, 31)
    reference = _overview(str(path), None, columnar=False)
    got = fast_overview(str(path))
    assert list(got.conversations) == list(reference.conversations)
    assert (got.frames, got.counts, got.udp, got.arp, got.warnings) == (
        reference.frames, reference.counts, reference.udp, reference.arp, reference.warnings)


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    from wirelens.capture.pcapfile import open_capture, write_pcapng

    path = chaos(tmp_path_factory.mktemp("good") / "good.pcap", 300, 41)
    with open_capture(path) as cap:
        frames = list(cap)
    ng = io.BytesIO()
    write_pcapng(ng, frames)
    plain = path.read_bytes()
    return {"pcap": plain, "gz": gzip.compress(plain), "pcapng": ng.getvalue()}


@settings(max_examples=90, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["pcap", "gz", "pcapng"]), cut=st.floats(min_value=0, max_value=1),
       flips=st.lists(st.tuples(st.floats(min_value=0, max_value=1),
                                st.integers(min_value=0, max_value=255)), max_size=4))
def test_damaged_files_give_the_same_answer(tmp_path: Path, good: dict[str, bytes], kind: str,
                                           cut: float, flips: list[tuple[float, int]]) -> None:
    """Truncated or mutated (gzip data and pcapng blocks too): the same overview with the
    same warnings, or the same one-line error."""
    data = bytearray(good[kind])
    data = data[: round(cut * len(data))] if cut < 0.98 else data
    for at, value in flips:
        if data:
            data[min(int(at * len(data)), len(data) - 1)] = value
    path = tmp_path / f"damaged.{kind}"
    path.write_bytes(bytes(data))
    assert fast(path, 1) == slow(path)


def test_a_time_beyond_64_bits(tmp_path: Path) -> None:
    """A pcapng interface may claim any time resolution: a time that does not fit the
    columns sends the file down the frame-by-frame path."""
    from wirelens.capture.pcapfile import open_capture, write_pcapng
    from wirelens.explain.records import Frame

    with open_capture(chaos(tmp_path / "c.pcap", 50, 42)) as cap:
        frames = [Frame(f.index, f.ts_ns + (1 << 63) * (f.index == 7), f.data, f.linktype)
                  for f in cap]
    path = tmp_path / "late.pcapng"
    write_pcapng(path, frames)
    assert fast(path, 1) == slow(path)


@pytest.mark.parametrize("seed,fault,open_at_once", [
    (51, 0.0, 40), (52, 0.01, 60), (53, 0.05, 20), (54, 0.2, 80),
])
def test_orderly_captures_with_faults(tmp_path: Path, seed: int, fault: float,
                                      open_at_once: int) -> None:
    """Mostly plain segments (taken in bulk), each fault one the bulk path must leave to the
    tracker."""
    path = orderly(tmp_path / f"orderly-{seed}.pcap", 40000, seed, fault, open_at_once)
    assert_same(path, shares=(1, 2, 3))


def test_a_settled_conversation_that_goes_on_is_written_once(tmp_path: Path) -> None:
    """FINs sent again after their conversations were settled, so written out already:
    each conversation is followed again, written again when it ends, and the merge keeps
    that line, not the first (``fastread._Share._settled``)."""
    from wirelens.capture.pcapfile import open_capture

    path = tmp_path / "textbook.pcap"
    _gen_capture().generate(str(path), 20000, 5, 300)
    with open_capture(path) as cap:
        frames = list(cap)
    last = frames[-1].ts_ns
    # FINs of conversations early in the file (Ethernet, IPv4 without options: the TCP
    # flags at byte 47), sent again at its end, a sweep later (``_frequent_sweeps``)
    fins = [f for f in frames if len(f.data) > 47 and f.data[47] & FIN][200:500:10]
    again = b"".join(struct.pack("<IIII", *divmod(last + i * 1000, 10**9), len(f.data),
                                 len(f.data)) + f.data for i, f in enumerate(fins, start=1))
    path.write_bytes(path.read_bytes() + again)
    assert_same(path, shares=(1, 2))
    doc = json.loads(fast(path, 2))
    assert sum("retransmission" in c["anomaly_counts"] for c in doc["conversations"]) >= 10
