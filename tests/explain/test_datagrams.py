"""UDP datagrams in an explanation: the first one between two endpoints names the client."""

from __future__ import annotations

from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether

from wirelens.explain.datagrams import DatagramTracker, udp_payload_length
from wirelens.explain.dissect import Dissection, dissect
from wirelens.explain.records import Frame

A, B, C = "10.0.0.1", "10.0.0.2", "10.0.0.3"


def udp(index: int, src: tuple[str, int], dst: tuple[str, int], payload: object = b"hi"
        ) -> Dissection:
    packet = Ether() / IP(src=src[0], dst=dst[0]) / UDP(sport=src[1], dport=dst[1]) / payload
    return dissect(Frame(index, 1000 * index, bytes(packet)))


def test_the_first_datagrams_sender_is_the_client_and_the_reply_is_the_servers() -> None:
    tracker = DatagramTracker()
    first = tracker.feed(udp(1, (A, 40000), (B, 9999)))
    reply = tracker.feed(udp(2, (B, 9999), (A, 40000), b"hello"))
    assert first is not None and reply is not None
    assert (first.sender, first.receiver, reply.sender, reply.receiver) == (
        "client", "server", "server", "client")
    assert (reply.client, reply.server, reply.flow) == ("10.0.0.1:40000", "10.0.0.2:9999", 1)
    assert (first.index, first.ts_ns, first.payload_len, first.role) == (1, 1000, 2, "datagram")
    assert reply.payload_len == 5


def test_other_endpoints_are_another_flow_numbered_as_first_seen() -> None:
    tracker = DatagramTracker()
    flows = [tracker.feed(d).flow for d in (
        udp(1, (A, 40000), (B, 9999)), udp(2, (C, 40000), (B, 9999)),
        udp(3, (A, 40000), (B, 9999)), udp(4, (B, 9999), (C, 40000)))]
    assert flows == [1, 2, 1, 2]


def test_ipv6_addresses_are_bracketed() -> None:
    packet = Ether() / IPv6(src="::1", dst="::2") / UDP(sport=5000, dport=6000) / b"x"
    datagram = DatagramTracker().feed(dissect(Frame(1, 0, bytes(packet))))
    assert datagram is not None and datagram.client == "[::1]:5000"


def test_a_dns_query_and_its_response() -> None:
    tracker = DatagramTracker()
    query = DNS(id=7, rd=1, qd=DNSQR(qname="example.test"))
    answer = DNS(id=7, qr=1, qd=DNSQR(qname="example.test"),
                 an=DNSRR(rrname="example.test", rdata="10.0.0.9"))
    asked = tracker.feed(udp(1, (A, 40000), (B, 53), query))
    told = tracker.feed(udp(2, (B, 53), (A, 40000), answer))
    assert (asked.role, told.role) == ("dns-query", "dns-response")


def test_tcp_is_no_datagram() -> None:
    packet = Ether() / IP(src=A, dst=B) / TCP()
    assert DatagramTracker().feed(dissect(Frame(1, 0, bytes(packet)))) is None


def test_the_payload_length_is_what_the_udp_length_field_says() -> None:
    d = udp(1, (A, 1), (B, 2), b"12345")
    assert udp_payload_length(d) == 5
    cut = bytes(Ether() / IP(src=A, dst=B) / UDP() / (b"x" * 50))[:50]  # a snap length
    assert udp_payload_length(dissect(Frame(1, 0, cut, orig_len=92))) == 50
