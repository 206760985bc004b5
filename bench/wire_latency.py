"""How much latency the wire adds per frame when nothing is impaired (run as root).

The same ping-pong (a 1-byte TCP echo with TCP_NODELAY, ``--rounds`` times) runs between
the lab's two hosts joined first by the veth pair, then by the wire (two TAP devices and
the loop of capture/wire.py). Each round trip crosses the cable twice, so the wire's added
latency per frame is half the difference of the median round trips. The wire's own log
gives the time each frame spent inside the loop (read to written), measured directly.

    sudo .venv/bin/python bench/wire_latency.py [--rounds 2000]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import threading
import time

from wirelens.capture.lab import Lab
from wirelens.capture.wire import Wire

PORT = 9010


def ping_pong(lab: Lab, rounds: int) -> list[int]:
    """Round-trip times in ns of ``rounds`` 1-byte echoes from the client to the server."""
    with lab.enter("server"):
        listener = socket.socket()
    listener.bind((lab.server_address, PORT))
    listener.listen(1)

    def echo() -> None:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn:
            while data := conn.recv(1):
                conn.sendall(data)

    thread = threading.Thread(target=echo, daemon=True)
    thread.start()
    with lab.enter("client"):
        client = socket.socket()
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.connect((lab.server_address, PORT))
    times = []
    with client:
        for _ in range(50):  # warm up: ARP, slow start, caches
            client.sendall(b"x")
            client.recv(1)
        for _ in range(rounds):
            start = time.perf_counter_ns()
            client.sendall(b"x")
            client.recv(1)
            times.append(time.perf_counter_ns() - start)
    thread.join(5)
    listener.close()
    return times


def describe(name: str, times: list[int]) -> str:
    q = statistics.quantiles(times, n=100)
    return (f"{name:<28} median {statistics.median(times) / 1000:8.1f} us   "
            f"p90 {q[89] / 1000:8.1f} us   p99 {q[98] / 1000:8.1f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    with Lab(link="veth") as plain:
        veth = ping_pong(plain, args.rounds)
    wire = Wire()
    with Lab(link="wire", wire=wire) as wired:
        tap = ping_pong(wired, args.rounds)
    inside = [e.written_ns[0] - e.read_ns for e in wire.log() if e.written_ns]
    print(f"{args.rounds} round trips of a 1-byte TCP echo between the lab's two hosts")
    print(describe("veth pair (round trip)", veth))
    print(describe("wire, no rule (round trip)", tap))
    added = (statistics.median(tap) - statistics.median(veth)) / 2
    print(f"added by the wire per frame (half the difference of the medians): "
          f"{added / 1000:.1f} us")
    print(describe("inside the loop (read->written)", inside))
    print(f"frames the wire carried: {len(inside)}; loop wake-ups: {wire.wakeups}")


if __name__ == "__main__":
    main()
