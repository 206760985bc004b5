"""MPLS (RFC 3032): a stack of 4-byte label entries after EtherType 0x8847.

Each entry is one layer; the one with the bottom-of-stack bit is followed by the labelled
packet, which names no protocol: as Wireshark guesses, its first nibble says IPv4 (4) or
IPv6 (6); anything else (a pseudowire control word, say) is not dissected further.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wirelens.explain.fields import FieldSpec, Layer, dec, extract
from wirelens.explain.layers.decoded import Decoded, Truncated
from wirelens.explain.wirenumbers import ETHERTYPE_MPLS, MPLS_PAYLOAD

ENTRY_LEN = 4
# Wireshark 4.0's field names (tshark -G fields); mpls.exp is RFC 5462's Traffic Class.
FIELDS = (
    FieldSpec("mpls.label", 0, 20, dec, "field.mpls.label"),
    FieldSpec("mpls.exp", 20, 3, dec, "field.mpls.exp"),
    FieldSpec("mpls.bottom", 23, 1, dec, "field.mpls.bottom"),
    FieldSpec("mpls.ttl", 24, 8, dec, "field.mpls.ttl"),
)


def next_ethertype(data: bytes, at: int, end: int) -> int | None:
    """After the bottom entry: the EtherType the packet at ``at`` is read as, or None."""
    return MPLS_PAYLOAD.get(data[at] >> 4) if at < end else None


def dissect(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    if end - start < ENTRY_LEN:
        raise Truncated("MPLS")
    entry = data[start : start + ENTRY_LEN]
    fields = extract(FIELDS, entry, start, {})
    after = start + ENTRY_LEN
    bottom = entry[2] & 1
    return Decoded(
        Layer("MPLS", start, ENTRY_LEN, tuple(fields)),
        next_key=next_ethertype(data, after, end) if bottom else ETHERTYPE_MPLS,
        payload_start=after,
        payload_end=end,
    )
