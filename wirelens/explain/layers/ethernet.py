"""Ethernet II (IEEE 802.3 with an EtherType): 14 bytes of header as captured."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wirelens.explain.fields import (
    MAX_8023_LENGTH,
    FieldSpec,
    Layer,
    as_length,
    extract,
    hex_of,
    mac,
    table_length,
)
from wirelens.explain.layers.decoded import Decoded, Truncated
from wirelens.explain.wirenumbers import (
    ETHERTYPE_ARP,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    ETHERTYPE_VLAN,
)

FIELDS = (
    FieldSpec("eth.dst", 0, 48, mac, "field.eth.dst"),
    FieldSpec("eth.src", 48, 48, mac, "field.eth.src"),
    FieldSpec("eth.type", 96, 16, hex_of(4), "field.eth.type"),
)
HEADER_LEN = table_length(FIELDS)  # 14: the FCS trailer is stripped before the capture point

ETHERTYPE_NAMES = {ETHERTYPE_IPV4: "IPv4", ETHERTYPE_ARP: "ARP", ETHERTYPE_IPV6: "IPv6",
                   ETHERTYPE_VLAN: "802.1Q VLAN"}
BROADCAST = "ff:ff:ff:ff:ff:ff"
ZERO = "00:00:00:00:00:00"


def mac_kind(address: str) -> str:
    """Which catalog variant explains this MAC: broadcast, zero (loopback), group or unicast."""
    if address == BROADCAST:
        return "broadcast"
    if address == ZERO:
        return "zero"
    first = int(address[:2], 16)
    if first & 0x01:
        return "multicast"
    return "local" if first & 0x02 else "global"


def dissect(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    if end - start < HEADER_LEN:
        raise Truncated("Ethernet")
    header = data[start : start + HEADER_LEN]
    ethertype = int.from_bytes(header[12:14], "big")
    dst, src = mac(int.from_bytes(header[0:6], "big")), mac(int.from_bytes(header[6:12], "big"))
    extra = {
        "eth.type": {"name": ETHERTYPE_NAMES.get(ethertype, "unknown")},
        "eth.dst": {"variant": mac_kind(dst), "oui": dst[:8]},
        "eth.src": {"variant": mac_kind(src), "oui": src[:8]},
    }
    fields = extract(FIELDS, header, start, extra)
    if ethertype <= MAX_8023_LENGTH:
        fields = as_length(fields, "eth.len", "field.eth.len")
    layer = Layer("Ethernet", start, HEADER_LEN, tuple(fields))
    return Decoded(
        layer,
        next_key=ethertype if ethertype > MAX_8023_LENGTH else None,
        payload_start=start + HEADER_LEN,
        payload_end=end,
        facts={"eth.src": src, "eth.dst": dst},
    )
