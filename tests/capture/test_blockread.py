"""Capture files read in large blocks (capture/blockread.py): the same frames, numbers and
warnings as the frame-by-frame reader, or ``Fallback`` where that cannot be promised."""

from __future__ import annotations

import gzip
import struct
from dataclasses import replace
from pathlib import Path

import pytest

from tests.capture.pcapbuild import epb, idb, pcap_header, shb
from wirelens.capture import blockread
from wirelens.capture.blockread import BlockReader, Fallback
from wirelens.capture.pcapfile import MAX_FRAME, open_capture, write_pcap, write_pcapng
from wirelens.explain.records import Frame
from wirelens.overview.columns import Records

T0 = 1_700_000_000_123_456_789
# Frames of many lengths, one cut by the snap length on the wire (orig_len > captured).
FRAMES = [Frame(i, T0 + i * 1_000_003, bytes([i]) * (14 + 37 * i), 1,
                14 + 37 * i + (100 if i == 5 else 0)) for i in range(1, 30)]
Row = tuple[int, int, bytes, int, int]  # number, time, bytes, link type, length on the wire


def unpacked(block: Records) -> list[Row]:
    """A block's frames as (number, time, bytes, link type, length on the wire)."""
    buf = bytes(block.buf)
    return [(block.first_index + k, int(block.ts_ns[k]),
             buf[int(block.start[k]) : int(block.start[k]) + int(block.caplen[k])],
             int(block.linktype[k]), int(block.orig_len[k])) for k in range(len(block))]


def read_blocks(path: Path) -> tuple[list[list[Row]], list[str], int]:
    """(each block's frames, warnings, position at the end). A block's bytes are read out
    before the next is asked for: the reader reuses its buffer."""
    with open_capture(path) as cap:
        reader = BlockReader(cap)
        blocks = [unpacked(block) for block in reader]
        return blocks, reader.warnings, reader.position


def read_frames(path: Path) -> tuple[list[Row], list[str]]:
    with open_capture(path) as cap:
        frames = [(f.index, f.ts_ns, f.data, f.linktype, f.orig_len) for f in cap]
        return frames, list(cap.warnings)


def assert_same_as_frame_by_frame(path: Path) -> list[list[Row]]:
    blocks, warnings, _ = read_blocks(path)
    frames, frame_warnings = read_frames(path)
    assert [row for b in blocks for row in b] == frames
    assert warnings == frame_warnings
    return blocks


# ---------------------------------------------------------------- whole files


def test_a_classic_pcap_gives_the_frames_and_warnings_of_the_frame_reader(
        tmp_path: Path) -> None:
    path = tmp_path / "a.pcap"
    write_pcap(path, FRAMES, nanosecond=True)
    (block,) = assert_same_as_frame_by_frame(path)
    assert len(block) == len(FRAMES) and block[0][0] == 1
    _, warnings, position = read_blocks(path)
    assert len(warnings) == 1 and "1 frame(s) were cut short" in warnings[0]
    assert position == path.stat().st_size


def test_a_pcapng_file_is_gathered_into_blocks(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blockread, "FRAMES", 10)
    path = tmp_path / "a.pcapng"
    write_pcapng(path, FRAMES)
    blocks = assert_same_as_frame_by_frame(path)
    assert [(b[0][0], len(b)) for b in blocks] == [(1, 10), (11, 10), (21, 9)]


def test_records_cut_by_the_end_of_a_read_are_carried_to_the_next(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blockread, "BLOCK", 256)  # most records straddle two reads
    path = tmp_path / "a.pcap"
    write_pcap(path, FRAMES)
    blocks = assert_same_as_frame_by_frame(path)
    assert len(blocks) > 5  # and numbered on across them (checked above)


def test_a_long_read_is_cut_into_blocks_of_at_most_pcap_frames(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blockread, "PCAP_FRAMES", 8)
    path = tmp_path / "a.pcap"
    write_pcap(path, FRAMES)
    blocks = assert_same_as_frame_by_frame(path)
    assert [len(b) for b in blocks] == [8, 8, 8, 5]


def test_a_gzipped_pcap_is_read_in_blocks_too(tmp_path: Path) -> None:
    path = tmp_path / "a.pcap.gz"
    with gzip.open(path, "wb") as out:
        write_pcap(out, FRAMES)
    assert_same_as_frame_by_frame(path)


def test_a_link_type_wirelens_does_not_dissect_is_warned_about_as_frame_by_frame(
        tmp_path: Path) -> None:
    path = tmp_path / "odd.pcap"
    write_pcap(path, [replace(f, linktype=147) for f in FRAMES[:3]], linktype=147)
    (block,) = assert_same_as_frame_by_frame(path)
    assert {linktype for _, _, _, linktype, _ in block} == {147}
    assert any("link type 147" in w for w in read_blocks(path)[1])


def test_an_empty_pcap_gives_no_block(tmp_path: Path) -> None:
    path = tmp_path / "empty.pcap"
    write_pcap(path, [])
    assert read_blocks(path)[:2] == ([], [])


# ---------------------------------------------------------------- damage


def test_a_file_cut_mid_frame_keeps_the_frames_before_and_says_where(tmp_path: Path) -> None:
    path = tmp_path / "cut.pcap"
    write_pcap(path, FRAMES)
    path.write_bytes(path.read_bytes()[:-10])
    blocks = assert_same_as_frame_by_frame(path)
    assert sum(len(b) for b in blocks) == len(FRAMES) - 1
    _, warnings, _ = read_blocks(path)
    assert "(data of frame 29)" in warnings[0]


def test_a_file_cut_in_a_record_header_says_so(tmp_path: Path) -> None:
    path = tmp_path / "cut.pcap"
    write_pcap(path, FRAMES)
    path.write_bytes(path.read_bytes() + b"\0" * 7)
    assert_same_as_frame_by_frame(path)
    assert "(record header of frame 30)" in read_blocks(path)[1][0]


def test_a_record_claiming_too_many_bytes_stops_the_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.pcap"
    write_pcap(path, FRAMES[:3])
    path.write_bytes(path.read_bytes() + struct.pack("<IIII", 1, 0, 0x7FFFFFFF, 0x7FFFFFFF))
    blocks = assert_same_as_frame_by_frame(path)
    assert sum(len(b) for b in blocks) == 3
    assert "frame 4 at byte" in read_blocks(path)[1][0]


def test_a_frame_longer_than_is_kept_means_frame_by_frame(tmp_path: Path) -> None:
    long = MAX_FRAME + 10
    content = (pcap_header("<", 0xA1B2C3D4, snaplen=0)
               + struct.pack("<IIII", 1, 0, long, long) + b"\0" * long)
    path = tmp_path / "long.pcap"
    path.write_bytes(content)
    with open_capture(path) as cap, pytest.raises(Fallback):
        list(BlockReader(cap))


def test_a_read_error_inside_gzip_means_frame_by_frame(tmp_path: Path) -> None:
    path = tmp_path / "cut.pcap.gz"
    with gzip.open(path, "wb", compresslevel=0) as out:
        write_pcap(out, FRAMES)
    path.write_bytes(path.read_bytes()[:-100])  # the gzip stream ends early
    with open_capture(path) as cap, pytest.raises(Fallback):
        list(BlockReader(cap))


def test_a_time_beyond_64_bits_means_frame_by_frame(tmp_path: Path) -> None:
    # one tick a second (tsresol 10^0): 2^63 ticks are far past what 64 bits of ns hold
    content = shb() + idb(1, tsresol=0) + epb(0, 1 << 63, b"\0" * 14)
    path = tmp_path / "far.pcapng"
    path.write_bytes(content)
    with open_capture(path) as cap, pytest.raises(Fallback):
        list(BlockReader(cap))
