"""DNS (RFC 1035): a 12-byte header, then questions and resource records of varying length.

The header is a field table like every other layer's; which of its flags a message shows
depends on whether it is a query or a response, as in Wireshark (``shown_in``). Names are
read label by label and may point back to an earlier name (compression, RFC 1035 section
4.1.4); each name's field covers exactly its own bytes. A field's value keeps the name as an
absolute domain name ("example.com.", "." for the root); its display is Wireshark's
("example.com", "<Root>"). An OPT pseudo-record (EDNS0, RFC 6891) reuses the class and TTL
fields for other things and gets fields of its own. A message that breaks off or points in a
loop stops with a ``dns.malformed`` field over the rest: the fields before it stay, nothing
raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from ipaddress import IPv6Address
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
    FieldSpec("dns.flags.z", 25, 1, flag, "field.dns.flags.z"),  # reserved, must be 0
    FieldSpec("dns.flags.authenticated", 26, 1, flag, "field.dns.flags.authenticated"),  # AD
    FieldSpec("dns.flags.checkdisable", 27, 1, flag, "field.dns.flags.checkdisable"),  # CD
    FieldSpec("dns.flags.rcode", 28, 4, dec, "field.dns.flags.rcode"),
    FieldSpec("dns.count.queries", 32, 16, dec, "field.dns.count.queries"),
    FieldSpec("dns.count.answers", 48, 16, dec, "field.dns.count.answers"),
    FieldSpec("dns.count.auth_rr", 64, 16, dec, "field.dns.count.auth_rr"),
    FieldSpec("dns.count.add_rr", 80, 16, dec, "field.dns.count.add_rr"),
)
HEADER_LEN = 12
PORT = 53  # the well-known port; a demo on another port says so through DissectOptions

# Header fields that only a response shows (Wireshark 4.0 leaves them out of a query);
# the AD bit also shows in a query that sets it (RFC 6840 5.7: "send me the AD bit").
RESPONSE_ONLY = frozenset({"dns.flags.authoritative", "dns.flags.recavail", "dns.flags.rcode"})
AD_BIT = 0x20  # in the second flags byte
UPDATE = 5  # the opcode of a dynamic update (RFC 2136), whose counts count other things
UPDATE_COUNTS = {"dns.count.queries": "dns.count.zones",
                 "dns.count.answers": "dns.count.prerequisites",
                 "dns.count.auth_rr": "dns.count.updates"}

TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 13: "HINFO", 15: "MX", 16: "TXT",
         28: "AAAA", 33: "SRV", 35: "NAPTR", 41: "OPT", 43: "DS", 44: "SSHFP", 46: "RRSIG",
         47: "NSEC", 48: "DNSKEY", 50: "NSEC3", 52: "TLSA", 62: "CSYNC", 63: "ZONEMD",
         64: "SVCB", 65: "HTTPS", 99: "SPF", 250: "TSIG", 251: "IXFR", 252: "AXFR",
         255: "ANY", 257: "CAA"}
CLASSES = {1: "IN", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY"}
OPCODES = {0: "QUERY", 1: "IQUERY", 2: "STATUS", 4: "NOTIFY", 5: "UPDATE"}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
          6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE",
          16: "BADVERS", 23: "BADCOOKIE"}  # 16 and up need the OPT record's upper bits
OPT = 41  # the EDNS0 pseudo-record's type (RFC 6891)
OPTIONS = {3: "NSID", 5: "DAU", 6: "DHU", 7: "N3U", 8: "client subnet", 9: "EXPIRE",
           10: "COOKIE", 11: "TCP keepalive", 12: "padding", 13: "CHAIN", 14: "key tag",
           15: "extended error"}  # EDNS0 option codes (IANA)
NAME_TARGETS = (2, 5, 12)  # NS, CNAME and PTR: the data is one name
NSEC, NSEC3, CSYNC = 47, 50, 62  # records whose data ends in a type bitmap
SECTIONS = ("answer", "authority", "additional")
MAX_JUMPS = 16  # compression pointers followed for one name before it counts as a loop
MAX_RECORDS = 64  # records shown per message; the counts field still says how many there are
ROOT = "<Root>"  # how Wireshark shows the root name (a lone zero byte)
# Wireshark shows these control characters in a name as C escapes, the others as \ooo.
ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
           "\v": "\\v"}


class Malformed(Exception):
    """The message breaks off or is inconsistent at this point."""


def read_labels(msg: bytes, at: int) -> tuple[list[bytes], int]:
    """The labels of the name starting at ``at`` (offsets within the DNS message) and where
    its bytes end: a compression pointer ends them, wherever the pointer leads."""
    labels: list[bytes] = []
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
            return labels, (end if end >= 0 else pos + 1)
        label = msg[pos + 1 : pos + 1 + length]
        if len(label) < length:
            raise Malformed("name")
        labels.append(label)
        if sum(len(x) + 1 for x in labels) > 255:
            raise Malformed("name too long")
        pos += 1 + length


def absolute(labels: list[bytes]) -> str:
    """The name as an absolute domain name, the way dig and tcpdump write it: "example.com."."""
    text = "".join(label.decode("ascii", errors="backslashreplace") + "." for label in labels)
    return text or "."


def as_wireshark(labels: list[bytes]) -> str:
    """The name as Wireshark shows it: no final dot, the root as ``<Root>``, UTF-8 with
    undecodable bytes as U+FFFD and control characters escaped."""
    if not labels:
        return ROOT
    text = b".".join(labels).decode("utf-8", errors="replace")
    return "".join(ESCAPES.get(c) or (f"\\{ord(c):03o}" if ord(c) < 0x20 or c == "\x7f" else c)
                   for c in text)


def read_name(msg: bytes, at: int) -> tuple[str, int]:
    """The absolute name starting at ``at`` and where its own bytes end."""
    labels, end = read_labels(msg, at)
    return absolute(labels), end


def type_text(rtype: int) -> str:
    """A record type as Wireshark's tree shows it, the number last: "A (1)"."""
    return f"{type_name(rtype)} ({rtype})"


def type_name(rtype: int) -> str:
    return TYPES.get(rtype, f"TYPE{rtype}")  # RFC 3597's name for a type without a mnemonic


def class_name(rclass: int) -> str:
    return CLASSES.get(rclass, f"CLASS{rclass}")


def class_text(rclass: int) -> str:
    """A class as Wireshark's tree shows it, the number last and in hex: "IN (0x0001)"."""
    return f"{class_name(rclass)} (0x{rclass:04x})"


def _field(field_name: str, value: int | str, display: str, offset: int, size: int, key: str,
           **params: Any) -> FieldValue:
    return FieldValue(field_name, value, display, offset, size, key,
                      MappingProxyType({"value": display, **params}))


def _named(field_name: str, labels: list[bytes], offset: int, size: int, key: str,
           **params: Any) -> FieldValue:
    """A field holding a name: the absolute name its value, Wireshark's form its display."""
    shown = as_wireshark(labels)
    return FieldValue(field_name, absolute(labels), shown, offset, size, key,
                      MappingProxyType({"value": shown, **params}))


def _u16(msg: bytes, at: int) -> int:
    if at + 2 > len(msg):
        raise Malformed("record")
    return int.from_bytes(msg[at : at + 2], "big")


def _question(msg: bytes, at: int, base: int) -> tuple[list[FieldValue], int, dict[str, str]]:
    labels, end = read_labels(msg, at)
    qtype, qclass = _u16(msg, end), _u16(msg, end + 2)
    fields = [
        _named("dns.qry.name", labels, base + at, end - at, "field.dns.qry.name"),
        _field("dns.qry.type", qtype, type_text(qtype), base + end, 2, "field.dns.qry.type",
               name=type_name(qtype)),
        _field("dns.qry.class", qclass, class_text(qclass), base + end + 2, 2,
               "field.dns.qry.class", name=class_name(qclass)),
    ]
    return fields, end + 4, {"name": absolute(labels), "type": type_name(qtype)}


def _bytes_field(field_name: str, data: bytes, offset: int, key: str) -> FieldValue:
    shown = data.hex(" ") if len(data) <= 16 else data[:16].hex(" ") + " …"
    return _field(field_name, data.hex(), shown, offset, max(len(data), 1), key,
                  length=len(data))


def type_bitmap(msg: bytes, at: int, stop: int, base: int) -> list[FieldValue]:
    """The types an NSEC, NSEC3 or CSYNC record lists (RFC 4034 4.1.2): windows of 256
    types, a bit each. Wireshark shows each under ``dns.resp.type``; so do we. An
    inconsistent window ends the list."""
    fields = []
    pos = at
    while pos + 2 <= stop:
        window, size = msg[pos], msg[pos + 1]
        if not 1 <= size <= 32 or pos + 2 + size > stop:
            break
        for i, byte in enumerate(msg[pos + 2 : pos + 2 + size]):
            for bit in range(8):
                if byte & (0x80 >> bit):
                    rtype = window * 256 + i * 8 + bit
                    fields.append(FieldValue(
                        "dns.resp.type", rtype, type_text(rtype), base + pos + 2 + i, 1,
                        "field.dns.resp.bitmap_type",
                        MappingProxyType({"value": type_text(rtype)}),
                        bit_offset=bit, bit_length=1))
        pos += 2 + size
    return fields


def _with_bitmap(msg: bytes, rtype: int, at: int, length: int,
                 base: int) -> tuple[list[FieldValue], str]:
    """NSEC: the next name, then the bitmap. NSEC3 (RFC 5155 section 3.2): hash parameters
    and hash, and CSYNC (RFC 7477): serial and flags, shown as one field of bytes before it."""
    stop = at + length
    if rtype == NSEC:
        labels, end = read_labels(msg, at)
        head = _named("dns.nsec.next_domain_name", labels, base + at, end - at,
                      "field.dns.nsec.next_domain_name")
        text = absolute(labels)
    elif rtype == CSYNC:
        end = min(at + 6, stop)
        head = _bytes_field("dns.resp.data", msg[at:end], base + at, "field.dns.resp.data")
        text = msg[at:stop].hex()
    else:  # algorithm, flags, iterations; salt length and salt; hash length and hash
        salt_at = at + 4
        if salt_at >= stop:
            raise Malformed("record data")
        hash_at = salt_at + 1 + msg[salt_at]
        if hash_at >= stop:
            raise Malformed("record data")
        end = hash_at + 1 + msg[hash_at]
        head = _bytes_field("dns.resp.data", msg[at:end], base + at, "field.dns.resp.data")
        text = msg[at:stop].hex()
    if end > stop:
        raise Malformed("record data")
    return [head, *type_bitmap(msg, end, stop, base)], text


def _rdata(msg: bytes, rtype: int, at: int, length: int,
           base: int) -> tuple[list[FieldValue], str]:
    data = msg[at : at + length]
    if rtype == 1 and length == 4:
        address = ipv4(int.from_bytes(data, "big"))
        return [_field("dns.a", address, address, base + at, 4, "field.dns.a")], address
    if rtype == 28 and length == 16:
        address = IPv6Address(data).compressed  # RFC 5952, as Wireshark writes it
        return ([_field("dns.aaaa", address, address, base + at, 16, "field.dns.aaaa")],
                address)
    if rtype in NAME_TARGETS:
        labels, _ = read_labels(msg, at)
        return ([_named("dns.resp.target", labels, base + at, length, "field.dns.resp.target")],
                absolute(labels))
    if rtype in (NSEC, NSEC3, CSYNC):
        return _with_bitmap(msg, rtype, at, length, base)
    return [_bytes_field("dns.resp.data", data, base + at, "field.dns.resp.data")], data.hex()


def _opt_fields(msg: bytes, end: int, base: int, rcode: int) -> list[FieldValue]:
    """An OPT record's class and TTL fields, as RFC 6891 section 6.1.3 reads them."""
    size = _u16(msg, end + 2)
    ext_rcode, version = msg[end + 4], msg[end + 5]
    z = _u16(msg, end + 6)
    full = (ext_rcode << 4) | rcode
    at = base + end
    return [
        _field("dns.rr.udp_payload_size", size, str(size), at + 2, 2,
               "field.dns.rr.udp_payload_size"),
        _field("dns.resp.ext_rcode", ext_rcode, f"0x{ext_rcode:02x}", at + 4, 1,
               "field.dns.resp.ext_rcode", rcode=full, name=RCODES.get(full, str(full))),
        _field("dns.resp.edns0_version", version, str(version), at + 5, 1,
               "field.dns.resp.edns0_version"),
        _field("dns.resp.z", z, f"0x{z:04x}", at + 6, 2, "field.dns.resp.z"),
        FieldValue("dns.resp.z.do", z >> 15, flag(z >> 15), at + 6, 1, "field.dns.resp.do",
                   MappingProxyType({"value": flag(z >> 15)}), bit_offset=0, bit_length=1),
    ]


def _options(msg: bytes, at: int, length: int, base: int) -> list[FieldValue]:
    """The options inside an OPT record: code, length and data each (RFC 6891 section 6.1.2)."""
    fields = []
    pos, stop = at, at + length
    while pos < stop:
        if pos + 4 > stop:
            raise Malformed("option")
        code, size = _u16(msg, pos), _u16(msg, pos + 2)
        if pos + 4 + size > stop:
            raise Malformed("option")
        name = OPTIONS.get(code, "unassigned")
        fields += [
            _field("dns.opt.code", code, f"{name} ({code})", base + pos, 2,
                   "field.dns.opt.code", name=name),
            _field("dns.opt.len", size, str(size), base + pos + 2, 2, "field.dns.opt.len"),
        ]
        if size:  # our own name: Wireshark's dns.opt.data has no value for an empty option
            fields.append(_bytes_field("dns.opt.value", msg[pos + 4 : pos + 4 + size],
                                       base + pos + 4, "field.dns.opt.value"))
        pos += 4 + size
    return fields


def _record(msg: bytes, at: int, base: int, section: str) -> tuple[list[FieldValue], int, str]:
    labels, end = read_labels(msg, at)
    rtype, rclass = _u16(msg, end), _u16(msg, end + 2)
    if end + 10 > len(msg):
        raise Malformed("record")
    ttl = int.from_bytes(msg[end + 4 : end + 8], "big")
    length = _u16(msg, end + 8)
    data_at = end + 10
    if data_at + length > len(msg):
        raise Malformed("record data")
    # An OPT pseudo-record's name is the root, and its fields mean other things (RFC 6891).
    key = "field.dns.opt.record" if rtype == OPT else "field.dns.resp.name"
    name_field = _named("dns.resp.name", labels, base + at, end - at, key,
                        section=Message(f"dns.section.{section}"))
    type_field = _field("dns.resp.type", rtype, type_text(rtype), base + end, 2,
                        "field.dns.resp.type", name=type_name(rtype))
    len_field = _field("dns.resp.len", length, str(length), base + end + 8, 2,
                       "field.dns.resp.len")
    if rtype == OPT:
        fields = [name_field, type_field, *_opt_fields(msg, end, base, msg[3] & 0x0F),
                  len_field, *_options(msg, data_at, length, base)]
        return fields, data_at + length, "OPT"
    fields = [
        name_field,
        type_field,
        _field("dns.resp.class", rclass, class_text(rclass), base + end + 2, 2,
               "field.dns.resp.class", name=class_name(rclass)),
        _field("dns.resp.ttl", ttl, str(ttl), base + end + 4, 4, "field.dns.resp.ttl"),
        len_field,
    ]
    if length:
        data_fields, shown = _rdata(msg, rtype, data_at, length, base)
        fields += data_fields
    else:
        shown = ""
    return fields, data_at + length, f"{type_name(rtype)} {shown}".strip()


def shown_in(spec: FieldSpec, response: bool, flags: int) -> bool:
    """Whether a message shows this header field: Wireshark 4.0's choice for a query."""
    if spec.name in RESPONSE_ONLY:
        return response
    if spec.name == "dns.flags.authenticated":
        return response or bool(flags & AD_BIT)
    return True


def header_table(msg: bytes) -> tuple[FieldSpec, ...]:
    """The header rows this message shows, the counts renamed in an update."""
    response = bool(msg[2] & 0x80)
    update = (msg[2] >> 3) & 0x0F == UPDATE
    rows = []
    for spec in HEADER:
        if not shown_in(spec, response, msg[3]):
            continue
        if update and spec.name in UPDATE_COUNTS:
            renamed = UPDATE_COUNTS[spec.name]
            spec = replace(spec, name=renamed, key=f"field.{renamed}")
        rows.append(spec)
    return tuple(rows)


def _header_extra(msg: bytes) -> dict[str, dict[str, Any]]:
    response = bool(msg[2] & 0x80)
    opcode = (msg[2] >> 3) & 0x0F
    rcode = msg[3] & 0x0F
    return {
        "dns.flags.response": {"variant": "response" if response else "query"},
        "dns.flags.opcode": {"name": OPCODES.get(opcode, str(opcode))},
        "dns.flags.authenticated": {"variant": "response" if response else "query"},
        "dns.flags.rcode": {"name": RCODES.get(rcode, str(rcode))},
    }


def _extended_rcode(fields: list[FieldValue], facts: dict[str, Any]) -> list[FieldValue]:
    """An OPT record's upper reply-code bits make the header's 4 bits part of a 12-bit code
    (BADCOOKIE is 23: 1 above, 7 in the header); the header's field and the facts say so."""
    ext = next((f for f in fields if f.name == "dns.resp.ext_rcode"), None)
    if ext is None or not ext.value:
        return fields
    name = RCODES.get(ext.params["rcode"], str(ext.params["rcode"]))
    facts["dns_rcode"] = name
    return [replace(f, key="field.dns.flags.rcode_extended",
                    params=MappingProxyType({**f.params, "rcode": ext.params["rcode"],
                                             "name": name}))
            if f.name == "dns.flags.rcode" else f for f in fields]


def dissect(data: bytes, start: int, end: int, below: Mapping[str, Any]) -> Decoded:
    msg = data[start:end]
    if len(msg) < HEADER_LEN:
        raise Truncated("DNS")
    fields = extract(header_table(msg), msg[:HEADER_LEN], start, _header_extra(msg))
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
    fields = _extended_rcode(fields, facts)
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
