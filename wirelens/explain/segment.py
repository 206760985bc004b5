"""The few numbers of a TCP segment that conversation and state tracking need.

Both the full dissector and a fast header walk can produce these, so the story of a
conversation is told by one piece of code whichever way the bytes were read.
"""

from __future__ import annotations

from dataclasses import dataclass

from wirelens.explain.wirenumbers import ACK, FIN, RST, SYN


@dataclass(frozen=True, slots=True)
class Segment:
    index: int  # frame number (1-based)
    ts_ns: int
    src: str
    sport: int
    dst: str
    dport: int
    seq: int
    ack: int
    flags: int
    window: int
    payload_len: int
    wscale: int = -1  # window scale option, on SYNs only; -1 when absent
    # What tells two captures of one packet from two packets that say the same: the IPv4
    # identification and the TCP checksum (which covers the options: timestamps, SACK);
    # for IPv6 the checksum alone. -1 when not known.
    ident: int = -1

    @property
    def syn(self) -> bool:
        return bool(self.flags & SYN)

    @property
    def fin(self) -> bool:
        return bool(self.flags & FIN)

    @property
    def rst(self) -> bool:
        return bool(self.flags & RST)

    @property
    def has_ack(self) -> bool:
        return bool(self.flags & ACK)

    @property
    def seq_len(self) -> int:
        """Sequence numbers this segment uses: its payload, plus one each for SYN and FIN."""
        return self.payload_len + (1 if self.syn else 0) + (1 if self.fin else 0)

    @property
    def source(self) -> tuple[str, int]:
        return (self.src, self.sport)

    @property
    def destination(self) -> tuple[str, int]:
        return (self.dst, self.dport)


def ident(ip_id: int, tcp_checksum: int) -> int:
    """``Segment.ident`` from the IPv4 identification (-1 for IPv6) and the TCP checksum
    (``columns.decode`` computes the same for whole blocks)."""
    return (ip_id << 16 | tcp_checksum) if ip_id >= 0 else tcp_checksum
