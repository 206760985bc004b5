"""A hostile capture cannot exhaust memory: a million SYNs, each to a port pair of its own
(a million conversations that never end), is followed up to ``MAX_OPEN`` conversations
at once, the rest counted and named in ``warnings[]``; the peak resident memory of the
process that reads it stays bounded (issue 9)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from wirelens.overview.builder import MAX_OPEN

SYNS = 1_000_000
PEAK_MIB = 400  # what the biggest process may reach; a million conversations held would
# take several gigabytes, the cap about 150 MB

_RECORD = 16 + 14 + 20 + 20  # pcap record header, Ethernet, IPv4, TCP


def write_syn_flood(path: Path, count: int) -> None:
    """A classic pcap of ``count`` SYNs from 10.0.0.0/8 to 192.0.2.1:80, each from its own
    address and port, built with numpy at once (a second or so for a million)."""
    frame = np.zeros((count, _RECORD), dtype=np.uint8)
    i = np.arange(count, dtype=np.uint64)
    ts = 1_700_000_000 * 10**6 + i  # a microsecond apart
    head = frame[:, :16].view("<u4")
    head[:, 0] = (ts // 10**6).astype(np.uint32)
    head[:, 1] = (ts % 10**6).astype(np.uint32)
    head[:, 2] = head[:, 3] = _RECORD - 16
    eth = frame[:, 16:30]
    eth[:, 0:6] = [2, 0, 0, 0, 0, 2]
    eth[:, 6:12] = [2, 0, 0, 0, 0, 1]
    eth[:, 12:14] = [8, 0]
    ip = frame[:, 30:50]
    ip[:, 0] = 0x45
    ip[:, 2:4] = [0, 40]
    ip[:, 8] = 64
    ip[:, 9] = 6
    src = (10 << 24) + (i >> np.uint64(8))  # 256 ports on each address
    ip[:, 12:16] = src.astype(">u4").view(np.uint8).reshape(count, 4)
    ip[:, 16:20] = [192, 0, 2, 1]
    tcp = frame[:, 50:70]
    sport = 1024 + (i & np.uint64(255))
    tcp[:, 0:2] = sport.astype(">u2").view(np.uint8).reshape(count, 2)
    tcp[:, 2:4] = [0, 80]
    tcp[:, 4:8] = (i * np.uint64(7919)).astype(">u4").view(np.uint8).reshape(count, 4)
    tcp[:, 12] = 5 << 4
    tcp[:, 13] = 0x02  # SYN
    tcp[:, 14:16] = [0xFF, 0xFF]
    with open(path, "wb") as out:  # the file header: magic, version 2.4, snap length, Ethernet
        out.write(np.array([0xA1B2C3D4], dtype="<u4").tobytes())
        out.write(np.array([2, 4], dtype="<u2").tobytes())
        out.write(np.array([0, 0, 65535, 1], dtype="<u4").tobytes())
        frame.tofile(out)


def test_a_million_syns_are_bounded_and_warned_about(tmp_path: Path) -> None:
    capture = tmp_path / "syn-flood.pcap"
    write_syn_flood(capture, SYNS)
    out = tmp_path / "overview.json"
    explain = Path(sys.executable).parent / "explain-pcap"
    with open(out, "wb") as sink:
        child = subprocess.Popen([str(explain), "--summary", "--format", "json", "--lang",
                                  "en", str(capture)], stdout=sink, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        assert child.stderr is not None
        error = child.stderr.read().decode()
        child.stderr.close()
    assert os.waitstatus_to_exitcode(status) == 0, error
    peak_mib = usage.ru_maxrss // 1024  # the biggest process of the tree (Linux: KiB)
    print(f"a million SYNs: peak RSS of the biggest process {peak_mib} MiB")
    assert peak_mib < PEAK_MIB
    with open(out, encoding="utf-8") as fh:
        doc = json.load(fh)
    assert doc["counts"]["tcp"] == SYNS
    listed = doc["conversations"]
    assert 0 < len(listed) <= MAX_OPEN
    assert {c["verdict"] for c in listed} == {"S0"}
    assert {c["handshake"] for c in listed} == {"unanswered"}
    warned = [w for w in doc["warnings"] if f"more than {MAX_OPEN} TCP conversations" in w]
    assert len(warned) == 1
    assert f"{SYNS - len(listed)} segment(s)" in warned[0]
