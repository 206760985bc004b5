"""IPv4 (RFC 791): 20 bytes of fixed header, up to 40 more of options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wirelens.explain.fields import (
    FieldSpec,
    FieldValue,
    Layer,
    checksum_status,
    dec,
    extract,
    flag,
    hex_of,
    ipv4,
    words_as_bytes,
)
from wirelens.explain.layers.decoded import Decoded, Truncated

FIELDS = (
    FieldSpec("ip.version", 0, 4, dec, "field.ip.version"),
    FieldSpec("ip.hdr_len", 4, 4, words_as_bytes, "field.ip.hdr_len"),
    FieldSpec("ip.dsfield.dscp", 8, 6, dec, "field.ip.dscp"),
    FieldSpec("ip.dsfield.ecn", 14, 2, dec, "field.ip.ecn"),
    FieldSpec("ip.len", 16, 16, dec, "field.ip.len"),
    FieldSpec("ip.id", 32, 16, hex_of(4), "field.ip.id"),
    FieldSpec("ip.flags.rb", 48, 1, flag, "field.ip.flags.rb"),
    FieldSpec("ip.flags.df", 49, 1, flag, "field.ip.flags.df"),
    FieldSpec("ip.flags.mf", 50, 1, flag, "field.ip.flags.mf"),
    FieldSpec("ip.frag_offset", 51, 13, dec, "field.ip.frag_offset"),
    FieldSpec("ip.ttl", 64, 8, dec, "field.ip.ttl"),
    FieldSpec("ip.proto", 72, 8, dec, "field.ip.proto"),
    FieldSpec("ip.checksum", 80, 16, hex_of(4), "field.ip.checksum"),
    FieldSpec("ip.src", 96, 32, ipv4, "field.ip.src"),
    FieldSpec("ip.dst", 128, 32, ipv4, "field.ip.dst"),
)
MIN_HEADER = 20
PROTOCOL_NAMES = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6"}


def dissect(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    if end - start < MIN_HEADER:
        raise Truncated("IPv4")
    ihl = data[start] & 0x0F
    header_len = ihl * 4
    if header_len < MIN_HEADER or end - start < header_len:
        raise Truncated("IPv4")
    header = data[start : start + header_len]
    total = int.from_bytes(header[2:4], "big")
    proto = header[9]
    stored_checksum = int.from_bytes(header[10:12], "big")
    frag = int.from_bytes(header[6:8], "big")
    extra: dict[str, dict[str, Any]] = {
        "ip.hdr_len": {"words": ihl, "bytes": header_len},
        "ip.len": {"header": header_len, "payload": max(total - header_len, 0)},
        "ip.proto": {"name": PROTOCOL_NAMES.get(proto, "unknown")},
        "ip.checksum": checksum_status(header, 10, stored_checksum),
        "ip.frag_offset": {"bytes": (frag & 0x1FFF) * 8},
    }
    fields = extract(FIELDS, header, start, extra)
    if header_len > MIN_HEADER:
        fields.append(
            FieldValue(
                "ip.options",
                header[MIN_HEADER:].hex(),
                header[MIN_HEADER:].hex(" "),
                start + MIN_HEADER,
                header_len - MIN_HEADER,
                "field.ip.options",
                {"length": header_len - MIN_HEADER},
            )
        )
    # IP's own length says where the packet ends; bytes after it are Ethernet padding.
    payload_end = min(end, start + total) if total >= header_len else end
    fragmented = bool(frag & 0x2000) or (frag & 0x1FFF) != 0
    return Decoded(
        Layer("IPv4", start, header_len, tuple(fields)),
        # Wireshark reassembles fragments and dissects what they carry in the last one's
        # frame; we do not reassemble, so no fragment's bytes are read as TCP or UDP.
        next_key=None if fragmented else proto,
        payload_start=start + header_len,
        payload_end=payload_end,
        facts={
            "src": ipv4(int.from_bytes(header[12:16], "big")),
            "dst": ipv4(int.from_bytes(header[16:20], "big")),
            "src_bytes": header[12:16],
            "dst_bytes": header[16:20],
            "proto": proto,
            "ip_version": 4,
            "ip_id": int.from_bytes(header[4:6], "big"),
            "fragment": fragmented,
            # where the packet ends by its own length, captured or not (a snap length cut)
            "declared_end": start + total if total >= header_len else end,
            "padding": max(end - (start + total), 0) if total >= header_len else 0,
        },
    )


def pseudo_header(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    """The 12 bytes TCP and UDP checksums cover in front of their own header (RFC 9293 3.1)."""
    return src + dst + bytes((0, proto)) + length.to_bytes(2, "big")
