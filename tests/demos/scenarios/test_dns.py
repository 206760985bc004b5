"""``dns``: the query and answer built by hand as RFC 1035 lays them out (read back by
scapy's DNS decoder), and the scenario run for real on loopback."""

from __future__ import annotations

import pytest
from scapy.layers.dns import DNS

from tests.demos.scenarios.runs import ran, raw
from wirelens.demos.scenarios import dns
from wirelens.explain.layers.dns import Malformed


def test_a_name_is_length_prefixed_labels_ending_in_a_zero() -> None:
    assert dns.encode_name("server.wirelens.test.") == b"\x06server\x08wirelens\x04test\x00"
    assert dns.encode_name(".") == b"\x00"


def test_the_query_asks_for_one_a_record_with_recursion_desired() -> None:
    query = DNS(dns.build_query(0x1234))
    assert (query.id, query.qr, query.rd, query.qdcount) == (0x1234, 0, 1, 1)
    assert (query.qd[0].qname, query.qd[0].qtype, query.qd[0].qclass) == (
        b"server.wirelens.test.", 1, 1)


def test_a_name_in_the_zone_is_answered_with_its_address() -> None:
    answer = DNS(dns.build_answer(dns.build_query(7)))
    assert (answer.id, answer.qr, answer.aa, answer.rd, answer.rcode) == (7, 1, 1, 1, 0)
    assert (answer.qdcount, answer.ancount) == (1, 1)
    record = answer.an[0]
    assert (record.rrname, record.rdata, record.ttl) == (
        b"server.wirelens.test.", "192.0.2.10", dns.TTL)


def test_the_zone_is_matched_whatever_the_case() -> None:
    assert DNS(dns.build_answer(dns.build_query(7, "SERVER.wirelens.TEST."))).ancount == 1


def test_a_name_outside_the_zone_is_nxdomain_without_an_answer() -> None:
    answer = DNS(dns.build_answer(dns.build_query(9, "example.com.")))
    assert (answer.rcode, answer.ancount, answer.qd[0].qname) == (3, 0, b"example.com.")


def test_another_type_for_a_name_in_the_zone_is_no_error_and_no_answer() -> None:
    answer = DNS(dns.build_answer(dns.build_query(9, qtype=28)))  # AAAA
    assert (answer.rcode, answer.ancount) == (0, 0)


@pytest.mark.parametrize("query", [b"short", dns.build_query(1)[:-2]],
                         ids=["no-header", "question-cut"])
def test_a_cut_query_is_malformed(query: bytes) -> None:
    with pytest.raises(Malformed):
        dns.build_answer(query)


@pytest.mark.live
def test_dns_query_and_answer_share_the_id_and_give_the_address() -> None:
    doc = ran("dns").doc
    query, answer = doc["packets"]
    assert (query["role"], answer["role"]) == ("dns-query", "dns-response")
    assert raw(query, "dns.id") == raw(answer, "dns.id")
    assert raw(query, "dns.flags.response") == 0 and raw(answer, "dns.flags.response") == 1
    assert raw(query, "dns.qry.name") == "server.wirelens.test."
    assert raw(answer, "dns.a") == "192.0.2.10"
    assert ran("dns").run.reply == b"192.0.2.10"
