"""Two captures, one at each end of the wire, merged into one list without duplicates.

The client's end sees what the client sent (leaving) and what the wire delivered to it
(arriving); the server's end the same for the server. A frame the wire passed is seen
twice, once at each end, with the same bytes: it becomes one packet, seen at both ends,
with both times. A dropped frame is seen leaving only; a copy the wire added arrives
without having left. Which host sent a frame is told by its source MAC.

Each packet's time in the merged capture is when its receiver got it (what that host's
TCP reacted to); a frame that never arrived is placed right after the frame the wire
carried before it (``Passage.sent_ns`` keeps the time it really left). So the merged file is
the story as the two receivers lived it, and Wireshark's analysis of it (out-of-order,
duplicate ACK ...) is about what each TCP saw. ``Frame.interface`` names where it was
seen ("wl-1-c", "wl-1-s", or both joined with "+"); ``Passage`` carries the rest.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, replace

from wirelens.capture.impair import LogEntry
from wirelens.capture.wire import digest
from wirelens.explain.records import Frame
from wirelens.explain.wirestory import Passage, WireLogLine


@dataclass(frozen=True, slots=True)
class End:
    """One end of the wire: the host's side name, its device and its MAC."""

    side: str  # "client" or "server"
    device: str
    mac: str


def _src_mac(frame: Frame) -> str:
    return frame.data[6:12].hex(":") if len(frame.data) >= 12 else ""


@dataclass
class _Packet:
    data: bytes
    direction: str
    sent: Frame | None = None
    arrived: Frame | None = None
    copy: int = 1
    original: _Packet | None = None
    log: LogEntry | None = None
    after: _Packet | None = None
    placed_ns: int | None = None  # a dropped frame's place in the merged capture

    @property
    def ts_ns(self) -> int:
        if self.placed_ns is not None:
            return self.placed_ns
        frame = self.arrived or self.sent
        return frame.ts_ns if frame is not None else 0


def merge(client: Sequence[Frame], server: Sequence[Frame], ends: tuple[End, End],
          log: Sequence[LogEntry] = ()) -> tuple[list[Frame], list[Passage], list[WireLogLine]]:
    """The merged frames (numbered from 1), a ``Passage`` for each, and the wire's log with
    each line pointing at its packet."""
    c_end, s_end = ends
    captures = {"client": (client, c_end), "server": (server, s_end)}
    packets: list[_Packet] = []
    for direction, sender, receiver in (("c2s", "client", "server"), ("s2c", "server", "client")):
        sent_frames, own = captures[sender]
        in_frames, _ = captures[receiver]
        mac = own.mac.lower()
        waiting: dict[bytes, deque[_Packet]] = defaultdict(deque)
        last: dict[bytes, _Packet] = {}
        mine: list[_Packet] = []
        for f in sent_frames:
            if _src_mac(f) == mac:
                p = _Packet(f.data, direction, sent=f)
                waiting[f.data].append(p)
                last[f.data] = p
                mine.append(p)
        for f in in_frames:
            if _src_mac(f) != mac:
                continue
            if waiting[f.data]:
                waiting[f.data].popleft().arrived = f
            elif f.data in last:
                mine.append(_Packet(f.data, direction, arrived=f, copy=2, original=last[f.data]))
            else:  # arrived but not seen leaving: the sender's capture missed it
                mine.append(_Packet(f.data, direction, arrived=f))
        _link_log(mine, [e for e in log if e.direction == direction])
        _place_dropped(mine)
        packets += mine
    # Frames neither host sent (nothing else shares the wire; kept in case).
    others = [e.mac.lower() for e in ends]
    for frames, _ in captures.values():
        for f in frames:
            if _src_mac(f) not in others:
                packets.append(_Packet(f.data, "", arrived=f))
    packets.sort(key=lambda p: (p.ts_ns, p.direction))
    number = {id(p): i for i, p in enumerate(packets, start=1)}
    frames_out: list[Frame] = []
    passages: list[Passage] = []
    for i, p in enumerate(packets, start=1):
        seen = []
        if p.direction:
            sender_end = c_end if p.direction == "c2s" else s_end
            receiver_end = s_end if p.direction == "c2s" else c_end
            if p.sent is not None:
                seen.append(sender_end)
            if p.arrived is not None:
                seen.append(receiver_end)
        base = p.arrived or p.sent
        assert base is not None
        interface = "+".join(e.device for e in seen) or base.interface
        frames_out.append(replace(base, index=i, ts_ns=p.ts_ns, interface=interface))
        entry = p.log if p.copy == 1 else (p.original.log if p.original else None)
        original = 0
        if p.copy == 2 and p.original is not None:
            original = number[id(p.original)]
        elif p.after is not None:
            original = number[id(p.after)]
        action = entry.action.value if entry is not None else ""
        passages.append(Passage(
            index=i, direction=p.direction,
            sent_ns=p.sent.ts_ns if p.sent else None,
            arrived_ns=p.arrived.ts_ns if p.arrived else None,
            seen_at=tuple(e.side for e in seen),
            wire_frame=entry.number if entry else 0, action=action,
            reason=entry.reason if entry else "", delay_ns=entry.delay_ns if entry else 0,
            copy=p.copy, original=original,
        ))
    by_wire = {p.log.number: number[id(p)] for p in packets if p.log is not None and p.copy == 1}
    lines = [WireLogLine(e.number, e.direction, e.summary, e.read_ns, e.action.value, e.reason,
                         e.delay_ns, e.written_ns, by_wire.get(e.number, 0)) for e in log]
    return frames_out, passages, lines


def _place_dropped(mine: list[_Packet]) -> None:
    """A frame that never arrived goes right after the frame the wire carried before it:
    at the later of the time it left and the time that frame arrived. (Its leaving time
    alone could put it before earlier frames still queued on the way, and Wireshark would
    then take those for retransmissions.)"""
    delivered = sorted((p.log.number, p.arrived.ts_ns) for p in mine
                       if p.log is not None and p.arrived is not None and p.copy == 1)
    for p in mine:
        if p.arrived is not None or p.sent is None or p.log is None:
            continue
        before = [ts for number, ts in delivered if number < p.log.number]
        if before:
            p.placed_ns = max(p.sent.ts_ns, max(before) + 1)


def _link_log(mine: list[_Packet], entries: list[LogEntry]) -> None:
    """Pairs each packet seen leaving with the wire's log entry for the same bytes, in order."""
    pending: dict[str, deque[LogEntry]] = defaultdict(deque)
    for e in entries:
        pending[e.digest].append(e)
    by_number: dict[int, _Packet] = {}
    for p in mine:
        if p.copy == 1 and p.sent is not None:
            queue = pending.get(digest(p.data))
            if queue:
                p.log = queue.popleft()
                by_number[p.log.number] = p
    for p in mine:
        if p.log is not None and p.log.after:
            p.after = by_number.get(p.log.after)
