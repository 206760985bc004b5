"""The link-layer headers other than Ethernet that captures arrive with.

Linux "cooked" captures (SLL v1 and v2, from ``tcpdump -i any``), BSD/OpenBSD loopback
(a 4-byte address family) and 802.1Q / 802.1ad VLAN tags inside Ethernet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wirelens.explain.fields import (
    MAX_8023_LENGTH,
    FieldSpec,
    FieldValue,
    Layer,
    as_length,
    dec,
    extract,
    hex_of,
    ipv4,
    mac,
)
from wirelens.explain.layers.decoded import Decoded, Truncated

SLL_FIELDS = (
    FieldSpec("sll.pkttype", 0, 16, dec, "field.sll.pkttype"),
    FieldSpec("sll.hatype", 16, 16, dec, "field.sll.hatype"),
    FieldSpec("sll.halen", 32, 16, dec, "field.sll.halen"),
    FieldSpec("sll.etype", 112, 16, hex_of(4), "field.sll.etype"),
)
SLL_ADDRESS_AT, SLL2_ADDRESS_AT = 6, 12  # the 8-byte address field, within each header
SLL2_FIELDS = (
    FieldSpec("sll.etype", 0, 16, hex_of(4), "field.sll.etype"),
    FieldSpec("sll.reserved", 16, 16, dec, "field.sll.reserved"),
    FieldSpec("sll.ifindex", 32, 32, dec, "field.sll.ifindex"),
    FieldSpec("sll.hatype", 64, 16, dec, "field.sll.hatype"),
    FieldSpec("sll.pkttype", 80, 8, dec, "field.sll.pkttype"),
    FieldSpec("sll.halen", 88, 8, dec, "field.sll.halen"),
)
NULL_FIELDS = (FieldSpec("null.family", 0, 32, dec, "field.null.family"),)
VLAN_FIELDS = (
    FieldSpec("vlan.priority", 0, 3, dec, "field.vlan.priority"),
    FieldSpec("vlan.dei", 3, 1, dec, "field.vlan.dei"),
    FieldSpec("vlan.id", 4, 12, dec, "field.vlan.id"),
    FieldSpec("vlan.etype", 16, 16, hex_of(4), "field.vlan.etype"),
)
# An 802.1ad service tag (EtherType 0x88a8, the outer tag of Q-in-Q): Wireshark's own names.
SERVICE_TAG_FIELDS = (
    FieldSpec("ieee8021ad.priority", 0, 3, dec, "field.vlan.priority"),
    FieldSpec("ieee8021ad.dei", 3, 1, dec, "field.vlan.dei"),
    FieldSpec("ieee8021ad.id", 4, 12, dec, "field.vlan.service_id"),
    FieldSpec("ieee8021ah.etype", 16, 16, hex_of(4), "field.vlan.etype"),
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


def _address_fields(field: bytes, halen: int, at: int) -> list[FieldValue]:
    """The cooked header's 8-byte address field, as Wireshark reads it: ``halen`` says how
    much of it is the sender's address (6: a MAC, 4: an IPv4 address); the rest is unused."""
    used = min(halen, len(field))
    out = []
    if used == 6:
        value = int.from_bytes(field[:6], "big")
        out.append(FieldValue("sll.src.eth", value, mac(value), at, 6, "field.sll.src", {
            "value": mac(value)}))
    elif used == 4:
        value = int.from_bytes(field[:4], "big")
        out.append(FieldValue("sll.src.ipv4", value, ipv4(value), at, 4, "field.sll.src", {
            "value": ipv4(value)}))
    elif used:
        out.append(FieldValue("sll.src.other", field[:used].hex(), field[:used].hex(":"), at,
                              used, "field.sll.src", {"value": field[:used].hex(":")}))
    if used < len(field):
        rest = field[used:]
        out.append(FieldValue("sll.unused", rest.hex(), rest.hex(":"), at + used, len(rest),
                              "field.sll.unused", {"value": rest.hex(":"), "length": len(rest)}))
    return out


def _cooked(name: str, specs: tuple[FieldSpec, ...], size: int, address_at: int,
            data: bytes, start: int, end: int, next_at: int) -> Decoded:
    decoded = _fixed(name, specs, size, data, start, end, next_at)
    halen_at = address_at - (2 if size == 16 else 1)
    halen = int.from_bytes(data[start + halen_at : start + address_at], "big")
    address = data[start + address_at : start + address_at + 8]
    fields = [*decoded.layer.fields, *_address_fields(address, halen, start + address_at)]
    fields.sort(key=lambda f: f.offset)
    layer = Layer(name, start, size, tuple(fields))
    return Decoded(layer, decoded.next_key, decoded.payload_start, decoded.payload_end)


def dissect_sll(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    return _cooked("Linux cooked", SLL_FIELDS, 16, SLL_ADDRESS_AT, data, start, end, 14)


def dissect_sll2(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    return _cooked("Linux cooked v2", SLL2_FIELDS, 20, SLL2_ADDRESS_AT, data, start, end, 0)


def dissect_vlan(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    decoded = _fixed("802.1Q VLAN", VLAN_FIELDS, 4, data, start, end, 2)
    if decoded.next_key is None or decoded.next_key > MAX_8023_LENGTH:
        return decoded
    fields = as_length(list(decoded.layer.fields), "vlan.len", "field.vlan.len")
    layer = Layer(decoded.layer.name, start, 4, tuple(fields))
    return Decoded(layer, None, decoded.payload_start, decoded.payload_end)


def dissect_service_tag(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    return _fixed("802.1ad service tag", SERVICE_TAG_FIELDS, 4, data, start, end, 2)


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
