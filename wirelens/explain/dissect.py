"""Turns a captured frame into layers of fields, following data-driven bindings.

Which layer sits on which is a table (as scapy's ``bind_layers``), not code: the link
type picks the first dissector, and each layer's "next" number (EtherType, IP protocol)
picks the one after it.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from wirelens.explain.fields import FieldValue, Layer
from wirelens.explain.layers import (
    arp,
    dns,
    ethernet,
    icmpv6,
    ipv4,
    ipv6,
    linklayers,
    mpls,
    pppoe,
    tcp,
    udp,
)
from wirelens.explain.layers.decoded import Decoded, TooDeep, Truncated
from wirelens.explain.records import Frame
from wirelens.explain.segment import Segment, ident
from wirelens.explain.wirenumbers import (
    ETHERTYPE_ARP,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    ETHERTYPE_MPLS,
    ETHERTYPE_PPPOE,
    ETHERTYPE_SERVICE_TAG,
    ETHERTYPE_VLAN,
    LINK_TYPES,
    LINKTYPE_PCAPNG_BLOCK,
    MPLS_PAYLOAD,
    PPP_PROTOCOLS,
)

Dissector = Callable[[bytes, int, int, Mapping[str, Any]], Decoded]

DISSECTORS: dict[str, Dissector] = {
    "ethernet": ethernet.dissect,
    "sll": linklayers.dissect_sll,
    "sll2": linklayers.dissect_sll2,
    "null": linklayers.dissect_null,
    "loop": linklayers.dissect_loop,
    "vlan": linklayers.dissect_vlan,
    "service_tag": linklayers.dissect_service_tag,
    "ipv4": ipv4.dissect,
    "ipv6": ipv6.dissect,
    "mpls": mpls.dissect,
    "pppoes": pppoe.dissect_session,
    "ppp": pppoe.dissect_ppp,
    "arp": arp.dissect,
    "icmpv6": icmpv6.dissect,
    "tcp": tcp.dissect,
    "udp": udp.dissect,
    "dns": dns.dissect,
}


# (layer, the number it names) -> the layer that follows.
ETHERTYPE_LAYERS = {ETHERTYPE_IPV4: "ipv4", ETHERTYPE_IPV6: "ipv6", ETHERTYPE_ARP: "arp",
                    ETHERTYPE_VLAN: "vlan", ETHERTYPE_SERVICE_TAG: "service_tag",
                    ETHERTYPE_MPLS: "mpls", ETHERTYPE_PPPOE: "pppoes"}
# The layers an EtherType follows; each may end the frame with a trailer of its own name.
ETHERTYPE_CARRIERS = {"ethernet": "eth.trailer", "vlan": "vlan.trailer",
                      "service_tag": "vlan.trailer", "sll": "sll.trailer",
                      "sll2": "sll.trailer"}
ETH_MIN_FRAME = 60  # bytes an Ethernet frame is padded to, less its 4-byte FCS
ETH_FCS_FRAME = 64  # a frame this long with 4 spare bytes is taken to end with its FCS
BINDINGS: dict[tuple[str, int], str] = {
    **{(link, et): name for link in ETHERTYPE_CARRIERS
       for et, name in ETHERTYPE_LAYERS.items()},
    **{(link, family): "ipv4" for link in ("null", "loop") for family in (2,)},
    **{(link, family): "ipv6" for link in ("null", "loop") for family in (10, 24, 28, 30)},
    # an MPLS label entry is followed by another, or by the packet its first nibble names
    ("mpls", ETHERTYPE_MPLS): "mpls",
    **{("mpls", et): ETHERTYPE_LAYERS[et] for et in MPLS_PAYLOAD.values()},
    # a PPPoE session carries PPP, whose protocol number names IPv4 or IPv6
    ("pppoes", pppoe.PPP): "ppp",
    **{("ppp", et): ETHERTYPE_LAYERS[et] for et in PPP_PROTOCOLS.values()},
    ("ipv4", 6): "tcp",
    ("ipv4", 17): "udp",
    ("ipv6", 6): "tcp",
    ("ipv6", 17): "udp",
    ("ipv6", icmpv6.PROTOCOL): "icmpv6",
    # IP in IP (protocols 4 and 41, e.g. IPv6 tunnelled behind an AH): Wireshark reads the
    # inner packet, whose addresses name the TCP conversation (wirenumbers.IP_IN_IP)
    **{(outer, proto): inner for outer in ("ipv4", "ipv6")
       for proto, inner in ((4, "ipv4"), (41, "ipv6"))},
}

# More layers than any real frame has (Ethernet, two VLAN tags, IP, TCP, DNS ... is six):
# beyond this, stacked tags are a hostile or broken frame, and dissection stops.
MAX_LAYERS = 12
PAYLOAD_PREVIEW = 64  # characters of payload text shown in a field's value
PCAPNG_BLOCK_PROBLEM = ("a pcapng Custom Block: private data of the tool that wrote the file, "
                        "not a packet (Wireshark lists it as a frame too)")
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
    # the frame's length on the wire bounds what an IP length can claim (layers/tcp.py)
    facts: dict[str, Any] = {"wire_len": frame.wire_len}
    name = _first_layer(frame)
    start, end, problem = 0, len(data), ""
    if frame.linktype == LINKTYPE_PCAPNG_BLOCK:
        problem = PCAPNG_BLOCK_PROBLEM
    elif name is None:
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
        # a tunnelled IP packet ends within the outer one: the bytes after both are extra
        padding = facts.get("padding", 0) + decoded.facts.get("padding", 0)
        facts.update(decoded.facts)
        if padding:
            facts["padding"] = padding
        start, end = decoded.payload_start, decoded.payload_end
        if decoded.next_key is None:
            name = _by_port(name, decoded.facts, options) if name == "udp" else None
        else:
            name = BINDINGS.get((name, decoded.next_key))
            if name is None:
                facts["unknown_next"] = decoded.next_key
    problem = problem or facts.get("cut", "")
    payload = data[start:end] if not problem or "cut" in facts else b""
    if payload and facts.get("fragment"):
        layers.append(Layer("IP fragment", start, len(payload), (
            FieldValue("ip.fragment_payload", payload[:SHOWN_BYTES].hex(), preview(payload), start,
                       len(payload), "field.fragment", MappingProxyType({
                           "length": len(payload)})),
        )))
    elif payload and protocols and protocols[-1] in ("tcp", "udp"):
        # data on a RST is no stream data: Wireshark shows it as the "reset cause"
        rst = protocols[-1] == "tcp" and facts.get("flags", 0) & 0x04
        layers.append(
            Layer("Payload", start, len(payload), (
                FieldValue("tcp.rst_payload" if rst else f"{protocols[-1]}.payload",
                           payload[:SHOWN_BYTES].hex(), preview(payload), start, len(payload),
                           "field.payload_rst" if rst else "field.payload",
                           MappingProxyType({"length": len(payload), "text": preview(payload)})),
            ))
        )
    extra = facts.get("padding", 0)
    if extra and not problem:
        layers.extend(_after_the_packet(frame, protocols, extra))
    return Dissection(frame, tuple(layers), tuple(protocols), MappingProxyType(facts), payload,
                      problem)


def _shown(data: bytes) -> str:
    """Bytes as hex pairs, the first ``SHOWN_BYTES`` of them (a hostile frame can be huge)."""
    return data[:SHOWN_BYTES].hex(" ") + (" …" if len(data) > SHOWN_BYTES else "")


def _after_the_packet(frame: Frame, protocols: list[str], extra: int) -> list[Layer]:
    """The bytes after the IP packet's end, as Wireshark 4.0 names them: padding (zeros that
    bring a short frame up to 60 bytes) and then a trailer, named after the layer that
    carried the EtherType; after any other link, bytes of our own name."""
    data, at = frame.data, len(frame.data) - extra
    carriers = [p for p in protocols if p in ETHERTYPE_CARRIERS]
    out = []
    pad = 0
    needed = ETH_MIN_FRAME - (frame.wire_len - extra)
    if carriers and frame.wire_len >= ETH_MIN_FRAME and needed > 0:
        pad = min(needed, extra)
        if any(data[at : at + pad]):
            pad = 0  # Wireshark takes only zeros for padding; the rest is a trailer
    if pad:
        out.append(Layer("Padding", at, pad, (
            FieldValue("eth.padding", data[at : at + pad].hex(), _shown(data[at : at + pad]),
                       at, pad, "field.eth.padding", MappingProxyType({"length": pad})),
        )))
    rest = extra - pad
    # As Wireshark's Ethernet dissector (not a VLAN tag's), the last 4 bytes of a long
    # enough frame are its frame check sequence.
    fcs = 4 if carriers == ["ethernet"] and frame.wire_len >= ETH_FCS_FRAME and rest >= 4 \
        else 0
    if rest - fcs:
        name = ETHERTYPE_CARRIERS[carriers[-1]] if carriers else "frame.extra"
        tail = data[at + pad : len(data) - fcs]
        out.append(Layer("Trailer", at + pad, len(tail), (
            FieldValue(name, tail[:SHOWN_BYTES].hex(), _shown(tail), at + pad, len(tail),
                       "field.eth.trailer", MappingProxyType({"length": len(tail)})),
        )))
    if fcs:
        stored = int.from_bytes(data[-4:], "little")  # sent least significant byte first
        value = int.from_bytes(data[-4:], "big")
        computed = zlib.crc32(data[:-4])
        out.append(Layer("FCS", len(data) - 4, 4, (
            FieldValue("eth.fcs", value, f"0x{value:08x}", len(data) - 4, 4,
                       f"field.eth.fcs.{'correct' if stored == computed else 'wrong'}",
                       MappingProxyType({"value": f"0x{value:08x}",
                                         "expected": f"0x{computed:08x}"})),
        )))
    return out


def segment_of(d: Dissection) -> Segment | None:
    """The TCP segment a dissection carries, or None when it carries none."""
    if not d.protocols or d.protocols[-1] != "tcp":
        return None
    f = d.facts
    return Segment(
        index=d.frame.index, ts_ns=d.frame.ts_ns, src=f["src"], sport=f["sport"], dst=f["dst"],
        dport=f["dport"], seq=f["seq"], ack=f["ack"], flags=f["flags"], window=f["window"],
        payload_len=f.get("payload_len", len(d.payload)), wscale=f.get("wscale", -1),
        ident=ident(f.get("ip_id", -1), f["checksum"]),
    )
