"""``dns``: a DNS query and its answer, run for real on loopback."""

from __future__ import annotations

import pytest

from tests.demos.scenarios.runs import ran, raw

pytestmark = pytest.mark.live


def test_dns_query_and_answer_share_the_id_and_give_the_address() -> None:
    doc = ran("dns").doc
    query, answer = doc["packets"]
    assert (query["role"], answer["role"]) == ("dns-query", "dns-response")
    assert raw(query, "dns.id") == raw(answer, "dns.id")
    assert raw(query, "dns.flags.response") == 0 and raw(answer, "dns.flags.response") == 1
    assert raw(query, "dns.qry.name") == "server.wirelens.test."
    assert raw(answer, "dns.a") == "192.0.2.10"
    assert ran("dns").run.reply == b"192.0.2.10"
