"""TCP (RFC 9293): 20 bytes of fixed header, options up to 60, then the payload."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wirelens.explain.fields import (
    FieldSpec,
    FieldValue,
    Layer,
    checksum_status,
    dec,
    extract,
    flag,
    hex_of,
    words_as_bytes,
)
from wirelens.explain.layers import ipv4, ipv6
from wirelens.explain.layers.decoded import Decoded, Truncated
from wirelens.explain.wirenumbers import ACK, CWR, ECE, FIN, PSH, RST, SYN, URG

FIELDS = (
    FieldSpec("tcp.srcport", 0, 16, dec, "field.tcp.srcport"),
    FieldSpec("tcp.dstport", 16, 16, dec, "field.tcp.dstport"),
    FieldSpec("tcp.seq_raw", 32, 32, dec, "field.tcp.seq"),
    FieldSpec("tcp.ack_raw", 64, 32, dec, "field.tcp.ack"),
    FieldSpec("tcp.hdr_len", 96, 4, words_as_bytes, "field.tcp.hdr_len"),
    FieldSpec("tcp.flags.res", 100, 3, flag, "field.tcp.flags.res"),
    FieldSpec("tcp.flags.ae", 103, 1, flag, "field.tcp.flags.ae"),
    FieldSpec("tcp.flags.cwr", 104, 1, flag, "field.tcp.flags.cwr"),
    FieldSpec("tcp.flags.ece", 105, 1, flag, "field.tcp.flags.ece"),
    FieldSpec("tcp.flags.urg", 106, 1, flag, "field.tcp.flags.urg"),
    FieldSpec("tcp.flags.ack", 107, 1, flag, "field.tcp.flags.ack"),
    FieldSpec("tcp.flags.push", 108, 1, flag, "field.tcp.flags.push"),
    FieldSpec("tcp.flags.reset", 109, 1, flag, "field.tcp.flags.reset"),
    FieldSpec("tcp.flags.syn", 110, 1, flag, "field.tcp.flags.syn"),
    FieldSpec("tcp.flags.fin", 111, 1, flag, "field.tcp.flags.fin"),
    FieldSpec("tcp.window_size_value", 112, 16, dec, "field.tcp.window"),
    FieldSpec("tcp.checksum", 128, 16, hex_of(4), "field.tcp.checksum"),
    FieldSpec("tcp.urgent_pointer", 144, 16, dec, "field.tcp.urgent_pointer"),
)
MIN_HEADER = 20

# The letters tcpdump prints for the flag bits, in tcpdump's order.
TCPDUMP_LETTERS = ((FIN, "F"), (SYN, "S"), (RST, "R"), (PSH, "P"), (ACK, "."), (URG, "U"),
                   (ECE, "E"), (CWR, "W"))
OPTION_NAMES = {0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack", 8: "TS"}
# The options we name but do not take apart: our field name, and Wireshark's name for the
# kind (its tcp.option_kind values), so that a student can find them in Wireshark.
OTHER_OPTIONS = {
    19: ("md5", "MD5 Signature Option"), 28: ("user_to", "User Timeout Option"),
    29: ("ao", "The TCP Authentication Option"), 30: ("mptcp", "Multipath TCP"),
    34: ("tfo", "TCP Fast Open Cookie"), 172: ("acc_ecn", "Accurate ECN Order 0"),
    174: ("acc_ecn", "Accurate ECN Order 1"), 253: ("experimental", "RFC3692-style Experiment 1"),
    254: ("experimental", "RFC3692-style Experiment 2"),
}
TFO_EXPERIMENT_ID = 0xF989  # RFC 7413: TCP Fast Open in an experimental option (253/254)


ECN_BITS = ("tcp.flags.ae", "tcp.flags.cwr", "tcp.flags.ece")


def ecn_bits(layer: Layer) -> int:
    """AE, CWR and ECE of a TCP layer as one 3-bit number (AccECN's ACE order)."""
    bits = {f.name: f.value for f in layer.fields if f.name in ECN_BITS}
    return sum(1 << (2 - i) for i, name in enumerate(ECN_BITS) if bits.get(name))


def accecn_counter(layer: Layer) -> Layer:
    """Once AccECN is set up (RFC 9768), AE, CWR and ECE are one 3-bit counter of packets
    that arrived marked CE: Wireshark then shows them as tcp.flags.ace, and so do we."""
    fields = [f for f in layer.fields if f.name not in ECN_BITS]
    first = next(f for f in layer.fields if f.name == ECN_BITS[0])
    ace = ecn_bits(layer)
    at = next(i for i, f in enumerate(layer.fields) if f.name == ECN_BITS[0])
    fields.insert(at, FieldValue("tcp.flags.ace", ace, str(ace), first.offset, 2,
                                 "field.tcp.flags.ace", {"value": str(ace)}, 7, 3))
    return Layer(layer.name, layer.offset, layer.length, tuple(fields))


def tcpdump_flags(flags: int) -> str:
    return "".join(letter for bit, letter in TCPDUMP_LETTERS if flags & bit) or "none"


def _option_fields(options: bytes, base: int) -> tuple[list[FieldValue], dict[str, int]]:
    """One field per option, so each is highlighted on its own bytes; stops at a broken one."""
    out: list[FieldValue] = []
    values: dict[str, int] = {}
    i = 0
    while i < len(options):
        kind = options[i]
        length = 1 if kind in (0, 1) else (options[i + 1] if i + 1 < len(options) else 0)
        if length < 1 or i + length > len(options) or (kind > 1 and length < 2):
            out.append(FieldValue("tcp.option.bad", options[i:].hex(), options[i:].hex(" "),
                                  base + i, len(options) - i, "field.tcp.option.bad", {}))
            break
        body = options[i + 2 : i + length]
        short, label = OTHER_OPTIONS.get(kind, ("other", f"kind {kind}"))
        if short == "experimental" and body[:2] == TFO_EXPERIMENT_ID.to_bytes(2, "big"):
            short, label = "tfo", "TCP Fast Open Cookie (experimental option)"
        name = OPTION_NAMES.get(kind, short)
        params: dict[str, Any] = {"kind": kind, "length": length}
        display = name if kind in OPTION_NAMES else f"{label} ({kind}), {length} bytes"
        if kind == 2 and len(body) == 2:
            values["mss"] = int.from_bytes(body, "big")
            display = f"mss {values['mss']}"
        elif kind == 3 and len(body) == 1:
            values["wscale"] = body[0]
            params["factor"] = 1 << body[0]
            display = f"wscale {body[0]}"
        elif kind == 8 and len(body) == 8:
            tsval, tsecr = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:], "big")
            params.update(tsval=tsval, tsecr=tsecr)
            display = f"TS val {tsval} ecr {tsecr}"
        elif kind == 5:
            display = f"sack {len(body) // 8} block(s)"
        params["value"] = display
        key = f"field.tcp.option.{name}"
        out.append(FieldValue(f"tcp.option.{name}", display, display, base + i, length, key,
                              params))
        if kind == 0:
            break
        i += length
    return out, values


def dissect(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    """The fixed header whenever its 20 bytes were captured; options as far as they were.
    The payload's length comes from the IP header, as Wireshark's tcp.len does, so a frame
    cut by the snap length still counts all the bytes it carried."""
    if end - start < MIN_HEADER:
        raise Truncated("TCP")
    offset_words = data[start + 12] >> 4
    header_len = offset_words * 4
    declared_end = max(below.get("declared_end", end), end)
    if header_len < MIN_HEADER or declared_end - start < header_len:
        raise Truncated("TCP")
    # An IP length beyond the frame's wire length is wrong, not a snap-length cut: Wireshark
    # then takes the bytes there are (gopacket-linux_sll_oversized_addr.pcapng, frame 45).
    declared_end = max(min(declared_end, below.get("wire_len", declared_end)), end)
    header = data[start : min(start + header_len, end)]
    segment = data[start:end]
    cut = ""
    if len(header) < header_len:
        cut = f"TCP options cut short: {len(header) - MIN_HEADER} of " \
              f"{header_len - MIN_HEADER} bytes captured"
    elif end < declared_end:
        cut = f"TCP payload cut short: {end - start - header_len} of " \
              f"{declared_end - start - header_len} bytes captured"
    extra: dict[str, dict[str, Any]] = {
        "tcp.hdr_len": {"words": offset_words, "bytes": header_len},
        "tcp.flags.res": {"bits": f"{(data[start + 12] >> 1) & 0b111:03b}"},
    }
    if cut:  # a sum over bytes that were not captured cannot be checked
        extra["tcp.checksum"] = {"variant": "uncaptured"}
    elif "src_bytes" in below:
        make = ipv6.pseudo_header if below.get("ip_version") == 6 else ipv4.pseudo_header
        pseudo = make(below["src_bytes"], below["dst_bytes"], 6, len(segment))
        stored = int.from_bytes(header[16:18], "big")
        extra["tcp.checksum"] = checksum_status(pseudo + segment, len(pseudo) + 16, stored)
    fields = extract(FIELDS, header, start, extra)
    options, option_values = _option_fields(header[MIN_HEADER:], start + MIN_HEADER)
    fields.extend(options)
    flags = header[13]
    return Decoded(
        Layer("TCP", start, len(header), tuple(fields)),
        next_key=None,
        payload_start=min(start + header_len, end),
        payload_end=end,
        facts={
            "sport": int.from_bytes(header[0:2], "big"),
            "dport": int.from_bytes(header[2:4], "big"),
            "seq": int.from_bytes(header[4:8], "big"),
            "ack": int.from_bytes(header[8:12], "big"),
            "flags": flags,
            "window": int.from_bytes(header[14:16], "big"),
            "checksum": int.from_bytes(header[16:18], "big"),
            "checksum_ok": extra.get("tcp.checksum", {}).get("variant") == "correct",
            "payload_len": max(declared_end - start - header_len, 0),
            **({"cut": cut} if cut else {}),
            **option_values,
        },
    )
