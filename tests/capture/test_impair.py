"""The wire's rules, with no wire: parsing, one-line errors, and the decision per frame."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import ARP, Ether

from wirelens.capture.impair import (
    REORDER_HOLD_NS,
    Action,
    FrameFacts,
    Impairer,
    ImpairError,
    Plan,
    Selector,
    check_fits,
    frame_facts,
    parse_delay,
    parse_plan,
    parse_reorder,
    parse_selector,
)

DATA = FrameFacts("tcp", 0x18, 14, 1000)
ACK = FrameFacts("tcp", 0x10, 0, 1014)
SYN = FrameFacts("tcp", 0x02, 0, 999)
SYNACK = FrameFacts("tcp", 0x12, 0, 5000)
FIN = FrameFacts("tcp", 0x11, 0, 1014)
ARPF = FrameFacts("arp")


# ---------------------------------------------------------------- reading frames


def test_frame_facts_reads_tcp_udp_arp_and_ipv6():
    tcp = bytes(Ether() / IP() / TCP(flags="PA", seq=7) / b"hello")
    assert frame_facts(tcp) == FrameFacts("tcp", 0x18, 5, 7)
    udp = bytes(Ether() / IP() / UDP() / b"abc")
    assert frame_facts(udp) == FrameFacts("udp", 0, 3)
    assert frame_facts(bytes(Ether() / ARP())).proto == "arp"
    six = bytes(Ether() / IPv6() / TCP(flags="S"))
    assert frame_facts(six) == FrameFacts("tcp", 0x02, 0, 0)


def test_frame_facts_ignores_ethernet_padding():
    short = bytes(Ether() / IP() / TCP(flags="A"))
    padded = short + b"\0" * (60 - len(short))
    assert frame_facts(padded).payload_len == 0


@given(st.binary(max_size=120))
def test_frame_facts_never_raises(data: bytes):
    frame_facts(data)


def test_summary_and_kinds():
    assert DATA.summary() == "TCP [P.] len 14"
    assert (SYN.kind(), SYNACK.kind(), FIN.kind(), DATA.kind()) == ("syn", "synack", "fin", "")
    assert DATA.is_data and not ACK.is_data and FrameFacts("udp").is_data


# ---------------------------------------------------------------- parsing


def test_parse_selectors():
    assert parse_selector("--loss", "1") == Selector(numbers=(1,))
    assert parse_selector("--loss", "3,1") == Selector(numbers=(1, 3))
    assert parse_selector("--loss", "25%") == Selector(percent=25.0)
    assert parse_selector("--loss", "1:c2s") == Selector(numbers=(1,), direction="c2s")
    assert parse_selector("--loss", "syn,fin:s2c") == Selector(kinds=("syn", "fin"),
                                                               direction="s2c")


def test_parse_delay_and_reorder():
    assert parse_delay("100ms") == (("c2s", 100_000_000), ("s2c", 100_000_000))
    assert parse_delay("0.2s:c2s") == (("c2s", 200_000_000),)
    assert parse_delay("500us:s2c") == (("s2c", 500_000),)
    assert parse_reorder("") == Selector(numbers=(1,), direction="c2s")
    assert parse_reorder("2:s2c") == Selector(numbers=(2,), direction="s2c")


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"loss": ["150%"]}, ["--loss 150%", "100%"]),
    ({"loss": ["0%"]}, ["--loss 0%", "above 0%"]),
    ({"loss": ["1:up"]}, ["--loss 1:up", "unknown direction", "c2s, s2c"]),
    ({"loss": ["zero"]}, ["--loss zero", "syn, synack, fin, rst"]),
    ({"loss": ["0"]}, ["--loss 0", "allowed"]),
    ({"delay": ["-5ms"]}, ["--delay -5ms", "0 to 10s"]),
    ({"delay": ["100"]}, ["--delay 100", "with its unit"]),
    ({"delay": ["11s"]}, ["--delay 11s", "out of range"]),
    ({"duplicate": ["x%"]}, ["--duplicate x%", "percentage"]),
    ({"reorder": ["0"]}, ["--reorder 0", "data segment"]),
    ({"reorder": ["1:sideways"]}, ["--reorder 1:sideways", "c2s, s2c"]),
    ({"seed": -1}, ["--seed -1", "integer"]),
])
def test_bad_options_are_one_line_naming_the_option_and_what_it_allows(kwargs, words):
    with pytest.raises(ImpairError) as caught:
        parse_plan(**kwargs)
    text = str(caught.value)
    assert "\n" not in text
    for word in words:
        assert word in text


def test_check_fits_rejects_rules_the_demo_cannot_meet():
    tcp = {"c2s": 1, "s2c": 1}
    check_fits(parse_plan(loss=["2"]), tcp, "tcp")  # the server's reply
    with pytest.raises(ImpairError, match="--loss 3: the tcp demo sends 2"):
        check_fits(parse_plan(loss=["3"]), tcp, "tcp")
    with pytest.raises(ImpairError, match="--reorder 1:c2s: the tcp demo sends 1"):
        check_fits(parse_plan(reorder=["1"]), tcp, "tcp")
    check_fits(parse_plan(reorder=["1"]), {"c2s": 2, "s2c": 1}, "tcp")
    check_fits(parse_plan(reorder=["5"], loss=["9"]), {"c2s": -1, "s2c": 1}, "transfer")


def test_check_fits_speaks_of_datagrams_and_no_tcp_flags_for_udp():
    udp = {"c2s": 1, "s2c": 1}
    check_fits(parse_plan(loss=["1"], duplicate=["50%"]), udp, "udp", "datagram", tcp=False)
    with pytest.raises(ImpairError, match=r"--reorder 1:c2s: the udp demo sends 1 datagram\(s\)"
                                          r" c2s; reordering needs datagrams 1 and 2"):
        check_fits(parse_plan(reorder=["1"]), udp, "udp", "datagram", tcp=False)
    with pytest.raises(ImpairError, match=r"--loss 3: .* 2 datagram\(s\); allowed: 1 to 2, a "
                                          r"percentage$"):
        check_fits(parse_plan(loss=["3"]), udp, "udp", "datagram", tcp=False)
    with pytest.raises(ImpairError, match="--loss syn: the udp demo sends no TCP segment"):
        check_fits(parse_plan(loss=["syn"]), udp, "udp", "datagram", tcp=False)


def test_plan_describes_itself_as_written():
    plan = parse_plan(loss=["1:c2s", "5%"], delay=["100ms"], duplicate=["2"], seed=7)
    assert plan.describe() == ["--loss 1:c2s", "--loss 5%", "--duplicate 2", "--delay 100ms",
                               "--seed 7"]
    assert Plan().empty and not plan.empty


# ---------------------------------------------------------------- deciding


def feed_all(plan: Plan, frames: list[tuple[str, FrameFacts]]) -> list[Action]:
    impairer = Impairer(plan)
    return [impairer.feed(i, d, f, i * 1000).action for i, (d, f) in enumerate(frames, 1)]


EXCHANGE = [("c2s", SYN), ("s2c", SYNACK), ("c2s", ACK), ("c2s", DATA), ("s2c", ACK),
            ("s2c", DATA), ("c2s", ACK), ("c2s", FIN), ("s2c", FIN), ("c2s", ACK)]


def test_loss_1_drops_the_first_data_segment_only():
    actions = feed_all(parse_plan(loss=["1"]), EXCHANGE)
    assert [i for i, a in enumerate(actions, 1) if a is Action.DROPPED] == [4]


def test_numbers_count_per_direction_when_one_is_named():
    actions = feed_all(parse_plan(loss=["1:s2c"]), EXCHANGE)
    assert [i for i, a in enumerate(actions, 1) if a is Action.DROPPED] == [6]
    actions = feed_all(parse_plan(loss=["2"]), EXCHANGE)  # both directions counted together
    assert [i for i, a in enumerate(actions, 1) if a is Action.DROPPED] == [6]


def test_flag_rules_take_the_first_such_segment():
    actions = feed_all(parse_plan(loss=["syn"]), EXCHANGE + [("c2s", SYN)])
    assert [i for i, a in enumerate(actions, 1) if a is Action.DROPPED] == [1]
    actions = feed_all(parse_plan(duplicate=["fin:s2c"]), EXCHANGE)
    assert [i for i, a in enumerate(actions, 1) if a is Action.DUPLICATED] == [9]


def test_arp_is_never_dropped_at_random():
    assert set(feed_all(parse_plan(loss=["100%"]), [("c2s", ARPF)] * 5)) == {Action.PASSED}
    assert set(feed_all(parse_plan(loss=["100%"]), [("c2s", ACK)] * 5)) == {Action.DROPPED}


def test_delay_applies_to_its_direction_and_duplicates_keep_it():
    impairer = Impairer(parse_plan(delay=["100ms:c2s"], duplicate=["1"]))
    first = impairer.feed(1, "c2s", DATA, 0)
    assert first.action is Action.DUPLICATED and first.delays_ns == (100_000_000,) * 2
    back = impairer.feed(2, "s2c", ACK, 0)
    assert back.action is Action.PASSED and back.delays_ns == (0,)
    again = impairer.feed(3, "c2s", ACK, 0)
    assert again.action is Action.DELAYED and again.reason == "--delay 100ms"


def test_reorder_holds_a_segment_until_the_next_one_of_its_direction():
    impairer = Impairer(parse_plan(reorder=["1"]))
    held = impairer.feed(1, "c2s", DATA, 0)
    assert held.held and held.action is Action.SWAPPED and held.delays_ns == ()
    assert impairer.feed(2, "s2c", DATA, 10).release == ()  # other direction: still held
    assert impairer.feed(3, "c2s", ACK, 20).release == ()  # no data: still held
    partner = impairer.feed(4, "c2s", DATA, 30)
    assert partner.release == (1,) and partner.action is Action.PASSED
    assert impairer.held() == [] and impairer.next_deadline() is None


def test_a_held_segment_goes_anyway_when_no_partner_comes():
    impairer = Impairer(parse_plan(reorder=["1"]))
    impairer.feed(1, "c2s", DATA, 0)
    assert impairer.next_deadline() == REORDER_HOLD_NS
    assert impairer.expired(REORDER_HOLD_NS - 1) == []
    assert impairer.expired(REORDER_HOLD_NS) == [(1, "c2s")]


def test_same_seed_same_frames_and_another_seed_others():
    frames = [("c2s", DATA)] * 200 + [("s2c", ACK)] * 200

    def dropped(seed: int) -> list[int]:
        actions = feed_all(parse_plan(loss=["25%"], seed=seed), frames)
        return [i for i, a in enumerate(actions, 1) if a is Action.DROPPED]

    assert dropped(7) == dropped(7)
    assert dropped(7) != dropped(8)
    assert 50 < len(dropped(7)) < 150  # about a quarter of 400


def test_a_random_draw_depends_on_the_frame_not_on_what_came_before():
    """Inserting frames in the other direction does not change this direction's draws."""
    plan = parse_plan(loss=["30%:c2s"], seed=3)
    alone = feed_all(plan, [("c2s", DATA)] * 50)
    mixed = feed_all(plan, [f for pair in zip([("c2s", DATA)] * 50, [("s2c", ACK)] * 50,
                                              strict=True) for f in pair])
    assert alone == mixed[0::2]
