"""Write a realistic classic pcap of N packets: many TCP conversations, interleaved.

Each conversation is a client on 10.x.y.z talking to one of a few servers: a handshake
(MSS, SACK-permitted and window-scale options), a request, a response of 1 to ~60 full
segments with the client acknowledging every second one, then a close: four segments,
three segments (FIN on the ACK), the server closing first, or a reset. A few conversations
are refused (SYN answered by RST) or never answered (SYN sent three times); a few lose a
segment after the capture point (the sender retransmits it after a timeout) and a few
lose one before it (three duplicate ACKs, then a fast retransmission).

Conversations overlap: a heap orders every conversation's next packet by time, with
half a round trip between the two directions and a few microseconds between segments
sent back to back. Checksums are left zero, as on a host that offloads them.

    python bench/gen_capture.py 1000000 /tmp/bench-1m.pcap [--seed 1] [--open 300]
"""

from __future__ import annotations

import argparse
import heapq
import random
import struct
import sys
from collections.abc import Iterator

MSS = 1448
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
# MSS 1460, SACK permitted, NOP, window scale 7, NOP NOP: 12 bytes, as Linux sends (less TS).
SYN_OPTIONS = bytes([2, 4, 0x05, 0xB4, 4, 2, 1, 3, 3, 7, 1, 1])
ZEROS = bytes(MSS)
ETH = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
IP_HEAD = struct.Struct("!BBHHHBBH4s4s")
TCP_HEAD = struct.Struct("!HHIIBBHHH")
REC = struct.Struct("<IIII")

# What one conversation asks to send: (delay_ns, from_client, flags, seq_off, ack_off, length)
Step = tuple[int, bool, int, int, int, int]


def conversation(rng: random.Random) -> Iterator[Step]:
    """The packets of one conversation, relative to each side's ISN."""
    rtt = rng.randint(200_000, 20_000_000)  # 0.2 to 20 ms
    half = rtt // 2
    gap = 12_000  # back-to-back segments on a 1 Gbit/s link
    kind = rng.random()
    if kind < 0.01:  # refused: the port is closed
        yield 0, True, SYN, 0, 0, 0
        yield half, False, RST | ACK, 0, 1, 0
        return
    if kind < 0.015:  # unanswered: the SYN is sent three times, a second apart and more
        yield 0, True, SYN, 0, 0, 0
        yield 1_000_000_000, True, SYN, 0, 0, 0
        yield 2_000_000_000, True, SYN, 0, 0, 0
        return
    yield 0, True, SYN, 0, 0, 0
    yield half, False, SYN | ACK, 0, 1, 0
    yield half, True, ACK, 1, 1, 0
    request = rng.randint(80, 900)
    yield gap, True, PSH | ACK, 1, 1, request
    c_next = 1 + request
    n = min(int(rng.expovariate(1 / 6)) + 1, 60)
    total = (n - 1) * MSS + rng.randint(1, MSS)
    s_next = 1
    lost_after = rng.randrange(n) if rng.random() < 0.03 and n > 1 else -1  # retransmitted
    lost_before = rng.randrange(n - 4) if rng.random() < 0.02 and n > 5 else -1  # fast rxmit
    acked = 1
    first = True
    seg_starts = []
    seg = 0
    hole = 0
    while s_next < 1 + total:
        length = min(MSS, 1 + total - s_next)
        seg_starts.append((s_next, length))
        if seg == lost_before:
            hole = s_next
        else:
            yield (half if first else gap), False, ACK | (PSH if s_next + length > total else 0), \
                s_next, c_next, length
            first = False
        s_next += length
        if lost_before >= 0 and lost_before < seg <= lost_before + 3:
            yield half, True, ACK, c_next, hole, 0  # a duplicate ACK
            if seg == lost_before + 3:
                hole_len = seg_starts[lost_before][1]
                yield half, False, ACK, hole, c_next, hole_len  # fast retransmission
                yield half, True, ACK, c_next, s_next, 0
                acked = s_next
                lost_before = -1
        elif seg % 2 == 1 and not (0 <= lost_before <= seg):
            yield half, True, ACK, c_next, s_next, 0
            acked = s_next
        if seg == lost_after:
            start, length = seg_starts[seg]
            yield 200_000_000 + rtt, False, ACK, start, c_next, length  # timeout retransmission
            yield half, True, ACK, c_next, s_next, 0
            acked = s_next
        seg += 1
    if acked != s_next:
        yield half, True, ACK, c_next, s_next, 0
    close = rng.random()
    if close < 0.45:  # client closes, four segments
        yield rtt, True, FIN | ACK, c_next, s_next, 0
        yield half, False, ACK, s_next, c_next + 1, 0
        yield rng.randint(gap, rtt * 3), False, FIN | ACK, s_next, c_next + 1, 0
        yield half, True, ACK, c_next + 1, s_next + 1, 0
    elif close < 0.80:  # client closes, the server's FIN rides on its ACK
        yield rtt, True, FIN | ACK, c_next, s_next, 0
        yield half, False, FIN | ACK, s_next, c_next + 1, 0
        yield half, True, ACK, c_next + 1, s_next + 1, 0
    elif close < 0.93:  # server closes first (HTTP/1.0 style)
        yield gap, False, FIN | ACK, s_next, c_next, 0
        yield half, True, FIN | ACK, c_next, s_next + 1, 0
        yield half, False, ACK, s_next + 1, c_next + 1, 0
    elif close < 0.97:  # the client aborts
        yield rtt, True, RST | ACK, c_next, s_next, 0
    else:  # the server aborts
        yield gap, False, RST | ACK, s_next, c_next, 0


class Writer:
    def __init__(self, out: object, rng: random.Random) -> None:
        self.out = out
        self.rng = rng
        self.buf: list[bytes] = []
        self.size = 0

    def packet(self, ts_ns: int, src: bytes, dst: bytes, sport: int, dport: int, seq: int,
               ack: int, flags: int, window: int, length: int, ip_id: int) -> None:
        options = SYN_OPTIONS if flags & SYN else b""
        tcp_len = 20 + len(options)
        ip = IP_HEAD.pack(0x45, 0, 20 + tcp_len + length, ip_id & 0xFFFF, 0x4000, 64, 6, 0,
                          src, dst)
        tcp = TCP_HEAD.pack(sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                            (tcp_len // 4) << 4, flags, window, 0, 0)
        caplen = 14 + 20 + tcp_len + length
        sec, ns = divmod(ts_ns, 1_000_000_000)
        self.buf += (REC.pack(sec, ns // 1000, caplen, caplen), ETH, ip, tcp, options,
                     ZEROS[:length])
        self.size += 1
        if self.size >= 4096:
            self.flush()

    def flush(self) -> None:
        self.out.write(b"".join(self.buf))  # type: ignore[attr-defined]
        self.buf.clear()
        self.size = 0


def generate(path: str, count: int, seed: int, open_at_once: int) -> int:
    rng = random.Random(seed)
    servers = [(bytes([192, 168, 1, 10 + i]), port) for i in range(8) for port in (80, 443)]
    used: set[tuple[bytes, int]] = set()
    heap: list[tuple[int, int]] = []
    state: dict[int, tuple] = {}  # conversation id -> (steps, client, server, isns, ids)
    now = 1_700_000_000 * 10**9
    written = 0
    next_id = 0

    def start(at: int) -> None:
        nonlocal next_id
        while True:
            client = (bytes([10, rng.randrange(1, 255), rng.randrange(256), rng.randrange(1, 255)]),
                      rng.randrange(32768, 61000))
            if client not in used:
                break
        used.add(client)
        state[next_id] = (conversation(rng), client, rng.choice(servers),
                          [rng.getrandbits(32), rng.getrandbits(32)], [rng.getrandbits(16)] * 2)
        heapq.heappush(heap, (at, next_id))
        next_id += 1

    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        writer = Writer(out, rng)
        for _ in range(open_at_once):
            start(now + rng.randrange(50_000_000))
        pending: dict[int, Step] = {}
        while written < count and heap:
            now, cid = heapq.heappop(heap)
            steps, client, server, isn, ids = state[cid]
            step = pending.pop(cid, None)
            if step is None:
                step = next(steps, None)
            if step is None:
                del state[cid]
                used.discard(client)
                start(now + rng.randrange(1_000_000))
                continue
            _, from_client, flags, seq_off, ack_off, length = step
            me, peer = (client, server) if from_client else (server, client)
            mine, theirs = (0, 1) if from_client else (1, 0)
            ack = (isn[theirs] + ack_off) if flags & ACK else 0
            window = 0xFFFF if flags & SYN else 502
            writer.packet(now, me[0], peer[0], me[1], peer[1], isn[mine] + seq_off, ack,
                          flags, window, length, ids[mine])
            ids[mine] += 1
            written += 1
            following = next(steps, None)
            if following is None:
                del state[cid]
                used.discard(client)
                start(now + rng.randrange(1_000_000))
            else:
                pending[cid] = following
                heapq.heappush(heap, (now + following[0], cid))
        writer.flush()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packets", type=int)
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--open", type=int, default=300, help="conversations open at once")
    args = parser.parse_args(argv)
    n = generate(args.output, args.packets, args.seed, args.open)
    print(f"wrote {n} packets to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
