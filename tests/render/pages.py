"""Explanations shared by the render tests: the shipped sample, a hostile capture, a 20-packet
one, a textbook exchange with socket calls, and a run over a wire that drops a segment."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

from tests.capture.test_ends import LOSS
from tests.capture.wirebuild import ENDS, run
from tests.explain import builders
from wirelens.app import notebook
from wirelens.app.command import sample_path
from wirelens.capture.ends import merge
from wirelens.explain.explainer import explain
from wirelens.explain.model import Explanation
from wirelens.explain.records import Frame, SocketCall
from wirelens.explain.tseq import time_sequence
from wirelens.explain.wirestory import explain_wire

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


@cache
def sample() -> Explanation:
    """The shipped sample capture: one loopback conversation of 10 packets."""
    return notebook.explain_file(sample_path())


def textbook_with_calls() -> Explanation:
    """Handshake, one message each way, three-segment close, with the socket calls that
    caused them (127.0.0.1:40000 to 127.0.0.1:8080)."""
    fr = builders.frames(builders.HANDSHAKE + builders.DATA + builders.CLOSE_THREE)
    t = [f.ts_ns for f in fr]
    calls = [SocketCall("client", "connect", t[0] - 10, t[1] + 10),
             SocketCall("server", "accept", t[0] - 20, t[2] + 5),
             SocketCall("client", "close", t[7] - 5, t[7] - 1)]
    return explain(fr, socket_calls=calls)


def wire_loss() -> Explanation:
    """A run over the wire that drops the client's first data segment (#4, resent as #5)."""
    client, server, log = run(LOSS)
    frames, passages, lines = merge(client, server, ENDS, log)
    view = explain_wire(frames, passages, lines, rules=["--loss 1"],
                        series=time_sequence(frames))
    return replace(explain(frames), wire=view)
