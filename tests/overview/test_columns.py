"""The columnar header walk gives each frame exactly what ``fastwalk.walk`` gives it."""

from __future__ import annotations

import random
from ipaddress import IPv6Address

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.capture.chaos import MAC, _ipv4, _ipv6, _tcp
from tests.test_tshark_anomalies import LINKS
from wirelens.explain.records import Frame
from wirelens.explain.segment import Segment
from wirelens.overview.columns import Records, decode, endpoint_address, endpoint_key
from wirelens.overview.fastwalk import walk


def records(frames: list[Frame], gap: int = 3) -> Records:
    """The frames side by side in one buffer, ``gap`` junk bytes between them."""
    buf = bytearray()
    starts = []
    for f in frames:
        buf += b"\xee" * gap
        starts.append(len(buf))
        buf += f.data
    n = len(frames)
    return Records(bytes(buf), frames[0].index if frames else 1,
                   np.array(starts, dtype=np.int64),
                   np.array([len(f.data) for f in frames], dtype=np.int64),
                   np.array([f.ts_ns for f in frames], dtype=np.int64),
                   np.array([f.linktype for f in frames], dtype=np.int64),
                   np.full(n, -1, dtype=np.int64))


def check(frames: list[Frame]) -> None:
    rec = records(frames)
    got = decode(rec)
    tcp = got.tcp
    others = dict(got.others)
    segments = {}
    for i in range(len(tcp)):
        src = tcp.wide[i][0] if i in tcp.wide else int(tcp.src[i])
        dst = tcp.wide[i][1] if i in tcp.wide else int(tcp.dst[i])
        (shost, sport), (dhost, dport) = endpoint_address(src), endpoint_address(dst)
        segments[int(tcp.row[i])] = Segment(
            int(tcp.index[i]), int(tcp.ts_ns[i]), shost, sport, dhost, dport, int(tcp.seq[i]),
            int(tcp.ack[i]), int(tcp.flags[i]), int(tcp.window[i]), int(tcp.payload_len[i]),
            int(tcp.wscale[i]), int(tcp.ident[i]))
    assert len(segments) + len(others) == len(frames)
    for row, frame in enumerate(frames):
        assert segments.get(row, others.get(row)) == walk(frame), row


def sample_frames(rng: random.Random, n: int) -> list[Frame]:
    from tests.capture.chaos import FIN, PSH, SYN

    frames = []
    for i in range(n):
        flags = rng.choice((SYN, SYN | 0x10, 0x10, PSH | 0x10, FIN | 0x10, rng.randrange(256)))
        seg = _tcp(rng.randrange(65536), rng.randrange(65536), rng.getrandbits(32),
                   rng.getrandbits(32), flags, rng.randrange(65536), bytes(rng.randrange(40)))
        if rng.random() < 0.2:
            packet, ip6 = _ipv6(rng.getrandbits(128), rng.getrandbits(128), 6, seg), True
        else:
            options = bytes(4 * rng.randrange(3))
            packet, ip6 = _ipv4(rng.getrandbits(32), rng.getrandbits(32), 6, seg, options), False
        link = rng.choice(sorted(LINKS))
        linktype = LINKS[link][0]
        if link in ("ethernet", "vlan", "qinq"):
            tags = {"ethernet": b"", "vlan": b"\x81\x00\x00\x2a", "qinq": b"\x88\xa8\x00\x07"
                    b"\x81\x00\x00\x2a"}[link]
            data = MAC + tags + (b"\x86\xdd" if ip6 else b"\x08\x00") + packet
        elif link == "sll":
            data = bytes(14) + (b"\x86\xdd" if ip6 else b"\x08\x00") + packet
        elif link == "sll2":
            data = (b"\x86\xdd" if ip6 else b"\x08\x00") + bytes(18) + packet
        elif link == "null":
            data = (24 if ip6 else 2).to_bytes(4, "little") + packet
        else:
            data = packet
        frames.append(Frame(i + 1, 10**18 + i, data, linktype))
    return frames


def test_every_link_type_and_both_ip_versions() -> None:
    check(sample_frames(random.Random(1), 3000))


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32), cuts=st.lists(st.integers(0, 120), min_size=1, max_size=8),
       flips=st.lists(st.tuples(st.integers(0, 119), st.integers(0, 255)), max_size=6))
def test_cut_and_mutated_frames(seed: int, cuts: list[int], flips: list[tuple[int, int]]) -> None:
    frames = []
    for i, frame in enumerate(sample_frames(random.Random(seed), len(cuts))):
        data = bytearray(frame.data[: cuts[i]])
        for at, value in flips:
            if at < len(data):
                data[at] = value
        frames.append(Frame(i + 1, frame.ts_ns, bytes(data), frame.linktype))
    check(frames)


def test_endpoint_keys_round_trip() -> None:
    for host in ("10.1.2.3", "0.0.0.0", "255.255.255.255", "::", "::1", "2001:db8::1",
                 "::ffff:1.2.3.4", "::102:304"):
        spelled = IPv6Address(host).compressed if ":" in host else host  # as walk spells it
        assert endpoint_address(endpoint_key(host, 8080)) == (spelled, 8080)
    assert endpoint_key("::102:304", 1) != endpoint_key("1.2.3.4", 1)


def test_endpoint_text_is_the_address_as_a_summary_writes_it() -> None:
    from wirelens.explain.conversation_summary import addr_text
    from wirelens.overview.columns import endpoint_text

    rng = random.Random(2)
    keys = [rng.getrandbits(48) for _ in range(20000)] + [
        0, (1 << 48) - 1, endpoint_key("::1", 80), endpoint_key("fe80::1:2", 443),
        endpoint_key("::ffff:10.0.0.1", 8080)]
    for k in keys:
        assert endpoint_text(k) == addr_text(endpoint_address(k)), k


def test_joined_pieces_are_their_rows_one_after_the_other() -> None:
    from wirelens.overview.columns import COLUMNS, joined

    frames = sample_frames(random.Random(4), 400)
    cols = decode(records(frames)).tcp
    assert cols.wide  # IPv6 segments among them
    n = len(cols)
    pieces = [(cols, 0, n // 3), (cols, n // 3, n // 3), (cols, n // 2, n)]
    got = joined(pieces)
    rows = np.concatenate((np.arange(0, n // 3), np.arange(n // 2, n)))
    want = cols.take(rows)
    assert got.wide == want.wide
    for name in COLUMNS:
        assert np.array_equal(getattr(got, name), getattr(want, name)), name
