"""TCP's header read from its bytes: fixed fields, options one by one, checksum, cut frames."""

from __future__ import annotations

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

from tests.explain.builders import field_map, walked_and_dissected
from wirelens.explain.dissect import dissect as dissect_frame
from wirelens.explain.layers import tcp
from wirelens.explain.layers.decoded import Truncated
from wirelens.explain.records import Frame
from wirelens.explain.wirenumbers import ACK, CWR, ECE, FIN, PSH, SYN, URG


def fields_of(layer):
    return {f.name: f for f in layer.fields}


def read(segment: bytes, **below: object):
    return tcp.dissect(segment, 0, len(segment), below)


def options_of(segment: bytes) -> dict[str, str]:
    return {f.name: f.display for f in read(segment).layer.fields if f.name.startswith("tcp.op")}


def test_the_facts_a_conversation_needs() -> None:
    segment = bytes(TCP(sport=40000, dport=80, seq=7, ack=9, flags="PA", window=512) / b"hi")
    facts = read(segment).facts
    assert (facts["sport"], facts["dport"], facts["seq"], facts["ack"]) == (40000, 80, 7, 9)
    assert (facts["flags"], facts["window"], facts["payload_len"]) == (PSH | ACK, 512, 2)
    decoded = read(segment)
    assert (decoded.payload_start, decoded.payload_end, decoded.next_key) == (20, 22, None)


def test_options_each_have_their_own_field_and_bytes() -> None:
    syn = bytes(TCP(flags="S", options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (5, 6)),
                                        ("NOP", None), ("WScale", 7)]))
    decoded = read(syn)
    got = {f.name: f for f in decoded.layer.fields}
    assert got["tcp.option.mss"].display == "mss 1460"
    assert (got["tcp.option.mss"].offset, got["tcp.option.mss"].length) == (20, 4)
    assert got["tcp.option.TS"].display == "TS val 5 ecr 6"
    assert got["tcp.option.wscale"].params["factor"] == 128
    assert "tcp.option.sackOK" in got and "tcp.option.nop" in got
    assert (decoded.facts["mss"], decoded.facts["wscale"]) == (1460, 7)


def test_sack_blocks_are_counted() -> None:
    ack = bytes(TCP(flags="A", options=[("SAck", (1, 2, 3, 4))]))
    assert options_of(ack)["tcp.option.sack"] == "sack 2 block(s)"


def test_options_named_by_wiresharks_kind_names() -> None:
    mptcp = bytes(TCP(options=[(30, b"\x00\x81")]))
    assert options_of(mptcp) == {"tcp.option.mptcp": "Multipath TCP (30), 4 bytes"}
    tfo = bytes(TCP(options=[(254, b"\xf9\x89" + b"\x01" * 8)]))
    assert "tcp.option.tfo" in options_of(tfo)  # RFC 7413's experimental form
    other = bytes(TCP(options=[(99, b"\x00\x00")]))
    assert options_of(other) == {"tcp.option.other": "kind 99 (99), 4 bytes"}


def test_a_broken_option_ends_the_option_list() -> None:
    segment = bytearray(bytes(TCP(options=[("MSS", 1460)])))
    segment[21] = 9  # the MSS option claims 9 bytes: past the header's end
    assert options_of(bytes(segment)) == {"tcp.option.bad": "02 09 05 b4"}


def test_fewer_than_20_bytes_or_a_data_offset_below_5_is_truncated() -> None:
    with pytest.raises(Truncated):
        read(bytes(TCP())[:19])
    bad = bytearray(bytes(TCP()))
    bad[12] = 4 << 4
    with pytest.raises(Truncated):
        read(bytes(bad))


def test_options_cut_short_by_the_snap_length() -> None:
    syn = bytes(TCP(flags="S", options=[("MSS", 1460), ("Timestamp", (5, 6))]))[:26]
    decoded = tcp.dissect(syn, 0, len(syn), {"declared_end": 36})
    assert decoded.facts["cut"] == "TCP options cut short: 6 of 16 bytes captured"
    assert fields_of(decoded.layer)["tcp.checksum"].key == "field.tcp.checksum.uncaptured"


def test_the_payload_length_comes_from_the_ip_header_when_the_frame_is_cut() -> None:
    segment = bytes(TCP(flags="PA") / (b"x" * 100))[:30]
    decoded = tcp.dissect(segment, 0, 30, {"declared_end": 120, "wire_len": 200})
    assert decoded.facts["payload_len"] == 100
    assert decoded.facts["cut"] == "TCP payload cut short: 10 of 100 bytes captured"


def test_a_wrong_tcp_checksum_is_named_with_the_expected_value() -> None:
    packet = Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(chksum=0x4321)
    f = field_map(dissect_frame(Frame(1, 0, bytes(packet))))
    assert f["tcp.checksum"].key == "field.tcp.checksum.wrong"
    assert f["tcp.checksum"].params["expected"] != "0x4321"
    good = Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / TCP() / b"data"
    assert field_map(dissect_frame(Frame(1, 0, bytes(good))))["tcp.checksum"].key == \
        "field.tcp.checksum.correct"


def test_an_ip_length_beyond_the_wire_length_is_no_snap_length_cut():
    """gopacket-linux_sll_oversized_addr.pcapng frame 45: the IP header claims 4096 bytes
    more than the frame had on the wire; Wireshark's tcp.len is the bytes there are (0)."""
    packet = bytearray(bytes(Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(flags="A")))
    packet[16:18] = (40 + 4096).to_bytes(2, "big")  # the IPv4 total length
    walked, dissected = walked_and_dissected(Frame(1, 0, bytes(packet)))
    assert dissected is not None and walked == dissected and dissected.payload_len == 0
    cut = Frame(1, 0, bytes(packet), orig_len=len(packet) + 4096)  # a snap-length cut
    walked, dissected = walked_and_dissected(cut)
    assert dissected is not None and walked == dissected and dissected.payload_len == 4096


def test_tcpdump_letters_in_tcpdumps_order() -> None:
    assert tcp.tcpdump_flags(SYN | ACK) == "S."
    assert tcp.tcpdump_flags(FIN | PSH | ACK) == "FP."
    assert tcp.tcpdump_flags(URG | ECE | CWR) == "UEW"
    assert tcp.tcpdump_flags(0) == "none"


def test_accurate_ecn_reads_ae_cwr_ece_as_one_counter() -> None:
    segment = bytearray(bytes(TCP(flags="A")))
    segment[12] |= 1  # AE
    segment[13] |= 0x40  # ECE: AE, CWR, ECE = 1, 0, 1
    layer = read(bytes(segment)).layer
    assert tcp.ecn_bits(layer) == 0b101
    counted = fields_of(tcp.accecn_counter(layer))
    assert not set(tcp.ECN_BITS) & set(counted)
    ace = counted["tcp.flags.ace"]
    assert (ace.value, ace.offset, ace.bit_offset, ace.bit_length) == (5, 12, 7, 3)
    names = [f.name for f in tcp.accecn_counter(layer).fields]
    assert names.index("tcp.flags.ace") == names.index("tcp.flags.res") + 1
