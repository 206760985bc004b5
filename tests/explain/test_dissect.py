"""Offsets, lengths and checksums from the field tables, and broken frames that never raise."""

from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

from tests.explain.builders import HANDSHAKE, frames
from wirelens.explain.dissect import dissect, segment_of
from wirelens.explain.records import Frame
from wirelens.overview.fastwalk import walk


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


def _walked_and_dissected(frame):
    return walk(frame), segment_of(dissect(frame))


def test_tcp_behind_an_ipv6_authentication_header_and_a_tunnel_is_read():
    """libpcap-AH-IPcomp-IPv6.pcap: IPv6, AH (RFC 4302: (length + 2) * 4 bytes), IPv6 in
    IPv6 (protocol 41), TCP: the inner addresses name the conversation, as Wireshark's."""
    ah = bytes([41, 4]) + b"\x00\x00" + (0x1234).to_bytes(4, "big") + (1).to_bytes(4, "big") \
        + b"\xab" * 12  # next header, 4 => 24 bytes, reserved, SPI, sequence, ICV
    inner = IPv6(src="2000::1", dst="2003::1") / TCP(sport=1234, dport=80, flags="S", seq=7)
    outer = IPv6(src="2002::2", dst="4000::1", nh=51) / Raw(ah + bytes(inner))
    walked, dissected = _walked_and_dissected(Frame(1, 0, bytes(Ether() / outer)))
    assert dissected is not None and walked == dissected
    assert (dissected.src, dissected.dst, dissected.seq) == ("2000::1", "2003::1", 7)


def test_an_ip_length_beyond_the_wire_length_is_no_snap_length_cut():
    """gopacket-linux_sll_oversized_addr.pcapng frame 45: the IP header claims 4096 bytes
    more than the frame had on the wire; Wireshark's tcp.len is the bytes there are (0)."""
    packet = bytearray(bytes(Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(flags="A")))
    packet[16:18] = (40 + 4096).to_bytes(2, "big")  # the IPv4 total length
    walked, dissected = _walked_and_dissected(Frame(1, 0, bytes(packet)))
    assert dissected is not None and walked == dissected and dissected.payload_len == 0
    cut = Frame(1, 0, bytes(packet), orig_len=len(packet) + 4096)  # a snap-length cut
    walked, dissected = _walked_and_dissected(cut)
    assert dissected is not None and walked == dissected and dissected.payload_len == 4096


def test_dlt_raw_link_type_12_is_raw_ip_as_in_wireshark():
    """pcapplusplus-four_ipv6_http_streams.pcap: link type 12 (DLT_RAW), IPv6 first."""
    packet = bytes(IPv6(src="2001::1", dst="2001::2") / TCP(sport=1, dport=80, flags="S"))
    walked, dissected = _walked_and_dissected(Frame(1, 0, packet, 12))
    assert dissected is not None and walked == dissected and dissected.dport == 80


def test_mpls_labels_down_to_the_bottom_then_ip_by_its_first_nibble():
    """pcapplusplus-MplsPackets.pcap: EtherType 0x8847, label entries (20-bit label, 3 bits
    mpls.exp, the bottom-of-stack bit, TTL) until the bottom one, then IPv4 or IPv6."""
    labels = (16000 << 12 | 126).to_bytes(4, "big") + (18 << 12 | 1 << 8 | 254).to_bytes(4, "big")
    ip = bytes(IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1, dport=80, flags="S"))
    frame = Frame(1, 0, bytes(Ether(dst="00:00:00:00:00:01", type=0x8847)) + labels + ip)
    d = dissect(frame)
    assert d.protocols == ("ethernet", "mpls", "mpls", "ipv4", "tcp")
    first, second = ({f.name: f.display for f in layer.fields} for layer in d.layers[2:4])
    assert (first["mpls.label"], first["mpls.bottom"], first["mpls.ttl"]) == ("16000", "0", "126")
    assert (second["mpls.label"], second["mpls.bottom"]) == ("18", "1")
    walked, dissected = _walked_and_dissected(frame)
    assert dissected is not None and walked == dissected and dissected.dport == 80


def test_pppoe_session_then_ppp_protocol_then_ip():
    """pcapplusplus-one_http_stream_rst.pcap: EtherType 0x8864, 6 bytes of PPPoE (RFC 2516),
    PPP's protocol 0x0021 (IPv4), as Wireshark's pppoes and ppp layers."""
    ip = bytes(IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1, dport=80, flags="S"))
    pppoe = bytes([0x11, 0x00]) + (0xDDE5).to_bytes(2, "big") + (len(ip) + 2).to_bytes(2, "big")
    frame = Frame(1, 0, bytes(Ether(dst="00:00:00:00:00:01", type=0x8864)) + pppoe
                  + b"\x00\x21" + ip)
    d = dissect(frame)
    assert d.protocols == ("ethernet", "pppoes", "ppp", "ipv4", "tcp")
    got = fields(d)
    assert (got["pppoe.session_id"].display, got["ppp.protocol"].display) == ("0xdde5", "0x0021")
    walked, dissected = _walked_and_dissected(frame)
    assert dissected is not None and walked == dissected and dissected.dport == 80
