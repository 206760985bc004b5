"""Reading ``ss``: the argument list it is given, and its lines made into records."""

from __future__ import annotations

from wirelens.demos.kernel import parse, ss_command
from wirelens.explain.records import KernelSocket

SS_OUTPUT = """\
LISTEN     2      1          127.0.0.1:42165        0.0.0.0:*
ESTAB      0      0          127.0.0.1:42165      127.0.0.1:54718
SYN-SENT   0      1          127.0.0.1:54730      127.0.0.1:42165
TIME-WAIT  0      0              [::1]:8080           [::1]:40000
State      Recv-Q Send-Q     Local Address:Port   Peer Address:Port
garbage
"""


def test_each_side_is_asked_for_its_own_end_of_the_port() -> None:
    assert ss_command("server", 8080) == ["-H", "-t", "-a", "-n", "sport", "=", ":8080"]
    assert ss_command("client", 8080) == ["-H", "-t", "-a", "-n", "dport", "=", ":8080"]


def test_lines_become_records_and_anything_else_is_skipped() -> None:
    assert parse(SS_OUTPUT) == (
        KernelSocket("LISTEN", "127.0.0.1:42165", "0.0.0.0:*", 2, 1),
        KernelSocket("ESTAB", "127.0.0.1:42165", "127.0.0.1:54718", 0, 0),
        KernelSocket("SYN-SENT", "127.0.0.1:54730", "127.0.0.1:42165", 0, 1),
        KernelSocket("TIME-WAIT", "[::1]:8080", "[::1]:40000", 0, 0),
    )
    assert parse("") == ()
