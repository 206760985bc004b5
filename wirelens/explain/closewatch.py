"""Tells a live capture when the exchange it watches is over, so it can stop at once."""

from __future__ import annotations

from wirelens.explain.conversation import ConversationTracker
from wirelens.explain.dissect import dissect, segment_of
from wirelens.explain.records import Frame


class CloseWatcher:
    """Called with the growing frame list; True once every TCP conversation has closed."""

    def __init__(self) -> None:
        self._tracker = ConversationTracker()
        self._fed = 0

    def __call__(self, frames: list[Frame]) -> bool:
        for frame in frames[self._fed :]:
            segment = segment_of(dissect(frame))
            if segment is not None:
                self._tracker.feed(segment)
        self._fed = len(frames)
        return self._tracker.all_closed()
