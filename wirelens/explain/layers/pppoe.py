"""PPP over Ethernet sessions (RFC 2516, EtherType 0x8864) and the PPP protocol field.

A 6-byte PPPoE header (version, type, code, session, payload length), then PPP's 2-byte
protocol number (RFC 1661; never compressed in PPPoE) saying IPv4 or IPv6, as Wireshark's
pppoes and ppp layers show them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wirelens.explain.fields import FieldSpec, Layer, dec, extract, hex_of
from wirelens.explain.layers.decoded import Decoded, Truncated
from wirelens.explain.wirenumbers import PPP_PROTOCOLS

HEADER_LEN = 6
PPP_LEN = 2
PPP = -1  # the next key that says "a PPP protocol field follows" (no number names it)
FIELDS = (
    FieldSpec("pppoe.version", 0, 4, dec, "field.pppoe.version"),
    FieldSpec("pppoe.type", 4, 4, dec, "field.pppoe.type"),
    FieldSpec("pppoe.code", 8, 8, hex_of(2), "field.pppoe.code"),
    FieldSpec("pppoe.session_id", 16, 16, hex_of(4), "field.pppoe.session_id"),
    FieldSpec("pppoe.payload_length", 32, 16, dec, "field.pppoe.payload_length"),
)
PPP_FIELDS = (FieldSpec("ppp.protocol", 0, 16, hex_of(4), "field.ppp.protocol"),)


def dissect_session(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    if end - start < HEADER_LEN:
        raise Truncated("PPPoE")
    header = data[start : start + HEADER_LEN]
    fields = extract(FIELDS, header, start, {})
    return Decoded(Layer("PPPoE session", start, HEADER_LEN, tuple(fields)), PPP,
                   start + HEADER_LEN, end)


def dissect_ppp(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    if end - start < PPP_LEN:
        raise Truncated("PPP")
    header = data[start : start + PPP_LEN]
    fields = extract(PPP_FIELDS, header, start, {})
    protocol = int.from_bytes(header, "big")
    return Decoded(Layer("PPP", start, PPP_LEN, tuple(fields)), PPP_PROTOCOLS.get(protocol),
                   start + PPP_LEN, end)
