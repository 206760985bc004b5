"""The frozen records that cross from capture/ into explain/.

capture/ turns a live sniff or a pcap file into these; explain/ never sees a scapy
packet or a file handle, so everything below it can be tested without root.
"""

from __future__ import annotations

from dataclasses import dataclass

from wirelens.explain.wirenumbers import LINKTYPE_ETHERNET


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
