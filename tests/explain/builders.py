"""Frames and segments built by hand for the pure tests: a whole exchange, scripted."""

from __future__ import annotations

from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether

from wirelens.explain.dissect import Dissection, dissect, segment_of
from wirelens.explain.fields import FieldValue
from wirelens.explain.records import Frame
from wirelens.explain.segment import Segment
from wirelens.overview.fastwalk import walk

CLIENT = ("127.0.0.1", 40000)
SERVER = ("127.0.0.1", 8080)
C_ISN, S_ISN = 1000, 5000
MESSAGE, REPLY = b"Hello, Server!", b"Hello, Client!"

# (sender, flags, seq offset from sender's ISN, ack offset from the peer's ISN or None, payload)
Step = tuple[str, str, int, int | None, bytes]

HANDSHAKE: list[Step] = [
    ("c", "S", 0, None, b""),
    ("s", "SA", 0, 1, b""),
    ("c", "A", 1, 1, b""),
]
DATA: list[Step] = [
    ("c", "PA", 1, 1, MESSAGE),
    ("s", "A", 1, 15, b""),
    ("s", "PA", 1, 15, REPLY),
    ("c", "A", 15, 15, b""),
]
CLOSE_FOUR: list[Step] = [
    ("c", "FA", 15, 15, b""),
    ("s", "A", 15, 16, b""),
    ("s", "FA", 15, 16, b""),
    ("c", "A", 16, 16, b""),
]
CLOSE_THREE: list[Step] = [
    ("c", "FA", 15, 15, b""),
    ("s", "FA", 15, 16, b""),
    ("c", "A", 16, 16, b""),
]
CLOSE_SIMULTANEOUS: list[Step] = [
    ("c", "FA", 15, 15, b""),
    ("s", "FA", 15, 15, b""),
    ("c", "A", 16, 16, b""),
    ("s", "A", 16, 16, b""),
]
REFUSED: list[Step] = [
    ("c", "S", 0, None, b""),
    ("s", "RA", 0, 1, b""),
]


def frames(steps: list[Step], *, ipv6: bool = False, start_ns: int = 10**18) -> list[Frame]:
    out = []
    for i, (who, flags, seq, ack, payload) in enumerate(steps, start=1):
        src, dst = (CLIENT, SERVER) if who == "c" else (SERVER, CLIENT)
        own, peer = (C_ISN, S_ISN) if who == "c" else (S_ISN, C_ISN)
        ip = (IPv6(src="::1", dst="::1") if ipv6 else IP(src=src[0], dst=dst[0], id=i))
        options = [("MSS", 65495), ("SAckOK", b""), ("WScale", 7)] if "S" in flags else []
        tcp = TCP(sport=src[1], dport=dst[1], flags=flags, seq=(own + seq) % 2**32,
                  ack=0 if ack is None else (peer + ack) % 2**32, window=512, options=options)
        packet = Ether(src="00:00:00:00:00:00", dst="00:00:00:00:00:00") / ip / tcp / payload
        out.append(Frame(i, start_ns + i * 1000, bytes(packet)))
    return out


def segments(steps: list[Step]) -> list[Segment]:
    flag_bits = {"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}
    out = []
    for i, (who, flags, seq, ack, payload) in enumerate(steps, start=1):
        src, dst = (CLIENT, SERVER) if who == "c" else (SERVER, CLIENT)
        own, peer = (C_ISN, S_ISN) if who == "c" else (S_ISN, C_ISN)
        out.append(Segment(
            index=i, ts_ns=i, src=src[0], sport=src[1], dst=dst[0], dport=dst[1],
            seq=(own + seq) % 2**32, ack=0 if ack is None else (peer + ack) % 2**32,
            flags=sum(flag_bits[f] for f in flags), window=512, payload_len=len(payload),
        ))
    return out


def field_map(d: Dissection) -> dict[str, FieldValue]:
    """Every field of a dissection by name (a name that repeats: its last one)."""
    return {f.name: f for layer in d.layers for f in layer.fields}


def walked_and_dissected(frame: Frame) -> tuple[Segment | None, Segment | None]:
    """The segment the fast header walk finds, and the one the full dissector finds."""
    return walk(frame), segment_of(dissect(frame))
