"""Turns a captured frame into layers of fields, following data-driven bindings.

Which layer sits on which is a table (as scapy's ``bind_layers``), not code: the link
type picks the first dissector, and each layer's "next" number (EtherType, IP protocol)
picks the one after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from wirelens.explain.fields import FieldValue, Layer
from wirelens.explain.layers import arp, dns, ethernet, icmpv6, ipv4, ipv6, linklayers, tcp, udp
from wirelens.explain.layers.decoded import Decoded, TooDeep, Truncated
from wirelens.explain.records import Frame
from wirelens.explain.segment import Segment, ident

Dissector = Callable[[bytes, int, int, Mapping[str, Any]], Decoded]

DISSECTORS: dict[str, Dissector] = {
    "ethernet": ethernet.dissect,
    "sll": linklayers.dissect_sll,
    "sll2": linklayers.dissect_sll2,
    "null": linklayers.dissect_null,
    "loop": linklayers.dissect_loop,
    "vlan": linklayers.dissect_vlan,
    "ipv4": ipv4.dissect,
    "ipv6": ipv6.dissect,
    "arp": arp.dissect,
    "icmpv6": icmpv6.dissect,
    "tcp": tcp.dissect,
    "udp": udp.dissect,
    "dns": dns.dissect,
}

LINK_TYPES: dict[int, str] = {
    0: "null",
    1: "ethernet",
    101: "raw",
    108: "loop",
    113: "sll",
    276: "sll2",
    228: "raw4",
    229: "raw6",
}

# (layer, the number it names) -> the layer that follows.
ETHERTYPE_LAYERS = {0x0800: "ipv4", 0x86DD: "ipv6", 0x0806: "arp", 0x8100: "vlan",
                    0x88A8: "vlan"}
BINDINGS: dict[tuple[str, int], str] = {
    **{(link, et): name for link in ("ethernet", "sll", "sll2", "vlan")
       for et, name in ETHERTYPE_LAYERS.items()},
    **{(link, family): "ipv4" for link in ("null", "loop") for family in (2,)},
    **{(link, family): "ipv6" for link in ("null", "loop") for family in (10, 24, 28, 30)},
    ("ipv4", 6): "tcp",
    ("ipv4", 17): "udp",
    ("ipv6", 6): "tcp",
    ("ipv6", 17): "udp",
    ("ipv6", icmpv6.PROTOCOL): "icmpv6",
}

# More layers than any real frame has (Ethernet, two VLAN tags, IP, TCP, DNS ... is six):
# beyond this, stacked tags are a hostile or broken frame, and dissection stops.
MAX_LAYERS = 12
PAYLOAD_PREVIEW = 64  # characters of payload text shown in a field's value
SHOWN_BYTES = 4096  # bytes of a payload or padding kept in its value; its length says the rest


# (transport, port) -> the application layer carried on that port, either way.
PORT_BINDINGS: dict[tuple[str, int], str] = {("udp", dns.PORT): "dns"}


@dataclass(frozen=True, slots=True)
class DissectOptions:
    """What the caller knows that the bytes do not say, passed in (never a global setting):
    ``ports`` adds port bindings, e.g. {("udp", 40053): "dns"} for a demo's DNS server."""

    ports: Mapping[tuple[str, int], str] = field(default_factory=lambda: MappingProxyType({}))


NO_OPTIONS = DissectOptions()


def _by_port(layer: str, facts: Mapping[str, Any], options: DissectOptions) -> str | None:
    """The application layer bound to the destination port, else to the source port."""
    for port in (facts.get("dport"), facts.get("sport")):
        if not isinstance(port, int):
            continue
        found = options.ports.get((layer, port)) or PORT_BINDINGS.get((layer, port))
        if found is not None:
            return found
    return None


@dataclass(frozen=True, slots=True)
class Dissection:
    frame: Frame
    layers: tuple[Layer, ...]
    protocols: tuple[str, ...]  # dissector names in order: ("ethernet", "ipv4", "tcp")
    facts: Mapping[str, Any]  # what the layers reported: addresses, ports, seq, flags ...
    payload: bytes
    problem: str = ""  # why dissection stopped early, in words; "" when it did not


def _first_layer(frame: Frame) -> str | None:
    name = LINK_TYPES.get(frame.linktype)
    if name == "raw":  # raw IP: the version nibble says which
        if not frame.data:
            return None
        return {4: "ipv4", 6: "ipv6"}.get(frame.data[0] >> 4)
    return {"raw4": "ipv4", "raw6": "ipv6"}.get(name or "", name)


def preview(payload: bytes) -> str:
    """Printable text of a payload, as a student would recognise it."""
    text = payload[:PAYLOAD_PREVIEW].decode("utf-8", errors="backslashreplace")
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text + ("…" if len(payload) > PAYLOAD_PREVIEW else "")


def frame_layer(frame: Frame) -> Layer:
    size = len(frame.data)
    fields = (
        FieldValue("frame.number", frame.index, str(frame.index), 0, size, "field.frame.number",
                   MappingProxyType({"value": frame.index})),
        FieldValue("frame.len", frame.wire_len, str(frame.wire_len), 0, size, "field.frame.len",
                   MappingProxyType({"value": frame.wire_len})),
        FieldValue("frame.cap_len", size, str(size), 0, size, "field.frame.cap_len",
                   MappingProxyType({"value": size, "wire": frame.wire_len})),
    )
    return Layer("Frame", 0, size, fields)


def dissect(frame: Frame, options: DissectOptions = NO_OPTIONS) -> Dissection:
    data = frame.data
    layers = [frame_layer(frame)]
    protocols: list[str] = []
    facts: dict[str, Any] = {}
    name = _first_layer(frame)
    start, end, problem = 0, len(data), ""
    if name is None:
        problem = f"unknown link type {frame.linktype}"
    while name is not None:
        if len(protocols) >= MAX_LAYERS:
            problem = f"more than {MAX_LAYERS} nested headers; the rest is not dissected"
            break
        try:
            decoded = DISSECTORS[name](data, start, end, facts)
        except Truncated as cut:
            problem = f"truncated {cut.args[0]} header"
            break
        except TooDeep as deep:
            problem = f"{deep.args[0]}; the rest is not dissected"
            break
        layers.append(decoded.layer)
        protocols.append(name)
        facts.update(decoded.facts)
        start, end = decoded.payload_start, decoded.payload_end
        if decoded.next_key is None:
            name = _by_port(name, decoded.facts, options) if name == "udp" else None
        else:
            name = BINDINGS.get((name, decoded.next_key))
            if name is None:
                facts["unknown_next"] = decoded.next_key
    payload = data[start:end] if not problem else b""
    if payload and protocols and protocols[-1] in ("tcp", "udp"):
        layers.append(
            Layer("Payload", start, len(payload), (
                FieldValue(f"{protocols[-1]}.payload", payload[:SHOWN_BYTES].hex(),
                           preview(payload), start,
                           len(payload), "field.payload",
                           MappingProxyType({"length": len(payload), "text": preview(payload)})),
            ))
        )
    padding = facts.get("padding", 0)
    if padding and not problem:
        at = len(data) - padding
        layers.append(
            Layer("Padding", at, padding, (
                FieldValue("eth.padding", data[at:at + SHOWN_BYTES].hex(),
                           data[at:at + SHOWN_BYTES].hex(" ") + (" …" if padding > SHOWN_BYTES
                                                                else ""), at, padding,
                           "field.eth.padding", MappingProxyType({"length": padding})),
            ))
        )
    return Dissection(frame, tuple(layers), tuple(protocols), MappingProxyType(facts), payload,
                      problem)


def segment_of(d: Dissection) -> Segment | None:
    """The TCP segment a dissection carries, or None when it carries none."""
    if not d.protocols or d.protocols[-1] != "tcp":
        return None
    f = d.facts
    return Segment(
        index=d.frame.index, ts_ns=d.frame.ts_ns, src=f["src"], sport=f["sport"], dst=f["dst"],
        dport=f["dport"], seq=f["seq"], ack=f["ack"], flags=f["flags"], window=f["window"],
        payload_len=len(d.payload), wscale=f.get("wscale", -1),
        ident=ident(f.get("ip_id", -1), f["checksum"]),
    )
