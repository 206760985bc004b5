"""Which packet each socket call caused, or which packet let it return.

A demo records every socket call with its start and end time (the same clock as the
capture's timestamps). The rules below say, per call, which packet it is tied to:
``connect()`` causes the SYN; ``accept()`` returns after the handshake's last ACK;
``recv()`` returns after the data arrives, or returns b"" after the peer's FIN.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wirelens.explain import notes
from wirelens.explain.conversation import SegmentStory
from wirelens.explain.model import CallView, NoteCheck
from wirelens.explain.records import SocketCall
from wirelens.explain.segment import Segment
from wirelens.explain.text import msg


@dataclass(frozen=True, slots=True)
class Seen:
    segment: Segment
    story: SegmentStory


Match = Callable[[Seen, SocketCall], bool]


def _from_side(s: Seen, c: SocketCall) -> bool:
    return s.story.sender == c.side


def _to_side(s: Seen, c: SocketCall) -> bool:
    return s.story.receiver == c.side


# call -> (relation, which packet). "caused": the first match after the call began;
# "returned-after": the last match before the call returned.
RULES: dict[str, tuple[str, Match]] = {
    "connect": ("caused", lambda s, c: _from_side(s, c) and s.story.role == "handshake-1"),
    "send": ("caused", lambda s, c: _from_side(s, c) and s.segment.payload_len > 0),
    "sendall": ("caused", lambda s, c: _from_side(s, c) and s.segment.payload_len > 0),
    "close": ("caused", lambda s, c: _from_side(s, c) and (s.segment.fin or s.segment.rst)),
    "shutdown": ("caused", lambda s, c: _from_side(s, c) and s.segment.fin),
    "accept": ("returned-after", lambda s, c: _to_side(s, c) and s.story.role == "handshake-3"),
    "recv": ("returned-after", lambda s, c: _to_side(s, c) and (
        s.segment.fin if c.nbytes == 0 else s.segment.payload_len > 0)),
}


def _find(seen: Sequence[Seen], call: SocketCall, relation: str, match: Match) -> Seen | None:
    if relation == "caused":
        return next((s for s in seen if s.segment.ts_ns >= call.start_ns and match(s, call)),
                    None)
    before = [s for s in seen if s.segment.ts_ns <= call.end_ns and match(s, call)]
    if before:
        return before[-1]
    return next((s for s in seen if s.segment.ts_ns >= call.start_ns and match(s, call)), None)


def link(calls: Sequence[SocketCall], seen: Sequence[Seen]) -> tuple[CallView, ...]:
    out = []
    for call in calls:
        rule = RULES.get(call.call)
        packet: Seen | None = None
        relation = ""
        if rule is not None:
            relation, match = rule
            packet = _find(seen, call, relation, match)
        note: NoteCheck | None = None
        if call.call == "listen":
            note = notes.listen(call.result)
        elif packet is not None and call.call == "recv" and call.nbytes == 0:
            note = notes.recv_empty(packet.segment.index)
        elif packet is not None and call.call == "accept":
            note = notes.accept(packet.segment.index)
        index = packet.segment.index if packet else 0
        text_key = f"call.{call.call}" + ("_empty" if call.call == "recv" and call.nbytes == 0
                                         else "")
        out.append(
            CallView(
                side=call.side,
                call=call.call,
                start_ns=call.start_ns,
                end_ns=call.end_ns,
                result=call.result,
                packets=(index,) if packet else (),
                relation=relation if packet else "",
                text=msg(text_key, packet=index, result=call.result, nbytes=call.nbytes),
                note=note,
            )
        )
    return tuple(out)
