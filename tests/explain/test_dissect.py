"""The whole frame: offsets across layers, link types, padding, and broken frames that never
raise (each layer's own header: tests/explain/layers/)."""

from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether

from tests.explain.builders import HANDSHAKE, field_map, frames, walked_and_dissected
from wirelens.explain.dissect import dissect, segment_of
from wirelens.explain.records import Frame


def test_layers_and_offsets_of_a_syn():
    d = dissect(frames(HANDSHAKE)[0])
    assert [layer.name for layer in d.layers] == ["Frame", "Ethernet", "IPv4", "TCP"]
    f = field_map(d)
    assert (f["eth.type"].offset, f["eth.type"].length) == (12, 2)
    assert (f["ip.ttl"].offset, f["ip.src"].offset) == (22, 26)
    assert (f["tcp.seq_raw"].offset, f["tcp.seq_raw"].length) == (38, 4)
    assert (f["tcp.flags.syn"].offset, f["tcp.flags.syn"].bit_offset) == (47, 6)
    assert f["tcp.option.mss"].display == "mss 65495"
    assert f["ip.checksum"].key == "field.ip.checksum.correct"
    assert f["tcp.checksum"].key == "field.tcp.checksum.correct"


def test_ethernet_padding_is_its_own_layer():
    packet = bytes(Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / TCP()) + b"\0" * 6
    d = dissect(Frame(1, 0, packet))
    assert d.layers[-1].name == "Padding" and d.layers[-1].length == 6
    assert segment_of(d).payload_len == 0


def test_unknown_link_type_is_named():
    d = dissect(Frame(1, 0, b"\x01\x02", linktype=147))
    assert d.problem == "unknown link type 147"


@given(st.integers(min_value=0, max_value=80), st.binary(max_size=8), st.integers(0, 80))
def test_truncated_or_mutated_frames_never_raise(cut, noise, at):
    data = bytearray(frames(HANDSHAKE)[1].data[:cut])
    data[at:at] = noise
    d = dissect(Frame(1, 0, bytes(data)))
    assert d.layers[0].name == "Frame"


def test_dlt_raw_link_type_12_is_raw_ip_as_in_wireshark():
    """pcapplusplus-four_ipv6_http_streams.pcap: link type 12 (DLT_RAW), IPv6 first."""
    packet = bytes(IPv6(src="2001::1", dst="2001::2") / TCP(sport=1, dport=80, flags="S"))
    walked, dissected = walked_and_dissected(Frame(1, 0, packet, 12))
    assert dissected is not None and walked == dissected and dissected.dport == 80
