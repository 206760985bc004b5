"""BPF filters compiled and run by libpcap (capture/bpf.py), as tcpdump runs them."""

from __future__ import annotations

import ctypes.util
from collections.abc import Iterator
from dataclasses import replace

import pytest
from scapy.layers.inet import IP, TCP

from tests.explain.builders import CLOSE_THREE, DATA, HANDSHAKE, frames
from wirelens.capture import bpf
from wirelens.capture.bpf import BpfFilter, FilterError
from wirelens.explain.records import Frame
from wirelens.explain.wirenumbers import LINKTYPE_IPV4, LINKTYPE_RAW

TEXTBOOK = frames(HANDSHAKE + DATA + CLOSE_THREE)  # 127.0.0.1:40000 <-> 127.0.0.1:8080


@pytest.fixture
def compiled() -> Iterator[list[BpfFilter]]:
    """Filters a test made, freed after it."""
    made: list[BpfFilter] = []
    yield made
    for f in made:
        f.close()


def kept(expression: str, made: list[BpfFilter], fr: list[Frame] = TEXTBOOK) -> list[int]:
    """The numbers of the frames the filter keeps."""
    made.append(BpfFilter(expression))
    return [f.index for f in fr if made[-1].matches(f)]


def test_a_port_filter_keeps_that_ports_segments(compiled: list[BpfFilter]) -> None:
    assert kept("tcp port 8080", compiled) == list(range(1, 11))
    assert kept("tcp port 80", compiled) == []
    assert kept("udp", compiled) == []


def test_tcp_flag_tests_work_as_in_tcpdump(compiled: list[BpfFilter]) -> None:
    assert kept("tcp[tcpflags] & tcp-syn != 0", compiled) == [1, 2]
    assert kept("tcp[tcpflags] & tcp-fin != 0", compiled) == [8, 9]
    assert kept("src port 8080 and tcp[tcpflags] & tcp-push != 0", compiled) == [6]


def test_a_bad_expression_is_refused_at_once_with_libpcaps_words() -> None:
    with pytest.raises(FilterError) as info:
        BpfFilter("tcp prot 80")
    assert str(info.value).startswith("bad filter 'tcp prot 80': ")
    assert "syntax error" in str(info.value)


def bare_ip(linktype: int) -> Frame:
    """A SYN to port 8080 with no link header, as a raw-IP capture holds it."""
    return Frame(1, 0, bytes(IP(src="10.0.0.1", dst="10.0.0.2") / TCP(dport=8080)), linktype)


def test_each_link_type_gets_its_own_program(compiled: list[BpfFilter]) -> None:
    assert kept("tcp port 8080", compiled, [TEXTBOOK[0], bare_ip(LINKTYPE_IPV4)]) == [1, 1]
    assert set(compiled[-1]._programs) == {1, LINKTYPE_IPV4}


def test_a_raw_ip_capture_is_filtered_like_any_other(compiled: list[BpfFilter]) -> None:
    assert kept("tcp port 8080", compiled, [bare_ip(LINKTYPE_RAW)]) == [1]


def test_a_link_type_the_expression_cannot_apply_to_matches_nothing(
        compiled: list[BpfFilter]) -> None:
    raw = bare_ip(LINKTYPE_IPV4)  # no Ethernet addresses in it
    assert kept("ether host 00:00:00:00:00:00", compiled, [TEXTBOOK[0], raw]) == [1]


def test_length_tests_use_the_length_on_the_wire(compiled: list[BpfFilter]) -> None:
    first = TEXTBOOK[0]
    cut = replace(first, orig_len=1500)  # captured with a short snap length
    assert kept("greater 1000", compiled, [first, cut]) == [1]
    assert cut.data == first.data


def test_a_closed_filter_compiles_again_when_used(compiled: list[BpfFilter]) -> None:
    f = BpfFilter("tcp port 8080")
    compiled.append(f)
    f.close()
    assert f._programs == {}
    assert f.matches(TEXTBOOK[0])


def test_without_libpcap_a_filter_cannot_be_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: "libwirelens-none.so")
    bpf._libpcap.cache_clear()
    try:
        with pytest.raises(FilterError, match="--filter needs libpcap"):
            BpfFilter("tcp")
    finally:
        bpf._libpcap.cache_clear()  # the next use loads the real one
