"""The kernel's own view of a TCP socket: ``getsockopt(IPPROTO_TCP, TCP_INFO)``.

``struct tcp_info`` from linux/tcp.h, read field by field in its declared order with
native alignment. A kernel returns as many bytes as its version of the struct has; we
read the fields those bytes hold and leave the rest at -1.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass

TCP_INFO = getattr(socket, "TCP_INFO", 11)  # linux/tcp.h
BUFFER = 512  # bytes asked for; the kernel returns min(this, its struct size)

# (struct format character, field name) in linux/tcp.h order; the two bit-field bytes
# (snd/rcv window scale, delivery-rate flags) are read as plain bytes.
LAYOUT: tuple[tuple[str, str], ...] = (
    ("B", "state"), ("B", "ca_state"), ("B", "retransmits"), ("B", "probes"),
    ("B", "backoff"), ("B", "options"), ("B", "wscale"), ("B", "app_limited"),
    ("I", "rto"), ("I", "ato"), ("I", "snd_mss"), ("I", "rcv_mss"),
    ("I", "unacked"), ("I", "sacked"), ("I", "lost"), ("I", "retrans"), ("I", "fackets"),
    ("I", "last_data_sent"), ("I", "last_ack_sent"), ("I", "last_data_recv"),
    ("I", "last_ack_recv"),
    ("I", "pmtu"), ("I", "rcv_ssthresh"), ("I", "rtt"), ("I", "rttvar"), ("I", "snd_ssthresh"),
    ("I", "snd_cwnd"), ("I", "advmss"), ("I", "reordering"),
    ("I", "rcv_rtt"), ("I", "rcv_space"),
    ("I", "total_retrans"),
    ("Q", "pacing_rate"), ("Q", "max_pacing_rate"), ("Q", "bytes_acked"),
    ("Q", "bytes_received"), ("I", "segs_out"), ("I", "segs_in"),
    ("I", "notsent_bytes"), ("I", "min_rtt"), ("I", "data_segs_in"), ("I", "data_segs_out"),
    ("Q", "delivery_rate"),
    ("Q", "busy_time"), ("Q", "rwnd_limited"), ("Q", "sndbuf_limited"),
    ("I", "delivered"), ("I", "delivered_ce"),
    ("Q", "bytes_sent"), ("Q", "bytes_retrans"), ("I", "dsack_dups"), ("I", "reord_seen"),
    ("I", "rcv_ooopack"), ("I", "snd_wnd"),
)

# Linux's TCP states (include/net/tcp_states.h), as RFC 9293 names them
STATES = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECEIVED", 4: "FIN_WAIT_1",
          5: "FIN_WAIT_2", 6: "TIME_WAIT", 7: "CLOSED", 8: "CLOSE_WAIT", 9: "LAST_ACK",
          10: "LISTEN", 11: "CLOSING"}


@dataclass(frozen=True, slots=True)
class TcpInfo:
    """The fields the explanation uses (times in microseconds, as the kernel gives them)."""

    side: str
    ts_ns: int  # when it was read (the capture's clock)
    state: str
    retransmits: int  # retransmissions of the current timeout, now
    total_retrans: int  # segments retransmitted over the connection's life
    retrans: int  # segments retransmitted and not yet acknowledged
    lost: int
    rto_us: int
    rtt_us: int  # smoothed RTT
    rttvar_us: int
    min_rtt_us: int
    snd_cwnd: int  # congestion window, in segments
    snd_ssthresh: int
    snd_mss: int
    unacked: int
    reordering: int
    dsack_dups: int
    reord_seen: int
    rcv_ooopack: int  # out-of-order packets received
    segs_out: int
    segs_in: int
    data_segs_out: int
    bytes_retrans: int
    snd_wnd: int  # the peer's receive window, scaled, in bytes
    raw: tuple[tuple[str, int], ...]  # every field this kernel returned


def parse(data: bytes) -> dict[str, int]:
    """The fields present in ``data`` (a prefix of struct tcp_info), by name."""
    out: dict[str, int] = {}
    fmt = "@"
    for char, name in LAYOUT:
        trial = fmt + char
        if struct.calcsize(trial) > len(data):
            break
        fmt = trial
        out[name] = struct.unpack_from(fmt, data)[-1]
    return out


def from_fields(side: str, ts_ns: int, fields: dict[str, int]) -> TcpInfo:
    def get(name: str) -> int:
        return fields.get(name, -1)

    return TcpInfo(
        side=side, ts_ns=ts_ns, state=STATES.get(get("state"), str(get("state"))),
        retransmits=get("retransmits"), total_retrans=get("total_retrans"),
        retrans=get("retrans"), lost=get("lost"), rto_us=get("rto"), rtt_us=get("rtt"),
        rttvar_us=get("rttvar"), min_rtt_us=get("min_rtt"), snd_cwnd=get("snd_cwnd"),
        snd_ssthresh=get("snd_ssthresh"), snd_mss=get("snd_mss"), unacked=get("unacked"),
        reordering=get("reordering"), dsack_dups=get("dsack_dups"),
        reord_seen=get("reord_seen"), rcv_ooopack=get("rcv_ooopack"),
        segs_out=get("segs_out"), segs_in=get("segs_in"), data_segs_out=get("data_segs_out"),
        bytes_retrans=get("bytes_retrans"), snd_wnd=get("snd_wnd"),
        raw=tuple(fields.items()),
    )


def read(sock: socket.socket, side: str) -> TcpInfo | None:
    """The socket's TCP_INFO now; None when the socket is not TCP or already closed."""
    try:
        data = sock.getsockopt(socket.IPPROTO_TCP, TCP_INFO, BUFFER)
    except OSError:
        return None
    return from_fields(side, time.time_ns(), parse(data))
