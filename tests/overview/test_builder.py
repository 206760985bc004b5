"""The overview of a whole capture (overview/builder.py): what each frame is counted as, UDP
flows and ARP, the warnings, and ended conversations handed on while the capture is read."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.l2 import ARP, Ether

from tests.explain.builders import CLOSE_FOUR, DATA, HANDSHAKE, frames
from wirelens.capture.blockread import BlockReader
from wirelens.capture.pcapfile import open_capture, write_pcap
from wirelens.explain.records import Frame
from wirelens.overview import builder
from wirelens.overview.builder import (
    MAX_OPEN,
    OverviewBuilder,
    dissected,
    in_order,
    open_limit_warnings,
    overview,
)
from wirelens.overview.fastwalk import walk

T0 = 10**18
A, B = "02:00:00:00:00:01", "02:00:00:00:00:02"
TEXTBOOK = HANDSHAKE + DATA + CLOSE_FOUR


def frame(index: int, data: bytes, linktype: int = 1) -> Frame:
    return Frame(index, T0 + index * 1000, data, linktype)


def udp(src: tuple[str, int], dst: tuple[str, int], payload: bytes) -> bytes:
    return bytes(Ether(src=A, dst=B) / IP(src=src[0], dst=dst[0])
                 / UDP(sport=src[1], dport=dst[1]) / payload)


ASK = udp(("10.0.0.1", 5000), ("10.0.0.2", 9999), b"abc")
ANSWER = udp(("10.0.0.2", 9999), ("10.0.0.1", 5000), b"abcdefg")
ARP_REQUEST = bytes(Ether(src=A, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=A, psrc="10.0.0.1",
                                                                pdst="10.0.0.2"))
ARP_REPLY = bytes(Ether(src=B, dst=A) / ARP(op=2, hwsrc=B, psrc="10.0.0.2", hwdst=A,
                                            pdst="10.0.0.1"))
PING = bytes(Ether(src=A, dst=B) / IP(src="10.0.0.1", dst="10.0.0.2") / ICMP())


# ---------------------------------------------------------------- what a frame is


def test_a_textbook_exchange_is_one_conversation_of_tcp_frames() -> None:
    fr = frames(TEXTBOOK)
    ov = overview(fr, "textbook")
    assert (ov.source, ov.frames, ov.counts) == ("textbook", 11, (("tcp", 11),))
    assert (ov.first_ns, ov.last_ns) == (fr[0].ts_ns, fr[-1].ts_ns)
    (conv,) = ov.conversations
    assert (conv.number, conv.handshake, conv.close) == (1, "complete", "four-segment")
    assert ov.udp == () and ov.arp == (0, 0) and ov.warnings == ()


@pytest.mark.parametrize("data,linktype,kind", [
    (PING, 1, "other-ip"),
    (bytes(Ether(src=A, dst=B, type=0x88CC) / (b"\x00" * 20)), 1, "other-ethertype"),
    (bytes(Ether(src=A, dst=B) / IP(src="10.0.0.1", dst="10.0.0.2", flags="MF")
           / UDP() / (b"x" * 20)), 1, "ip-fragment"),
    (b"\x01", 1, "truncated"),
    (b"\x00" * 40, 147, "unknown-link"),
    (ARP_REQUEST, 1, "arp"),
    (ASK, 1, "udp"),
])
def test_the_full_dissector_names_a_frame_as_the_header_walk_does(
        data: bytes, linktype: int, kind: str) -> None:
    got = dissected(frame(1, data, linktype))
    assert got.kind == kind  # type: ignore[union-attr]
    assert got == walk(frame(1, data, linktype))


def test_a_tcp_segment_is_the_walks_segment() -> None:
    first = frames(HANDSHAKE)[0]
    assert dissected(first) == walk(first)


def test_a_dns_query_is_a_udp_datagram_on_both_paths() -> None:
    question = (b"\x12\x34\x01\x00\x00\x01" + b"\x00" * 6  # id, flags, one question
                + b"\x01a\x00\x00\x01\x00\x01")  # "a", type A, class IN
    query = frame(1, udp(("10.0.0.1", 5000), ("10.0.0.2", 53), question))
    assert walk(query).kind == "udp"  # type: ignore[union-attr]
    assert dissected(query) == walk(query)


def test_a_datagram_to_the_dns_port_that_is_not_dns_is_still_udp() -> None:
    odd = frame(1, udp(("10.0.0.1", 5000), ("10.0.0.2", 53), b"abc"))
    assert dissected(odd) == walk(odd)


# ---------------------------------------------------------------- counts, flows, warnings


def test_both_directions_of_a_udp_flow_are_one_flow() -> None:
    ov = overview([frame(1, ASK), frame(2, ANSWER), frame(3, ASK)])
    (flow,) = ov.udp
    assert (flow.a, flow.b) == ("10.0.0.1:5000", "10.0.0.2:9999")  # the side that sent first
    assert (flow.packets, flow.bytes_ab, flow.bytes_ba) == (3, 6, 7)
    assert (flow.first_ns, flow.last_ns) == (T0 + 1000, T0 + 3000)
    assert ov.udp_flows == 1 and ov.counts == (("udp", 3),)


def test_udp_flows_past_the_limit_are_not_listed_and_a_warning_says_so(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builder, "MAX_UDP_FLOWS", 1)
    other = udp(("10.0.0.3", 7000), ("10.0.0.2", 9999), b"xy")
    ov = overview([frame(1, ASK), frame(2, other), frame(3, ASK)])
    (listed,) = ov.udp
    assert listed.a == "10.0.0.1:5000" and listed.packets == 2
    assert ov.counts == (("udp", 3),)  # every datagram is counted, listed or not
    (warning,) = ov.warnings
    assert warning.key == "overview.warning.udp_cut"
    assert dict(warning.params) == {"listed": 1, "flows": 2}


def test_a_flow_past_the_limit_is_counted_once_however_many_datagrams(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builder, "MAX_UDP_FLOWS", 1)
    other = udp(("10.0.0.3", 7000), ("10.0.0.2", 9999), b"xy")
    ov = overview([frame(1, ASK), frame(2, other), frame(3, other)])
    assert ov.udp_flows == 2


def test_past_the_flows_it_can_tell_apart_the_count_says_more_than(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builder, "MAX_UDP_FLOWS", 1)
    monkeypatch.setattr(builder, "MAX_UDP_COUNTED", 1)
    second = udp(("10.0.0.3", 7000), ("10.0.0.2", 9999), b"xy")
    third = udp(("10.0.0.4", 7000), ("10.0.0.2", 9999), b"xy")
    ov = overview([frame(1, ASK), frame(2, second), frame(3, third), frame(4, second)])
    assert ov.udp_flows == 2 and ov.counts == (("udp", 4),)
    (warning,) = ov.warnings
    assert warning.key == "overview.warning.udp_uncounted"
    assert dict(warning.params) == {"listed": 1, "flows": 2}


def test_arp_requests_and_replies_are_counted_apart() -> None:
    ov = overview([frame(1, ARP_REQUEST), frame(2, ARP_REPLY), frame(3, ARP_REQUEST)])
    assert ov.arp == (2, 1) and ov.counts == (("arp", 3),)


def test_frames_of_an_unknown_link_type_are_warned_about_per_type() -> None:
    ov = overview([frame(1, b"\x00" * 40, 147), frame(2, b"\x00" * 40, 147),
                   frame(3, b"\x00" * 40, 148), frame(4, PING)])
    assert ov.counts == (("other-ip", 1), ("unknown-link", 3))  # in COUNT_KINDS order
    assert [(w.key, dict(w.params)) for w in ov.warnings] == [
        ("overview.warning.link", {"linktype": 147, "frames": 2}),
        ("overview.warning.link", {"linktype": 148, "frames": 1})]


def test_a_conversation_with_more_anomalies_than_kept_is_warned_about() -> None:
    steps = HANDSHAKE + DATA[:1] + DATA[:1] + DATA[:1] + DATA[1:]  # the message sent 3 times
    kept = OverviewBuilder(max_anomalies=1)
    for f in frames(steps):
        kept.frame(f)
    ov = kept.finish("x")
    (conv,) = ov.conversations
    assert conv.anomalies_cut and len(conv.anomalies) == 1
    (warning,) = ov.warnings
    assert warning.key == "overview.warning.anomalies_cut"
    assert dict(warning.params) == {"count": 1, "limit": builder.MAX_ANOMALIES, "first": 1}


def test_what_the_open_limit_cut_is_said_in_two_warnings() -> None:
    assert open_limit_warnings(0, 0) == []
    forgotten, unfollowed = open_limit_warnings(5, 2)
    assert forgotten.key == "overview.warning.open_forgotten"
    assert dict(forgotten.params) == {"limit": MAX_OPEN, "conversations": 2, "seconds": 10}
    assert (unfollowed.key, dict(unfollowed.params)) == (
        "overview.warning.open_unfollowed", {"limit": MAX_OPEN, "segments": 5})


def test_the_callers_warnings_come_first() -> None:
    ov = OverviewBuilder().finish("x", warnings=[builder.msg("overview.warning.link",
                                                             linktype=1, frames=1)])
    assert [w.key for w in ov.warnings] == ["overview.warning.link"]


# ---------------------------------------------------------------- conversations over time


def over_ipv6_later(ns: int, first_index: int) -> list[Frame]:
    """A handshake between other addresses (::1), ``ns`` after the textbook began."""
    fr = frames(HANDSHAKE, ipv6=True, start_ns=T0 + ns)
    return [replace(f, index=first_index + i) for i, f in enumerate(fr)]


def test_an_ended_conversation_is_handed_on_after_its_quiet_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builder, "SWEEP_EVERY", 1)  # look after every segment
    monkeypatch.setattr(builder, "QUIET_NS", 1000)
    first = frames(TEXTBOOK)
    second = over_ipv6_later(10**6, len(first) + 1)
    feed = OverviewBuilder()
    for f in first:
        feed.frame(f)
    assert feed.take_finished() == []  # ended, but not yet quiet for long
    feed.frame(second[0])
    (done,) = feed.take_finished()
    assert done.close == "four-segment" and feed.take_finished() == []
    for f in second[1:]:
        feed.frame(f)
    (held,) = feed.held()
    assert held.handshake == "complete" and held.close == "none"
    # what was handed on and what is held, numbered in order of their first frames
    ov = feed.finish("x", conversations=in_order([held, done]))
    assert [(c.number, c.close) for c in ov.conversations] == [(1, "four-segment"),
                                                                (2, "none")]


def test_without_forgetting_nothing_is_handed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builder, "SWEEP_EVERY", 1)
    monkeypatch.setattr(builder, "QUIET_NS", 1000)
    feed = OverviewBuilder(forget=False)
    for f in frames(TEXTBOOK) + over_ipv6_later(10**6, 12):
        feed.frame(f)
    assert feed.take_finished() == []
    assert [c.close for c in feed.finish("x").conversations] == ["four-segment", "none"]


def test_blocks_are_split_where_one_at_a_time_would_sweep(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builder, "SWEEP_EVERY", 4)
    feed = OverviewBuilder()
    assert feed.sweeps(10) == [(0, 4, True), (4, 8, True), (8, 10, False)]
    assert feed.sweeps(3) == [(0, 2, True), (2, 3, False)]  # 2 were counted already
    assert OverviewBuilder(forget=False).sweeps(10) == [(0, 10, False)]


def test_conversations_are_numbered_by_their_first_frame() -> None:
    ov = overview(frames(TEXTBOOK))
    (conv,) = ov.conversations
    shuffled = [replace(conv, number=9, first_packet=20), replace(conv, number=4,
                                                                  first_packet=3)]
    assert [(c.number, c.first_packet) for c in in_order(shuffled)] == [(1, 3), (2, 20)]
    assert in_order([conv])[0] is conv  # already numbered right: the same object


def test_blocks_of_columns_give_the_overview_of_frames_one_at_a_time(tmp_path: Path) -> None:
    mixed = [*frames(TEXTBOOK), frame(12, ASK), frame(13, ARP_REQUEST), frame(14, PING),
             frame(15, ANSWER), frame(16, b"\x01")]
    path = tmp_path / "mixed.pcap"
    write_pcap(path, mixed)
    columnar, one_by_one = OverviewBuilder(columnar=True), OverviewBuilder()
    with open_capture(path) as cap:
        for block in BlockReader(cap):
            columnar.block(block)
    for f in mixed:
        one_by_one.walked(f)
    assert columnar.finish("x") == one_by_one.finish("x")
    assert columnar.finish("x").counts == (("tcp", 11), ("udp", 2), ("arp", 1),
                                           ("other-ip", 1), ("truncated", 1))
