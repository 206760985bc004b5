"""A run over the wire, scripted: both ends' captures and the wire's log, built by hand.

Each step is a segment (or, with flags "U", a UDP datagram) and its fate on the wire
("pass", "drop", "dup" or "late": held and delivered after the next step). The sender's
end sees it leave at step time; the receiver's end sees it arrive 100 us later (a copy
20 us after that).
"""

from __future__ import annotations

from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether

from wirelens.capture.ends import End
from wirelens.capture.impair import Action, LogEntry, frame_facts
from wirelens.capture.wire import digest
from wirelens.explain.records import Frame

C_MAC, S_MAC = "02:77:6c:00:00:01", "02:77:6c:00:00:02"
CLIENT, SERVER = ("10.199.0.1", 40000), ("10.199.0.2", 8080)
C_ISN, S_ISN = 1000, 5000
ENDS = (End("client", "wl-1-c", C_MAC), End("server", "wl-1-s", S_MAC))
START = 10**18
STEP_NS = 1_000_000
TRANSIT_NS = 100_000

# (sender, flags, seq offset, ack offset or None, payload, fate)
Step = tuple[str, str, int, int | None, bytes, str]

HANDSHAKE: list[Step] = [
    ("c", "S", 0, None, b"", "pass"),
    ("s", "SA", 0, 1, b"", "pass"),
    ("c", "A", 1, 1, b"", "pass"),
]
CLOSE: list[Step] = [
    ("c", "FA", 15, 15, b"", "pass"),
    ("s", "FA", 15, 16, b"", "pass"),
    ("c", "A", 16, 16, b"", "pass"),
]
MESSAGE, REPLY = b"Hello, Server!", b"Hello, Client!"


def segment(step: Step, ip_id: int) -> bytes:
    who, flags, seq, ack, payload, _ = step
    src, dst = (CLIENT, SERVER) if who == "c" else (SERVER, CLIENT)
    own, peer = (C_ISN, S_ISN) if who == "c" else (S_ISN, C_ISN)
    macs = (C_MAC, S_MAC) if who == "c" else (S_MAC, C_MAC)
    if flags == "U":
        ip = Ether(src=macs[0], dst=macs[1]) / IP(src=src[0], dst=dst[0], id=ip_id)
        return bytes(ip / UDP(sport=src[1], dport=dst[1]) / payload)
    options = [("MSS", 1460), ("SAckOK", b""), ("WScale", 7)] if "S" in flags else []
    tcp = TCP(sport=src[1], dport=dst[1], flags=flags, seq=(own + seq) % 2**32,
              ack=0 if ack is None else (peer + ack) % 2**32, window=502, options=options)
    packet = Ether(src=macs[0], dst=macs[1]) / IP(src=src[0], dst=dst[0], id=ip_id) / tcp
    return bytes(packet / payload)


def run(steps: list[Step], waits: dict[int, int] | None = None,
        ) -> tuple[list[Frame], list[Frame], list[LogEntry]]:
    """(client end's capture, server end's capture, the wire's log); ``waits``: extra ns
    before the given (1-based) steps, e.g. a retransmission timeout."""
    ends: dict[str, list[Frame]] = {"c": [], "s": []}
    extra = 0
    log: list[LogEntry] = []
    late: tuple[int, bytes, str, int] | None = None  # (number, data, receiver, read_ns)
    for i, step in enumerate(steps, start=1):
        who, fate = step[0], step[5]
        other = "s" if who == "c" else "c"
        data = segment(step, i)
        extra += (waits or {}).get(i, 0)
        t = START + i * STEP_NS + extra
        ends[who].append(Frame(0, t, data, interface=ENDS[0 if who == "c" else 1].device))
        arrivals = {"pass": 1, "drop": 0, "dup": 2, "late": 0}[fate]
        written = tuple(t + TRANSIT_NS + k * 20_000 for k in range(arrivals))
        for ts in written:
            ends[other].append(Frame(0, ts, data))
        action = {"pass": Action.PASSED, "drop": Action.DROPPED, "dup": Action.DUPLICATED,
                  "late": Action.SWAPPED}[fate]
        reason = {"pass": "", "drop": "--loss 1", "dup": "--duplicate 1",
                  "late": "--reorder 1"}[fate]
        facts = frame_facts(data)
        log.append(LogEntry(i, "c2s" if who == "c" else "s2c", facts.summary(), digest(data),
                            t + 50_000, action, reason, 0, written, 0, facts.seq,
                            facts.payload_len))
        if late is not None:
            number, held, receiver, _ = late
            ts = t + TRANSIT_NS + 10_000
            ends[receiver].append(Frame(0, ts, held))
            entry = log[number - 1]
            log[number - 1] = LogEntry(entry.number, entry.direction, entry.summary,
                                       entry.digest, entry.read_ns, entry.action, entry.reason,
                                       0, (ts,), i, entry.seq, entry.payload_len)
            late = None
        if fate == "late":
            late = (i, data, other, t)
    numbered = {k: [Frame(n, f.ts_ns, f.data) for n, f in enumerate(sorted(v, key=lambda f:
                f.ts_ns), 1)] for k, v in ends.items()}
    return numbered["c"], numbered["s"], log
