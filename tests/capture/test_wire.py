"""The wire itself, live: two TAP devices in the lab's hosts and the loop between them.

Each test builds the lab with ``link="wire"`` (root), so each is marked live.
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import threading
import time

import pytest

from wirelens.capture import gateline
from wirelens.capture.impair import Action, Plan, parse_plan
from wirelens.capture.lab import Lab
from wirelens.capture.wire import Wire, WireError, open_tap

pytestmark = pytest.mark.live

PORT = 9009


def exchange(lab: Lab, payload: bytes = b"ping") -> bytes:
    """One TCP round trip from the client host to the server host; returns the reply."""
    with lab.enter("server"):
        listener = socket.socket()
    listener.bind((lab.server_address, PORT))
    listener.listen(1)
    listener.settimeout(10)
    got: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            got.append(conn.recv(100))
            conn.sendall(got[0].upper())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with lab.enter("client"):
        client = socket.socket()
    client.settimeout(10)
    with client:
        client.connect((lab.server_address, PORT))
        client.sendall(payload)
        reply = client.recv(100)
    thread.join(10)
    listener.close()
    return reply


def devices(lab: Lab) -> list[str]:
    out = []
    for host in (lab.client, lab.server):
        shown = subprocess.run(host.nsenter("ip", "-o", "link", "show"), capture_output=True,
                               text=True, check=True).stdout
        out += [line.split(":")[1].strip() for line in shown.splitlines()]
    return out


def test_the_wire_carries_tcp_between_the_hosts_and_logs_every_frame():
    wire = Wire()
    with Lab(link="wire", wire=wire) as lab:
        assert lab.client.device in devices(lab) and lab.server.device in devices(lab)
        assert exchange(lab) == b"PING"
    log = wire.log()  # the lab stopped the wire: every frame it read is written
    assert log and {e.action for e in log} == {Action.PASSED}
    assert {e.direction for e in log} == {"c2s", "s2c"}
    for e in log:
        assert len(e.written_ns) == 1 and e.written_ns[0] >= e.read_ns
    data = [e for e in log if e.payload_len]
    assert [e.summary for e in data] == ["TCP [P.] len 4", "TCP [P.] len 4"]


def test_the_loop_sleeps_when_nothing_happens():
    wire = Wire()
    with Lab(link="wire", wire=wire) as lab:
        exchange(lab)
        time.sleep(0.5)  # idle: a spinning loop would wake thousands of times
    # (the loop's process reports its count when it stops) once per frame, at most, and
    # once for each delivery and for the stop
    assert 0 < wire.wakeups <= 2 * len(wire.log()) + 5


def _uids(pid: int) -> set[str]:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return set(next(line for line in status if line.startswith("Uid:")).split()[1:])


def test_the_loop_reads_frames_without_root_and_holds_only_its_devices():
    wire = Wire()
    with Lab(link="wire", wire=wire) as lab:
        assert exchange(lab) == b"PING"
        pid = wire.loop_pid
        assert pid and _uids(pid) == {"65534"}
        held = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")
                if int(fd) > 2]  # beyond standard input, output and error
        assert held.count("/dev/net/tun") == 2
        assert all(t == "/dev/net/tun" or t.startswith("pipe:") for t in held), held
    assert wire.error is None and wire.log()


def test_rules_apply_on_the_wire_and_tcp_recovers():
    wire = Wire(parse_plan(loss=["1"], delay=["20ms"]))
    with Lab(link="wire", wire=wire) as lab:
        assert exchange(lab) == b"PING"
    log = wire.log()  # once the wire has stopped: its loop runs in a child without root
    dropped = [e for e in log if e.action is Action.DROPPED]
    assert len(dropped) == 1 and dropped[0].payload_len == 4 and dropped[0].direction == "c2s"
    resent = [e for e in log if e.payload_len == 4 and e.direction == "c2s"
              and e.action is Action.DELAYED]
    assert resent and resent[0].seq == dropped[0].seq
    delivered = [e for e in log if e.action is Action.DELAYED and e.written_ns]
    assert delivered  # (frames still on the way when the wire stopped were never written)
    for e in delivered:
        assert e.written_ns[0] - e.read_ns >= 20_000_000  # a lower bound only


def test_closing_the_wire_removes_both_devices_at_once():
    wire = Wire()
    lab = Lab(link="wire", wire=wire)
    lab.start()
    try:
        names = (lab.client.device, lab.server.device)
        assert set(names) <= set(devices(lab))
        wire.stop()
        assert not set(names) & set(devices(lab))
    finally:
        lab.close()


def test_a_tap_lives_as_long_as_its_descriptor():
    holder = subprocess.Popen(["unshare", "--net", "--", "cat"], stdin=subprocess.PIPE)
    try:
        ns = f"/proc/{holder.pid}/ns/net"
        deadline = time.monotonic() + 5
        while os.readlink(ns) == os.readlink("/proc/self/ns/net"):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        name = f"wl-{os.getpid()}-t"[:15]
        fd = open_tap(name, ns)

        def listed() -> bool:
            shown = subprocess.run(["nsenter", f"--net={ns}", "ip", "-o", "link"],
                                   capture_output=True, text=True, check=True).stdout
            return f" {name}:" in shown

        assert listed()
        assert name not in os.listdir("/sys/class/net")  # born in the host, never here
        os.close(fd)
        assert not listed()
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(5)


def test_bad_tap_names_are_refused():
    with pytest.raises(WireError):
        open_tap("x" * 20)


def test_the_gate_holds_each_frame_until_the_class_releases_or_drops_it():
    """The test plays the class: it drops the first SYN, then releases every frame in
    the order it came; the client's kernel resends the SYN after its timeout."""
    commands_r, commands_w = os.pipe()
    events_r, events_w = os.pipe()
    wire = Wire(Plan(gate=True), gateline.Fds(commands_r, events_w))
    reply: list[bytes] = []
    events: list[gateline.Event] = []
    with Lab(link="wire", wire=wire) as lab:
        worker = threading.Thread(target=lambda: reply.append(exchange(lab)), daemon=True)
        worker.start()
        lines = gateline.Lines()
        with os.fdopen(events_r, "rb", buffering=0) as source:
            while worker.is_alive() or select.select([source], [], [], 0.5)[0]:
                if not select.select([source], [], [], 0.5)[0]:
                    continue
                for line in lines.feed(source.read(65536)):
                    event = gateline.parse_event(line)
                    assert event is not None, line
                    events.append(event)
                    if event.kind == "held":
                        word = "drop" if event.number == events[0].number else "release"
                        os.write(commands_w, gateline.command(word, event.number))
        os.close(commands_w)
    assert reply == [b"PING"] and wire.error is None
    held = [e for e in events if e.kind == "held"]
    first, again = held[0], held[1]
    assert [e for e in events if e.kind == "dropped"] == [gateline.Event("dropped", first.number)]
    assert first.data[47] == again.data[47] == 0x02  # both SYNs (IPv4, no options: offset 47)
    assert first.data[38:42] == again.data[38:42]  # the same sequence number: resent
    assert again.ns - first.ns >= 900_000_000  # the kernel waited its timeout (1 s at first)
    out = {e.number for e in events if e.kind == "out"}
    assert out == {e.number for e in held[1:]}
    log = {e.number: e for e in wire.log()}
    assert log[first.number].action is Action.DROPPED
    assert "dropped by the class" in log[first.number].reason
    assert all(log[e.number].action is Action.PASSED and log[e.number].written_ns
               for e in held[1:])
