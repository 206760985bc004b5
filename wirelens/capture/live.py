"""Live capture through libpcap, turned into our own ``Frame`` records as packets arrive.

Two traps of Linux loopback capture are handled here, not left to the caller:
- scapy's own Linux socket sees every loopback packet twice (the outgoing and the
  incoming copy). We read through libpcap (scapy's ``conf.use_pcap``), which gives each once.
- A sniffer that starts in the background may not listen yet when the exchange begins.
  ``start`` opens the capture socket itself, with its filter attached, before it returns,
  so no packet of the exchange can be missed; a thread then only reads.

Nothing here dissects: frames are taken as raw bytes (``recv_raw``), not as scapy packets.
The caller's stop condition, ``until``, and the events a demo waits for do read TCP headers:
they run in a judge without root (``judge.py``), which hears every frame down a pipe.
"""

from __future__ import annotations

import select
import threading
from collections.abc import Callable
from typing import Any

from wirelens.capture.judge import Judge, LocalJudge, make_judge
from wirelens.explain.records import Frame

POLL_SECONDS = 0.05  # how often the reading thread checks whether it should stop


class CaptureStartError(RuntimeError):
    """The sniffer could not start (no permission, no such interface, no libpcap ...)."""


def _use_libpcap() -> bool:
    # imported here: 19 ms saved at start-up when not needed
    from scapy.config import conf

    try:
        conf.use_pcap = True
    except Exception:  # scapy raises plain Exceptions when libpcap cannot be loaded
        return False
    return bool(conf.use_pcap)


class LiveCapture:
    """Sniffs ``interface`` with a BPF ``bpf`` filter until ``stop``; ``frames`` in order.

    ``until(frames)`` is asked after each packet; once it answers True, ``finished`` is set,
    so the caller can wait for "the close is complete" instead of sleeping. It is asked by
    the judge (judge.py): as root, in a child process without root, so ``until`` must be a
    picklable watcher (``wirelens.explain.watchers``) that only answers, and ``wait_for``
    asks the same judge about other events.
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
        self.judge: Judge | LocalJudge | None = None
        self._lock = threading.Lock()
        self._socket: Any = None
        self._linktype = 1
        self._stopping = threading.Event()
        self._reader: threading.Thread | None = None

    def _add(self, data: bytes, ts: float) -> None:
        ts_ns = int(round(ts * 1_000_000)) * 1000
        with self._lock:
            frame = Frame(len(self.frames) + 1, ts_ns, data, self._linktype, len(data),
                          self.interface)
            self.frames.append(frame)
            if self.judge is not None:
                self.judge.feed(frame)

    def _read(self) -> None:
        sock = self._socket
        while not self._stopping.is_set():
            ready, _, _ = select.select([sock], [], [], POLL_SECONDS)
            if not ready:
                continue
            _, data, ts = sock.recv_raw()
            if data is not None and ts is not None:
                self._add(bytes(data), float(ts))
        # Whatever libpcap still holds when asked to stop belongs to the capture too.
        while select.select([sock], [], [], 0)[0]:
            _, data, ts = sock.recv_raw()
            if data is None or ts is None:
                break
            self._add(bytes(data), float(ts))

    def start(self, timeout: float = 5.0) -> None:
        """Open the capture socket (in the calling thread's network namespace) and read it."""
        self.libpcap = _use_libpcap()
        if not self.libpcap:
            raise CaptureStartError("libpcap could not be loaded (Debian: apt install "
                                    "libpcap0.8)")
        # imported here: 115 ms saved at start-up when not needed
        import scapy.layers.l2  # noqa: F401  (names link type 1, or scapy warns about it)
        from scapy.config import conf

        try:
            self._socket = conf.L2listen(iface=self.interface, filter=self.bpf)
        except Exception as exc:  # scapy reports permission and interface problems so
            raise CaptureStartError(f"cannot capture on {self.interface}: {exc}") from exc
        self._linktype = int(self._socket.pcap_fd.datalink())
        if self._until is not None:
            self.judge = make_judge(self._until, self.finished)
            self.judge.start()
        self._reader = threading.Thread(target=self._read, name="wirelens-capture",
                                        daemon=True)
        self._reader.start()

    @property
    def judge_pid(self) -> int:
        """The process that judges this capture's events (0: this one, or none yet)."""
        return self.judge.pid if self.judge is not None else 0

    def wait_for(self, event: Callable[[list[Frame]], bool], timeout: float) -> bool:
        """Waits until ``event`` (a watcher, like ``until``) holds for the frames captured."""
        with self._lock:
            if self.judge is None:  # no stop condition was given: a judge for this event
                self.judge = make_judge(None, self.finished)
                self.judge.start()
                for frame in self.frames:
                    self.judge.feed(frame)
            judge = self.judge
        return judge.watch(event).wait(timeout)

    def stop(self) -> list[Frame]:
        self._stopping.set()
        if self._reader is not None:
            self._reader.join(timeout=5)
            self._reader = None
        if self.judge is not None:
            self.judge.close()
        if self._socket is not None:
            try:
                self._socket.close()
            except OSError:
                pass
            self._socket = None
        with self._lock:
            return list(self.frames)
