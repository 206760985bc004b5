"""UDP in an explanation: who sent each datagram, and what it was for.

UDP has no handshake to say who is the client, so the first datagram between two
endpoints names it: its sender is the client and its receiver the server (a DNS query,
a ``sendto()`` to a server). Everything after that between the same two endpoints is
told as client -> server or server -> client. There are no states: nothing opens or
closes.
"""

from __future__ import annotations

from dataclasses import dataclass

from wirelens.explain.conversation_summary import addr_text
from wirelens.explain.dissect import Dissection

Address = tuple[str, int]

# What a datagram is for: plain UDP, or the DNS message it carries.
ROLES = ("datagram", "dns-query", "dns-response")


@dataclass(frozen=True, slots=True)
class Datagram:
    index: int
    ts_ns: int
    flow: int  # 1-based: which pair of endpoints, in the order first seen
    sender: str  # "client" or "server"
    receiver: str
    client: str  # "127.0.0.1:40000"
    server: str
    payload_len: int  # bytes after the 8-byte header, as the length field says
    role: str  # one of ROLES


def udp_payload_length(d: Dissection) -> int:
    for layer in d.layers:
        if layer.name == "UDP":
            for fv in layer.fields:
                if fv.name == "udp.length" and isinstance(fv.value, int):
                    return max(fv.value - 8, 0)
    return len(d.payload)


class DatagramTracker:
    def __init__(self) -> None:
        self._flows: dict[tuple[Address, Address], int] = {}  # (client, server) -> flow

    def feed(self, d: Dissection) -> Datagram | None:
        """The datagram a dissection carries, or None when it is not UDP."""
        if "udp" not in d.protocols or "sport" not in d.facts:
            return None
        f = d.facts
        source, destination = (f["src"], f["sport"]), (f["dst"], f["dport"])
        if (destination, source) in self._flows:
            client, server = destination, source
        else:
            client, server = source, destination
            self._flows.setdefault((client, server), len(self._flows) + 1)
        sender = "client" if source == client else "server"
        if "dns_id" in f:
            role = "dns-response" if f.get("dns_response") else "dns-query"
        else:
            role = "datagram"
        return Datagram(
            index=d.frame.index,
            ts_ns=d.frame.ts_ns,
            flow=self._flows[(client, server)],
            sender=sender,
            receiver="server" if sender == "client" else "client",
            client=addr_text(client),
            server=addr_text(server),
            payload_len=udp_payload_length(d),
            role=role,
        )
