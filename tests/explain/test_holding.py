"""The conversations a tracker holds: found by pair and number, let go when over and quiet."""

from __future__ import annotations

from wirelens.explain.conversation_record import Conversation, Settled, Side
from wirelens.explain.holding import Holding, over
from wirelens.explain.tcp_state import State

QUIET = 100


def conv(number: int, *, first: int | None = None, last_ns: int = 0, done: bool = True,
         port: int | None = None) -> Conversation:
    """A conversation on its own port pair; ``done``: both sides closed."""
    client = Side(("10.0.0.1", port or 40000 + number),
                  State.TIME_WAIT if done else State.ESTABLISHED)
    server = Side(("10.0.0.2", 80), State.CLOSED if done else State.ESTABLISHED)
    return Conversation(number, client, server, False, pair=(client.address, server.address),
                        first_index=number if first is None else first, last_ns=last_ns)


def settled(number: int) -> Settled:
    pair = (("10.0.0.1", 50000 + number), ("10.0.0.2", 80))
    return Settled(number, pair, True, number, number + 3, 0, 0, 4, 0, 0,
                   template=None, rows=None, start=0, stop=4)  # type: ignore[arg-type]


def test_a_conversation_is_found_by_pair_and_by_number_until_let_go() -> None:
    held, c = Holding(), conv(1)
    held.hold(c)
    assert (held.by_pair[c.pair], held.by_number[1], len(held)) == (c, c, 1)
    held.let_go(c)
    assert len(held) == 0 and c.pair not in held.by_pair


def test_a_new_conversation_on_the_same_pair_takes_it_over() -> None:
    held, old, new = Holding(), conv(1, port=40000), conv(2, port=40000)
    held.hold(old)
    held.hold(new)
    assert held.by_pair[new.pair] is new and set(held.by_number) == {1, 2}


def test_an_ended_conversation_is_handed_back_once_quiet_long_enough() -> None:
    held, c = Holding(), conv(1, last_ns=1000)
    held.hold(c)
    held.ended(1000, c)
    assert held.pop(1000 + QUIET, QUIET) == []  # not quiet *for longer* than QUIET yet
    assert held.pop(1001 + QUIET, QUIET) == [c]
    assert len(held) == 0 and held.pop(10**9, QUIET) == []


def test_handed_back_in_the_order_of_their_first_frames() -> None:
    held = Holding()
    late, early = conv(1, first=9, last_ns=10), conv(2, first=3, last_ns=20)
    for c in (late, early):
        held.hold(c)
        held.ended(c.last_ns, c)
    assert held.pop(10**6, QUIET) == [early, late]


def test_a_later_segment_or_a_revival_keeps_a_conversation_held() -> None:
    held = Holding()
    moved_on, revived = conv(1, last_ns=50), conv(2, last_ns=10)
    for c in (moved_on, revived):
        held.hold(c)
    held.ended(10, moved_on)  # its last segment came later, at 50
    held.ended(10, revived)
    revived.client.state = State.ESTABLISHED  # e.g. data after what looked like the end
    assert held.pop(10**6, QUIET) == []
    assert len(held) == 2


def test_make_room_lets_go_of_ended_ones_first_and_counts_them() -> None:
    held = Holding(max_open=2)
    a, b = conv(1, last_ns=10), conv(2, last_ns=20, done=False)
    held.hold(a)
    held.hold(b)
    held.ended(10, a)
    assert held.room == 0
    assert held.make_room() and held.forgot_early == 1
    assert held.room == 1
    assert held.each() == [a, b]  # let go early, but not yet handed back
    assert held.pop(0, QUIET) == [a]  # handed back at once, quiet or not
    assert held.each() == [b]


def test_make_room_fails_when_nothing_has_ended() -> None:
    held = Holding(max_open=1)
    held.hold(conv(1, done=False))
    assert not held.make_room() and held.forgot_early == 0


def test_no_bound_always_has_room() -> None:
    held = Holding()
    held.hold(conv(1))
    assert held.make_room() and held.room > 10**9


def test_followed_are_the_conversations_not_settled_by_first_frame() -> None:
    held = Holding()
    second, first, s = conv(1, first=8), conv(2, first=2), settled(3)
    for c in (second, first, s):
        held.hold(c)
    assert held.followed() == [first, second]


def test_all_over_needs_every_conversation_closed_reset_or_settled() -> None:
    held = Holding()
    assert not held.all_over()  # nothing held is not "all over"
    held.hold(conv(1))
    held.hold(settled(2))
    assert held.all_over()
    open_ = conv(3, done=False)
    held.hold(open_)
    assert not held.all_over()
    open_.reset_by = "server"
    assert over(open_) and held.all_over()


def test_renumber_follows_the_frames_that_began_them() -> None:
    held = Holding()
    a, b, c = conv(1, first=30), conv(2, first=10), conv(3, first=20)
    for x in (a, b, c):
        held.hold(x)
    held.renumber(1, 3)
    assert (b.number, c.number, a.number) == (1, 2, 3)
    assert [held.by_number[n] for n in (1, 2, 3)] == [b, c, a]


def test_renumber_leaves_numbers_outside_the_range_alone() -> None:
    held = Holding()
    a, b, c = conv(1, first=30), conv(2, first=25), conv(3, first=20)
    for x in (a, b, c):
        held.hold(x)
    held.renumber(2, 3)  # number 1 began later than both, and keeps its number
    assert (a.number, b.number, c.number) == (1, 3, 2)
