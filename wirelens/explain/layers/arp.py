"""ARP (RFC 826) for IPv4 over Ethernet: who has this IP address? It is at this MAC."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wirelens.explain.fields import FieldSpec, Layer, dec, extract, hex_of, ipv4, mac
from wirelens.explain.layers.decoded import Decoded, Truncated

FIELDS = (
    FieldSpec("arp.hw.type", 0, 16, dec, "field.arp.hw.type"),
    FieldSpec("arp.proto.type", 16, 16, hex_of(4), "field.arp.proto.type"),
    FieldSpec("arp.hw.size", 32, 8, dec, "field.arp.hw.size"),
    FieldSpec("arp.proto.size", 40, 8, dec, "field.arp.proto.size"),
    FieldSpec("arp.opcode", 48, 16, dec, "field.arp.opcode"),
    FieldSpec("arp.src.hw_mac", 64, 48, mac, "field.arp.src.hw_mac"),
    FieldSpec("arp.src.proto_ipv4", 112, 32, ipv4, "field.arp.src.proto_ipv4"),
    FieldSpec("arp.dst.hw_mac", 144, 48, mac, "field.arp.dst.hw_mac"),
    FieldSpec("arp.dst.proto_ipv4", 192, 32, ipv4, "field.arp.dst.proto_ipv4"),
)
HEADER_LEN = 28
OPCODES = {1: "request", 2: "reply"}


def dissect(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    if end - start < HEADER_LEN:
        raise Truncated("ARP")
    body = data[start : start + HEADER_LEN]
    opcode = int.from_bytes(body[6:8], "big")
    fields = extract(FIELDS, body, start, {"arp.opcode": {"name": OPCODES.get(opcode, "?")}})
    return Decoded(
        Layer("ARP", start, HEADER_LEN, tuple(fields)),
        next_key=None,
        payload_start=start + HEADER_LEN,
        payload_end=start + HEADER_LEN,
        facts={
            "arp_op": opcode,
            "src": fields[6].display,
            "dst": fields[8].display,
            "arp_src_mac": fields[5].display,
            "padding": end - (start + HEADER_LEN),  # bytes after the message: padding
        },
    )
