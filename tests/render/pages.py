"""Explanations built by hand for the page tests: a hostile capture and a 20-packet one."""

from __future__ import annotations

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

from wirelens.explain.explainer import explain
from wirelens.explain.model import Explanation
from wirelens.explain.records import Frame, SocketCall

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
PAYLOAD = (SCRIPT + IMG).encode()
CLIENT, SERVER = ("10.0.0.1", 40000), ("10.0.0.2", 8080)
C_ISN, S_ISN = 1000, 5000
T0 = 1_700_000_000_000_000_000


def _frame(i: int, who: str, flags: str, seq: int, ack: int | None, payload: bytes) -> Frame:
    src, dst = (CLIENT, SERVER) if who == "c" else (SERVER, CLIENT)
    own, peer = (C_ISN, S_ISN) if who == "c" else (S_ISN, C_ISN)
    tcp = TCP(sport=src[1], dport=dst[1], flags=flags, seq=own + seq,
              ack=0 if ack is None else peer + ack, window=512,
              options=[("MSS", 1460)] if "S" in flags else [])
    packet = (Ether(src="02:00:00:00:00:01" if who == "c" else "02:00:00:00:00:02",
                    dst="02:00:00:00:00:02" if who == "c" else "02:00:00:00:00:01")
              / IP(src=src[0], dst=dst[0], id=i) / tcp / payload)
    return Frame(i, T0 + i * 1_000_000, bytes(packet))


def exchange(messages: int, payload: bytes) -> list[Frame]:
    """Handshake, ``messages`` requests each answered and acknowledged, three-segment close."""
    steps: list[tuple[str, str, int, int | None, bytes]] = [
        ("c", "S", 0, None, b""), ("s", "SA", 0, 1, b""), ("c", "A", 1, 1, b"")]
    c_seq = s_seq = 1
    for _ in range(messages):
        steps.append(("c", "PA", c_seq, s_seq, payload))
        c_seq += len(payload)
        steps.append(("s", "PA", s_seq, c_seq, payload))
        s_seq += len(payload)
        steps.append(("c", "A", c_seq, s_seq, b""))
    steps += [("c", "FA", c_seq, s_seq, b""), ("s", "FA", s_seq, c_seq + 1, b""),
              ("c", "A", c_seq + 1, s_seq + 1, b"")]
    return [_frame(i, *step) for i, step in enumerate(steps, start=1)]


def hostile() -> Explanation:
    """A capture whose payload, socket call names and source are markup meant to run."""
    frames = exchange(1, PAYLOAD)
    calls = [
        SocketCall("server", IMG, T0, T0 + 10, result=SCRIPT),
        SocketCall("client", "connect", T0 + 500_000, T0 + 2_500_000),
        SocketCall("client", "send", T0 + 3_500_000, T0 + 3_600_000, result="53 bytes",
                   nbytes=len(PAYLOAD)),
    ]
    return explain(frames, socket_calls=calls, source=f"capture file {SCRIPT}.pcap")


def twenty_packets() -> Explanation:
    frames = exchange(5, b"Hello, Server! " * 20)[:20]
    assert len(frames) == 20
    return explain(frames, source="twenty packets")
