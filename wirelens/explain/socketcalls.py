"""Which packet each socket call caused, or which packet let it return.

A demo records every socket call with its start and end time (the same clock as the
capture's timestamps). The rules below say, per call, which packet it is tied to:
``connect()`` causes the SYN; ``accept()`` returns after the handshake's last ACK;
``recv()`` returns after the data arrives, or returns b"" after the peer's FIN. A call
that failed is looked up with its exception first: ``connect`` that raised
ConnectionRefusedError returned after the RST, as did ``recv`` that raised
ConnectionResetError. UDP's ``sendto()`` causes a datagram and ``recvfrom()`` returns
after one arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wirelens.explain import notes
from wirelens.explain.conversation import SegmentStory
from wirelens.explain.conversation_summary import addr_text
from wirelens.explain.model import CallView, NoteCheck
from wirelens.explain.records import SocketCall
from wirelens.explain.segment import Segment
from wirelens.explain.text import msg


@dataclass(frozen=True, slots=True)
class Seen:
    """One captured packet as the rules see it: a TCP segment, or a UDP datagram."""

    index: int
    ts_ns: int
    sender: str  # "client" or "server"
    receiver: str
    transport: str  # "tcp" or "udp"
    role: str  # the segment's role in its conversation, or the datagram's
    payload_len: int
    syn: bool = False
    fin: bool = False
    rst: bool = False
    conversation: int = 0
    client: str = ""  # the client's address ("127.0.0.1:40000"): which connection it is

    @classmethod
    def segment(cls, seg: Segment, story: SegmentStory) -> Seen:
        client = seg.source if story.sender == "client" else seg.destination
        return cls(seg.index, seg.ts_ns, story.sender, story.receiver, "tcp", story.role,
                   seg.payload_len, seg.syn, seg.fin, seg.rst, story.conversation,
                   addr_text(client))

    @classmethod
    def datagram(cls, index: int, ts_ns: int, sender: str, role: str, payload_len: int,
                 client: str = "") -> Seen:
        receiver = "server" if sender == "client" else "client"
        return cls(index, ts_ns, sender, receiver, "udp", role, payload_len, client=client)


Match = Callable[[Seen, SocketCall], bool]


def _from_side(s: Seen, c: SocketCall) -> bool:
    return s.sender == c.side


def _to_side(s: Seen, c: SocketCall) -> bool:
    return s.receiver == c.side


def _tcp_data(s: Seen) -> bool:
    return s.transport == "tcp" and s.payload_len > 0


# call, or "call:Exception" for a call that raised -> (relation, which packet).
# "caused": the first match after the call began; "returned-after": the last match
# before the call returned.
RULES: dict[str, tuple[str, Match]] = {
    "connect": ("caused", lambda s, c: _from_side(s, c) and s.role == "handshake-1"),
    "connect:ConnectionRefusedError": ("returned-after", lambda s, c: _to_side(s, c) and s.rst),
    "send": ("caused", lambda s, c: _from_side(s, c) and _tcp_data(s)),
    "sendall": ("caused", lambda s, c: _from_side(s, c) and _tcp_data(s)),
    "close": ("caused", lambda s, c: _from_side(s, c) and (s.fin or s.rst)),
    "shutdown": ("caused", lambda s, c: _from_side(s, c) and s.fin),
    "accept": ("returned-after", lambda s, c: _to_side(s, c) and s.role == "handshake-3"),
    "recv": ("returned-after", lambda s, c: _to_side(s, c) and (
        s.fin if c.nbytes == 0 else _tcp_data(s))),
    "recv:ConnectionResetError": ("returned-after", lambda s, c: _to_side(s, c) and s.rst),
    "sendto": ("caused", lambda s, c: _from_side(s, c) and s.transport == "udp"),
    "recvfrom": ("returned-after", lambda s, c: _to_side(s, c) and s.transport == "udp"),
}

# (call, exception) -> catalog key of the call's text, for the failures a demo shows.
FAILURE_TEXTS: dict[tuple[str, str], str] = {
    ("connect", "ConnectionRefusedError"): "call.connect_refused",
    ("recv", "ConnectionResetError"): "call.recv_reset",
    ("bind", "OSError"): "call.bind_failed",
    ("recvfrom", "TimeoutError"): "call.recvfrom_timeout",  # the socket's timeout ran out
}


def error_of(call: SocketCall) -> str:
    """The exception a call raised ("ConnectionRefusedError"), or "" when it returned.

    The demo's call log writes a failure as the exception's name, then the errno's name
    in brackets: "OSError (EADDRINUSE)".
    """
    first = call.result.split(" ", 1)[0]
    return first if first.endswith("Error") and call.nbytes < 0 else ""


# Calls whose packet may be the first of its conversation; any other call can only cause
# a packet of a conversation that already existed when it began (a close() after a RST
# must not take the next connection's RST for its own).
OPENERS = frozenset({"connect", "sendto"})


def _plain(address: str) -> str:
    return address.replace("[", "").replace("]", "")


def _same_connection(s: Seen, call: SocketCall) -> bool:
    """A call that names its connection matches only that connection's packets."""
    return not call.conn or not s.client or _plain(s.client) == _plain(call.conn)


def _find(seen: Sequence[Seen], call: SocketCall, relation: str, match: Match,
          began: dict[int, int]) -> Seen | None:
    seen = [s for s in seen if _same_connection(s, call)]
    if relation == "caused":
        return next((s for s in seen if s.ts_ns >= call.start_ns and match(s, call) and (
            call.call in OPENERS or began.get(s.conversation, 0) <= call.start_ns)), None)
    before = [s for s in seen if s.ts_ns <= call.end_ns and match(s, call)]
    if before:
        return before[-1]
    return next((s for s in seen if s.ts_ns >= call.start_ns and match(s, call)), None)


def _text_key(call: SocketCall, error: str, packet: Seen | None) -> str:
    if error:
        return FAILURE_TEXTS.get((call.call, error), "call.failed")
    if call.call == "recv" and call.nbytes == 0:
        return "call.recv_empty"
    if call.call == "recv" and call.result.startswith("MSG_PEEK"):
        return "call.recv_peek"
    if call.call == "close" and packet is not None and packet.rst:
        return "call.close_rst"
    if call.call == "close" and packet is None:
        return "call.close_silent"
    if call.call in ("send", "sendall", "sendto", "recv", "recvfrom", "connect", "accept",
                     "shutdown") and packet is None:
        return "call.no_packet"
    return f"call.{call.call}"


def _note(call: SocketCall, error: str, packet: Seen | None, calls: Sequence[SocketCall],
          seen: Sequence[Seen]) -> NoteCheck | None:
    if call.call == "listen":
        return notes.listen(call.result, *_backlog_evidence(seen))
    if call.call == "bind" and "EADDRINUSE" in call.result:
        later = [c for c in calls if c.call == "bind" and c.side == call.side
                 and c.start_ns > call.end_ns]
        return notes.rebind(call.result, bool(later) and not error_of(later[0]))
    if packet is None or error:
        return None
    if call.call == "recv" and call.nbytes == 0:
        return notes.recv_empty(packet.index)
    if call.call == "accept":
        return notes.accept(packet.index)
    return None


def _backlog_evidence(seen: Sequence[Seen]) -> tuple[int, int, int]:
    """(connections opened, the first SYN that had to be sent again, that second SYN)."""
    opened = len({s.conversation for s in seen if s.role == "handshake-3"})
    first: dict[tuple[int, str], int] = {}
    for s in seen:
        if s.syn and s.role == "handshake-1":
            key = (s.conversation, s.sender)
            if key in first:
                return opened, first[key], s.index
            first[key] = s.index
    return opened, 0, 0


def link(calls: Sequence[SocketCall], seen: Sequence[Seen]) -> tuple[CallView, ...]:
    began: dict[int, int] = {}  # TCP conversation -> when its first packet was captured
    for s in seen:
        if s.conversation:
            began.setdefault(s.conversation, s.ts_ns)
    out = []
    for call in calls:
        error = error_of(call)
        rule = RULES.get(f"{call.call}:{error}") if error else RULES.get(call.call)
        packet: Seen | None = None
        relation = ""
        if rule is not None:
            relation, match = rule
            packet = _find(seen, call, relation, match, began)
        index = packet.index if packet else 0
        out.append(
            CallView(
                side=call.side,
                call=call.call,
                start_ns=call.start_ns,
                end_ns=call.end_ns,
                result=call.result,
                packets=(index,) if packet else (),
                relation=relation if packet else "",
                text=msg(_text_key(call, error, packet), call=call.call, packet=index,
                         result=call.result, nbytes=call.nbytes,
                         seconds=f"{(call.end_ns - call.start_ns) / 1e9:.1f}"),
                note=_note(call, error, packet, calls, seen),
            )
        )
    return tuple(out)
