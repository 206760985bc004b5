"""The gate's words (capture/gateline.py) and the gate in the wire's rules (impair.py)."""

from __future__ import annotations

from wirelens.capture import gateline
from wirelens.capture.impair import Action, FrameFacts, Impairer, Plan


def test_commands_are_exactly_release_or_drop_of_a_number() -> None:
    assert gateline.parse_command(gateline.command("release", 7)) == ("release", 7)
    assert gateline.parse_command(b"drop 12\n") == ("drop", 12)
    for bad in (b"release", b"release 0", b"release -1", b"drop 1 2", b"RELEASE 1",
                b"release 1;rm", b"kill 1", b"release 99999999999"):
        assert gateline.parse_command(bad) is None, bad


def test_events_read_back_as_they_were_said() -> None:
    frame = bytes(range(60))
    event = gateline.parse_event(gateline.held(3, "c2s", 123456789, frame))
    assert event == gateline.Event("held", 3, "c2s", 123456789, frame)
    assert gateline.parse_event(gateline.out(3, 55)) == gateline.Event("out", 3, "", 55)
    assert gateline.parse_event(gateline.dropped(4)) == gateline.Event("dropped", 4)
    for bad in (b"held 1 up 1 00", b"held 1 c2s 1 0", b"out x 1", b"nothing"):
        assert gateline.parse_event(bad) is None, bad


def test_lines_are_split_and_an_endless_line_is_thrown_away() -> None:
    lines = gateline.Lines()
    assert lines.feed(b"release 1\nrel") == [b"release 1"]
    assert lines.feed(b"ease 2\n") == [b"release 2"]
    assert lines.feed(b"x" * (gateline.MAX_LINE + 1)) == []
    assert lines.feed(b"y" * 10) == []  # still the long line
    assert lines.feed(b"zz\ndrop 3\n") == [b"drop 3"]


SYN = FrameFacts("tcp", 0x02)
DATA = FrameFacts("tcp", 0x18, 14)


def test_the_gate_holds_tcp_and_udp_and_lets_arp_pass() -> None:
    impairer = Impairer(Plan(gate=True))
    assert impairer.feed(1, "c2s", FrameFacts("arp"), 0).action is Action.PASSED
    assert not impairer.feed(1, "c2s", FrameFacts("arp"), 0).held
    for number, facts in ((2, SYN), (3, DATA), (4, FrameFacts("udp", 0, 5))):
        decision = impairer.feed(number, "c2s", facts, 0)
        assert decision.held and not decision.delays_ns and decision.reason == "--live"
    assert impairer.gated() == [2, 3, 4]


def test_the_class_releases_in_its_own_order_or_drops() -> None:
    impairer = Impairer(Plan(gate=True))
    for number in (1, 2, 3):
        impairer.feed(number, "c2s", SYN, 0)
    released = impairer.open_gate(2)
    assert released is not None and released.action is Action.PASSED
    assert released.delays_ns == (0,)
    lost = impairer.open_gate(1, drop=True)
    assert lost is not None and lost.action is Action.DROPPED and not lost.delays_ns
    assert "dropped by the class" in lost.reason
    assert impairer.open_gate(1) is None and impairer.open_gate(9) is None
    assert impairer.gated() == [3]


def test_a_released_frame_keeps_the_plans_delay() -> None:
    impairer = Impairer(Plan(delay_ns=(("c2s", 5_000_000),), gate=True))
    impairer.feed(1, "c2s", SYN, 0)
    decision = impairer.open_gate(1)
    assert decision is not None and decision.action is Action.DELAYED
    assert decision.delays_ns == (5_000_000,)
    assert Plan(gate=True).describe() == ["--live"] and not Plan(gate=True).empty
