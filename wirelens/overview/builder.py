"""The overview of a whole capture: every TCP conversation's story, UDP flows and ARP, counted.

``OverviewBuilder`` takes frames (dissected here) or ready-made ``Segment``s (from a fast
header walk) in capture order. TCP segments go to the one ``ConversationTracker``, told to
keep counts rather than per-packet lists and to forget conversations that have ended, so
memory follows the conversations open at once. ``finish`` returns the ``Overview``.
Nothing here does I/O; the caller decides where finished conversations go meanwhile
(``take_finished``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, replace

from wirelens.explain.conversation import ConversationTracker
from wirelens.explain.conversation_record import SegmentRow
from wirelens.explain.conversation_summary import ConversationSummary, addr_text
from wirelens.explain.dissect import PORT_BINDINGS, Dissection, dissect, segment_of
from wirelens.explain.records import Frame
from wirelens.explain.segment import Segment
from wirelens.explain.text import Message, msg
from wirelens.explain.wirenumbers import LINKTYPE_PCAPNG_BLOCK
from wirelens.overview.bulk import Feeder
from wirelens.overview.columns import Records, TcpColumns, decode, endpoint_address
from wirelens.overview.fastwalk import (
    FRAGMENT,
    OTHER_ETHERTYPE,
    OTHER_IP,
    PCAPNG_BLOCK,
    TRUNCATED,
    UNKNOWN_LINK,
    Other,
    walk,
)

QUIET_NS = 10 * 10**9  # an ended conversation is forgotten after 10 s of capture time
SWEEP_EVERY = 1 << 16  # segments between two looks for ended conversations
MAX_ANOMALIES = 100  # anomalies listed per conversation in an overview (all are counted)
MAX_UDP_FLOWS = 10_000  # UDP flows listed one by one; the rest are only counted
# UDP flows past the list told apart (by a hash of their two ends, some 70 bytes each) so
# each is counted once; past this many more, new ones are no longer counted ("more than")
MAX_UDP_COUNTED = 250_000
# TCP conversations held at once (about 2 kB each): a bound on memory, whatever the file
# says (a million SYNs). Real captures rarely come near it; see ConversationTracker.
MAX_OPEN = 60_000

# What a frame was, for the counts line: keys of the "overview.count" catalog table.
COUNT_KINDS = ("tcp", "udp", "arp", "ip-fragment", "other-ip", "other-ethertype",
               "unknown-link", "truncated", "pcapng-block")

# what a port can name on top of UDP (DNS): still a datagram for the overview's counts
ON_UDP = frozenset(name for (under, _), name in PORT_BINDINGS.items() if under == "udp")


@dataclass(frozen=True, slots=True)
class FlowSummary:
    """A UDP flow: both directions between two address:port pairs."""

    a: str  # the side that sent first
    b: str
    packets: int
    bytes_ab: int
    bytes_ba: int
    first_ns: int
    last_ns: int


@dataclass(frozen=True, slots=True)
class Overview:
    source: str
    frames: int
    first_ns: int
    last_ns: int
    counts: tuple[tuple[str, int], ...]  # (one of COUNT_KINDS, frames), only those seen
    conversations: Collection[ConversationSummary]  # by number (may be spooled to disk)
    udp: tuple[FlowSummary, ...]
    udp_flows: int  # all UDP flows, listed or not
    arp: tuple[int, int]  # (requests, replies)
    warnings: tuple[Message, ...]


class _Udp:
    __slots__ = ("a", "b", "packets", "ab", "ba", "first", "last")

    def __init__(self, a: tuple[str, int], b: tuple[str, int], ts: int) -> None:
        self.a, self.b = a, b
        self.packets = self.ab = self.ba = 0
        self.first = self.last = ts


class OverviewBuilder:
    def __init__(self, *, max_anomalies: int | None = MAX_ANOMALIES,
                 keep_packets: bool = False, forget: bool = True,
                 columnar: bool = False) -> None:
        """``columnar``: frames come in ``Records`` blocks (``block``), not one by one."""
        self.tracker = ConversationTracker(keep_packets=keep_packets,
                                           max_anomalies=max_anomalies,
                                           endpoints=endpoint_address if columnar else None,
                                           max_open=MAX_OPEN)
        self.counts: Counter[str] = Counter()
        self.frames = 0
        self.first_ns = 0
        self.last_ns = 0
        self._udp: dict[tuple[tuple[str, int], tuple[str, int]], _Udp] = {}
        self._udp_flows = 0
        self._unlisted: set[int] = set()  # hashes of the flows past MAX_UDP_FLOWS
        self.arp = [0, 0]
        self._finished: list[ConversationSummary] = []
        self._forget = forget
        self._since_sweep = 0
        self._unknown_links: Counter[int] = Counter()
        self._feeder = Feeder(self.tracker)

    def frame(self, frame: Frame) -> None:
        """One captured frame, fully dissected (the small-file and test path)."""
        self._tick(frame.ts_ns)
        self._take(dissected(frame), frame.ts_ns, frame.linktype)

    def walked(self, frame: Frame) -> None:
        """One frame through the header walk (no field views): the overview's fast path."""
        self._tick(frame.ts_ns)
        self._take(walk(frame), frame.ts_ns, frame.linktype)

    def _take(self, got: Segment | Other, ts_ns: int, linktype: int) -> None:
        """What one frame was, however it was read: a segment for the tracker, a UDP
        datagram for its flow, or a count."""
        if isinstance(got, Segment):
            self.counts["tcp"] += 1
            self._segment(got)
        elif got.kind == "udp":
            self.udp(got.src, got.sport, got.dst, got.dport, got.length, ts_ns)
        else:
            self.count(got.kind)
            if got.kind == "arp":
                self.arp[0 if got.arp_op == 1 else 1] += 1
            elif got.kind == "unknown-link":
                self._unknown_links[linktype] += 1

    def block(self, rec: Records) -> None:
        """A block of frames through the columnar walk (``columns``), their TCP segments
        through ``bulk``: the overview's fast path. Same result as ``walked`` on each."""
        tcp = self.frames_of(rec)
        for lo, hi, sweep in self.sweeps(len(tcp)):
            self._feeder.feed(tcp, lo, hi)
            if sweep:
                self._finished.extend(self.tracker.pop_finished(int(tcp.ts_ns[hi - 1]),
                                                                QUIET_NS))

    def frames_of(self, rec: Records) -> TcpColumns:
        """Count a block's frames and take in all but its TCP segments, which are returned
        for the caller to feed (``bulk.Feeder``), split where ``sweeps`` says."""
        decoded = decode(rec)
        if not len(rec):
            return decoded.tcp
        if not self.frames:
            self.first_ns = int(rec.ts_ns[0])
        self.frames += len(rec)
        self.last_ns = max(self.last_ns, int(rec.ts_ns.max()))
        for row, got in decoded.others:
            self._take(got, int(rec.ts_ns[row]), int(rec.linktype[row]))
        self.counts["tcp"] += len(decoded.tcp)
        return decoded.tcp

    def sweeps(self, count: int) -> list[tuple[int, int, bool]]:
        """The next ``count`` TCP segments split where ``_segment`` would sweep for ended
        conversations: (from, to, sweep after the last one at its time)."""
        out = []
        at = 0
        while at < count:
            room = SWEEP_EVERY - self._since_sweep if self._forget else count
            stop = min(count, at + max(room, 1))
            self._since_sweep += stop - at
            sweep = self._forget and self._since_sweep >= SWEEP_EVERY
            if sweep:
                self._since_sweep = 0
            out.append((at, stop, sweep))
            at = stop
        return out

    def segment(self, seg: Segment) -> None:
        """One TCP segment from a header walk; the caller counts frames (``tick``)."""
        self.counts["tcp"] += 1
        self._segment(seg)

    def tick(self, ts_ns: int) -> None:
        self._tick(ts_ns)

    def count(self, kind: str, n: int = 1) -> None:
        self.counts[kind] += n

    def udp(self, src: str, sport: int, dst: str, dport: int, length: int, ts_ns: int) -> None:
        self.counts["udp"] += 1
        here, there = (src, sport), (dst, dport)
        flow = self._udp.get((here, there)) or self._udp.get((there, here))
        if flow is None:
            if len(self._udp) >= MAX_UDP_FLOWS:
                self._count_unlisted(hash((here, there) if here <= there else (there, here)))
                return
            self._udp_flows += 1
            flow = self._udp[(here, there)] = _Udp(here, there, ts_ns)
        flow.packets += 1
        flow.last = ts_ns
        if flow.a == here:
            flow.ab += length
        else:
            flow.ba += length

    def _count_unlisted(self, key: int) -> None:
        """A datagram of a flow not listed: counted as a flow the first time it is seen."""
        if key not in self._unlisted and len(self._unlisted) < MAX_UDP_COUNTED:
            self._unlisted.add(key)
            self._udp_flows += 1

    def _tick(self, ts_ns: int) -> None:
        if not self.frames:
            self.first_ns = ts_ns
        self.frames += 1
        self.last_ns = max(self.last_ns, ts_ns)

    def _segment(self, seg: Segment) -> None:
        source, destination = (seg.src, seg.sport), (seg.dst, seg.dport)
        forward = source <= destination
        self.tracker.feed_summary(
            (source, destination) if forward else (destination, source), forward,
            SegmentRow(seg.index, seg.ts_ns, seg.seq, seg.ack, seg.flags, seg.window,
                       seg.payload_len, seg.wscale, seg.ident))
        self._since_sweep += 1
        if self._forget and self._since_sweep >= SWEEP_EVERY:
            self._since_sweep = 0
            self._finished.extend(self.tracker.pop_finished(seg.ts_ns, QUIET_NS))

    def take_finished(self) -> list[ConversationSummary]:
        """Conversations that ended and were forgotten since the last call."""
        out, self._finished = self._finished, []
        return out

    def held(self) -> list[ConversationSummary]:
        """The conversations the tracker still holds, once every segment has been fed.
        Their numbers (like those of ``take_finished``) are in order of the frame that
        began each only within one stretch of columns: ``in_order`` numbers them anew."""
        self._feeder.flush()
        return self.tracker.summaries()

    def finish(self, source: str, warnings: Iterable[Message] = (),
               conversations: Collection[ConversationSummary] | None = None) -> Overview:
        """The overview. ``conversations`` (already in number order) replaces the tracker's
        when the caller kept the finished ones elsewhere; by default they are those held."""
        convs: Collection[ConversationSummary]
        if conversations is None:
            convs = in_order(self._finished + self.held())
        else:
            convs = conversations
        self._finished = []
        notes = [*warnings]
        for linktype, n in sorted(self._unknown_links.items()):
            notes.append(msg("overview.warning.link", linktype=linktype, frames=n))
        if len(self._unlisted) >= MAX_UDP_COUNTED:
            notes.append(msg("overview.warning.udp_uncounted", listed=len(self._udp),
                             flows=self._udp_flows))
        elif self._udp_flows > len(self._udp):
            notes.append(msg("overview.warning.udp_cut", listed=len(self._udp),
                             flows=self._udp_flows))
        notes += open_limit_warnings(self.tracker.unfollowed, self.tracker.forgot_early)
        cut = [c.number for c in convs if c.anomalies_cut]
        if cut:
            notes.append(anomalies_cut_warning(len(cut), cut[0]))
        udp = tuple(
            FlowSummary(addr_text(u.a), addr_text(u.b), u.packets, u.ab, u.ba, u.first, u.last)
            for u in self._udp.values()
        )
        return Overview(
            source=source,
            frames=self.frames,
            first_ns=self.first_ns,
            last_ns=self.last_ns,
            counts=tuple((k, self.counts[k]) for k in COUNT_KINDS if self.counts[k]),
            conversations=convs,
            udp=udp,
            udp_flows=self._udp_flows,
            arp=(self.arp[0], self.arp[1]),
            warnings=tuple(notes),
        )


def dissected(frame: Frame) -> Segment | Other:
    """What the full dissector makes of a frame, in the header walk's terms: the same
    ``Segment`` or ``Other`` (``fastwalk.walk``), so both paths are counted by one method."""
    d = dissect(frame)
    f = d.facts
    seg = segment_of(d) if not f.get("fragment") else None  # a fragment is named as such
    if seg is not None:
        return seg
    if frame.linktype == LINKTYPE_PCAPNG_BLOCK:
        return PCAPNG_BLOCK
    if d.problem.startswith("unknown link type"):
        return UNKNOWN_LINK
    if _datagram(d) and not f.get("fragment"):
        # a datagram, whether what rides in it (DNS) was read whole or not, as the walk says
        return Other("udp", f["src"], f["sport"], f["dst"], f["dport"], f["udp_room"])
    if d.problem:
        return TRUNCATED
    if f.get("fragment"):
        return FRAGMENT
    if "arp_op" in f:
        return Other("arp", arp_op=f["arp_op"])
    return OTHER_IP if "src" in f else OTHER_ETHERTYPE


def _datagram(d: Dissection) -> bool:
    """UDP, alone or with the application the port named on top of it (DNS)."""
    tail = d.protocols[-2:]
    return "udp" in tail and (tail[-1] == "udp" or tail[-1] in ON_UDP)


def in_order(summaries: Iterable[ConversationSummary]) -> list[ConversationSummary]:
    """Conversations numbered from 1 in the order of the frames that began them, as
    following them one segment at a time numbers them."""
    return list(renumbered(sorted(summaries, key=first_packet)))


def renumbered(ordered: Iterable[ConversationSummary]) -> Iterator[ConversationSummary]:
    """Conversations already in the order of their first frames, numbered from 1."""
    for number, s in enumerate(ordered, start=1):
        yield s if s.number == number else replace(s, number=number)


def first_packet(s: ConversationSummary) -> int:
    return s.first_packet


def anomalies_cut_warning(count: int, first: int) -> Message:
    """``count`` conversations listed fewer anomalies than they had, the first is ``first``."""
    return msg("overview.warning.anomalies_cut", count=count, limit=MAX_ANOMALIES, first=first)


def open_limit_warnings(unfollowed: int, forgot_early: int) -> list[Message]:
    """What ``MAX_OPEN`` cut, if anything: segments not followed, conversations forgotten
    before their quiet time."""
    notes = []
    if forgot_early:
        notes.append(msg("overview.warning.open_forgotten", limit=MAX_OPEN,
                         conversations=forgot_early, seconds=QUIET_NS // 10**9))
    if unfollowed:
        notes.append(msg("overview.warning.open_unfollowed", limit=MAX_OPEN,
                         segments=unfollowed))
    return notes


def overview(frames: Iterable[Frame], source: str = "") -> Overview:
    """The overview of a sequence of frames, each dissected: for small captures and tests."""
    builder = OverviewBuilder()
    for frame in frames:
        builder.frame(frame)
    return builder.finish(source)
