"""Captures that try every odd turn a TCP conversation can take, built byte by byte.

``chaos(n, seed)`` writes n frames from a few hosts on few ports (so port pairs are reused)
that open, talk and close, but also retransmit, jump ahead, repeat ACKs, close their
windows, probe them, send keep-alives, cross FINs, reset, and sometimes send nonsense
flags; frames come as Ethernet (some VLAN-tagged), IPv4 (some with options or fragmented)
or IPv6, with UDP, ARP and unknown EtherTypes between them. Time mostly moves on by
microseconds, sometimes jumps past the overview's quiet time (so ended conversations are
forgotten mid-file) and sometimes steps back. Checksums are left zero.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
MAC = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02"
WSCALE = bytes([2, 4, 5, 0xB4, 1, 3, 3, 7, 4, 2, 0, 0])  # MSS, NOP, WS 7, SACK-OK, EOL pad


def _ipv4(src: int, dst: int, proto: int, payload: bytes, options: bytes = b"",
          frag: int = 0x4000) -> bytes:
    ihl = 5 + len(options) // 4
    head = struct.pack("!BBHHHBBHII", 0x40 | ihl, 0, ihl * 4 + len(payload), 1, frag, 64,
                       proto, 0, src, dst)
    return head + options + payload


def _ipv6(src: int, dst: int, proto: int, payload: bytes) -> bytes:
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), proto, 64,
                       src.to_bytes(16, "big"), dst.to_bytes(16, "big")) + payload


def _tcp(sport: int, dport: int, seq: int, ack: int, flags: int, window: int,
         data: bytes) -> bytes:
    options = WSCALE if flags & SYN else b""
    offset = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                       offset << 4, flags, window, 0, 0) + options + data


class _Side:
    def __init__(self, rng: random.Random) -> None:
        self.isn = rng.getrandbits(32)
        self.next = self.isn
        self.acked = 0


def chaos(path: Path, count: int, seed: int) -> Path:
    rng = random.Random(seed)
    hosts4 = [0x0A000001 + i for i in range(4)]
    hosts6 = [0x20010DB8 << 96 | i for i in range(1, 3)]
    ports = [80, 443, 40000, 40001, 40002]
    convs: dict[tuple[int, int, int, int, bool], tuple[_Side, _Side]] = {}
    now = 1_700_000_000 * 10**9
    out = [struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1)]
    for _ in range(count):
        roll = rng.random()
        now += rng.choice((1_000, 20_000, 300_000, 2_000_000))
        if roll < 0.002:
            now += 11 * 10**9  # past the quiet time: ended conversations are forgotten
        elif roll < 0.004:
            now -= 5_000_000  # time steps back
        frame = _frame(rng, hosts4, hosts6, ports, convs)
        sec, ns = divmod(now, 10**9)
        snap = len(frame) if rng.random() > 0.01 else max(len(frame) - rng.randint(1, 30), 0)
        out.append(struct.pack("<IIII", sec, ns, snap, len(frame)) + frame[:snap])
    path.write_bytes(b"".join(out))
    return path


def _frame(rng: random.Random, hosts4: list[int], hosts6: list[int], ports: list[int],
           convs: dict[tuple[int, int, int, int, bool], tuple[_Side, _Side]]) -> bytes:
    kind = rng.random()
    if kind < 0.03:  # ARP, UDP, something unknown
        pick = rng.random()
        if pick < 0.3:
            return MAC + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4,
                                                   rng.choice((1, 2))) + bytes(20)
        if pick < 0.7:
            udp = struct.pack("!HHHH", rng.choice(ports), 53, 8 + 10, 0) + bytes(10)
            return MAC + b"\x08\x00" + _ipv4(rng.choice(hosts4), rng.choice(hosts4), 17, udp)
        return MAC + b"\x88\xcc" + bytes(30)
    v6 = rng.random() < 0.15
    hosts = hosts6 if v6 else hosts4
    a, b = rng.sample(hosts, 2)
    pa, pb = rng.choice(ports), rng.choice(ports)
    key = (a, pa, b, pb, v6)
    pair = convs.get(key) or convs.setdefault(key, (_Side(rng), _Side(rng)))
    forward = rng.random() < 0.55
    me, peer = pair if forward else pair[::-1]
    src, dst, sport, dport = (a, b, pa, pb) if forward else (b, a, pb, pa)
    flags, seq, ack, window, data = _segment(rng, me, peer)
    segment = _tcp(sport, dport, seq, ack, flags, window, data)
    if v6:
        packet = _ipv6(src, dst, 6, segment)
        etype = b"\x86\xdd"
    else:
        options = b"\x01\x01\x01\x00" if rng.random() < 0.05 else b""
        frag = 0x2000 if rng.random() < 0.01 else 0x4000  # more fragments: a fragment
        packet = _ipv4(src, dst, 6, segment, options, frag)
        etype = b"\x08\x00"
    if rng.random() < 0.05:
        return MAC + b"\x81\x00" + struct.pack("!H", 42) + etype + packet
    return MAC + etype + packet


def _segment(rng: random.Random, me: _Side, peer: _Side
             ) -> tuple[int, int, int, int, bytes]:
    """(flags, seq, ack, window, payload) of one odd or ordinary segment."""
    turn = rng.random()
    ack = peer.next
    window = 0 if rng.random() < 0.03 else rng.choice((512, 512, 512, 64, 1))
    if turn < 0.05:  # open (again): a new ISN now and then
        if rng.random() < 0.5:
            me.isn = me.next = rng.getrandbits(32)
        me.next = me.isn + 1
        return (SYN | ACK if rng.random() < 0.4 else SYN), me.isn, ack, 512, b""
    if turn < 0.09:  # close
        me.next += 1
        return FIN | ACK, me.next - 1, ack, window, b""
    if turn < 0.11:
        return RST | (ACK if rng.random() < 0.5 else 0), me.next, ack, 0, b""
    if turn < 0.15:  # retransmit something old
        back = rng.randint(1, 3000)
        return ACK | PSH, me.next - back, ack, window, bytes(rng.randint(1, 200))
    if turn < 0.18:  # a hole: data beyond what was sent
        me.next += rng.randint(1, 2000)
        return ACK, me.next, ack, window, bytes(50)
    if turn < 0.22:  # the same ACK again
        return ACK, me.next, me.acked or ack, window, b""
    if turn < 0.24:  # keep-alive or zero-window probe
        return ACK, me.next - rng.randint(0, 1), ack, window, bytes(rng.randint(0, 1))
    if turn < 0.25:  # flags nobody sends
        return rng.randint(0, 255), me.next, ack, window, bytes(rng.randint(0, 20))
    me.acked = ack
    if turn < 0.6:  # plain data
        size = rng.choice((1, 100, 1448))
        me.next += size
        return ACK | PSH, me.next - size, ack, window, bytes(size)
    return ACK | (URG if rng.random() < 0.01 else 0), me.next, ack, window, b""


def orderly(path: Path, count: int, seed: int, fault: float = 0.02, open_at_once: int = 60
            ) -> Path:
    """Mostly well-behaved conversations (handshake, data both ways with ACKs, a close), each
    segment turned, with probability ``fault``, into the kind of thing the overview's bulk
    path must not swallow: lost, repeated or swapped with the next, a window closed, probed
    and reopened, a keep-alive, an ACK beyond what was sent, data filling the window to the
    byte, an early FIN (a half-close), a reset, the port pair reused at once."""
    rng = random.Random(seed)
    out = [struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1)]
    now = 1_700_000_000 * 10**9
    streams: list[list[tuple[bool, int, int, int, int, int]]] = []
    endpoints: list[tuple[int, int, int, int]] = []
    written = 0
    while written < count:
        while len(streams) < open_at_once:
            streams.append(_faulty(rng, _conversation(rng), fault))
            client = (0x0A000000 | rng.getrandbits(16), rng.choice((40000, 40001, 40002)))
            endpoints.append((*client, 0xC0A80001 + rng.randrange(3), rng.choice((80, 443))))
        i = rng.randrange(len(streams))
        if not streams[i]:
            if rng.random() < 0.3:  # the same port pair again, at once
                streams[i] = _faulty(rng, _conversation(rng), fault)
                continue
            streams.pop(i)
            endpoints.pop(i)
            continue
        from_client, flags, seq, ack, window, size = streams[i].pop(0)
        chost, cport, shost, sport = endpoints[i]
        src, dst, sp, dp = ((chost, shost, cport, sport) if from_client
                            else (shost, chost, sport, cport))
        frame = MAC + b"\x08\x00" + _ipv4(src, dst, 6, _tcp(sp, dp, seq, ack, flags, window,
                                                             bytes(size)))
        now += rng.choice((1_000, 5_000, 50_000, 400_000, 3_000_000))
        if rng.random() < 0.0005:
            now += 11 * 10**9
        sec, ns = divmod(now, 10**9)
        out.append(struct.pack("<IIII", sec, ns, len(frame), len(frame)) + frame)
        written += 1
    path.write_bytes(b"".join(out))
    return path


def _conversation(rng: random.Random) -> list[tuple[bool, int, int, int, int, int]]:
    """(from client, flags, seq, ack, window, payload length) of one plain conversation."""
    c, s = rng.getrandbits(32), rng.getrandbits(32)
    win = rng.choice((16, 64, 512, 65535))
    out = [(True, SYN, c, 0, win, 0), (False, SYN | ACK, s, c + 1, win, 0),
           (True, ACK, c + 1, s + 1, win, 0)]
    c, s = c + 1, s + 1
    for _ in range(rng.randint(0, 6)):
        size = rng.randint(1, 900)
        out.append((True, PSH | ACK, c, s, win, size))
        c += size
        for k in range(rng.randint(0, 12)):
            size = rng.choice((1448, 1448, rng.randint(1, 1448)))
            out.append((False, ACK, s, c, win, size))
            s += size
            if k % 2:
                out.append((True, ACK, c, s, win, 0))
        out.append((True, ACK, c, s, win, 0))
    end = rng.random()
    if end < 0.5:
        out += [(True, FIN | ACK, c, s, win, 0), (False, ACK, s, c + 1, win, 0),
                (False, FIN | ACK, s, c + 1, win, 0), (True, ACK, c + 1, s + 1, win, 0)]
    elif end < 0.8:
        out += [(True, FIN | ACK, c, s, win, 0), (False, FIN | ACK, s, c + 1, win, 0),
                (True, ACK, c + 1, s + 1, win, 0)]
    elif end < 0.9:
        out.append((rng.random() < 0.5, RST | ACK, c, s, 0, 0))
    return out


def _faulty(rng: random.Random, steps: list[tuple[bool, int, int, int, int, int]],
            fault: float) -> list[tuple[bool, int, int, int, int, int]]:
    out: list[tuple[bool, int, int, int, int, int]] = []
    i = 0
    while i < len(steps):
        step = steps[i]
        i += 1
        if rng.random() >= fault:
            out.append(step)
            continue
        client, flags, seq, ack, window, size = step
        turn = rng.randrange(10)
        if turn == 0:  # lost
            continue
        if turn == 1:  # sent twice
            out += [step, step]
        elif turn == 2 and i < len(steps):  # swapped with the next
            out += [steps[i], step]
            i += 1
        elif turn == 3:  # the window closes, is probed, and opens again
            out += [(client, ACK, seq, ack, 0, 0), (not client, ACK, ack, seq, window, 1),
                    (client, ACK, seq, ack, window, 0), step]
        elif turn == 4:  # keep-alive, and its answer
            out += [(client, ACK, seq - 1, ack, window, 0), (not client, ACK, ack, seq, window, 0),
                    step]
        elif turn == 5:  # acknowledges more than was sent
            out.append((client, flags, seq, ack + rng.randint(1, 5000), window, size))
        elif turn == 6 and size:  # the peer's window (scaled by 7) ends where this data ends
            out += [(not client, ACK, ack, seq + size - (window << 7), window, 0), step]
        elif turn == 7:  # an early FIN: what follows is a half-close
            out += [(client, FIN | ACK, seq, ack, window, 0), step]
        elif turn == 8:  # a window that changes on a repeated ACK
            out += [step, (client, ACK, seq + size, ack, window ^ 1, 0)]
        else:  # a reset in the middle
            out.append((client, RST | ACK, seq, ack, 0, 0))
    return out
