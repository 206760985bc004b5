"""UDP (RFC 768): 8 bytes of header, nothing more."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wirelens.explain.fields import FieldSpec, Layer, checksum_status, dec, extract, hex_of
from wirelens.explain.layers import ipv4, ipv6
from wirelens.explain.layers.decoded import Decoded, Truncated

FIELDS = (
    FieldSpec("udp.srcport", 0, 16, dec, "field.udp.srcport"),
    FieldSpec("udp.dstport", 16, 16, dec, "field.udp.dstport"),
    FieldSpec("udp.length", 32, 16, dec, "field.udp.length"),
    FieldSpec("udp.checksum", 48, 16, hex_of(4), "field.udp.checksum"),
)
HEADER_LEN = 8


def dissect(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    if end - start < HEADER_LEN:
        raise Truncated("UDP")
    header = data[start : start + HEADER_LEN]
    length = int.from_bytes(header[4:6], "big")
    stored = int.from_bytes(header[6:8], "big")
    extra: dict[str, dict[str, Any]] = {"udp.length": {"payload": max(length - HEADER_LEN, 0)}}
    if stored == 0:  # 0 means "no checksum" over IPv4
        extra["udp.checksum"] = {"variant": "none"}
    elif "src_bytes" in below:
        make = ipv6.pseudo_header if below.get("ip_version") == 6 else ipv4.pseudo_header
        datagram = data[start:end]
        pseudo = make(below["src_bytes"], below["dst_bytes"], 17, len(datagram))
        extra["udp.checksum"] = checksum_status(pseudo + datagram, len(pseudo) + 6, stored)
    fields = extract(FIELDS, header, start, extra)
    return Decoded(
        Layer("UDP", start, HEADER_LEN, tuple(fields)),
        next_key=None,
        payload_start=start + HEADER_LEN,
        payload_end=min(end, start + length) if length >= HEADER_LEN else end,
        facts={
            "sport": int.from_bytes(header[0:2], "big"),
            "dport": int.from_bytes(header[2:4], "big"),
            # the bytes after the header within the IP payload as captured: what the
            # overview counts as the datagram's, whatever rides in it (the header walk's
            # measure, so both paths count alike)
            "udp_room": end - start - HEADER_LEN,
        },
    )
