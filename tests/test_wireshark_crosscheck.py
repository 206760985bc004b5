"""Our dissection checked field by field against Wireshark's own dissectors.

Two captures: the sample shipped with wirelens, and one built here with scapy (TCP options
and payloads, a four-segment and a three-segment close, an IPv6 conversation, a padded
frame and two deliberately wrong checksums). Values come from pyshark; byte positions
come from tshark's PDML (``pos`` and ``size`` of every field), which pyshark also parses
but does not hand out for repeated fields such as two NOP options.
"""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from wirelens.capture.pcapfile import open_capture, write_pcapng
from wirelens.explain.explainer import explain
from wirelens.explain.fields import FieldValue
from wirelens.explain.layers import ethernet, ipv4, ipv6, tcp
from wirelens.explain.model import PacketView
from wirelens.explain.records import Frame

pyshark = pytest.importorskip("pyshark", reason="pyshark is not installed")
TSharkCrashException = pyshark.capture.capture.TSharkCrashException
if shutil.which("tshark") is None:
    pytest.skip("tshark is not installed (the Makefile installs it)", allow_module_level=True)

# Verify checksums, as our explanation does; Wireshark leaves them unverified by default.
PREFS = {"ip.check_checksum": "TRUE", "tcp.check_checksum": "TRUE"}
TSHARK_TIMEOUT = 120  # seconds; a guard against a hang, not a speed check

# Our option field names are short; Wireshark's name each option's whole bytes like this.
OPTION_NAMES = {
    "tcp.option.eol": "tcp.options.eol",
    "tcp.option.nop": "tcp.options.nop",
    "tcp.option.mss": "tcp.options.mss",
    "tcp.option.wscale": "tcp.options.wscale",
    "tcp.option.sackOK": "tcp.options.sack_perm",
    "tcp.option.sack": "tcp.options.sack",
    "tcp.option.TS": "tcp.options.timestamp",
}
# Layers as Wireshark's <proto> elements name them.
PROTO_NAMES = {"Ethernet": "eth", "IPv4": "ip", "IPv6": "ipv6", "TCP": "tcp",
               "Payload": "tcp.payload"}
# Fields that name a whole frame, not bytes in it: Wireshark gives them no position.
NO_POSITION = ("frame.",)


def _int(shown: str) -> int:
    booleans = {"True": 1, "False": 0}  # how newer tsharks show a set or clear bit
    return booleans[shown] if shown in booleans else int(shown, 0)


def _ipv6(shown: str) -> str:
    return ipaddress.IPv6Address(shown).compressed


def _ours_int(fv: FieldValue) -> int:
    assert isinstance(fv.value, int), fv
    return fv.value


def _words_to_bytes(fv: FieldValue) -> int:
    return _ours_int(fv) * 4


# Wireshark field -> (how to read tshark's text, how to read ours from our field of that name).
SAME_VALUE: dict[str, tuple[Callable[[str], Any], Callable[[FieldValue], Any]]] = {
    **{name: (_int, _ours_int) for name in (
        "tcp.seq_raw", "tcp.ack_raw", "tcp.srcport", "tcp.dstport", "tcp.window_size_value",
        "tcp.flags.cwr", "tcp.flags.ece", "tcp.flags.urg", "tcp.flags.ack", "tcp.flags.push",
        "tcp.flags.reset", "tcp.flags.syn", "tcp.flags.fin", "tcp.checksum", "tcp.urgent_pointer",
        "ip.ttl", "ip.id", "ip.len", "ip.checksum", "ip.flags.df", "ip.flags.mf", "ip.proto",
        "eth.type", "ipv6.plen", "ipv6.hlim", "ipv6.nxt",
    )},
    "tcp.hdr_len": (_int, _words_to_bytes),  # Wireshark shows bytes, the field holds words
    "ip.hdr_len": (_int, _words_to_bytes),
    "eth.src": (str.lower, lambda fv: fv.display),
    "eth.dst": (str.lower, lambda fv: fv.display),
    "ip.src": (str, lambda fv: fv.display),
    "ip.dst": (str, lambda fv: fv.display),
    "ipv6.src": (_ipv6, lambda fv: fv.display),
    "ipv6.dst": (_ipv6, lambda fv: fv.display),
}
# Checksum verdicts: ours is the catalog variant, Wireshark's the *.checksum.status number.
STATUS = {"0": "wrong", "1": "correct"}


# ---------------------------------------------------------------- what tshark says


@dataclass(frozen=True)
class SharkPacket:
    values: dict[str, str]  # Wireshark field -> shown value (first occurrence), from pyshark
    positions: dict[str, set[tuple[int, int]]]  # field or proto -> every (pos, size), from PDML


def _pyshark_values(path: Path) -> list[dict[str, str]]:
    wanted = [*SAME_VALUE, "tcp.seq", "tcp.ack", "tcp.len", "tcp.flags.res",
              "ip.checksum.status", "tcp.checksum.status"]
    # a loop of its own: a test that ran asyncio.run() before leaves the thread without one,
    # and pyshark would then fail to find one
    loop = asyncio.new_event_loop()
    cap = pyshark.FileCapture(str(path), use_json=False, override_prefs=PREFS, eventloop=loop)
    out = []
    read_all = False
    try:
        for packet in cap:
            layers = {layer.layer_name: layer for layer in packet.layers}
            values = {}
            for name in wanted:
                layer = layers.get(name.split(".")[0])
                value = None if layer is None else layer.get_field_value(name)
                if value is not None:
                    values[name] = str(value)
            out.append(values)
        read_all = True
    finally:
        try:
            cap.close()
        except TSharkCrashException:
            # pyshark may call tshark's exit at close a crash (KimiNewt/pyshark#395, #437)
            # once every packet was read; then the packets are all here (and compared).
            if not read_all:
                raise
        finally:
            loop.close()
    return out


def _pdml_positions(path: Path) -> list[dict[str, set[tuple[int, int]]]]:
    options = [opt for name, value in PREFS.items() for opt in ("-o", f"{name}:{value}")]
    done = subprocess.run(["tshark", "-n", "-r", str(path), "-T", "pdml", *options],
                          capture_output=True, check=True, timeout=TSHARK_TIMEOUT)
    out = []
    for packet in ET.fromstring(done.stdout).iter("packet"):
        positions: dict[str, set[tuple[int, int]]] = defaultdict(set)
        for element in packet.iter():
            name, pos, size = element.get("name"), element.get("pos"), element.get("size")
            if element.tag in ("proto", "field") and name and pos and size:
                positions[name].add((int(pos), int(size)))
        out.append(dict(positions))
    return out


def tshark_view(path: Path) -> list[SharkPacket]:
    values, positions = _pyshark_values(path), _pdml_positions(path)
    assert len(values) == len(positions)
    return [SharkPacket(v, p) for v, p in zip(values, positions, strict=True)]


def our_view(path: Path) -> list[PacketView]:
    with open_capture(path) as capture:
        return list(explain(list(capture)).packets)


def fields_of(packet: PacketView) -> Iterator[FieldValue]:
    for layer in packet.layers:
        for view in layer.fields:
            yield view.field


def field(packet: PacketView, name: str) -> FieldValue:
    return next(fv for fv in fields_of(packet) if fv.name == name)


# ---------------------------------------------------------------- a capture made here

CLIENT_MAC, SERVER_MAC = "02:00:5e:00:00:01", "02:00:5e:00:00:02"
HANDSHAKE_OPTIONS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1000, 0)), ("NOP", None),
                     ("WScale", 7)]
DATA_OPTIONS = [("NOP", None), ("NOP", None), ("Timestamp", (1001, 2000))]


def _conversation(ip_layer: Callable[[bool], Any], sport: int, dport: int,
                  close: str) -> list[Any]:
    """Handshake, one request and reply, then a close of the kind asked ("3" or "4")."""
    from scapy.layers.inet import TCP
    from scapy.layers.l2 import Ether

    c_seq, s_seq = 1_000, 2**32 - 8  # the server's reply wraps its numbers past 2**32
    req, rep = b"Hello, Server!", b"Hello, Client!"

    def seg(from_client: bool, flags: str, seq: int, ack: int, payload: bytes = b"",
            options: list[Any] | None = None) -> Any:
        src, dst = (CLIENT_MAC, SERVER_MAC) if from_client else (SERVER_MAC, CLIENT_MAC)
        ports = (sport, dport) if from_client else (dport, sport)
        header = TCP(sport=ports[0], dport=ports[1], flags=flags, seq=seq % 2**32,
                     ack=ack % 2**32, window=502, options=options or [])
        return Ether(src=src, dst=dst) / ip_layer(from_client) / header / payload

    c1, s1 = c_seq + 1, s_seq + 1
    c2, s2 = c1 + len(req), s1 + len(rep)
    packets = [
        seg(True, "S", c_seq, 0, options=HANDSHAKE_OPTIONS),
        seg(False, "SA", s_seq, c1, options=HANDSHAKE_OPTIONS),
        seg(True, "A", c1, s1),
        seg(True, "PA", c1, s1, req, DATA_OPTIONS),
        seg(False, "A", s1, c2),
        seg(False, "PA", s1, c2, rep, DATA_OPTIONS),
        seg(True, "A", c2, s2),
        seg(True, "FA", c2, s2),
    ]
    if close == "4":
        packets += [seg(False, "A", s2, c2 + 1), seg(False, "FA", s2, c2 + 1)]
    else:
        packets += [seg(False, "FA", s2, c2 + 1)]
    packets.append(seg(True, "A", c2 + 1, s2 + 1))
    return packets


def built_frames() -> list[Frame]:
    from scapy.layers.inet import IP
    from scapy.layers.inet6 import IPv6
    from scapy.packet import Padding

    def v4(from_client: bool) -> Any:
        ends = ("192.0.2.10", "198.51.100.20")
        src, dst = ends if from_client else ends[::-1]
        return IP(src=src, dst=dst, ttl=64 if from_client else 57, flags="DF")

    def v6(from_client: bool) -> Any:
        ends = ("2001:db8::10", "2001:db8:0:1::20")
        src, dst = ends if from_client else ends[::-1]
        return IPv6(src=src, dst=dst, hlim=64 if from_client else 55)

    four = _conversation(v4, 40_001, 8080, close="4")
    three = _conversation(v4, 40_002, 8080, close="3")
    over_v6 = _conversation(v6, 40_003, 443, close="3")
    for number, pkt in enumerate(four + three):
        pkt[IP].id = 0x1000 + number
    three[2] = three[2] / Padding(b"\0" * 6)  # 54 bytes: the pad to Ethernet's 60-byte minimum
    three[4][IP].chksum = 0xDEAD  # wrong IPv4 header checksum
    three[5]["TCP"].chksum = 0xBEEF  # wrong TCP checksum
    packets = four + three + over_v6
    t0 = 1_700_000_000_000_000_000
    return [Frame(i, t0 + i * 1_000_000, bytes(pkt)) for i, pkt in enumerate(packets, start=1)]


# ---------------------------------------------------------------- the two captures


@dataclass(frozen=True)
class Compared:
    ours: list[PacketView]
    shark: list[SharkPacket]

    def pairs(self) -> Iterator[tuple[PacketView, SharkPacket]]:
        yield from zip(self.ours, self.shark, strict=True)


def compare(path: Path) -> Compared:
    ours, shark = our_view(path), tshark_view(path)
    assert len(ours) == len(shark) > 0
    return Compared(ours, shark)


@pytest.fixture(scope="module")
def sample(sample_path: str) -> Compared:
    return compare(Path(sample_path))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Compared:
    path = tmp_path_factory.mktemp("crosscheck") / "built.pcapng"
    write_pcapng(path, built_frames())
    return compare(path)


@pytest.fixture(params=["sample", "built"])
def capture(request: pytest.FixtureRequest) -> Compared:
    compared: Compared = request.getfixturevalue(request.param)
    return compared


def test_built_capture_holds_what_it_should() -> None:
    exp = explain(built_frames())
    assert [c.summary.close for c in exp.conversations] == [
        "four-segment", "three-segment", "three-segment"]
    assert all(c.summary.handshake == "complete" for c in exp.conversations)


# ---------------------------------------------------------------- the checks


def test_field_values_match_wireshark(capture: Compared) -> None:
    compared = 0
    for ours, shark in capture.pairs():
        names = {fv.name for fv in fields_of(ours)}
        for name, (theirs_of, ours_of) in SAME_VALUE.items():
            if name not in names:
                continue
            assert name in shark.values, f"packet {ours.index}: tshark has no {name}"
            expected = theirs_of(shark.values[name])
            assert ours_of(field(ours, name)) == expected, f"packet {ours.index}: {name}"
            compared += 1
        if ours.sender:
            assert ours.payload_len == int(shark.values["tcp.len"]), f"packet {ours.index}"
    assert compared >= 20 * len(capture.ours)


def test_relative_numbers_match_wireshark(capture: Compared) -> None:
    for ours, shark in capture.pairs():
        assert ours.rel_seq == int(shark.values["tcp.seq"]), f"packet {ours.index}"
        if field(ours, "tcp.flags.ack").value:
            assert ours.rel_ack == int(shark.values["tcp.ack"]), f"packet {ours.index}"


@pytest.mark.parametrize("name", ["ip.checksum", "tcp.checksum"])
def test_checksum_verdicts_match_wireshark(capture: Compared, name: str) -> None:
    verdicts = []
    for ours, shark in capture.pairs():
        if name not in {fv.name for fv in fields_of(ours)}:
            continue
        status = shark.values[f"{name}.status"]
        assert status in STATUS, f"packet {ours.index}: tshark did not verify {name}"
        verdicts.append(field(ours, name).params["variant"])
        assert verdicts[-1] == STATUS[status], f"packet {ours.index}: {name}"
    assert verdicts


def test_built_capture_has_both_checksum_verdicts() -> None:
    packets = explain(built_frames()).packets
    for name in ("ip.checksum", "tcp.checksum"):
        seen = {field(p, name).params["variant"] for p in packets
                if any(fv.name == name for fv in fields_of(p))}
        assert seen == {"correct", "wrong"}, name


def test_field_offsets_match_wireshark(capture: Compared) -> None:
    """Whole-byte fields sit exactly where tshark puts them. A bit field covers the fewest
    bytes holding its bits; Wireshark gives it its whole bitmask (ipv6.tclass: 4 bytes),
    so there ours must lie inside Wireshark's."""
    for ours, shark in capture.pairs():
        for fv in fields_of(ours):
            if fv.name.startswith(NO_POSITION) or fv.name == "tcp.option.bad":
                continue
            name = OPTION_NAMES.get(fv.name, fv.name)
            assert name in shark.positions, f"packet {ours.index}: tshark has no {name}"
            where = f"packet {ours.index}: {fv.name} at {fv.offset}+{fv.length}, " \
                    f"tshark {sorted(shark.positions[name])}"
            if fv.bit_length:
                assert any(pos <= fv.offset and fv.offset + fv.length <= pos + size
                           for pos, size in shark.positions[name]), where
            else:
                assert (fv.offset, fv.length) in shark.positions[name], where


def test_layer_offsets_match_wireshark(capture: Compared) -> None:
    for ours, shark in capture.pairs():
        for layer in ours.layers:
            name = PROTO_NAMES.get(layer.name)
            if name is None:
                continue
            assert (layer.offset, layer.length) in shark.positions[name], (
                f"packet {ours.index}: {layer.name} at {layer.offset}+{layer.length}")


@pytest.mark.parametrize("table", [ethernet.FIELDS, ipv4.FIELDS, ipv6.FIELDS, tcp.FIELDS],
                         ids=["ethernet", "ipv4", "ipv6", "tcp"])
def test_every_table_field_is_a_wireshark_field(built: Compared, table: Any) -> None:
    """The tables promise Wireshark's display filter names: each is one tshark reports."""
    reported = {name for shark in built.shark for name in shark.positions}
    assert [spec.name for spec in table if spec.name not in reported] == []


def test_reserved_flag_bits_match_wireshark(tmp_path: Path) -> None:
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether

    path = tmp_path / "reserved.pcapng"
    segment = Ether() / IP(src="192.0.2.1", dst="192.0.2.2") / TCP(flags="S", reserved=1)
    write_pcapng(path, [Frame(1, 0, bytes(segment))])
    compared = compare(path)
    ours, shark = compared.ours[0], compared.shark[0]
    assert field(ours, "tcp.flags.res").value == _int(shark.values["tcp.flags.res"])
