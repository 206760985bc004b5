"""Header field tables: the declarative description every layer module fills in.

A layer is a tuple of ``FieldSpec`` rows (name, bit offset, bit length, formatter,
catalog key), in the spirit of scapy's ``fields_desc`` and dpkt's header tables. The
offsets shown in the explanation and the bytes highlighted in the hex view both come
from these rows, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

Formatter = Callable[[int], str]


def dec(value: int) -> str:
    return str(value)


def hex_of(width: int) -> Formatter:
    return lambda value: f"0x{value:0{width}x}"


def bytes_of(width: int) -> Formatter:
    """Bytes shown as Wireshark shows a bytes field: hex digits, no 0x."""
    return lambda value: f"{value:0{2 * width}x}"


def mac(value: int) -> str:
    return ":".join(f"{b:02x}" for b in value.to_bytes(6, "big"))


def ipv4(value: int) -> str:
    return ".".join(str(b) for b in value.to_bytes(4, "big"))


def flag(value: int) -> str:
    return "1" if value else "0"


def words_as_bytes(value: int) -> str:
    """A header length held in 4-byte words, shown in bytes as Wireshark shows it."""
    return str(value * 4)


def ones_complement_sum(data: bytes) -> int:
    """The 16-bit one's-complement sum used by the IPv4, TCP and UDP checksums (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def checksum_status(covered: bytes, field_at: int, stored: int) -> dict[str, str]:
    """Verify a checksum stored at byte ``field_at`` of ``covered``: status and expected value."""
    zeroed = covered[:field_at] + b"\0\0" + covered[field_at + 2 :]
    expected = ~ones_complement_sum(zeroed) & 0xFFFF
    return {
        "variant": "correct" if expected == stored else "wrong",
        "expected": f"0x{expected:04x}",
    }


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str  # dotted, as Wireshark's display filter names it where one exists: "tcp.srcport"
    bit_offset: int  # from the start of the layer
    bit_length: int
    fmt: Formatter
    key: str  # catalog key of the plain-language meaning


@dataclass(frozen=True, slots=True)
class FieldValue:
    """One field of one captured frame: where its bits are and what they say."""

    name: str
    value: int | str  # the number, or text for fields that are not numbers (options, payload)
    display: str
    offset: int  # byte offset in the frame of the byte holding the first bit
    length: int  # bytes covered (at least 1 for a bit field)
    key: str
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    bit_offset: int = 0  # first bit within the byte at ``offset`` (0 = most significant)
    bit_length: int = 0  # 0 when the field is whole bytes


@dataclass(frozen=True, slots=True)
class Layer:
    name: str  # "Frame", "Ethernet", "IPv4", "IPv6", "TCP", "Payload", ...
    offset: int
    length: int
    fields: tuple[FieldValue, ...]


def read_bits(data: bytes, bit_offset: int, bit_length: int) -> int:
    first, last = bit_offset // 8, (bit_offset + bit_length - 1) // 8
    chunk = int.from_bytes(data[first : last + 1], "big")
    spare = (last + 1) * 8 - (bit_offset + bit_length)
    return (chunk >> spare) & ((1 << bit_length) - 1)


def extract(
    specs: tuple[FieldSpec, ...], data: bytes, base: int, extra: Mapping[str, Mapping[str, Any]]
) -> list[FieldValue]:
    """Read every field of ``specs`` from ``data`` (the layer's bytes) at frame offset ``base``.

    ``extra`` adds placeholders for a field's catalog text beyond its ``value``.
    """
    out = []
    for spec in specs:
        value = read_bits(data, spec.bit_offset, spec.bit_length)
        display = spec.fmt(value)
        whole = spec.bit_offset % 8 == 0 and spec.bit_length % 8 == 0
        first_byte = spec.bit_offset // 8
        last_byte = (spec.bit_offset + spec.bit_length - 1) // 8
        params = {"value": display, **extra.get(spec.name, {})}
        # A "variant" picks the catalog text that fits the value (".correct" / ".wrong").
        key = f"{spec.key}.{params['variant']}" if "variant" in params else spec.key
        out.append(
            FieldValue(
                name=spec.name,
                value=value,
                display=display,
                offset=base + first_byte,
                length=last_byte - first_byte + 1,
                key=key,
                params=MappingProxyType(params),
                bit_offset=0 if whole else spec.bit_offset % 8,
                bit_length=0 if whole else spec.bit_length,
            )
        )
    return out


MAX_8023_LENGTH = 1500  # a type field this small is an IEEE 802.3 length, not an EtherType


def as_length(fields: list[FieldValue], name: str, key: str) -> list[FieldValue]:
    """The type field renamed where it holds an 802.3 frame's length (Wireshark: eth.len,
    vlan.len), since what follows is then LLC, not the protocol an EtherType names."""
    return [replace(f, name=name, key=key, display=str(f.value),
                    params=MappingProxyType({**f.params, "value": str(f.value)}))
            if f.name.endswith(".etype") or f.name == "eth.type" else f for f in fields]


def table_length(specs: tuple[FieldSpec, ...]) -> int:
    """Bytes the fixed part of a header takes."""
    return max(s.bit_offset + s.bit_length for s in specs) // 8
