"""explain-pcap over every real capture of ../shared/captures, held against tshark and Zeek.

Each file: no traceback; a file made broken on purpose gives a one-line error and exit 2,
or a partial result with a warning; every field shown under a Wireshark name has
Wireshark's value; the TCP conversations are tshark's tcp.stream; the analysis flags are
tshark's; history and conn_state are Zeek's (``zeek.py``); --summary tells every
conversation as the packet-by-packet explanation does. ``KNOWN`` lists the differences
kept on purpose, each with its reason (the output says each of them too).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.corpus.compare import check
from tests.corpus.oracle import CORPUS, corpus_files, have_tshark

pytestmark = [
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS} (a user's clone)"),
    pytest.mark.skipif(not have_tshark(), reason="needs tshark (the Makefile installs it)"),
]


def _malformed() -> set[str]:
    manifest = CORPUS / "manifest.json"
    if not manifest.exists():
        return set()
    return {entry["name"] for entry in json.loads(manifest.read_text()) if entry.get("malformed")}


FRAGMENTS = "IP fragments are not reassembled (said in the output); Wireshark shows the " \
            "reassembled segment in the last fragment's frame"
# file -> (text each kept difference contains, why we differ on purpose)
KNOWN: dict[str, list[tuple[str, str]]] = {
    "pcapplusplus-frag_http_req.pcap": [("tcp.stream 0 (frames [11])", FRAGMENTS)],
    "suricata-defrag-eth-vlan-ipv6-tcp.pcap": [("tcp.stream 0 (frames [3])", FRAGMENTS)],
    "libpcap-AH-IPcomp-IPv6.pcap": [
        ("tcp.stream 0", "IPComp (IP protocol 108) compresses the TCP segments of frames 3-7, "
                         "9, 10: Wireshark inflates them, we show the compressed payload"),
        ("our conversation of frames [1, 2, 8", "the same: our conversation lacks the "
                                                "compressed segments"),
        ("we flag", "the same: without the compressed segments, later ones look out of step"),
    ],
    "dpkt-nb6-http.pcap": [("tcp.stream 2", "IPv6 in PPP in L2TP in UDP: tunnels inside UDP "
                                            "are not walked")],
    "suricata-ipv6-malformed-fragments-22.pcap": [
        ("tcp.stream 0 (frames [6, 9])", "frame 9 is an ICMPv6 error quoting a TCP header: "
                                         "Wireshark puts the quote in the stream, we do not"),
        ("our conversation of frames [6]", "the same"),
    ],
    "pcapplusplus-tcp-malformed.pcap": [
        ("tcp.stream 0 (frames [1, 2])", "a TCP header longer than the IP packet leaves it: "
                                         "Wireshark opens a stream it cannot analyse, we call "
                                         "the header truncated (said per frame)"),
    ],
    "pcapplusplus-null_loopback.pcap": [
        ("null.family", "a loopback header with an EtherType in its low 16 bits: Wireshark "
                        "reads it as null.type; we show the 4-byte family and stop"),
    ],
    "suricata-bug-6875-01-fuzz.pcap": [
        ("frame 1 ", "tshark rejects this fuzzed file (a record claims 16 MB) and reads its "
                     "first record 8 bytes further on, guessing another pcap variant; we read "
                     "the records the magic number announces, and stop at the bad one"),
    ],
    "chrissanders-activeosfingerprinting.pcapng": [
        ("conversation 15 (tcp.stream 14): client", "a SYN-ACK from an unprivileged port "
         "before any SYN: Zeek keeps its sender as originator, we take the SYN-ACK's sender "
         "as the server (its history and verdict are still Zeek's)"),
    ],
    "tcpdump-tcp_eight_lowest_weight_flags_set.pcap": [
        ("client", "one crafted segment with every flag set (SYN, ACK, FIN, RST ...): Zeek "
                   "takes the sender as originator, we take a SYN-ACK's sender as the server"),
    ],
}


def _known(name: str, difference: str) -> bool:
    return any(text in difference for text, _ in KNOWN.get(name, []))


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_real_capture_as_wireshark_and_zeek_tell_it(path: Path) -> None:
    report = check(path)
    assert not report.traceback, report.traceback
    assert report.opened
    if report.error:  # refused: only a file broken on purpose, in one line
        assert path.name in _malformed(), report.error
        assert "\n" not in report.error
    differences = [d for d in report.differences if not _known(path.name, d)]
    assert differences == []


def test_the_corpus_is_there_when_it_should_be() -> None:
    assert len(corpus_files()) >= 100
