"""The live capture's stop signal: every TCP conversation seen has closed."""

from __future__ import annotations

from tests.explain.builders import CLOSE_FOUR, DATA, HANDSHAKE, REFUSED, frames
from wirelens.explain.closewatch import CloseWatcher


def test_true_once_the_last_ack_of_the_close_is_seen() -> None:
    exchange = frames(HANDSHAKE + DATA + CLOSE_FOUR)
    watch = CloseWatcher()
    assert not watch(exchange[:3])
    assert not watch(exchange[:-1])  # the last FIN is not acknowledged yet
    assert watch(exchange)


def test_each_frame_is_fed_once_as_the_list_grows() -> None:
    exchange = frames(HANDSHAKE + DATA + CLOSE_FOUR)
    watch = CloseWatcher()
    for n in range(1, len(exchange)):
        assert not watch(exchange[:n])
    # asked again with no new frame: nothing is fed twice, the answer stands
    assert watch(exchange) and watch(exchange)


def test_a_refused_connection_is_over_too() -> None:
    assert CloseWatcher()(frames(REFUSED))


def test_nothing_captured_yet_is_not_over() -> None:
    assert not CloseWatcher()([])
