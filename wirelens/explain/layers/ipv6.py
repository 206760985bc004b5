"""IPv6 (RFC 8200): a fixed 40-byte header; extension headers are walked to the transport."""

from __future__ import annotations

from collections.abc import Mapping
from ipaddress import IPv6Address
from typing import Any

from wirelens.explain.fields import FieldSpec, FieldValue, Layer, dec, extract, hex_of
from wirelens.explain.layers.decoded import Decoded, TooDeep, Truncated


def ipv6(value: int) -> str:
    return IPv6Address(value).compressed


FIELDS = (
    FieldSpec("ipv6.version", 0, 4, dec, "field.ipv6.version"),
    FieldSpec("ipv6.tclass", 4, 8, hex_of(2), "field.ipv6.tclass"),
    FieldSpec("ipv6.flow", 12, 20, hex_of(5), "field.ipv6.flow"),
    FieldSpec("ipv6.plen", 32, 16, dec, "field.ipv6.plen"),
    FieldSpec("ipv6.nxt", 48, 8, dec, "field.ipv6.nxt"),
    FieldSpec("ipv6.hlim", 56, 8, dec, "field.ipv6.hlim"),
    FieldSpec("ipv6.src", 64, 128, ipv6, "field.ipv6.src"),
    FieldSpec("ipv6.dst", 192, 128, ipv6, "field.ipv6.dst"),
)
HEADER_LEN = 40
# Extension headers that carry their length in the second byte (in 8-byte units, plus one).
EXTENSIONS = {0: "Hop-by-Hop", 43: "Routing", 60: "Destination Options"}
FRAGMENT = 44
# The Authentication Header (RFC 4302) also chains to the next header, but its length
# byte counts 4-byte units, minus two; Wireshark walks it to the TCP behind it.
AUTHENTICATION = 51
# RFC 8200 4.1: each extension header at most once (Destination Options twice); a chain
# longer than this is not a real packet, and walking it would only cost time and memory.
MAX_EXTENSIONS = 8


_EXTENSION_NAMES = {FRAGMENT: "Fragment", AUTHENTICATION: "Authentication Header"}


def _extension_length(nxt: int, length_byte: int) -> int:
    """Bytes of one extension header from its type and its second byte."""
    if nxt == FRAGMENT:
        return 8
    if nxt == AUTHENTICATION:
        return (length_byte + 2) * 4
    return (length_byte + 1) * 8


def dissect(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    if end - start < HEADER_LEN:
        raise Truncated("IPv6")
    header = data[start : start + HEADER_LEN]
    payload_len = int.from_bytes(header[4:6], "big")
    fields = extract(FIELDS, header, start, {})
    payload_end = min(end, start + HEADER_LEN + payload_len)
    nxt, at = header[6], start + HEADER_LEN
    fragment, walked = False, 0
    while nxt in EXTENSIONS or nxt == FRAGMENT or nxt == AUTHENTICATION:
        walked += 1
        if walked > MAX_EXTENSIONS:
            raise TooDeep(f"more than {MAX_EXTENSIONS} IPv6 extension headers")
        if payload_end - at < 8:
            raise Truncated("IPv6 extension header")
        length = _extension_length(nxt, data[at + 1])
        name = _EXTENSION_NAMES.get(nxt) or EXTENSIONS[nxt]
        fragment = fragment or nxt == FRAGMENT
        fields.append(
            FieldValue(
                "ipv6.ext",
                name,
                name,
                at,
                length,
                "field.ipv6.ext",
                {"name": name, "length": length},
            )
        )
        nxt, at = data[at], at + length
    return Decoded(
        Layer("IPv6", start, at - start, tuple(fields)),
        next_key=None if fragment else nxt,
        payload_start=at,
        payload_end=payload_end,
        facts={
            "src": fields[6].display,
            "dst": fields[7].display,
            "src_bytes": header[8:24],
            "dst_bytes": header[24:40],
            "proto": nxt,
            "ip_version": 6,
            "fragment": fragment,
            "declared_end": start + HEADER_LEN + payload_len if payload_len else payload_end,
            "padding": max(end - payload_end, 0),
        },
    )


def pseudo_header(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    """The IPv6 pseudo-header in front of TCP and UDP checksums (RFC 8200 8.1)."""
    return src + dst + length.to_bytes(4, "big") + bytes((0, 0, 0, proto))
