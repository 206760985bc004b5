"""The DNS layer: the demo's own query and answer, field by field; the port binding passed
as data; names with compression; broken messages that never crash."""

from __future__ import annotations

import struct

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
