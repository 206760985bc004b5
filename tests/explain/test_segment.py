"""The numbers of a TCP segment that conversation tracking needs."""

from __future__ import annotations

import pytest

from wirelens.explain.segment import Segment, ident
from wirelens.explain.wirenumbers import ACK, FIN, PSH, RST, SYN


def segment(flags: int, payload_len: int = 0) -> Segment:
    return Segment(1, 0, "10.0.0.1", 40000, "10.0.0.2", 80, 1000, 0, flags, 512, payload_len)


@pytest.mark.parametrize(("flags", "payload_len", "seq_len"), [
    (SYN, 0, 1), (SYN | ACK, 0, 1), (ACK, 0, 0), (PSH | ACK, 14, 14), (FIN | ACK, 0, 1),
    (FIN | PSH | ACK, 5, 6), (SYN | FIN, 3, 5), (RST, 0, 0)])
def test_sequence_numbers_used_count_syn_and_fin_as_one_each(flags, payload_len, seq_len) -> None:
    assert segment(flags, payload_len).seq_len == seq_len


def test_flag_properties_and_the_two_ends() -> None:
    s = segment(RST | ACK)
    assert (s.syn, s.fin, s.rst, s.has_ack) == (False, False, True, True)
    assert (s.source, s.destination) == (("10.0.0.1", 40000), ("10.0.0.2", 80))


def test_ident_joins_the_ip_identification_and_the_tcp_checksum() -> None:
    assert ident(0x1234, 0xABCD) == 0x1234ABCD
    assert ident(0, 0xABCD) == 0xABCD
    assert ident(-1, 0xABCD) == 0xABCD  # IPv6: no identification
