"""The course notes' checks: each claim against what a capture showed, and its verdict."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.explain.builders import (
    C_ISN,
    CLOSE_FOUR,
    CLOSE_THREE,
    DATA,
    HANDSHAKE,
    S_ISN,
    segments,
)
from wirelens.explain import notes
from wirelens.explain.catalog import LANGUAGES, Catalog
from wirelens.explain.conversation import ConversationTracker
from wirelens.explain.model import NoteCheck, Verdict
from wirelens.explain.tcp_state import State as S

EN = Catalog("en")


def said_in_full(check: NoteCheck) -> bool:
    """Claim, observation and reason have a text in both catalogs, every placeholder filled."""
    texts = [Catalog(lang)(m) for lang in LANGUAGES
             for m in (check.claim, check.observed, check.reason)]
    return all(t and not t.startswith("[") and "{" not in t for t in texts)


def tracked(steps):
    tracker = ConversationTracker()
    stories = [tracker.feed(seg) for seg in segments(steps)]
    [summary] = tracker.summaries()
    return stories, summary


def test_every_topic_cites_a_note_file_and_has_its_claim_in_both_catalogs() -> None:
    for topic, ref in notes.REFS.items():
        assert ref.file.endswith(".txt") and ref.section
        assert all(Catalog(lang).has(f"note.{topic}.claim") for lang in LANGUAGES), topic


@pytest.mark.parametrize(("captured", "verdict", "reason"), [
    (54, Verdict.DIFFERS, "reason_short"),  # a bare ACK: padded to 60 by the card
    (60, Verdict.AGREES, "reason_fits"),
    (1514, Verdict.AGREES, "reason_fits"),
    (1515, Verdict.DIFFERS, "reason_long"),  # a segmentation-offloaded giant
])
def test_frame_size_against_the_ethernet_minimum_and_maximum(captured, verdict, reason) -> None:
    check = notes.frame_size(captured)
    assert (check.verdict, check.reason.key) == (verdict, f"note.frame_size.{reason}")
    assert said_in_full(check)


def test_a_short_frame_says_how_much_padding_it_needs() -> None:
    assert notes.frame_size(54).reason.params["padding"] == 6
    assert notes.frame_size(60).reason.params["with_fcs"] == 64


@pytest.mark.parametrize(("kind", "verdict", "reason"), [
    ("zero", Verdict.NUANCE, "reason_zero"),
    ("local", Verdict.NUANCE, "reason_local"),
    ("broadcast", Verdict.AGREES, "reason_group"),
    ("multicast", Verdict.AGREES, "reason_group"),
    ("global", Verdict.AGREES, "reason_global"),
])
def test_mac_address_verdict_by_kind(kind, verdict, reason) -> None:
    check = notes.mac_address("02:77:6c:00:00:01", kind)
    assert (check.verdict, check.reason.key) == (verdict, f"note.mac_address.{reason}")


def test_ip_address_topic_follows_the_version() -> None:
    assert notes.ip_address(4, "10.0.0.1").topic == "ipv4_address"
    assert notes.ip_address(6, "::1").topic == "ipv6_address"


@pytest.mark.parametrize(("length", "verdict"), [
    (20, Verdict.AGREES), (60, Verdict.AGREES), (64, Verdict.DIFFERS), (16, Verdict.DIFFERS)])
def test_ip_header_length_between_20_and_60_bytes(length, verdict) -> None:
    assert notes.ip_header(length).verdict is verdict


def test_handshake_numbers_x_then_x_plus_1_then_y_plus_1() -> None:
    stories, _ = tracked(HANDSHAKE)
    syn, syn_ack, ack = stories
    assert notes.handshake(syn, C_ISN, 0).topic == "handshake_syn"
    right = notes.handshake(syn_ack, S_ISN, C_ISN + 1)
    assert (right.topic, right.verdict) == ("handshake_syn_ack", Verdict.AGREES)
    assert right.reason.params["x"] == C_ISN
    # the notes say the third segment carries only ACK: true, but it is no new idea
    third = notes.handshake(ack, C_ISN + 1, S_ISN + 1)
    assert (third.topic, third.verdict) == ("handshake_ack", Verdict.NUANCE)
    assert all(said_in_full(c) for c in (right, third))


def test_a_handshake_ack_of_the_wrong_number_differs() -> None:
    stories, _ = tracked(HANDSHAKE)
    wrong = notes.handshake(stories[1], S_ISN, C_ISN + 2)
    assert (wrong.verdict, wrong.reason.key) == (
        Verdict.DIFFERS, "note.handshake_syn_ack.reason_wrong")
    wrong = notes.handshake(stories[2], C_ISN + 1, S_ISN)
    assert (wrong.verdict, wrong.reason.key) == (
        Verdict.DIFFERS, "note.handshake_ack.reason_wrong")


def test_a_segment_outside_the_handshake_has_no_handshake_check() -> None:
    stories, _ = tracked(HANDSHAKE + DATA)
    assert notes.handshake(stories[3], C_ISN + 1, S_ISN + 1) is None


def test_the_syn_ack_number_wraps_around_32_bits() -> None:
    stories, _ = tracked(HANDSHAKE)
    story = replace(stories[1], receiver_isn=2**32 - 1)
    assert notes.handshake(story, S_ISN, 0).verdict is Verdict.AGREES


def test_close_verdict_by_how_the_conversation_closed() -> None:
    _, four = tracked(HANDSHAKE + DATA + CLOSE_FOUR)
    _, three = tracked(HANDSHAKE + DATA + CLOSE_THREE)
    _, none = tracked(HANDSHAKE + DATA)
    assert notes.close(four).verdict is Verdict.AGREES
    check = notes.close(three)
    assert (check.verdict, check.reason.key) == (Verdict.NUANCE, "note.close.reason_three_segment")
    assert notes.close(replace(four, close="half-open")).reason.key == "note.close.reason_half_open"
    assert notes.close(replace(four, close="reset")).verdict is Verdict.DIFFERS
    assert notes.close(none) is None
    assert said_in_full(check)


def test_who_closed_first_and_who_waits_in_time_wait() -> None:
    _, summary = tracked(HANDSHAKE + DATA + CLOSE_FOUR)
    assert notes.close_first(summary).verdict is Verdict.AGREES  # the client, as the notes
    assert notes.time_wait(summary).observed.key == "note.time_wait.observed_client"
    by_server = replace(summary, closed_first="server", final_states=(S.CLOSED, S.TIME_WAIT))
    assert notes.close_first(by_server).verdict is Verdict.NUANCE
    waits = notes.time_wait(by_server)
    assert (waits.verdict, waits.observed.params["server"]) == (Verdict.AGREES, summary.server)
    _, open_ = tracked(HANDSHAKE)
    assert notes.close_first(open_) is None and notes.time_wait(open_) is None


def test_no_time_wait_is_told_where_the_first_closer_never_reaches_it() -> None:
    reset = [("c", "FA", 15, 15, b""), ("s", "R", 15, None, b"")]  # a FIN answered by a RST
    _, summary = tracked(HANDSHAKE + DATA + reset)
    assert summary.closed_first == "client" and summary.final_states[0] is S.CLOSED
    assert notes.close_first(summary) is not None and notes.time_wait(summary) is None
    _, half = tracked(HANDSHAKE + DATA + CLOSE_FOUR[:2])  # the server never sent its FIN
    assert half.closed_first == "client" and half.final_states[0] is S.FIN_WAIT_2
    assert notes.time_wait(half) is None


@pytest.mark.parametrize(("port", "verdict", "reason"), [
    (40000, Verdict.NUANCE, "reason_linux"),  # Linux's ephemeral range
    (5000, Verdict.AGREES, "reason_other"),
    (1023, Verdict.DIFFERS, "reason_other"),  # a well-known port as a client's
])
def test_client_port_against_the_ephemeral_range(port, verdict, reason) -> None:
    check = notes.client_port(port)
    assert (check.verdict, check.reason.key) == (verdict, f"note.client_port.{reason}")


def test_a_wrong_checksum_on_loopback_is_offload_not_an_error() -> None:
    assert notes.checksum("correct", loopback=True).verdict is Verdict.AGREES
    offload = notes.checksum("wrong", loopback=True)
    assert (offload.verdict, offload.reason.key) == (
        Verdict.NUANCE, "note.checksum.reason_offload")
    assert notes.checksum("wrong", loopback=False).verdict is Verdict.DIFFERS


def test_listen_backlog_overflow_has_its_own_reason() -> None:
    assert notes.listen("5").reason.key == "note.listen.reason"
    overflow = notes.listen("1", opened=2, dropped=1, again=1)
    assert overflow.reason.key == "note.listen.reason_overflow"
    assert said_in_full(overflow)


def test_an_arp_for_another_subnet_differs_from_the_notes() -> None:
    note = notes.arp_subnet("10.199.0.1", "10.199.1.2", "10.199.0.0/24")
    assert note.verdict is Verdict.DIFFERS


def test_arp_subnet_same_network_and_unknown_mask() -> None:
    same = notes.arp_subnet("10.199.0.1", "10.199.0.2", "10.199.0.0/24")
    assert (same.verdict, same.reason.key) == (Verdict.AGREES, "note.arp_subnet.reason_same")
    v6 = notes.arp_subnet("fd00:199::1", "fd00:199::2", "fd00:199::/64")
    assert v6.reason.key == "note.arp_subnet.reason_same_v6"
    unknown = notes.arp_subnet("10.199.0.1", "10.199.0.2", None)
    assert (unknown.verdict, unknown.reason.params["common"]) == (Verdict.NUANCE, 30)
    assert all(said_in_full(c) for c in (same, v6, unknown))


def test_arp_broadcasts_where_ipv6_asks_a_multicast_group() -> None:
    arp = notes.arp_broadcast("ff:ff:ff:ff:ff:ff", "10.199.0.2", None)
    nd = notes.arp_broadcast("33:33:ff:00:00:02", "fd00:199::2", "ff02::1:ff00:2")
    assert (arp.verdict, arp.observed.key) == (Verdict.AGREES, "note.arp_broadcast.observed_arp")
    assert (nd.verdict, nd.observed.key) == (Verdict.NUANCE, "note.arp_broadcast.observed_nd")


@pytest.mark.parametrize(("mac", "reason"), [
    ("02:77:6c:00:00:01", "reason_local"),
    ("00:16:3e:1a:83:a0", "reason_global"),
    ("33:33:ff:00:00:02", "reason_group"),
    ("00:00:00:00:00:00", "reason_zero"),
])
def test_mac_oui(mac: str, reason: str) -> None:
    assert notes.mac_oui(mac).reason.key == f"note.mac_oui.{reason}"


def test_ip_versions_spell_out_the_compression() -> None:
    note = notes.ip_versions(6, "fd00:199::1")
    assert EN(note.reason).endswith(
        "which turns fd00:0199:0000:0000:0000:0000:0000:0001 into fd00:199::1.")


def test_ip_versions_show_an_ipv4_address_as_its_four_bytes() -> None:
    note = notes.ip_versions(4, "10.199.0.1")
    assert note.observed.params["hex"] == "0a c7 00 01"


def test_udp_header_is_eight_bytes_before_the_payload() -> None:
    check = notes.udp_header(22)
    assert (check.verdict, check.reason.params["payload"]) == (Verdict.AGREES, 14)
    short = notes.udp_header(4)
    assert (short.verdict, short.reason.params["payload"]) == (Verdict.DIFFERS, 0)


def test_scenario_checks_render_in_both_languages() -> None:
    checks = [
        notes.refused("127.0.0.1:8080", 1, 2), notes.rebind("EADDRINUSE", True),
        notes.rebind("EADDRINUSE", False), notes.udp_unreliable(),
        notes.chat_quit(3, 2, 7, 8), notes.dns("example.test", "A", "10.0.0.1"),
        notes.recv_empty(9), notes.accept(4), notes.eth_header(14),
    ]
    assert all(said_in_full(c) for c in checks)
    assert notes.rebind("x", True).reason.key == "note.rebind.reason_ok"


def test_a_dns_check_without_an_answer_shows_a_dash() -> None:
    assert notes.dns("example.test", "A", "").observed.params["answer"] == "-"
