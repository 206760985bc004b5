"""DNS (RFC 1035): a 12-byte header, then questions and resource records of varying length.

The header is a field table like every other layer's. Names are read label by label and
may point back to an earlier name (compression, RFC 1035 section 4.1.4); each name's
field covers exactly its own bytes. A message that breaks off or points in a loop stops
with a ``dns.malformed`` field over the rest: the fields before it stay, nothing raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from wirelens.explain.fields import (
    FieldSpec,
    FieldValue,
    Layer,
    dec,
    extract,
    flag,
    hex_of,
    ipv4,
)
from wirelens.explain.layers.decoded import Decoded, Truncated
from wirelens.explain.text import Message

HEADER = (
    FieldSpec("dns.id", 0, 16, hex_of(4), "field.dns.id"),
    FieldSpec("dns.flags.response", 16, 1, flag, "field.dns.flags.response"),
    FieldSpec("dns.flags.opcode", 17, 4, dec, "field.dns.flags.opcode"),
    FieldSpec("dns.flags.authoritative", 21, 1, flag, "field.dns.flags.authoritative"),
    FieldSpec("dns.flags.truncated", 22, 1, flag, "field.dns.flags.truncated"),
    FieldSpec("dns.flags.recdesired", 23, 1, flag, "field.dns.flags.recdesired"),
    FieldSpec("dns.flags.recavail", 24, 1, flag, "field.dns.flags.recavail"),
    FieldSpec("dns.flags.z", 25, 3, dec, "field.dns.flags.z"),  # Z, AD and CD (RFC 4035)
    FieldSpec("dns.flags.rcode", 28, 4, dec, "field.dns.flags.rcode"),
    FieldSpec("dns.count.queries", 32, 16, dec, "field.dns.count.queries"),
    FieldSpec("dns.count.answers", 48, 16, dec, "field.dns.count.answers"),
    FieldSpec("dns.count.auth_rr", 64, 16, dec, "field.dns.count.auth_rr"),
    FieldSpec("dns.count.add_rr", 80, 16, dec, "field.dns.count.add_rr"),
)
HEADER_LEN = 12
PORT = 53  # the well-known port; a demo on another port says so through DissectOptions

TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA",
         33: "SRV", 41: "OPT", 65: "HTTPS"}
CLASSES = {1: "IN", 3: "CH", 4: "HS", 255: "ANY"}
OPCODES = {0: "QUERY", 1: "IQUERY", 2: "STATUS", 4: "NOTIFY", 5: "UPDATE"}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
SECTIONS = ("answer", "authority", "additional")
MAX_JUMPS = 16  # compression pointers followed for one name before it counts as a loop
MAX_RECORDS = 64  # records shown per message; the counts field still says how many there are


class Malformed(Exception):
    """The message breaks off or is inconsistent at this point."""


def read_name(msg: bytes, at: int) -> tuple[str, int]:
    """The name starting at ``at`` (offsets within the DNS message) and where its bytes end.

    The end is that of the name's own bytes: a compression pointer ends it, wherever the
    pointer leads.
    """
    labels: list[str] = []
    end = -1
    jumps = 0
    pos = at
    while True:
        if pos >= len(msg):
            raise Malformed("name")
        length = msg[pos]
        if length & 0xC0 == 0xC0:  # a pointer: the rest of the name is elsewhere
            if pos + 1 >= len(msg):
                raise Malformed("name")
            if end < 0:
                end = pos + 2
            jumps += 1
            if jumps > MAX_JUMPS:
                raise Malformed("name loop")
            pos = ((length & 0x3F) << 8) | msg[pos + 1]
            continue
        if length & 0xC0:
            raise Malformed("label type")
        if length == 0:
            if end < 0:
                end = pos + 1
            name = ".".join(labels) + "."
            return (name if labels else "."), end
        label = msg[pos + 1 : pos + 1 + length]
        if len(label) < length:
            raise Malformed("name")
        labels.append(label.decode("ascii", errors="backslashreplace"))
        if sum(len(x) + 1 for x in labels) > 255:
            raise Malformed("name too long")
        pos += 1 + length


def _field(field_name: str, value: int | str, display: str, offset: int, size: int, key: str,
           **params: Any) -> FieldValue:
    return FieldValue(field_name, value, display, offset, size, key,
                      MappingProxyType({"value": display, **params}))


def _u16(msg: bytes, at: int) -> int:
    if at + 2 > len(msg):
        raise Malformed("record")
    return int.from_bytes(msg[at : at + 2], "big")


def _question(msg: bytes, at: int, base: int) -> tuple[list[FieldValue], int, dict[str, str]]:
    name, end = read_name(msg, at)
    qtype, qclass = _u16(msg, end), _u16(msg, end + 2)
    type_name = TYPES.get(qtype, str(qtype))
    fields = [
        _field("dns.qry.name", name, name, base + at, end - at, "field.dns.qry.name"),
        _field("dns.qry.type", qtype, f"{type_name} ({qtype})", base + end, 2,
               "field.dns.qry.type", name=type_name),
        _field("dns.qry.class", qclass, f"{CLASSES.get(qclass, qclass)} ({qclass})",
               base + end + 2, 2, "field.dns.qry.class", name=CLASSES.get(qclass, str(qclass))),
    ]
    return fields, end + 4, {"name": name, "type": type_name}


def _rdata(msg: bytes, rtype: int, at: int, length: int, base: int) -> tuple[FieldValue, str]:
    data = msg[at : at + length]
    if rtype == 1 and length == 4:
        address = ipv4(int.from_bytes(data, "big"))
        return _field("dns.a", address, address, base + at, 4, "field.dns.a"), address
    if rtype == 28 and length == 16:
        groups = [f"{int.from_bytes(data[i : i + 2], 'big'):x}" for i in range(0, 16, 2)]
        address = ":".join(groups)
        return (_field("dns.aaaa", address, address, base + at, 16, "field.dns.aaaa"),
                address)
    if rtype in (2, 5, 12):
        target, _ = read_name(msg, at)
        return (_field("dns.resp.target", target, target, base + at, length,
                       "field.dns.resp.target"), target)
    shown = data.hex(" ") if length <= 16 else data[:16].hex(" ") + " …"
    return (_field("dns.resp.data", data.hex(), shown, base + at, max(length, 1),
                   "field.dns.resp.data", length=length), data.hex())


def _record(msg: bytes, at: int, base: int, section: str) -> tuple[list[FieldValue], int, str]:
    name, end = read_name(msg, at)
    rtype, rclass = _u16(msg, end), _u16(msg, end + 2)
    if end + 10 > len(msg):
        raise Malformed("record")
    ttl = int.from_bytes(msg[end + 4 : end + 8], "big")
    length = _u16(msg, end + 8)
    data_at = end + 10
    if data_at + length > len(msg):
        raise Malformed("record data")
    type_name = TYPES.get(rtype, str(rtype))
    fields = [
        _field("dns.resp.name", name, name, base + at, end - at, "field.dns.resp.name",
               section=Message(f"dns.section.{section}")),
        _field("dns.resp.type", rtype, f"{type_name} ({rtype})", base + end, 2,
               "field.dns.resp.type", name=type_name),
        _field("dns.resp.class", rclass, f"{CLASSES.get(rclass, rclass)} ({rclass})",
               base + end + 2, 2, "field.dns.resp.class", name=CLASSES.get(rclass, str(rclass))),
        _field("dns.resp.ttl", ttl, str(ttl), base + end + 4, 4, "field.dns.resp.ttl"),
        _field("dns.resp.len", length, str(length), base + end + 8, 2, "field.dns.resp.len"),
    ]
    if length:
        data_field, shown = _rdata(msg, rtype, data_at, length, base)
        fields.append(data_field)
    else:
        shown = ""
    return fields, data_at + length, f"{type_name} {shown}".strip()


def _header_extra(msg: bytes) -> dict[str, dict[str, Any]]:
    response = bool(msg[2] & 0x80)
    opcode = (msg[2] >> 3) & 0x0F
    rcode = msg[3] & 0x0F
    return {
        "dns.flags.response": {"variant": "response" if response else "query"},
        "dns.flags.opcode": {"name": OPCODES.get(opcode, str(opcode))},
        "dns.flags.rcode": {"name": RCODES.get(rcode, str(rcode))},
    }


def dissect(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    msg = data[start:end]
    if len(msg) < HEADER_LEN:
        raise Truncated("DNS")
    fields = extract(HEADER, msg[:HEADER_LEN], start, _header_extra(msg))
    counts = [int.from_bytes(msg[i : i + 2], "big") for i in range(4, 12, 2)]
    facts: dict[str, Any] = {
        "dns_id": int.from_bytes(msg[0:2], "big"),
        "dns_response": bool(msg[2] & 0x80),
        "dns_rcode": RCODES.get(msg[3] & 0x0F, str(msg[3] & 0x0F)),
    }
    answers: list[str] = []
    at = HEADER_LEN
    try:
        for _ in range(min(counts[0], MAX_RECORDS)):
            more, at, question = _question(msg, at, start)
            fields.extend(more)
            facts.setdefault("dns_qname", question["name"])
            facts.setdefault("dns_qtype", question["type"])
        shown = 0
        for section, count in zip(SECTIONS, counts[1:], strict=True):
            for _ in range(count):
                if shown >= MAX_RECORDS:
                    break
                more, at, text = _record(msg, at, start, section)
                fields.extend(more)
                shown += 1
                if section == "answer":
                    answers.append(text)
    except Malformed as broken:
        where = min(at, len(msg) - 1)
        fields.append(_field("dns.malformed", str(broken), str(broken), start + where,
                             len(msg) - where, "field.dns.malformed", problem=str(broken)))
    facts["dns_answers"] = tuple(answers)
    return Decoded(Layer("DNS", start, len(msg), tuple(fields)), next_key=None,
                   payload_start=end, payload_end=end, facts=facts)


def summary(facts: Mapping[str, Any]) -> str:
    """tcpdump's way of saying it: ``4660+ A? server.example.`` / ``4660* 1/0/0 A 192.0.2.1``."""
    qname, qtype = facts.get("dns_qname", "?"), facts.get("dns_qtype", "?")
    if not facts.get("dns_response"):
        return f"{facts['dns_id']} {qtype}? {qname}"
    answers = facts.get("dns_answers", ())
    rcode = facts.get("dns_rcode", "NOERROR")
    head = f"{facts['dns_id']} {rcode}" if rcode != "NOERROR" else f"{facts['dns_id']}"
    return f"{head} {qtype}? {qname} → {', '.join(answers) or 'no answer'}"
