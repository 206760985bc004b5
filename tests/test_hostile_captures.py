"""Hostile captures (issue 9): nothing in a file can make explain-pcap slow, big or crash.

Each capture is built here, run through the real command as a separate process, and its peak
memory (the largest process of the run, parent or unprivileged child) is printed and bounded.
A million tiny conversations are tested with the overview's bounds (tests/explain); here:
absurd block lengths and frames of stacked headers.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import console_script
from wirelens.capture.pcapfile import write_pcap, write_pcapng
from wirelens.explain.dissect import MAX_LAYERS
from wirelens.explain.layers.ipv6 import MAX_EXTENSIONS
from wirelens.explain.records import Frame

PEAK_MB = 200  # the memory ceiling
ETH = b"\x02" * 6 + b"\x04" * 6
TCP = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 0x50, 0x02, 1000, 0, 0)
MEASURE = ("import resource, subprocess, sys\n"
           "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
           "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def _run(path: Path, *args: str) -> tuple[int, float]:
    """Exit status and peak RSS in MB of ``explain-pcap path args``."""
    cmd = [sys.executable, "-c", MEASURE, str(console_script("explain-pcap")), str(path), *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    code, kb = out.split()
    print(f"explain-pcap {path.name} {' '.join(args)}: peak RSS {int(kb) / 1024:.0f} MB")
    return int(code), int(kb) / 1024


def _ipv4(payload: bytes) -> bytes:
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, 6, 0,
                       b"\x7f\0\0\1", b"\x7f\0\0\1")
    return head + payload


def stacked_vlan_tags(n: int) -> Frame:
    tags = b"\x81\x00\x00\x01" * n
    return Frame(1, 10**18, ETH + tags + b"\x08\x00" + _ipv4(TCP), 1, -1)


def chained_ipv6_extensions(n: int) -> Frame:
    chain = b"".join(bytes([60 if i < n - 1 else 6, 0]) + b"\x01\x04" + b"\0" * 4
                     for i in range(n))
    payload = chain + TCP
    length = min(len(payload), 0xFFFF)  # a longer chain than the length field can say
    head = struct.pack("!IHBB", 6 << 28, length, 60, 64) + (b"\0" * 15 + b"\1") * 2
    return Frame(2, 10**18 + 1000, ETH + b"\x86\xdd" + head + payload, 1, -1)


def test_stacked_headers_stop_dissection_and_are_named(tmp_path: Path) -> None:
    from wirelens.explain.dissect import dissect

    deep = dissect(stacked_vlan_tags(50_000))
    assert deep.problem.startswith(f"more than {MAX_LAYERS} nested headers")
    assert len(deep.layers) <= MAX_LAYERS + 2
    chained = dissect(chained_ipv6_extensions(5_000))
    assert chained.problem.startswith(f"more than {MAX_EXTENSIONS} IPv6 extension headers")
    ok = dissect(chained_ipv6_extensions(2))  # a real chain is still walked to TCP
    assert ok.problem == "" and ok.protocols[-1] == "tcp"


def test_a_frame_of_stacked_headers_costs_no_more_than_a_plain_one(tmp_path: Path) -> None:
    path = tmp_path / "deep.pcap"
    write_pcap(path, [stacked_vlan_tags(60_000), chained_ipv6_extensions(8_000)])
    for args in ((), ("--format", "json"), ("--summary", "--format", "json")):
        code, peak = _run(path, *args)
        assert code == 0 and peak < PEAK_MB


def test_a_block_claiming_four_gigabytes_is_cut_not_allocated(tmp_path: Path) -> None:
    path = tmp_path / "huge-block.pcapng"
    write_pcapng(path, [stacked_vlan_tags(1)])
    with path.open("ab") as out:  # an Enhanced Packet Block that says it is 4 GB long
        out.write(struct.pack("<II", 6, 0xFFFFFFFC) + b"\0" * 64)
    code, peak = _run(path, "--format", "json")
    assert code == 0 and peak < PEAK_MB


@pytest.mark.parametrize("claim", [0xFFFFFFF0, 0x7FFFFFF0])
def test_a_pcap_record_claiming_gigabytes_is_cut_not_allocated(tmp_path: Path,
                                                                claim: int) -> None:
    path = tmp_path / "huge-record.pcap"
    write_pcap(path, [stacked_vlan_tags(1)])
    with path.open("ab") as out:
        out.write(struct.pack("<IIII", 1, 0, claim, claim) + b"\0" * 64)
    code, peak = _run(path, "--summary", "--format", "json")
    assert code == 0 and peak < PEAK_MB
