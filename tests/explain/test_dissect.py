"""Offsets, lengths and checksums from the field tables, and broken frames that never raise."""

from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import ARP, Ether

from tests.explain.builders import HANDSHAKE, frames
from wirelens.explain.dissect import dissect, segment_of
from wirelens.explain.records import Frame


def fields(d):
    return {f.name: f for layer in d.layers for f in layer.fields}


def test_layers_and_offsets_of_a_syn():
    d = dissect(frames(HANDSHAKE)[0])
    assert [layer.name for layer in d.layers] == ["Frame", "Ethernet", "IPv4", "TCP"]
    f = fields(d)
    assert (f["eth.type"].offset, f["eth.type"].length) == (12, 2)
    assert (f["ip.ttl"].offset, f["ip.src"].offset) == (22, 26)
    assert (f["tcp.seq_raw"].offset, f["tcp.seq_raw"].length) == (38, 4)
    assert (f["tcp.flags.syn"].offset, f["tcp.flags.syn"].bit_offset) == (47, 6)
    assert f["tcp.option.mss"].display == "mss 65495"
    assert f["ip.checksum"].key == "field.ip.checksum.correct"
    assert f["tcp.checksum"].key == "field.tcp.checksum.correct"


def test_a_wrong_checksum_is_named_with_the_expected_value():
    packet = Ether() / IP(src="10.0.0.1", dst="10.0.0.2", chksum=0x1234) / TCP(chksum=0x4321)
    f = fields(dissect(Frame(1, 0, bytes(packet))))
    assert f["ip.checksum"].key == "field.ip.checksum.wrong"
    assert f["ip.checksum"].params["expected"] != "0x1234"
    assert f["tcp.checksum"].key == "field.tcp.checksum.wrong"


def test_ethernet_padding_is_its_own_layer():
    packet = bytes(Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / TCP()) + b"\0" * 6
    d = dissect(Frame(1, 0, packet))
    assert d.layers[-1].name == "Padding" and d.layers[-1].length == 6
    assert segment_of(d).payload_len == 0


def test_arp_is_dissected():
    packet = Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="10.199.0.1", pdst="10.199.0.2")
    d = dissect(Frame(1, 0, bytes(packet)))
    assert d.protocols == ("ethernet", "arp")
    assert fields(d)["eth.dst"].key == "field.eth.dst.broadcast"
    assert segment_of(d) is None


def test_unknown_link_type_is_named():
    d = dissect(Frame(1, 0, b"\x01\x02", linktype=147))
    assert d.problem == "unknown link type 147"


@given(st.integers(min_value=0, max_value=80), st.binary(max_size=8), st.integers(0, 80))
def test_truncated_or_mutated_frames_never_raise(cut, noise, at):
    data = bytearray(frames(HANDSHAKE)[1].data[:cut])
    data[at:at] = noise
    d = dissect(Frame(1, 0, bytes(data)))
    assert d.layers[0].name == "Frame"
