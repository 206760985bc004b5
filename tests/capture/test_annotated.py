"""The annotated copy, block by block: what it keeps byte for byte, where the comments go,
how frames are numbered past blocks the reader skips."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from wirelens.capture.annotated import annotate_pcapng, write_annotated
from wirelens.capture.pcapfile import open_capture

COMMENT, END = 1, 0
FRAME = bytes.fromhex("020000000002020000000001080045000014000100004006000000000000"
                      "0a0000010a000002")[:34]


def option(e: str, code: int, value: bytes) -> bytes:
    return struct.pack(e + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def block(e: str, btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    return struct.pack(e + "II", btype, len(body) + 12) + body + struct.pack(e + "I",
                                                                          len(body) + 12)


def shb(e: str, length: int, comments: list[bytes]) -> bytes:
    opts = b"".join(option(e, COMMENT, c) for c in comments) + option(e, END, b"")
    return block(e, 0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, length) + opts)


def idb(e: str) -> bytes:
    return block(e, 1, struct.pack(e + "HHI", 1, 0, 0) + option(e, 9, b"\x06")
                 + option(e, END, b""))


def epb(e: str, iface: int, ticks: int, data: bytes, opts: bytes = b"") -> bytes:
    head = struct.pack(e + "5I", iface, ticks >> 32, ticks & 0xFFFFFFFF, len(data), len(data))
    return block(e, 6, head + data + b"\0" * (-len(data) % 4) + opts)


def spb(e: str, data: bytes) -> bytes:
    return block(e, 3, struct.pack(e + "I", len(data)) + data)


def capture(e: str, damaged: bool = True) -> bytes:
    """A section with a comment and a length, an interface, a commented packet, a packet
    naming an interface that does not exist (skipped, not counted; tshark stops there), a
    custom block, a simple packet and a plain one."""
    t = 1_700_000_000_000_000
    return b"".join([
        shb(e, 4096, [b"old section note"]),
        idb(e),
        epb(e, 0, t, FRAME, option(e, COMMENT, b"old packet note") + option(e, END, b"")),
        epb(e, 7, t + 1, FRAME) if damaged else b"",
        block(e, 0x40000BAD, struct.pack(e + "I", 32473) + b"custom!!"),
        spb(e, FRAME),
        epb(e, 0, t + 2, FRAME[:33]),
    ])


def annotated(data: bytes, comments: dict[int, str], section: list[str]) -> bytes:
    out = io.BytesIO()
    annotate_pcapng(data, out, comments, section)
    return out.getvalue()


@pytest.mark.parametrize("endian", ["<", ">"])
def test_comments_land_on_the_frames_the_reader_numbers(endian: str, tmp_path: Path) -> None:
    data = capture(endian)
    # frame 2 is the custom block, numbered as Wireshark numbers it
    out = annotated(data, {1: "first", 3: "simple", 4: "third"}, ["the story"])
    src, dst = tmp_path / "in.pcapng", tmp_path / "out.pcapng"
    src.write_bytes(data)
    dst.write_bytes(out)
    with open_capture(src) as a, open_capture(dst) as b:
        assert [(f.index, f.ts_ns, f.data) for f in a] == [(f.index, f.ts_ns, f.data)
                                                           for f in b]
        assert b.comments == ["old section note", "the story"]
    # the section length is "not given" now, in the section's own byte order
    assert struct.unpack_from(endian + "q", out, 16)[0] == -1
    assert out[8:12] == data[8:12]  # the byte-order magic as it was
    # the interface, the skipped packet, the custom and the simple packet: byte for byte
    for piece in (idb(endian), epb(endian, 7, 1_700_000_000_000_001, FRAME),
                  block(endian, 0x40000BAD, struct.pack(endian + "I", 32473) + b"custom!!"),
                  spb(endian, FRAME)):
        assert piece in out
    assert b"old packet note" in out and b"first" in out and b"third" in out
    assert b"simple" not in out  # a Simple Packet Block has no options


@pytest.mark.skipif(shutil.which("tshark") is None, reason="needs tshark")
def test_tshark_reads_both_byte_orders(tmp_path: Path) -> None:
    for endian in "<>":
        path = tmp_path / f"out{endian == '>'}.pcapng"
        path.write_bytes(annotated(capture(endian, damaged=False), {1: "first", 4: "third"},
                                   ["story"]))
        rows = subprocess.run(
            ["tshark", "-r", str(path), "-T", "fields", "-E", "occurrence=a", "-E",
             "aggregator=|", "-e", "frame.time_epoch", "-e", "frame.comment"],
            capture_output=True, text=True, check=True, timeout=60).stdout.splitlines()
        comments = [row.split("\t")[1] for row in rows]
        assert comments[0] == "old packet note|first" and comments[-1] == "third"


def test_the_same_comments_twice_change_nothing() -> None:
    once = annotated(capture("<"), {1: "first"}, ["story"])
    assert annotated(once, {1: "first"}, ["story"]) == once
    # an existing identical packet comment is not repeated either
    assert annotated(capture("<"), {1: "old packet note"}, []) == capture("<")


def test_a_damaged_option_list_is_left_alone() -> None:
    e = "<"
    broken = epb(e, 0, 5, FRAME, struct.pack(e + "HH", COMMENT, 200) + b"xx")
    data = shb(e, -1, []) + idb(e) + broken
    out = annotated(data, {1: "mine"}, [])
    assert out.endswith(broken) and b"mine" not in out


def test_pcap_records_keep_their_ticks(tmp_path: Path) -> None:
    record = struct.pack("<IIII", 1_700_000_000, 999_999_999, len(FRAME), 60) + FRAME
    pcap = struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1) + record
    src = tmp_path / "in.pcap"
    src.write_bytes(pcap)
    out = io.BytesIO()
    with open_capture(src) as cap:
        assert write_annotated(cap, out, {1: "note"}, ["story"]) == 1
    dst = tmp_path / "out.pcapng"
    dst.write_bytes(out.getvalue())
    with open_capture(dst) as cap:
        frames = list(cap)
        assert cap.comments == ["story"]
    assert frames[0].ts_ns == 1_700_000_000_999_999_999 and frames[0].wire_len == 60
    assert option("<", 9, b"\x09") in out.getvalue()  # if_tsresol: nanoseconds
