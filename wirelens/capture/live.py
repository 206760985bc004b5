"""Live capture with scapy, turned into our own ``Frame`` records as packets arrive.

Two traps of Linux loopback capture are handled here, not left to the caller:
- scapy's own Linux socket sees every loopback packet twice (the outgoing and the
  incoming copy). We sniff through libpcap (``conf.use_pcap``), which gives each once;
  where libpcap is missing we fall back to scapy's socket and drop the outgoing copies.
- ``AsyncSniffer.start()`` returns before the socket listens; ``start`` here returns only
  once scapy's ``started_callback`` has fired, so no packet of the exchange is missed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from wirelens.explain.records import LINKTYPE_ETHERNET, LINKTYPE_RAW, Frame

PACKET_OUTGOING = 4  # linux/if_packet.h: the copy of a packet this host sent


class CaptureStartError(RuntimeError):
    """The sniffer could not start (no permission, no such interface ...)."""


def _use_libpcap() -> bool:
    from scapy.config import conf

    try:
        conf.use_pcap = True
    except Exception:  # scapy raises plain Exceptions when libpcap cannot be loaded
        return False
    return bool(conf.use_pcap)


class LiveCapture:
    """Sniffs ``interface`` with a BPF ``bpf`` filter until ``stop``; ``frames`` in order.

    ``until(frames)`` is asked after each packet; once it answers True, ``finished`` is set,
    so the caller can wait for "the close is complete" instead of sleeping.
    """

    def __init__(
        self,
        interface: str,
        bpf: str,
        until: Callable[[list[Frame]], bool] | None = None,
    ) -> None:
        self.interface = interface
        self.bpf = bpf
        self.frames: list[Frame] = []
        self.finished = threading.Event()
        self.libpcap = False
        self._until = until
        self._started = threading.Event()
        self._lock = threading.Lock()
        self._sniffer: Any = None

    def _on_packet(self, pkt: Any) -> None:
        if not self.libpcap and getattr(pkt, "direction", None) == PACKET_OUTGOING \
                and self.interface == "lo":
            return  # the other copy of this loopback packet arrives as incoming
        from scapy.layers.l2 import Ether

        data = bytes(getattr(pkt, "original", None) or bytes(pkt))
        linktype = LINKTYPE_ETHERNET if isinstance(pkt, Ether) else LINKTYPE_RAW
        ts_ns = int(round(float(pkt.time) * 1_000_000)) * 1000
        with self._lock:
            frame = Frame(len(self.frames) + 1, ts_ns, data, linktype, len(data),
                          self.interface)
            self.frames.append(frame)
            if self._until is not None and self._until(self.frames):
                self.finished.set()

    def start(self, timeout: float = 5.0) -> None:
        import scapy.layers.inet  # noqa: F401  (registers IP for raw link types)
        import scapy.layers.l2  # noqa: F401  (registers Ether for link type 1)
        from scapy.sendrecv import AsyncSniffer

        self.libpcap = _use_libpcap()
        self._sniffer = AsyncSniffer(
            iface=self.interface,
            filter=self.bpf,
            prn=self._on_packet,
            store=False,
            started_callback=self._started.set,
        )
        try:
            self._sniffer.start()
        except Exception as exc:  # scapy reports permission and interface problems so
            raise CaptureStartError(str(exc)) from exc
        if not self._started.wait(timeout):
            self.stop()
            raise CaptureStartError(f"the sniffer on {self.interface} did not start in time")

    def stop(self) -> list[Frame]:
        if self._sniffer is not None:
            try:
                self._sniffer.stop(join=True)
            except Exception:  # stopping a sniffer that failed to start raises; nothing to do
                pass
            self._sniffer = None
        with self._lock:
            return list(self.frames)
