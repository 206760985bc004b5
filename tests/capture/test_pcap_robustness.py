"""explain-pcap on bad and mutated captures: a one-line error or a partial overview, never
a traceback. In-process, over prefixes and byte flips of good captures (Hypothesis)."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_tshark_anomalies import SCENARIOS, packets
from wirelens import cli
from wirelens.capture.pcapfile import write_pcap, write_pcapng
from wirelens.explain.records import Frame


def good_frames() -> list[Frame]:
    from scapy.layers.l2 import Ether

    steps = SCENARIOS["fast-retransmission"]
    return [Frame(i, ts, bytes(Ether() / p)) for i, (ts, p) in enumerate(packets(steps), 1)]


def encoded(kind: str) -> bytes:
    buf = io.BytesIO()
    if kind == "pcapng":
        write_pcapng(buf, good_frames())
    else:
        write_pcap(buf, good_frames())
    data = buf.getvalue()
    return gzip.compress(data) if kind == "gz" else data


GOOD = {kind: encoded(kind) for kind in ("pcap", "pcapng", "gz")}


@contextlib.contextmanager
def fd_captured() -> Iterator[list[str]]:
    """Standard output and error at the descriptor level: as root, explain-pcap parses in a
    child process that has dropped root, and its output never passes through sys.stdout."""
    import sys

    with tempfile.TemporaryDirectory() as folder:
        paths = (Path(folder) / "out", Path(folder) / "err")
        saved = [os.dup(1), os.dup(2)]
        captured: list[str] = []
        sys.stdout.flush()
        sys.stderr.flush()
        streams = sys.stdout, sys.stderr
        try:
            for target, path in zip((1, 2), paths, strict=True):
                with open(path, "wb") as fh:
                    os.dup2(fh.fileno(), target)
            # pytest's own capture object may stand in sys.stdout: write to the descriptors
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
            yield captured
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            sys.stdout, sys.stderr = streams
            for target, fd in zip((1, 2), saved, strict=True):
                os.dup2(fd, target)
                os.close(fd)
            captured.extend(path.read_text("utf-8") for path in paths)


def run(data: bytes, *args: str) -> tuple[int, str, str]:
    fd, name = tempfile.mkstemp(suffix=".pcap")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        with fd_captured() as captured:
            code = cli.pcap_main([name, "--summary", "--format", "json", *args])
        out, err = captured
        return code, out, err
    finally:
        os.unlink(name)


def assert_sane(code: int, out: str, err: str) -> None:
    assert code in (0, 2)
    if code == 0:
        doc = json.loads(out)
        assert doc["schema"] == "wirelens.overview"
    else:
        assert err.count("\n") == 1 and err.startswith("explain-pcap: error: ")
    assert "Traceback" not in err


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(GOOD)), cut=st.integers(min_value=0, max_value=2000))
def test_any_prefix_is_read_or_refused(kind: str, cut: int) -> None:
    data = GOOD[kind]
    assert_sane(*run(data[: cut % (len(data) + 1)]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(GOOD)),
       flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), max_size=8))
def test_byte_flips_never_crash(kind: str, flips: list[tuple[int, int]]) -> None:
    data = bytearray(GOOD[kind])
    for at, mask in flips:
        data[at % len(data)] ^= mask
    assert_sane(*run(bytes(data)))


def test_empty_file_names_the_file_and_offset() -> None:
    code, _, err = run(b"")
    assert code == 2 and "byte 0" in err


def test_not_a_capture() -> None:
    code, _, err = run(b"hello, this is text\n" * 3)
    assert code == 2 and "not a pcap or pcapng file" in err


def test_truncated_mid_packet_gives_the_overview_before_the_cut() -> None:
    data = GOOD["pcap"]
    code, out, _ = run(data[:-10])
    assert code == 0
    doc = json.loads(out)
    assert doc["frames"] == len(good_frames()) - 1
    assert any("truncated at byte" in w for w in doc["warnings"])


def test_bad_filter_is_one_line(tmp_path: Path) -> None:
    code, _, err = run(GOOD["pcap"], "--filter", "tcp prot 80")
    assert code == 2 and "bad filter" in err


def test_filter_keeps_what_tcpdump_would() -> None:
    code, out, _ = run(GOOD["pcap"], "--filter", "tcp[tcpflags] & tcp-syn != 0")
    assert code == 0
    doc = json.loads(out)
    assert doc["counts"] == {"tcp": 2}
    assert any("2 of 16 frames kept" in w for w in doc["warnings"])


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_every_format_gives_the_same_overview(kind: str) -> None:
    code, out, _ = run(GOOD[kind])
    assert code == 0
    doc = json.loads(out)
    (conv,) = doc["conversations"]
    assert conv["anomaly_counts"]["fast-retransmission"] == 1
    assert conv["verdict"] == "SF"
