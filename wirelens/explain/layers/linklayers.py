"""The link-layer headers other than Ethernet that captures arrive with.

Linux "cooked" captures (SLL v1 and v2, from ``tcpdump -i any``), BSD/OpenBSD loopback
(a 4-byte address family) and 802.1Q / 802.1ad VLAN tags inside Ethernet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wirelens.explain.fields import FieldSpec, Layer, dec, extract, hex_of
from wirelens.explain.layers.decoded import Decoded, Truncated

SLL_FIELDS = (
    FieldSpec("sll.pkttype", 0, 16, dec, "field.sll.pkttype"),
    FieldSpec("sll.hatype", 16, 16, dec, "field.sll.hatype"),
    FieldSpec("sll.halen", 32, 16, dec, "field.sll.halen"),
    FieldSpec("sll.src.eth", 48, 64, hex_of(16), "field.sll.src"),
    FieldSpec("sll.etype", 112, 16, hex_of(4), "field.sll.etype"),
)
SLL2_FIELDS = (
    FieldSpec("sll.etype", 0, 16, hex_of(4), "field.sll.etype"),
    FieldSpec("sll.reserved", 16, 16, dec, "field.sll.reserved"),
    FieldSpec("sll.ifindex", 32, 32, dec, "field.sll.ifindex"),
    FieldSpec("sll.hatype", 64, 16, dec, "field.sll.hatype"),
    FieldSpec("sll.pkttype", 80, 8, dec, "field.sll.pkttype"),
    FieldSpec("sll.halen", 88, 8, dec, "field.sll.halen"),
    FieldSpec("sll.src.eth", 96, 64, hex_of(16), "field.sll.src"),
)
NULL_FIELDS = (FieldSpec("null.family", 0, 32, dec, "field.null.family"),)
VLAN_FIELDS = (
    FieldSpec("vlan.priority", 0, 3, dec, "field.vlan.priority"),
    FieldSpec("vlan.dei", 3, 1, dec, "field.vlan.dei"),
    FieldSpec("vlan.id", 4, 12, dec, "field.vlan.id"),
    FieldSpec("vlan.etype", 16, 16, hex_of(4), "field.vlan.etype"),
)


def _fixed(
    name: str, specs: tuple[FieldSpec, ...], size: int, data: bytes, start: int, end: int,
    next_at: int,
) -> Decoded:
    if end - start < size:
        raise Truncated(name)
    header = data[start : start + size]
    fields = extract(specs, header, start, {})
    return Decoded(
        Layer(name, start, size, tuple(fields)),
        next_key=int.from_bytes(header[next_at : next_at + 2], "big"),
        payload_start=start + size,
        payload_end=end,
    )


def dissect_sll(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    return _fixed("Linux cooked", SLL_FIELDS, 16, data, start, end, 14)


def dissect_sll2(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    return _fixed("Linux cooked v2", SLL2_FIELDS, 20, data, start, end, 0)


def dissect_vlan(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    return _fixed("802.1Q VLAN", VLAN_FIELDS, 4, data, start, end, 2)


def _family(data: bytes, start: int, end: int, order: str) -> Decoded:
    if end - start < 4:
        raise Truncated("loopback")
    family = int.from_bytes(data[start : start + 4], order)  # type: ignore[arg-type]
    if order == "little" and family > 0xFFFF:  # written by a big-endian host
        family = int.from_bytes(data[start : start + 4], "big")
    fields = extract(NULL_FIELDS, family.to_bytes(4, "big"), start, {})
    return Decoded(Layer("Loopback", start, 4, tuple(fields)), family, start + 4, end)


def dissect_null(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    return _family(data, start, end, "little")


def dissect_loop(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    return _family(data, start, end, "big")
