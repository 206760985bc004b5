"""ICMPv6 (RFC 4443) with neighbour discovery (RFC 4861) and multicast listener reports.

IPv6 has no ARP: a host asks for a neighbour's MAC with a neighbour solicitation (NS,
type 135) sent to the target's solicited-node multicast group, and the target answers
with a neighbour advertisement (NA, type 136). The link-layer addresses travel in ND
options. Every message starts with type, code and a checksum over the IPv6
pseudo-header; what follows depends on the type, so the body is a table per type.
"""

from __future__ import annotations

from collections.abc import Mapping
from ipaddress import IPv6Address
from typing import Any

from wirelens.explain.fields import (
    FieldSpec,
    FieldValue,
    Layer,
    bytes_of,
    checksum_status,
    dec,
    extract,
    flag,
    hex_of,
    mac,
)
from wirelens.explain.layers import ipv6
from wirelens.explain.layers.decoded import Decoded, Truncated


def address(value: int) -> str:
    return IPv6Address(value).compressed


HEADER = (
    FieldSpec("icmpv6.type", 0, 8, dec, "field.icmpv6.type"),
    FieldSpec("icmpv6.code", 8, 8, dec, "field.icmpv6.code"),
    FieldSpec("icmpv6.checksum", 16, 16, hex_of(4), "field.icmpv6.checksum"),
)
HEADER_LEN = 4
PROTOCOL = 58  # IPv6 next header number of ICMPv6

ECHO_REQUEST, ECHO_REPLY = 128, 129
MLD_QUERY, MLD_REPORT, MLD_DONE, MLD2_REPORT = 130, 131, 132, 143
RS, RA, NS, NA, REDIRECT = 133, 134, 135, 136, 137

# The catalog variant of each type's name (field.icmpv6.type.<variant>); "other" otherwise.
TYPE_VARIANTS = {
    1: "unreachable", 2: "too_big", 3: "time_exceeded", 4: "parameter_problem",
    ECHO_REQUEST: "echo_request", ECHO_REPLY: "echo_reply", MLD_QUERY: "mld_query",
    MLD_REPORT: "mld_report", MLD_DONE: "mld_done", RS: "rs", RA: "ra", NS: "ns", NA: "na",
    REDIRECT: "redirect", MLD2_REPORT: "mld2_report",
}
# tcpdump's words for each type, used in the one-line summary.
TCPDUMP_NAMES = {
    ECHO_REQUEST: "echo request", ECHO_REPLY: "echo reply",
    MLD_QUERY: "multicast listener query", MLD_REPORT: "multicast listener report",
    MLD_DONE: "multicast listener done", RS: "router solicitation",
    RA: "router advertisement", NS: "neighbor solicitation", NA: "neighbor advertisement",
    REDIRECT: "redirect", MLD2_REPORT: "multicast listener report v2",
    1: "destination unreachable", 2: "packet too big", 3: "time exceeded",
    4: "parameter problem",
}

def _rest_name(kind: int) -> str:
    """The bytes after a message's fixed part, named as Wireshark names them where it shows
    them as bytes: an echo's data is data.data; an error's quoted packet and an MLDv2
    query's sources Wireshark takes apart, so those are our own names."""
    if kind in (ECHO_REQUEST, ECHO_REPLY):
        return "data.data"
    if kind == MLD2_REPORT:
        return "icmpv6.mldr.records"
    if kind < 128:
        return "icmpv6.invoking_packet"
    if kind == MLD_QUERY:
        return "icmpv6.mld2.query"
    return "icmpv6.data"


_RESERVED32 = FieldSpec("icmpv6.reserved", 32, 32, bytes_of(4), "field.icmpv6.reserved")
# Each type's fixed body, with bit offsets from the start of the ICMPv6 message.
BODIES: dict[int, tuple[FieldSpec, ...]] = {
    ECHO_REQUEST: (
        FieldSpec("icmpv6.echo.identifier", 32, 16, hex_of(4), "field.icmpv6.echo.identifier"),
        FieldSpec("icmpv6.echo.sequence_number", 48, 16, dec, "field.icmpv6.echo.sequence"),
    ),
    **{t: (
        FieldSpec("icmpv6.mld.maximum_response_delay", 32, 16, dec, "field.icmpv6.mld.delay"),
        FieldSpec("icmpv6.reserved", 48, 16, bytes_of(2), "field.icmpv6.reserved"),
        FieldSpec("icmpv6.mld.multicast_address", 64, 128, address, "field.icmpv6.mld.group"),
    ) for t in (MLD_QUERY, MLD_REPORT, MLD_DONE)},
    RS: (_RESERVED32,),
    RA: (
        FieldSpec("icmpv6.nd.ra.cur_hop_limit", 32, 8, dec, "field.icmpv6.ra.hop_limit"),
        FieldSpec("icmpv6.nd.ra.flag.m", 40, 1, flag, "field.icmpv6.ra.flag_m"),
        FieldSpec("icmpv6.nd.ra.flag.o", 41, 1, flag, "field.icmpv6.ra.flag_o"),
        # the rest of the flags byte as Wireshark splits it (RFC 3775, 4191, 4389)
        FieldSpec("icmpv6.nd.ra.flag.h", 42, 1, flag, "field.icmpv6.ra.flag_h"),
        FieldSpec("icmpv6.nd.ra.flag.prf", 43, 2, dec, "field.icmpv6.ra.flag_prf"),
        FieldSpec("icmpv6.nd.ra.flag.p", 45, 1, flag, "field.icmpv6.ra.flag_p"),
        FieldSpec("icmpv6.nd.ra.flag.rsv", 46, 2, dec, "field.icmpv6.ra.flag_rsv"),
        FieldSpec("icmpv6.nd.ra.router_lifetime", 48, 16, dec, "field.icmpv6.ra.lifetime"),
        FieldSpec("icmpv6.nd.ra.reachable_time", 64, 32, dec, "field.icmpv6.ra.reachable"),
        FieldSpec("icmpv6.nd.ra.retrans_timer", 96, 32, dec, "field.icmpv6.ra.retrans"),
    ),
    NS: (
        _RESERVED32,
        FieldSpec("icmpv6.nd.ns.target_address", 64, 128, address, "field.icmpv6.ns.target"),
    ),
    NA: (
        FieldSpec("icmpv6.nd.na.flag.r", 32, 1, flag, "field.icmpv6.na.flag_r"),
        FieldSpec("icmpv6.nd.na.flag.s", 33, 1, flag, "field.icmpv6.na.flag_s"),
        FieldSpec("icmpv6.nd.na.flag.o", 34, 1, flag, "field.icmpv6.na.flag_o"),
        FieldSpec("icmpv6.nd.na.flag.rsv", 35, 29, dec, "field.icmpv6.na.flag_rsv"),
        FieldSpec("icmpv6.nd.na.target_address", 64, 128, address, "field.icmpv6.na.target"),
    ),
    REDIRECT: (
        _RESERVED32,
        FieldSpec("icmpv6.nd.rd.target_address", 64, 128, address, "field.icmpv6.rd.target"),
        FieldSpec("icmpv6.nd.rd.destination_address", 192, 128, address,
                  "field.icmpv6.rd.destination"),
    ),
    MLD2_REPORT: (
        FieldSpec("icmpv6.reserved", 32, 16, bytes_of(2), "field.icmpv6.reserved"),
        FieldSpec("icmpv6.mldr.nb_mcast_records", 48, 16, dec, "field.icmpv6.mld2.records"),
    ),
}
BODIES[ECHO_REPLY] = BODIES[ECHO_REQUEST]
# An MLDv2 query is 28 bytes or more; its delay field is a code (RFC 9777 5.1.3)
MLD2_QUERY_LENGTH = 28
MLD2_QUERY = (
    FieldSpec("icmpv6.mld.maximum_response_code", 32, 16, dec, "field.icmpv6.mld.code"),
    *BODIES[MLD_QUERY][1:],
)
ND_TYPES = (RS, RA, NS, NA, REDIRECT)  # the types followed by ND options

# ND option types (RFC 4861 4.6) and the catalog variant that explains each.
OPTION_VARIANTS = {1: "src_linkaddr", 2: "target_linkaddr", 3: "prefix", 4: "redirected",
                   5: "mtu"}
OPTION_VALUE_NAMES = {1: "icmpv6.opt.src_linkaddr", 2: "icmpv6.opt.target_linkaddr"}


def _body_length(specs: tuple[FieldSpec, ...]) -> int:
    return max(s.bit_offset + s.bit_length for s in specs) // 8


def _options(data: bytes, base: int) -> tuple[list[FieldValue], dict[str, str]]:
    """The ND options (type, length in 8-byte units, value); stops at a broken one."""
    out: list[FieldValue] = []
    facts: dict[str, str] = {}
    i = 0
    while i + 2 <= len(data):
        kind, units = data[i], data[i + 1]
        size = units * 8
        if units == 0 or i + size > len(data):
            out.append(FieldValue("icmpv6.opt.bad", data[i:].hex(), data[i:].hex(" "), base + i,
                                  len(data) - i, "field.icmpv6.opt.bad", {}))
            break
        variant = OPTION_VARIANTS.get(kind, "other")
        out.append(FieldValue("icmpv6.opt.type", kind, str(kind), base + i, 1,
                              f"field.icmpv6.opt.type.{variant}", {"value": kind}))
        out.append(FieldValue("icmpv6.opt.length", units, str(units), base + i + 1, 1,
                              "field.icmpv6.opt.length", {"value": units, "bytes": size}))
        body = data[i + 2 : i + size]
        if kind in OPTION_VALUE_NAMES and len(body) == 6:
            shown = mac(int.from_bytes(body, "big"))
            facts[variant] = shown
            out.append(FieldValue(OPTION_VALUE_NAMES[kind], shown, shown, base + i + 2, 6,
                                  f"field.icmpv6.opt.{variant}", {"value": shown}))
        elif body:
            out.append(FieldValue("icmpv6.opt.data", body.hex(), body.hex(" "), base + i + 2,
                                  len(body), "field.icmpv6.opt.data", {"length": len(body)}))
        i += size
    return out, facts


def dissect(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    if end - start < HEADER_LEN:
        raise Truncated("ICMPv6")
    message = data[start:end]
    kind = message[0]
    body = BODIES.get(kind, ())
    if kind == MLD_QUERY and end - start >= MLD2_QUERY_LENGTH:  # an MLDv2 query (RFC 9777)
        body = MLD2_QUERY
    fixed = max(HEADER_LEN, _body_length(body)) if body else HEADER_LEN
    if len(message) < fixed:
        raise Truncated("ICMPv6")
    extra: dict[str, dict[str, Any]] = {
        "icmpv6.type": {"variant": TYPE_VARIANTS.get(kind, "other")},
    }
    if below.get("ip_version") == 6 and "src_bytes" in below:
        pseudo = ipv6.pseudo_header(below["src_bytes"], below["dst_bytes"], PROTOCOL,
                                    len(message))
        stored = int.from_bytes(message[2:4], "big")
        extra["icmpv6.checksum"] = checksum_status(pseudo + message, len(pseudo) + 2, stored)
    else:  # no IPv6 header below to build the pseudo-header from
        extra["icmpv6.checksum"] = {"variant": "unverified"}
    fields = extract(HEADER + body, message[:fixed], start, extra)
    facts: dict[str, Any] = {"icmp6_type": kind, "icmp6_length": len(message)}
    for fv in fields:
        if fv.name.endswith("target_address"):
            facts["nd_target"] = fv.display
        elif fv.name == "icmpv6.nd.na.flag.s":
            facts["nd_solicited"] = bool(fv.value)
        elif fv.name == "icmpv6.mldr.nb_mcast_records":
            facts["mld_records"] = fv.value
        elif fv.name == "icmpv6.mld.multicast_address":
            facts["mld_group"] = fv.display
    rest = message[fixed:]
    if kind in ND_TYPES:
        options, linkaddrs = _options(rest, start + fixed)
        fields.extend(options)
        facts.update({f"nd_{k}": v for k, v in linkaddrs.items()})
    elif rest:
        name = _rest_name(kind)
        fields.append(FieldValue(name, rest.hex(), rest.hex(" "), start + fixed, len(rest),
                                 f"field.{name}", {"length": len(rest)}))
    return Decoded(
        Layer("ICMPv6", start, end - start, tuple(fields)),
        next_key=None,
        payload_start=end,
        payload_end=end,
        facts=facts,
    )
