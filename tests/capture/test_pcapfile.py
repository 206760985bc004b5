"""pcap/pcapng reading and writing: round trips, hand-built files, damage, other readers."""

from __future__ import annotations

import gzip
import io
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.capture.pcapbuild import block, epb, idb, option, pcap_header, shb
from wirelens.capture.pcapfile import (
    CaptureError,
    CaptureFile,
    open_capture,
    write_pcap,
    write_pcapng,
)
from wirelens.explain.records import Frame
from wirelens.explain.wirenumbers import LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_RAW

T0 = 1_700_000_000_123_456_789  # a time stamp with nanoseconds in it

FRAMES = [
    Frame(1, T0, b"\x00\x11" * 30, LINKTYPE_ETHERNET, 60, "eth0"),
    Frame(2, T0 + 1_000, b"\x45" + b"\x00" * 39, LINKTYPE_RAW, 40, "tun0"),
    Frame(3, T0 + 2_000_001, bytes(range(256)) * 2, LINKTYPE_ETHERNET, 1514, "eth0"),
    Frame(4, T0 + 3_000_000_000, b"\x01", LINKTYPE_ETHERNET, -1, "eth0"),
]
ETH_FRAMES = [f for f in FRAMES if f.linktype == LINKTYPE_ETHERNET]
WHOLE = [f for f in ETH_FRAMES if f.wire_len == len(f.data)]  # none cut by a snap length


def cut_note(path: Path) -> str:
    return (f"{path}: 1 frame(s) were cut short by the snap length; "
            "Frame.orig_len keeps their length on the wire")  # fmt: skip


def read_all(path: Path) -> tuple[list[Frame], CaptureFile]:
    with open_capture(path) as cap:
        return list(cap), cap


# --- round trips -------------------------------------------------------------------------


@pytest.mark.parametrize("nanosecond", [True, False])
def test_pcap_round_trip(tmp_path: Path, nanosecond: bool) -> None:
    path = tmp_path / "rt.pcap"
    assert write_pcap(path, ETH_FRAMES, nanosecond=nanosecond) == len(ETH_FRAMES)
    frames, cap = read_all(path)
    assert (cap.format, cap.compressed, cap.comments) == ("pcap", False, [])
    assert cap.warnings == [cut_note(path)]  # frame 3 kept 512 of its 1514 bytes
    assert [f.index for f in frames] == [1, 2, 3]
    for got, want in zip(frames, ETH_FRAMES, strict=True):
        assert got.data == want.data
        assert got.orig_len == want.wire_len
        assert got.linktype == LINKTYPE_ETHERNET
        assert got.ts_ns == (want.ts_ns if nanosecond else want.ts_ns // 1000 * 1000)


@pytest.mark.parametrize("tsresol_ns", [True, False])
def test_pcapng_round_trip(tmp_path: Path, tsresol_ns: bool) -> None:
    path = tmp_path / "rt.pcapng"
    assert write_pcapng(path, FRAMES, comment="démo ✓", tsresol_ns=tsresol_ns) == 4
    frames, cap = read_all(path)
    assert (cap.format, cap.comments, cap.warnings) == ("pcapng", ["démo ✓"], [cut_note(path)])
    for got, want in zip(frames, FRAMES, strict=True):
        assert (got.index, got.data, got.linktype, got.interface) == (
            want.index, want.data, want.linktype, want.interface)  # fmt: skip
        assert got.orig_len == want.wire_len
        assert got.ts_ns == (want.ts_ns if tsresol_ns else want.ts_ns // 1000 * 1000)


def test_writers_accept_open_binary_files() -> None:
    buf = io.BytesIO()
    assert write_pcapng(buf, FRAMES[:1]) == 1
    assert buf.getvalue()[:4] == b"\x0a\x0d\x0d\x0a"
    assert not buf.closed
    buf = io.BytesIO()
    assert write_pcap(buf, [], nanosecond=False) == 0
    assert buf.getvalue()[:4] == b"\xd4\xc3\xb2\xa1"


def test_write_pcap_refuses_mixed_link_types(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="link type 101"):
        write_pcap(tmp_path / "x.pcap", FRAMES)


def test_writers_refuse_negative_time(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="time stamp"):
        write_pcapng(tmp_path / "x.pcapng", [Frame(1, -1, b"x")])


def test_reiterating_starts_again(tmp_path: Path) -> None:
    path = tmp_path / "again.pcapng"
    write_pcapng(path, FRAMES, comment="c")
    with open_capture(path) as cap:
        assert [f.index for f in cap] == [f.index for f in cap] == [1, 2, 3, 4]
        assert cap.comments == ["c"]


def test_reading_is_lazy(tmp_path: Path) -> None:
    path = tmp_path / "lazy.pcap"
    write_pcap(path, ETH_FRAMES)
    path.write_bytes(path.read_bytes()[:-1])
    with open_capture(path) as cap:
        frames = iter(cap)
        assert next(frames).index == 1
        assert cap.warnings == []  # the damaged tail has not been read yet
        assert [f.index for f in frames] == [2]
        assert "truncated" in cap.warnings[0]


# --- hand-built files --------------------------------------------------------------------


def test_big_endian_microsecond_pcap(tmp_path: Path) -> None:
    fcs_bits = 0x04000000 | (4 << 28)  # "FCS of 4 bytes present" rides above the link type
    body = pcap_header(">", 0xA1B2C3D4, snaplen=100, network=LINKTYPE_RAW | fcs_bits)
    body += struct.pack(">IIII", 1_600_000_000, 999_999, 4, 400) + b"\x45abc"
    body += struct.pack(">IIII", 1_600_000_001, 1, 2, 2) + b"\x45z"
    path = tmp_path / "be.pcap"
    path.write_bytes(body)
    frames, cap = read_all(path)
    assert [(f.ts_ns, f.data, f.orig_len, f.linktype) for f in frames] == [
        (1_600_000_000_999_999_000, b"\x45abc", 400, LINKTYPE_RAW),
        (1_600_000_001_000_001_000, b"\x45z", 2, LINKTYPE_RAW),
    ]
    assert cap.warnings == [cut_note(path)]


@pytest.mark.parametrize("endian", ["<", ">"])
def test_nanosecond_pcap(tmp_path: Path, endian: str) -> None:
    body = pcap_header(endian, 0xA1B23C4D) + struct.pack(endian + "IIII", 1, 999_999_999, 1, 1)
    path = tmp_path / "ns.pcap"
    path.write_bytes(body + b"x")
    frames, _ = read_all(path)
    assert frames[0].ts_ns == 1_999_999_999


def test_pcap_frame_longer_than_snaplen_is_noted(tmp_path: Path) -> None:
    path = tmp_path / "snap.pcap"
    path.write_bytes(pcap_header("<", 0xA1B2C3D4, snaplen=2) + struct.pack("<IIII", 0, 0, 3, 3)
                     + b"abc")  # fmt: skip
    frames, cap = read_all(path)
    assert frames[0].data == b"abc"
    assert "more bytes than the snap length" in cap.warnings[0]


def test_pcap_huge_record_stops_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.pcap"
    good = struct.pack("<IIII", 0, 0, 1, 1) + b"a"
    path.write_bytes(pcap_header("<", 0xA1B2C3D4) + good + struct.pack("<IIII", 0, 0, 2**30, 1))
    frames, cap = read_all(path)
    assert len(frames) == 1
    assert cap.warnings == [f"{path}: frame 2 at byte 41 claims {2**30} captured bytes; "
                            "stopped reading there"]  # fmt: skip


def test_pcapng_two_interfaces_and_tsresol(tmp_path: Path) -> None:
    data = (shb() + idb(LINKTYPE_ETHERNET, "eth0", tsresol=6) + idb(LINKTYPE_LINUX_SLL, "any", 9)
            + idb(LINKTYPE_RAW, "", tsresol=0x80 | 10)  # 2**-10 s ticks
            + epb(0, 1_700_000_000_000_001, b"e" * 14, orig=100)
            + epb(1, 1_700_000_000_000_000_123, b"s" * 16)
            + epb(2, 3 * 1024 + 512, b"\x45" * 20))  # fmt: skip
    path = tmp_path / "two.pcapng"
    path.write_bytes(data)
    frames, cap = read_all(path)
    assert [(f.index, f.ts_ns, f.linktype, f.interface, f.orig_len) for f in frames] == [
        (1, 1_700_000_000_000_001_000, LINKTYPE_ETHERNET, "eth0", 100),
        (2, 1_700_000_000_000_000_123, LINKTYPE_LINUX_SLL, "any", 16),
        (3, 3_500_000_000, LINKTYPE_RAW, "", 20),
    ]
    assert frames[0].data == b"e" * 14


def test_pcapng_tsoffset_and_big_endian_section(tmp_path: Path) -> None:
    opts = option(9, b"\x03", ">") + option(14, struct.pack(">q", 100), ">") + option(0, b"", ">")
    data = (
        shb(">") + block(1, struct.pack(">HHI", 1, 0, 0) + opts, ">") + epb(0, 5, b"xy", None, ">")
    )
    path = tmp_path / "be.pcapng"
    path.write_bytes(data)
    frames, _ = read_all(path)
    assert (frames[0].ts_ns, frames[0].data) == (100_005_000_000, b"xy")


def test_simple_and_obsolete_packet_blocks(tmp_path: Path) -> None:
    spb = block(3, struct.pack("<I", 1500) + b"s" * 8)  # snaplen 8 cut it
    pb = block(2, struct.pack("<HH4I", 0, 7, 0, 2_000_000, 3, 3) + b"abc")
    data = shb() + block(1, struct.pack("<HHI", 1, 0, 8)) + spb + pb
    path = tmp_path / "old.pcapng"
    path.write_bytes(data)
    frames, cap = read_all(path)
    assert [(f.index, f.ts_ns, f.data, f.orig_len) for f in frames] == [
        (1, 0, b"s" * 8, 1500),
        (2, 2_000_000_000, b"abc", 3),
    ]
    assert any("Simple Packet Block(s) carry no time stamp" in w for w in cap.warnings)
    assert any("cut short by the snap length" in w for w in cap.warnings)


def test_sections_reset_interfaces_and_collect_comments(tmp_path: Path) -> None:
    data = (shb(comments=("first", "second")) + idb(1) + idb(1) + epb(1, 0, b"a")
            + shb(">", comments=("third",)) + idb(1, endian=">") + epb(1, 0, b"b", endian=">")
            + epb(0, 0, b"c", endian=">"))  # fmt: skip
    path = tmp_path / "sections.pcapng"
    path.write_bytes(data)
    with open_capture(path) as cap:
        assert cap.comments == ["first", "second"]  # known before iterating
        frames = list(cap)
    assert [f.data for f in frames] == [b"a", b"c"]
    assert cap.comments == ["first", "second", "third"]
    assert cap.warnings == [f"{path}: Enhanced Packet Block at byte {len(data) - 72} names "
                            "interface 1 but its section has 1; skipped"]  # fmt: skip


def test_other_blocks_skipped(tmp_path: Path) -> None:
    nrb, isb, custom = block(4, b"\0" * 4), block(5, b"\0" * 12), block(0x99, b"")
    path = tmp_path / "misc.pcapng"
    path.write_bytes(shb() + nrb + idb(147) + epb(0, 0, b"x") + isb + custom + custom)
    frames, cap = read_all(path)
    assert len(frames) == 1
    assert cap.warnings == [
        f"{path}: link type 147 is not one wirelens dissects; its 1 frame(s) stay raw bytes",
        f"{path}: skipped 2 pcapng block(s) of unknown type (0x00000099)",
    ]


@pytest.mark.parametrize("length", [8, 14, 2**30])
def test_pcapng_bad_block_length_stops(tmp_path: Path, length: int) -> None:
    good = shb() + idb(1) + epb(0, 0, b"x")
    path = tmp_path / "len.pcapng"
    path.write_bytes(good + struct.pack("<II", 6, length) + b"\0" * 40)
    frames, cap = read_all(path)
    assert len(frames) == 1
    assert cap.warnings == [f"{path}: pcapng block at byte {len(good)} claims a length of "
                            f"{length} bytes; stopped reading there"]  # fmt: skip


# --- gzip ---------------------------------------------------------------------------------


@pytest.mark.parametrize("writer", [write_pcap, write_pcapng])
def test_gzip_is_read_transparently(tmp_path: Path, writer: object) -> None:
    path = tmp_path / "z.gz"
    with gzip.open(path, "wb") as out:
        assert callable(writer)
        writer(out, WHOLE)
    frames, cap = read_all(path)
    assert cap.compressed
    assert [f.data for f in frames] == [f.data for f in WHOLE]
    assert cap.warnings == []


def test_truncated_gzip_keeps_earlier_frames(tmp_path: Path) -> None:
    path = tmp_path / "cut.pcapng.gz"
    big = [Frame(i, T0, bytes([i]) * 3000) for i in range(1, 40)]
    with gzip.open(path, "wb", compresslevel=0) as out:
        write_pcapng(out, big)
    path.write_bytes(path.read_bytes()[:60_000])
    frames, cap = read_all(path)
    assert 10 < len(frames) < 39
    assert [f.data for f in frames] == [f.data for f in big[: len(frames)]]
    assert "truncated at byte" in cap.warnings[0]
    assert "the frames before it were read" in cap.warnings[0]


# --- bad input ---------------------------------------------------------------------------


def _good_pcap() -> bytes:
    buf = io.BytesIO()
    write_pcap(buf, WHOLE)
    return buf.getvalue()


def _good_pcapng() -> bytes:
    buf = io.BytesIO()
    write_pcapng(buf, WHOLE, comment="hi")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        (b"hello world, not a capture", "not a pcap or pcapng file (starts with b'hello wo' at"),
        (b"", "empty file"),
        (b"\xd4\xc3\xb2\xa1\x02\x00", "inside the 24-byte pcap header"),
        (b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c", "truncated at byte 10"),
        (b"\x0a\x0d\x0d\x0a\x05\x00\x00\x00\x4d\x3c\x2b\x1a" + b"\0" * 20, "claims a length of 5"),
        (b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00abcd" + b"\0" * 20, "unknown byte-order magic"),
        (b"\xd4\xc3", "file ends at byte 2, inside the capture header"),
        (gzip.compress(b"GIF89a..."), "gzip data inside is not a pcap or pcapng file"),
        (gzip.compress(b""), "the gzip data is empty"),
        (b"\x1f\x8b\x08\x00garbage", "empty"),
    ],
)
def test_bad_files_raise_one_line_capture_error(
    tmp_path: Path, content: bytes, expect: str
) -> None:
    path = tmp_path / "demo.txt"
    path.write_bytes(content)
    with pytest.raises(CaptureError) as info:
        open_capture(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert expect in message
    assert "byte" in message and "\n" not in message
    assert info.value.path == str(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    for path in (tmp_path / "nope.pcap", tmp_path):
        with pytest.raises(CaptureError, match="byte 0") as info:
            open_capture(path)
        assert str(info.value).startswith(f"{path}: cannot read it (")
        assert info.value.offset == 0


def test_truncated_mid_packet_pcap(tmp_path: Path) -> None:
    good = _good_pcap()
    path = tmp_path / "demo.pcap"
    path.write_bytes(good[:-1])
    frames, cap = read_all(path)
    assert [f.index for f in frames] == [1]
    assert cap.warnings == [f"{path}: truncated at byte {len(good) - 1} (data of frame 2); "
                            "the frames before it were read"]  # fmt: skip


def test_truncated_in_record_header_pcap(tmp_path: Path) -> None:
    good = _good_pcap()
    path = tmp_path / "demo.pcap"
    path.write_bytes(good + b"\0" * 7)
    frames, cap = read_all(path)
    assert len(frames) == 2
    assert cap.warnings == [f"{path}: truncated at byte {len(good) + 7} (record header of "
                            "frame 3); the frames before it were read"]  # fmt: skip


def test_truncated_mid_packet_pcapng(tmp_path: Path) -> None:
    good = _good_pcapng()
    path = tmp_path / "demo.pcapng"
    path.write_bytes(good[:-10])
    frames, cap = read_all(path)
    assert [f.index for f in frames] == [1]
    assert cap.warnings[0].startswith(f"{path}: truncated at byte {len(good) - 10} "
                                      "(Enhanced Packet Block at byte ")  # fmt: skip


# --- fuzz --------------------------------------------------------------------------------

GOOD_FILES = [_good_pcap(), _good_pcapng()]


def _survives(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "fuzz.bin"
    path.write_bytes(content)
    try:
        cap = open_capture(path)
    except CaptureError as exc:
        assert "byte" in str(exc)
        return
    with cap:
        for frame in cap:
            assert isinstance(frame.data, bytes)
        assert all("\n" not in w for w in cap.warnings)


@pytest.mark.parametrize("good", GOOD_FILES, ids=["pcap", "pcapng"])
def test_every_prefix_is_handled(tmp_path: Path, good: bytes) -> None:
    for n in range(len(good) + 1):
        _survives(tmp_path, good[:n])


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    which=st.sampled_from(GOOD_FILES + [gzip.compress(g) for g in GOOD_FILES]),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 255)), min_size=1, max_size=6),
    cut=st.integers(0, 10_000),
)
def test_random_damage_never_crashes(
    tmp_path: Path, which: bytes, flips: list[tuple[int, int]], cut: int
) -> None:
    content = bytearray(which)
    for pos, mask in flips:
        content[pos % len(content)] ^= mask
    _survives(tmp_path, bytes(content[: max(cut, len(content) // 2)]))


# --- other readers -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_scapy_reads_what_we_write(tmp_path: Path, fmt: str) -> None:
    from scapy.utils import rdpcap

    path = tmp_path / f"ours.{fmt}"
    frames = ETH_FRAMES if fmt == "pcap" else FRAMES
    (write_pcap if fmt == "pcap" else write_pcapng)(path, frames)
    packets = rdpcap(str(path))
    assert [bytes(p) for p in packets] == [f.data for f in frames]
    assert [p.wirelen for p in packets] == [f.wire_len for f in frames]


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_tshark_agrees_on_frame_lengths(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"ours.{fmt}"
    frames = ETH_FRAMES if fmt == "pcap" else FRAMES
    (write_pcap if fmt == "pcap" else write_pcapng)(path, frames)
    out = subprocess.run(
        ["tshark", "-n", "-r", str(path), "-T", "fields", "-e", "frame.len", "-e", "frame.cap_len"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    rows = [line.split("\t") for line in out.stdout.splitlines()]
    assert [(int(a), int(b)) for a, b in rows] == [(f.wire_len, len(f.data)) for f in frames]
