"""The DNS layer: the demo's own query and answer, field by field; the port binding passed
as data; names with compression; broken messages that never crash."""

from __future__ import annotations

import struct
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from wirelens.demos.scenarios.dns import NAME, build_answer, build_query
from wirelens.explain.dissect import Dissection, DissectOptions, dissect
from wirelens.explain.explainer import explain, tcpdump_summary
from wirelens.explain.fields import FieldValue
from wirelens.explain.layers import dns
from wirelens.explain.records import Frame

CLIENT, SERVER = ("127.0.0.1", 40000), ("127.0.0.1", 40053)
DNS_AT = 14 + 20 + 8  # Ethernet, IPv4 and UDP come first
QID = 0x1A2B
ON_DEMO_PORT = DissectOptions({("udp", SERVER[1]): "dns"})


def datagram(payload: bytes, to_server: bool = True, port: int = SERVER[1]) -> Frame:
    (src, sport), (dst, dport) = (CLIENT, (SERVER[0], port)) if to_server else (
        (SERVER[0], port), CLIENT)
    packet = Ether() / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / payload
    return Frame(1, 10**18, bytes(packet))


def fields(d: Dissection) -> dict[str, FieldValue]:
    layer = next(layer for layer in d.layers if layer.name == "DNS")
    return {f.name: f for f in layer.fields}


def test_the_demo_port_is_dns_only_when_the_caller_says_so() -> None:
    frame = datagram(build_query(QID))
    assert dissect(frame).protocols[-1] == "udp"
    assert dissect(frame, ON_DEMO_PORT).protocols == ("ethernet", "ipv4", "udp", "dns")


def test_port_53_is_dns_either_way() -> None:
    assert dissect(datagram(build_query(QID), port=53)).protocols[-1] == "dns"
    answer = build_answer(build_query(QID))
    assert dissect(datagram(answer, to_server=False, port=53)).protocols[-1] == "dns"


def test_the_query_field_by_field() -> None:
    d = dissect(datagram(build_query(QID)), ON_DEMO_PORT)
    f = fields(d)
    assert f["dns.id"].value == QID and f["dns.id"].offset == DNS_AT
    assert f["dns.flags.response"].value == 0
    assert f["dns.flags.response"].key == "field.dns.flags.response.query"
    assert f["dns.flags.recdesired"].value == 1
    assert f["dns.count.queries"].value == 1 and f["dns.count.answers"].value == 0
    name = f["dns.qry.name"]
    assert name.value == NAME == "server.wirelens.test."
    assert (name.offset, name.length) == (DNS_AT + 12, len("server.wirelens.test") + 2)
    assert f["dns.qry.type"].display == "A (1)"
    assert d.facts["dns_qname"] == NAME and d.facts["dns_response"] is False


def test_the_answer_points_back_to_the_question_and_gives_the_address() -> None:
    d = dissect(datagram(build_answer(build_query(QID)), to_server=False), ON_DEMO_PORT)
    f = fields(d)
    assert f["dns.id"].value == QID
    assert f["dns.flags.response"].value == 1 and f["dns.flags.authoritative"].value == 1
    assert f["dns.flags.rcode"].value == 0 and f["dns.count.answers"].value == 1
    assert f["dns.resp.name"].value == NAME
    assert f["dns.resp.name"].length == 2  # a compression pointer to byte 12
    assert f["dns.resp.ttl"].value == 60 and f["dns.resp.len"].value == 4
    assert f["dns.a"].value == "192.0.2.10"
    assert f["dns.a"].offset + 4 == len(d.frame.data)
    assert d.facts["dns_answers"] == ("A 192.0.2.10",)


def test_a_name_outside_the_zone_gets_nxdomain() -> None:
    answer = build_answer(build_query(QID, "elsewhere.wirelens.test."))
    d = dissect(datagram(answer, to_server=False), ON_DEMO_PORT)
    assert fields(d)["dns.flags.rcode"].params["name"] == "NXDOMAIN"
    assert d.facts["dns_answers"] == ()


def test_summary_in_tcpdump_style() -> None:
    query = dissect(datagram(build_query(QID)), ON_DEMO_PORT)
    answer = dissect(datagram(build_answer(build_query(QID)), to_server=False), ON_DEMO_PORT)
    assert tcpdump_summary(query, None, None).endswith(f"DNS {QID} A? {NAME}")
    assert "192.0.2.10" in tcpdump_summary(answer, None, None)


def test_explanation_of_a_lookup_has_roles_sides_and_the_note() -> None:
    frames = [datagram(build_query(QID)),
              datagram(build_answer(build_query(QID)), to_server=False)]
    frames[1] = Frame(2, frames[0].ts_ns + 1000, frames[1].data)
    exp = explain(frames, dissect_options=ON_DEMO_PORT)
    assert [(p.sender, p.role) for p in exp.packets] == [
        ("client", "dns-query"), ("server", "dns-response")]
    assert exp.endpoints == ("127.0.0.1:40000", "127.0.0.1:40053")
    topics = {n.topic for p in exp.packets for n in p.notes}
    assert {"dns", "udp_header", "udp_unreliable"} <= topics


def test_a_pointer_loop_stops_with_a_malformed_field() -> None:
    header = struct.pack("!HHHHHH", QID, 0x0100, 1, 0, 0, 0)
    looped = header + b"\xc0\x0c" + struct.pack("!HH", 1, 1)  # the name points at itself
    f = fields(dissect(datagram(looped), ON_DEMO_PORT))
    assert f["dns.malformed"].value == "name loop"
    assert "dns.qry.name" not in f


def test_read_name_follows_a_pointer_once_and_ends_at_its_own_bytes() -> None:
    msg = b"\x03abc\x00" + b"\x01x\xc0\x00"
    assert dns.read_name(msg, 0) == ("abc.", 5)
    assert dns.read_name(msg, 5) == ("x.abc.", 9)


def test_a_short_message_is_a_truncated_header() -> None:
    d = dissect(datagram(b"\x12\x34\x01"), ON_DEMO_PORT)
    assert d.problem == "truncated DNS header"


@settings(deadline=None)
@given(st.binary(max_size=120))
def test_any_bytes_on_the_dns_port_never_crash(body: bytes) -> None:
    d = dissect(datagram(body), ON_DEMO_PORT)
    assert d.layers
    for layer in d.layers:
        for fv in layer.fields:
            assert fv.offset + fv.length <= len(d.frame.data)


# ------------------------------------------------------------------ as Wireshark 4.0 shows it


def wire_name(*labels: bytes) -> bytes:
    return b"".join(bytes([len(label)]) + label for label in labels) + b"\0"


def record(name: bytes, rtype: int, data: bytes, rclass: int = 1, ttl: int = 60) -> bytes:
    return name + struct.pack("!HHIH", rtype, rclass, ttl, len(data)) + data


def message(flags: int, questions: Sequence[bytes], answers: Sequence[bytes] = (),
            authority: Sequence[bytes] = (), additional: Sequence[bytes] = ()) -> bytes:
    sections = (questions, answers, authority, additional)
    return (struct.pack("!HHHHHH", QID, flags, *(len(s) for s in sections))
            + b"".join(b"".join(s) for s in sections))


def question(name: bytes, qtype: int = 1, qclass: int = 1) -> bytes:
    return name + struct.pack("!HH", qtype, qclass)


def dns_fields(payload: bytes, to_server: bool = True) -> list[FieldValue]:
    d = dissect(datagram(payload, to_server), ON_DEMO_PORT)
    return list(next(layer for layer in d.layers if layer.name == "DNS").fields)


def shown(fields: list[FieldValue], name: str) -> list[str]:
    return [f.display for f in fields if f.name == name]


# EDNS0 (RFC 6891): the root name, type 41, payload size 1232 in the class field, and in the
# TTL field the extended RCODE 1, version 0 and the DO bit; one empty option (NSID) and a
# client cookie of 8 bytes.
OPT_RECORD = record(b"\0", 41, struct.pack("!HH", 3, 0) + struct.pack("!HH", 10, 8) + bytes(8),
                    rclass=1232, ttl=0x0100_8000)


def test_names_have_no_final_dot_and_the_root_is_shown_as_wireshark_shows_it() -> None:
    f = dns_fields(message(0x0100, [question(b"\0", qtype=2)]))
    name = next(x for x in f if x.name == "dns.qry.name")
    assert (name.display, name.value, name.length) == ("<Root>", ".", 1)
    f = dns_fields(message(0x0100, [question(wire_name(b"www", b"example", b"com"))]))
    name = next(x for x in f if x.name == "dns.qry.name")
    assert (name.display, name.value) == ("www.example.com", "www.example.com.")


def test_a_name_shows_bytes_as_wireshark_does() -> None:
    odd = wire_name(b"a\nb", b"caf\xc3\xa9", b"\x01\xff", b"x.y")
    f = dns_fields(message(0x0100, [question(odd)]))
    assert shown(f, "dns.qry.name") == ["a\\nb.café.\\001\ufffd.x.y"]


def test_type_and_class_end_in_wireshark_s_number() -> None:
    f = dns_fields(message(0x0100, [question(wire_name(b"x"), qtype=28), question(
        wire_name(b"y"), qtype=999, qclass=3)]))
    assert shown(f, "dns.qry.type") == ["AAAA (28)", "TYPE999 (999)"]
    assert shown(f, "dns.qry.class") == ["IN (0x0001)", "CH (0x0003)"]


def test_a_query_shows_the_flags_a_query_has() -> None:
    f = dns_fields(message(0x0100, [question(wire_name(b"x"))]))
    flags = [x.name for x in f if x.name.startswith("dns.flags.")]
    assert flags == ["dns.flags.response", "dns.flags.opcode", "dns.flags.truncated",
                     "dns.flags.recdesired", "dns.flags.z", "dns.flags.checkdisable"]


def test_a_query_with_the_ad_bit_set_shows_it() -> None:
    f = dns_fields(message(0x0120, [question(wire_name(b"x"))]))
    ad = next(x for x in f if x.name == "dns.flags.authenticated")
    assert (ad.value, ad.key) == (1, "field.dns.flags.authenticated.query")


def test_a_response_shows_every_flag_and_z_is_one_bit() -> None:
    f = dns_fields(message(0x81D0, [question(wire_name(b"x"))]), to_server=False)
    flags = {x.name: x for x in f if x.name.startswith("dns.flags.")}
    assert list(flags) == [
        "dns.flags.response", "dns.flags.opcode", "dns.flags.authoritative",
        "dns.flags.truncated", "dns.flags.recdesired", "dns.flags.recavail", "dns.flags.z",
        "dns.flags.authenticated", "dns.flags.checkdisable", "dns.flags.rcode"]
    assert [flags[n].value for n in ("dns.flags.recavail", "dns.flags.z",
                                     "dns.flags.authenticated", "dns.flags.checkdisable")] \
        == [1, 1, 0, 1]
    assert (flags["dns.flags.z"].bit_offset, flags["dns.flags.z"].bit_length) == (1, 1)


def test_an_update_counts_zones_prerequisites_and_updates() -> None:
    f = dns_fields(message(0x2800, [question(wire_name(b"zone"), qtype=6)]))
    counts = [x.name for x in f if x.name.startswith("dns.count.")]
    assert counts == ["dns.count.zones", "dns.count.prerequisites", "dns.count.updates",
                      "dns.count.add_rr"]


def test_an_aaaa_address_is_written_compressed() -> None:
    address = bytes.fromhex("20010db8000000000000000000000001")
    f = dns_fields(message(0x8180, [question(wire_name(b"x"), qtype=28)],
                           [record(b"\xc0\x0c", 28, address)]), to_server=False)
    assert shown(f, "dns.aaaa") == ["2001:db8::1"]


def test_an_opt_record_shows_its_own_fields_not_a_class_and_ttl() -> None:
    f = dns_fields(message(0x8187, [question(wire_name(b"x"))], [], [], [OPT_RECORD]),
                   to_server=False)
    names = [x.name for x in f]
    rr = names[names.index("dns.resp.name"):]
    assert rr == ["dns.resp.name", "dns.resp.type", "dns.rr.udp_payload_size",
                  "dns.resp.ext_rcode", "dns.resp.edns0_version", "dns.resp.z",
                  "dns.resp.z.do", "dns.resp.len", "dns.opt.code", "dns.opt.len",
                  "dns.opt.code", "dns.opt.len", "dns.opt.value"]
    by_name = {x.name: x for x in f}
    assert by_name["dns.resp.name"].display == "<Root>"
    assert by_name["dns.resp.name"].key == "field.dns.opt.record"
    assert by_name["dns.resp.type"].display == "OPT (41)"
    assert by_name["dns.rr.udp_payload_size"].value == 1232
    ext = by_name["dns.resp.ext_rcode"]
    assert ext.display == "0x01" and ext.params["rcode"] == 23  # (1 << 4) | 7: BADCOOKIE
    assert ext.params["name"] == "BADCOOKIE"
    assert by_name["dns.resp.z"].display == "0x8000"
    do = by_name["dns.resp.z.do"]
    assert (do.value, do.bit_offset, do.bit_length) == (1, 0, 1)
    assert do.offset == by_name["dns.resp.z"].offset
    assert shown(f, "dns.opt.code") == ["NSID (3)", "COOKIE (10)"]
    assert shown(f, "dns.opt.len") == ["0", "8"]


def test_the_header_s_reply_code_says_what_the_opt_record_makes_of_it() -> None:
    payload = message(0x8187, [question(wire_name(b"x"))], [], [], [OPT_RECORD])
    d = dissect(datagram(payload, to_server=False), ON_DEMO_PORT)
    rcode = fields(d)["dns.flags.rcode"]
    assert (rcode.value, rcode.key) == (7, "field.dns.flags.rcode_extended")
    assert (rcode.params["rcode"], rcode.params["name"]) == (23, "BADCOOKIE")
    assert d.facts["dns_rcode"] == "BADCOOKIE"


def test_records_come_in_order_questions_answers_authority_additional() -> None:
    payload = message(0x8180, [question(wire_name(b"q"))],
                      [record(b"\xc0\x0c", 5, wire_name(b"c", b"q"))],
                      [record(wire_name(b"ns"), 2, wire_name(b"a"))],
                      [record(wire_name(b"a"), 1, b"\x01\x02\x03\x04"), OPT_RECORD])
    f = dns_fields(payload, to_server=False)
    assert shown(f, "dns.qry.name") == ["q"]
    assert shown(f, "dns.resp.name") == ["q", "ns", "a", "<Root>"]
    assert shown(f, "dns.resp.type") == ["CNAME (5)", "NS (2)", "A (1)", "OPT (41)"]
    assert shown(f, "dns.resp.ttl") == ["60", "60", "60"]  # none for the OPT record
    assert shown(f, "dns.resp.target") == ["c.q", "a"]


def test_an_nsec_record_lists_its_bitmap_types_as_record_types() -> None:
    bitmap = bytes([0, 6, 0x22, 0, 0, 0, 0, 0x03])  # NS, SOA, RRSIG, NSEC
    f = dns_fields(message(0x8183, [question(wire_name(b"q"))], [],
                           [record(b"\0", 47, wire_name(b"aaa") + bitmap)]), to_server=False)
    assert shown(f, "dns.nsec.next_domain_name") == ["aaa"]
    assert shown(f, "dns.resp.type") == ["NSEC (47)", "NS (2)", "SOA (6)", "RRSIG (46)",
                                         "NSEC (47)"]


def test_a_broken_option_list_is_malformed() -> None:
    broken = record(b"\0", 41, struct.pack("!HH", 10, 8) + bytes(4), rclass=1232)
    f = dns_fields(message(0x0100, [question(wire_name(b"x"))], [], [], [broken]))
    assert shown(f, "dns.malformed") == ["option"]
    assert shown(f, "dns.qry.name") == ["x"]
