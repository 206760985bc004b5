"""``explain-demo tcp --live --step``: the class steps a real exchange in the terminal.

The test is the class: a line on the demo's standard input is a keypress. Live (root).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.app.live.driver import Demo, nothing_left

pytestmark = pytest.mark.live
HELD = r"packet #(\d+) from the (client|server) is held on the wire"


def shark_retransmissions(path: Path) -> set[int]:
    assert shutil.which("tshark"), "tshark is not installed (the Makefile installs it)"
    out = subprocess.run(["tshark", "-n", "-r", str(path), "-Y", "tcp.analysis.retransmission",
                          "-T", "fields", "-e", "frame.number"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return {int(n) for n in out.split()}


def test_each_keypress_releases_one_packet_and_a_dropped_segment_is_resent(
        tmp_path: Path) -> None:
    saved = tmp_path / "live.pcapng"
    demo = Demo("--step", "--width", "1000", "--save", str(saved), stdin=True)
    try:
        released: list[int] = []
        dropped = 0
        headers: dict[int, str] = {}
        while True:
            line = demo.line()
            assert line is not None, demo.stderr()
            header = re.match(r"Packet (\d+) · .*· (.+?) ─", line)
            if header:
                headers[int(header.group(1))] = header.group(2)
            if "Retransmission on timeout" in line:
                assert dropped and "RTO" in line
            held = re.search(HELD, line)
            if held:
                number = int(held.group(1))
                if not dropped and headers.get(number, "").startswith("data"):
                    dropped = number
                    demo.press("d")
                else:
                    released.append(number)
                    demo.press()
            if "The exchange is over" in line:
                break
        assert demo.wait() == 0, demo.stderr()
    finally:
        demo.kill()
    assert dropped, "no data segment was held"
    assert released == sorted(released) and dropped not in released
    resent = [n for n in released if n > dropped and headers[n].startswith("data")]
    assert resent, headers  # the client's kernel sent the dropped bytes again
    assert shark_retransmissions(saved)  # and Wireshark flags it in the saved capture
    assert not nothing_left(demo.proc.pid)


def test_quitting_ends_the_exchange_and_leaves_nothing() -> None:
    demo = Demo("--step", "--width", "1000", stdin=True)
    try:
        demo.until(HELD)
        demo.press("q")
        assert demo.wait() == 130
    finally:
        demo.kill()
    assert not nothing_left(demo.proc.pid)


@pytest.mark.parametrize(("scenario", "drop"), [
    ("refused", False), ("server-closes", False), ("half-close", False),
    ("simultaneous-close", False), ("reset", False), ("zero-window", False),
    ("backlog", False), ("chat", False), ("udp", True), ("dns", True),
])
def test_each_scenario_of_the_library_steps_to_its_end(scenario: str, drop: bool,
                                                       tmp_path: Path) -> None:
    """A key for each held packet (the first one dropped, for a datagram) until the
    exchange is over; then the whole explanation, exit 0, and nothing left."""
    saved = tmp_path / "live.pcapng"
    demo = Demo("--step", "--width", "1000", "--save", str(saved), stdin=True,
                scenario=scenario)
    try:
        presses = 0
        said_dropped = False
        while True:
            line = demo.line()
            assert line is not None, demo.stderr()
            if re.search(HELD, line):
                demo.press("d" if drop and presses == 0 else "")
                presses += 1
            said_dropped |= "a UDP datagram, which no kernel sends again" in line
            if "The exchange is over" in line:
                break
        assert demo.wait() == 0, demo.stderr()
    finally:
        demo.kill()
    assert presses >= 1
    assert said_dropped == drop
    if drop:  # both recvfrom() gave up, and nothing was sent again
        assert sum("recvfrom() returned TimeoutError" in line for line in demo.lines) == 2
    assert saved.stat().st_size > 0
    assert not nothing_left(demo.proc.pid)


def test_a_library_scenario_steps_over_ipv6_too() -> None:
    """refused over IPv6: the held SYN goes to the lab's IPv6 server, where nothing listens."""
    demo = Demo("--step", "--width", "1000", "--ipv6", stdin=True, scenario="refused")
    try:
        while True:
            line = demo.line()
            assert line is not None, demo.stderr()
            if re.search(HELD, line):
                demo.press("")
            if "The exchange is over" in line:
                break
        assert demo.wait() == 0, demo.stderr()
    finally:
        demo.kill()
    said = "\n".join(demo.lines)
    assert "[fd00:199::2]" in said and "nothing listens on it" in said
    assert "listening port" not in said
    assert not nothing_left(demo.proc.pid)

