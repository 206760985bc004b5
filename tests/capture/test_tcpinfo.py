"""The kernel's view of a TCP socket (capture/tcpinfo.py): struct tcp_info read field by field,
whatever length the kernel returns."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import pytest

from wirelens.capture.tcpinfo import LAYOUT, STATES, from_fields, parse, read

NATIVE = "@" + "".join(char for char, _ in LAYOUT)


def packed(values: dict[str, int]) -> bytes:
    """A whole struct tcp_info as this machine lays it out, zero but for ``values``."""
    return struct.pack(NATIVE, *(values.get(name, 0) for _, name in LAYOUT))


def test_every_field_is_read_from_its_place() -> None:
    values = {name: i + 1 for i, (_, name) in enumerate(LAYOUT)}
    assert parse(packed(values)) == values


def test_a_shorter_struct_from_an_older_kernel_gives_the_fields_it_holds() -> None:
    whole = packed({"state": 1, "rto": 200_000, "rtt": 50, "snd_cwnd": 10})
    # the first 8 one-byte fields, then rto, ato, snd_mss: 8 + 3 * 4 bytes
    fields = parse(whole[:20])
    assert list(fields) == [name for _, name in LAYOUT[:11]]
    assert fields["state"] == 1 and fields["rto"] == 200_000
    assert parse(whole[:19])["ato"] == 0 and "snd_mss" not in parse(whole[:19])
    assert parse(b"") == {}


def test_fields_the_kernel_did_not_return_are_minus_one() -> None:
    info = from_fields("client", 5, {"state": 1, "rtt": 50, "snd_cwnd": 10})
    assert (info.side, info.ts_ns, info.state) == ("client", 5, "ESTABLISHED")
    assert (info.rtt_us, info.snd_cwnd) == (50, 10)
    assert info.snd_wnd == -1 and info.bytes_retrans == -1 and info.min_rtt_us == -1
    assert info.raw == (("state", 1), ("rtt", 50), ("snd_cwnd", 10))


def test_states_are_named_as_rfc_9293_names_them() -> None:
    assert from_fields("server", 0, {"state": 10}).state == "LISTEN"
    assert from_fields("server", 0, {"state": 6}).state == "TIME_WAIT"
    assert from_fields("server", 0, {"state": 99}).state == "99"  # unknown: its number
    assert from_fields("server", 0, {}).state == "-1"
    assert set(STATES.values()) == {"ESTABLISHED", "SYN_SENT", "SYN_RECEIVED", "FIN_WAIT_1",
                                    "FIN_WAIT_2", "TIME_WAIT", "CLOSED", "CLOSE_WAIT",
                                    "LAST_ACK", "LISTEN", "CLOSING"}


# ---------------------------------------------------------------- a real socket (loopback)


@pytest.fixture
def connected() -> Iterator[tuple[socket.socket, socket.socket, socket.socket]]:
    """(listener, client, accepted) on 127.0.0.1."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        with socket.create_connection(listener.getsockname()) as client:
            accepted, _ = listener.accept()
            with accepted:
                yield listener, client, accepted


def test_a_loopback_connection_reads_as_established(
        connected: tuple[socket.socket, socket.socket, socket.socket]) -> None:
    listener, client, accepted = connected
    client.sendall(b"x" * 1000)
    assert accepted.recv(1000, socket.MSG_WAITALL) == b"x" * 1000
    info = read(client, "client")
    assert info is not None
    assert info.side == "client" and info.state == "ESTABLISHED"
    assert info.snd_mss > 0 and info.rto_us > 0 and info.snd_cwnd > 0
    assert info.segs_out >= 2  # the handshake's ACK and the data, at least
    listening = read(listener, "server")
    assert listening is not None and listening.state == "LISTEN"


def test_a_socket_that_is_not_tcp_has_no_tcp_info() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagrams:
        assert read(datagrams, "client") is None


def test_a_closed_socket_has_no_tcp_info(
        connected: tuple[socket.socket, socket.socket, socket.socket]) -> None:
    _, client, _ = connected
    client.close()
    assert read(client, "client") is None
