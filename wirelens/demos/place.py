"""Where a demo runs: on loopback, or (later) between two hosts of the lab.

A socket belongs to the network namespace it was created in, so a demo creates each
side's sockets inside ``place.enter(side)``; the sniffer starts inside
``place.enter("sniffer")``. On loopback both are no-ops.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Protocol


class Place(Protocol):
    @property
    def name(self) -> str: ...  # "loopback" or "lab"

    @property
    def interface(self) -> str: ...  # where the sniffer listens

    @property
    def client_address(self) -> str: ...

    @property
    def server_address(self) -> str: ...

    def enter(self, side: str) -> AbstractContextManager[None]:
        """Run the block in the network of ``side``: "client", "server" or "sniffer"."""
        ...

    def capture_filter(self, port: int) -> str:
        """The sniffer's BPF filter for a demo on ``port``."""
        ...


@dataclass(frozen=True)
class Loopback:
    server_address: str = "127.0.0.1"
    name: str = "loopback"
    interface: str = "lo"

    @property
    def client_address(self) -> str:
        return self.server_address

    def enter(self, side: str) -> AbstractContextManager[None]:
        return nullcontext()

    def capture_filter(self, port: int) -> str:
        return f"tcp port {port}"  # loopback has no ARP or neighbour discovery to show
