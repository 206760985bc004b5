"""ARP for IPv4 over Ethernet: who has this address, and where it is."""

from __future__ import annotations

import pytest
from scapy.layers.l2 import ARP, Ether

from tests.explain.builders import field_map
from wirelens.explain.dissect import dissect as dissect_frame
from wirelens.explain.dissect import segment_of
from wirelens.explain.layers import arp
from wirelens.explain.layers.decoded import Truncated
from wirelens.explain.records import Frame


def test_arp_is_dissected():
    packet = Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="10.199.0.1", pdst="10.199.0.2")
    d = dissect_frame(Frame(1, 0, bytes(packet)))
    assert d.protocols == ("ethernet", "arp")
    assert field_map(d)["eth.dst"].key == "field.eth.dst.broadcast"
    assert segment_of(d) is None


def test_a_reply_says_who_is_where() -> None:
    message = bytes(ARP(op=2, hwsrc="02:00:00:00:00:02", psrc="10.0.0.2", pdst="10.0.0.1"))
    decoded = arp.dissect(message + b"\0" * 18, 0, len(message) + 18, {})
    f = decoded.facts
    assert (f["arp_op"], f["src"], f["dst"], f["arp_src_mac"]) == (
        2, "10.0.0.2", "10.0.0.1", "02:00:00:00:00:02")
    assert f["padding"] == 18 and decoded.payload_end == 28 and decoded.next_key is None
    opcode = next(x for x in decoded.layer.fields if x.name == "arp.opcode")
    assert opcode.params["name"] == "reply"


def test_an_unknown_opcode_and_a_short_message() -> None:
    message = bytes(ARP(op=9))
    decoded = arp.dissect(message, 0, len(message), {})
    assert next(x for x in decoded.layer.fields if x.name == "arp.opcode").params["name"] == "?"
    with pytest.raises(Truncated):
        arp.dissect(message[:27], 0, 27, {})
