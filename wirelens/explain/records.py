"""The frozen records that cross from capture/ into explain/.

capture/ turns a live sniff or a pcap file into these; explain/ never sees a scapy
packet or a file handle, so everything below it can be tested without root.
"""

from __future__ import annotations

from dataclasses import dataclass

# Link-layer header types (https://www.tcpdump.org/linktypes.html) that we dissect.
LINKTYPE_NULL = 0  # BSD loopback: 4-byte address family in host byte order
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101  # raw IPv4/IPv6, no link header
LINKTYPE_LOOP = 108  # OpenBSD loopback: address family in network byte order
LINKTYPE_LINUX_SLL = 113  # Linux "cooked" capture v1
LINKTYPE_LINUX_SLL2 = 276  # Linux "cooked" capture v2
# Not a link type: a pcapng Custom Block (a tool's private data), which Wireshark lists
# as a frame of its own, so that frame numbers stay Wireshark's.
LINKTYPE_PCAPNG_BLOCK = -1

# The link types wirelens dissects, and the first layer each begins with (explain.dissect).
LINK_TYPES: dict[int, str] = {
    0: "null",
    1: "ethernet",
    101: "raw",
    # DLT_RAW's own numbers, written by some libpcaps (12; 14 on OpenBSD): Wireshark reads
    # them as raw IP too (pcapplusplus-four_ipv6_http_streams.pcap)
    12: "raw",
    14: "raw",
    108: "loop",
    113: "sll",
    276: "sll2",
    228: "raw4",
    229: "raw6",
}


@dataclass(frozen=True, slots=True)
class Frame:
    """One captured frame, exactly as it came off the wire or out of the file."""

    index: int  # 1-based frame number, as Wireshark counts
    ts_ns: int  # capture time, nanoseconds since the epoch
    data: bytes  # captured bytes, starting at the link-layer header
    linktype: int = LINKTYPE_ETHERNET
    orig_len: int = -1  # length on the wire; -1 means len(data) (not cut by a snap length)
    interface: str = ""

    @property
    def time(self) -> float:
        return self.ts_ns / 1e9

    @property
    def wire_len(self) -> int:
        return len(self.data) if self.orig_len < 0 else self.orig_len


@dataclass(frozen=True, slots=True)
class SocketCall:
    """One socket API call made by a demo, with when it started and returned."""

    side: str  # "client" or "server"
    call: str  # "socket", "bind", "listen", "accept", "connect", "send", "recv", "close", ...
    start_ns: int
    end_ns: int
    result: str = ""  # what it returned, in words: "14 bytes", "b''", "ConnectionRefusedError"
    nbytes: int = -1  # bytes sent or received, where that applies
    conn: str = ""  # the connection it used, by its client's address ("127.0.0.1:40000"), or ""


@dataclass(frozen=True, slots=True)
class KernelSocket:
    """One TCP socket as the kernel listed it (a line of ``ss -tan``)."""

    state: str  # ss's name for it: "ESTAB", "TIME-WAIT", "FIN-WAIT-2", "LISTEN" ...
    local: str  # "127.0.0.1:8080", "[::1]:8080"
    peer: str  # the other end; "0.0.0.0:*" (or "*:*") for a listening socket
    recv_q: int = 0  # bytes not yet read; for a listener, connections waiting for accept()
    send_q: int = 0  # bytes not yet acknowledged; for a listener, its backlog


@dataclass(frozen=True, slots=True)
class KernelSnapshot:
    """What the kernel of one side said at a checkpoint of a demo, while it held its sockets."""

    label: str  # the checkpoint: "half-closed", "end" ...
    side: str  # whose network was asked: "client" or "server"
    ts_ns: int  # when it was asked (the capture's clock)
    sockets: tuple[KernelSocket, ...]
