"""One conversation summed up: its handshake and close in words, and Zeek's conn_state."""

from __future__ import annotations

import pytest

from wirelens.explain.conversation_record import Conversation, Side
from wirelens.explain.conversation_summary import (
    CLOSE,
    HANDSHAKE,
    VERDICTS,
    addr_text,
    summarize,
)
from wirelens.explain.tcp_state import State
from wirelens.explain.zeek_history import ZeekHistory

CLIENT, SERVER = ("10.0.0.1", 40000), ("10.0.0.2", 80)


def record(*, sent: str = "cs", history: str = "", orig_is_client: bool = True,
           **seen: object) -> Conversation:
    """A conversation record as the tracker would leave it; ``sent``: which sides sent
    anything ("c", "s", both or neither)."""
    client = Side(CLIENT, State.ESTABLISHED, packets=int("c" in sent))
    server = Side(SERVER, State.ESTABLISHED, packets=int("s" in sent))
    zeek = ZeekHistory(orig_is_client)
    zeek.text = history
    conv = Conversation(1, client, server, False, pair=(CLIENT, SERVER), zeek=zeek)
    for name, value in seen.items():
        setattr(conv, name, value)
    return conv


def test_addresses_are_written_with_brackets_around_ipv6() -> None:
    assert addr_text(("10.0.0.1", 80)) == "10.0.0.1:80"
    assert addr_text(("::1", 8080)) == "[::1]:8080"


@pytest.mark.parametrize(("seen", "handshake"), [
    (dict(saw_syn=True, saw_syn_ack=True, saw_handshake_ack=True), "complete"),
    (dict(saw_syn=True, refused=True, reset_by="server"), "refused"),
    (dict(saw_syn=True, reset_by="client"), "aborted"),
    (dict(saw_syn=True), "unanswered"),
    (dict(saw_syn=True, saw_syn_ack=True), "partial"),
    (dict(saw_syn_ack=True), "partial"),
    ({}, "none"),
])
def test_the_handshake_in_one_word(seen, handshake) -> None:
    assert summarize(record(**seen)).handshake == handshake
    assert handshake in HANDSHAKE


@pytest.mark.parametrize(("seen", "close"), [
    (dict(fins=("client", "server")), "four-segment"),
    (dict(fins=("client", "server"), fin_rode_on_ack=True), "three-segment"),
    (dict(fins=("client", "server"), simultaneous=True), "simultaneous"),
    (dict(fins=("client",)), "half-open"),
    (dict(fins=("client", "server"), reset_by="server"), "reset"),
    (dict(refused=True, reset_by="server"), "none"),  # a refusal is told as a handshake
    ({}, "none"),
])
def test_the_close_in_one_word(seen, close) -> None:
    assert summarize(record(**seen)).close == close
    assert close in CLOSE


def test_the_summary_carries_the_records_numbers() -> None:
    conv = record(fins=("server", "client"), history="ShAF", anomalies=[("reset", 3)],
                  anomaly_counts={"reset": 2}, packets=[1, 2, 3], first_index=1)
    conv.client.bytes_sent, conv.server.bytes_sent = 14, 20
    s = summarize(conv)
    assert (s.client, s.server, s.closed_first) == ("10.0.0.1:40000", "10.0.0.2:80", "server")
    assert (s.bytes_c2s, s.bytes_s2c, s.packets, s.history) == (14, 20, (1, 2, 3), "ShAF")
    assert s.final_states == (State.ESTABLISHED, State.ESTABLISHED)
    assert s.anomaly_counts == (("reset", 2),)
    assert s.anomalies_cut  # two counted, one kept


def test_endpoints_name_the_trackers_own_keys() -> None:
    names = {1: ("::1", 40000), 2: ("::1", 80)}
    conv = record()
    conv.client.address, conv.server.address = 1, 2
    s = summarize(conv, names.__getitem__)
    assert (s.client, s.server) == ("[::1]:40000", "[::1]:80")


@pytest.mark.parametrize(("conv", "verdict"), [
    # a SYN answered by a RST
    (record(saw_syn=True, reset_sides=("server",), sent="cs"), "REJ"),
    # the responder reset an established connection / one whose start was not seen
    (record(saw_syn=True, saw_syn_ack=True, reset_sides=("server",)), "RSTR"),
    (record(reset_sides=("server",)), "RSTRH"),
    # the originator reset: after a bare SYN, or something else unanswered, or established
    (record(saw_syn=True, reset_sides=("client",), sent="c", history="SR"), "RSTOS0"),
    (record(reset_sides=("client",), sent="c", history="DR"), "OTH"),
    (record(saw_syn=True, saw_syn_ack=True, reset_sides=("client",)), "RSTO"),
    # FINs: both, the originator's alone, the responder's alone
    (record(saw_syn=True, saw_syn_ack=True, fins=("client", "server")), "SF"),
    (record(saw_syn=True, fins=("client",), sent="c"), "SH"),
    (record(saw_syn=True, saw_syn_ack=True, fins=("client",)), "S2"),
    (record(fins=("server",)), "SHR"),
    (record(saw_syn=True, saw_syn_ack=True, fins=("server",)), "S3"),
    # no close: a SYN alone, an established connection, nothing Zeek can name
    (record(saw_syn=True, sent="c"), "S0"),
    (record(saw_syn=True, saw_syn_ack=True), "S1"),
    (record(), "OTH"),
])
def test_zeeks_conn_state(conv, verdict) -> None:
    assert summarize(conv).verdict == verdict
    assert verdict in VERDICTS


def test_a_reset_from_both_without_data_is_a_rejection() -> None:
    conv = record(reset_sides=("client", "server"))
    assert summarize(conv).verdict == "REJ"
    conv.client.bytes_sent = 1
    assert summarize(conv).verdict == "RSTR"


def test_the_verdict_is_told_from_zeeks_originator() -> None:
    # Zeek took the server for the originator: the server's FIN alone is then SH, not SHR
    conv = record(fins=("server",), saw_syn_ack=True, sent="s", orig_is_client=False)
    assert summarize(conv).verdict == "SH"


def test_a_caret_before_the_syn_still_reads_as_syn_then_reset() -> None:
    conv = record(saw_syn=True, reset_sides=("client",), sent="c", history="^SR")
    assert summarize(conv).verdict == "RSTOS0"
    conv.zeek.text = "SAR"  # an ACK between: no longer a bare SYN reset
    assert summarize(conv).verdict == "OTH"
