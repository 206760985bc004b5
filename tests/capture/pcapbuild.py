"""pcap and pcapng files built by hand, block by block, for the reader tests."""

from __future__ import annotations

import struct


def pcap_header(endian: str, magic: int, snaplen: int = 65535, network: int = 1) -> bytes:
    return struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, network)


def block(btype: int, body: bytes, endian: str = "<") -> bytes:
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack(endian + "II", btype, n) + body + struct.pack(endian + "I", n)


def option(code: int, value: bytes, endian: str = "<") -> bytes:
    return struct.pack(endian + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def shb(endian: str = "<", comments: tuple[str, ...] = ()) -> bytes:
    opts = b"".join(option(1, c.encode(), endian) for c in comments)
    opts += option(0, b"", endian) if opts else b""
    return block(0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1) + opts, endian)


def idb(linktype: int, name: str = "", tsresol: int | None = None, endian: str = "<") -> bytes:
    opts = option(2, name.encode(), endian) if name else b""
    opts += option(9, bytes([tsresol]), endian) if tsresol is not None else b""
    opts += option(0, b"", endian) if opts else b""
    return block(1, struct.pack(endian + "HHI", linktype, 0, 0) + opts, endian)


def epb(iface: int, ticks: int, data: bytes, orig: int | None = None, endian: str = "<") -> bytes:
    head = struct.pack(endian + "5I", iface, ticks >> 32, ticks & 0xFFFFFFFF, len(data),
                       len(data) if orig is None else orig)  # fmt: skip
    return block(6, head + data, endian)
