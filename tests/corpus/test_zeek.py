"""Tests for the Zeek conn.log oracle in ``tests/corpus/zeek.py``.

Where a Zeek test baseline (``zeek/zeek: testing/btest/Baseline/...``) or a published
conn.log shows the history for a comparable trace, the synthetic packets below were
built to reproduce that trace's shape and the expected string is the one logged there.
The other expectations follow from the Zeek source walked through in ``zeek.py``.
"""

from __future__ import annotations

import pytest

from tests.corpus.zeek import ACK, FIN, PSH, RST, SYN, Pkt, zeek_conn, zeek_conns

CLI = ("10.0.0.1", 40000)
SRV = ("10.0.0.2", 80)
C_ISN = 1000  # client's initial sequence number
S_ISN = 5000  # server's


class Trace:
    """Tiny builder: ``c(...)`` = client->server packet, ``s(...)`` = server->client."""

    def __init__(self) -> None:
        self.pkts: list[Pkt] = []
        self.ts = 0.0

    def _add(self, src, dst, flags, seq, ack, n, win, ok, dt):
        self.ts += dt
        self.pkts.append(Pkt(self.ts, src, dst, flags, seq & 0xFFFFFFFF, ack, n, win, ok))
        return self

    def c(self, flags, seq, ack=0, n=0, win=65535, ok=True, dt=0.01):
        return self._add(CLI, SRV, flags, seq, ack, n, win, ok, dt)

    def s(self, flags, seq, ack=0, n=0, win=65535, ok=True, dt=0.01):
        return self._add(SRV, CLI, flags, seq, ack, n, win, ok, dt)

    def handshake(self):
        return self.c(SYN, C_ISN).s(SYN | ACK, S_ISN, C_ISN + 1).c(ACK, C_ISN + 1, S_ISN + 1)


def check(t: Trace, history: str, state: str, **kw):
    z = zeek_conn(t.pkts, **kw)
    assert (z.history, z.conn_state) == (history, state), z
    return z


def test_textbook_sf():
    # Same letters as core.tcp.flip-without-syn ("^hADadFf", SF) minus the flip.
    t = (
        Trace()
        .handshake()
        .c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=100)
        .s(ACK, S_ISN + 1, C_ISN + 101)
        .s(ACK | PSH, S_ISN + 1, C_ISN + 101, n=300)
        .c(ACK, C_ISN + 101, S_ISN + 301)
        .c(FIN | ACK, C_ISN + 101, S_ISN + 301)
        .s(FIN | ACK, S_ISN + 301, C_ISN + 102)
        .c(ACK, C_ISN + 102, S_ISN + 302)
    )
    z = check(t, "ShADadFf", "SF")
    assert (z.orig, z.resp) == (CLI, SRV)
    assert (z.orig_state, z.resp_state) == ("closed", "closed")


def test_s1_established_not_closed():
    # core.tcp.rxmit-history/conn-2.log: "ShADad" S1 (HTTP connections left open).
    t = (
        Trace()
        .handshake()
        .c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=50)
        .s(ACK, S_ISN + 1, C_ISN + 51)
        .s(ACK | PSH, S_ISN + 1, C_ISN + 51, n=70)
    )
    z = check(t, "ShADad", "S1")
    assert (z.orig_state, z.resp_state) == ("established", "established")


def test_s0_lone_syn():
    z = check(Trace().c(SYN, C_ISN), "S", "S0")
    assert (z.orig_state, z.resp_state) == ("syn_sent", "inactive")


def test_rej_syn_rst_ack():
    z = check(Trace().c(SYN, C_ISN).s(RST | ACK, 0, C_ISN + 1), "Sr", "REJ")
    assert (z.orig_state, z.resp_state) == ("syn_sent", "reset")


def test_rsto():
    t = (
        Trace()
        .handshake()
        .c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=10)
        .s(ACK | PSH, S_ISN + 1, C_ISN + 11, n=10)
        .c(RST | ACK, C_ISN + 11, S_ISN + 11)
    )
    z = check(t, "ShADdR", "RSTO")
    assert (z.orig_state, z.resp_state) == ("reset", "established")


def test_rsto_with_gaps_and_retransmission_like_rxmit_history_baseline():
    # core.tcp.rxmit-history/conn-1.log: "ShADaGdgtR" RSTO.
    t = (
        Trace()
        .handshake()
        .c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=10)  # D
        .s(ACK, S_ISN + 1, C_ISN + 31)  # a, and G: acks 20 client bytes never seen
        .s(ACK | PSH, S_ISN + 1, C_ISN + 31, n=20)  # d
        .c(ACK, C_ISN + 31, S_ISN + 41)  # g: acks 20 server bytes never seen
        .s(ACK | PSH, S_ISN + 1, C_ISN + 31, n=20)  # t: retransmission
        .c(RST, C_ISN + 31)  # R
    )
    check(t, "ShADaGdgtR", "RSTO")


def test_rstr():
    t = (
        Trace()
        .handshake()
        .c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=10)
        .s(ACK, S_ISN + 1, C_ISN + 11)
        .s(RST, S_ISN + 1)
    )
    z = check(t, "ShADar", "RSTR")
    assert (z.orig_state, z.resp_state) == ("established", "reset")


def test_rstos0_syn_then_rst():
    z = check(Trace().c(SYN, C_ISN).c(RST, C_ISN + 1), "SR", "RSTOS0")
    assert (z.orig_state, z.resp_state) == ("reset", "inactive")


def test_rstrh_synack_then_rst_from_likely_server():
    t = Trace().s(SYN | ACK, S_ISN, C_ISN + 1).s(RST, S_ISN + 1)
    z = check(t, "^hr", "RSTRH", likely_server_ports={80})
    assert (z.orig, z.resp) == (CLI, SRV)
    assert (z.orig_state, z.resp_state) == ("inactive", "reset")


def test_sh_syn_then_fin():
    z = check(Trace().c(SYN, C_ISN).c(FIN, C_ISN + 1), "SF", "SH")
    assert (z.orig_state, z.resp_state) == ("closed", "inactive")


def test_shr_synack_then_fin():
    t = Trace().s(SYN | ACK, S_ISN, C_ISN + 1).s(FIN | ACK, S_ISN + 1, C_ISN + 1)
    z = check(t, "^hf", "SHR", likely_server_ports={80})
    assert (z.orig_state, z.resp_state) == ("inactive", "closed")


def test_oth_midstream():
    # core.tcp.rxmit-history/conn-2.log: "DdA" OTH (a connection caught mid-stream).
    t = (
        Trace()
        .c(ACK | PSH, 77777, 88888, n=463)
        .s(ACK | PSH, 88888, 77777 + 463, n=350)
        .c(ACK, 77777 + 463, 88888 + 350)
    )
    z = check(t, "DdA", "OTH")
    assert (z.orig_state, z.resp_state) == ("partial", "partial")


def test_s2_orig_fin_only():
    t = Trace().handshake().c(FIN | ACK, C_ISN + 1, S_ISN + 1).s(ACK, S_ISN + 1, C_ISN + 2)
    z = check(t, "ShAFa", "S2")
    assert (z.orig_state, z.resp_state) == ("closed", "established")


def test_s3_resp_fin_only():
    t = Trace().handshake().s(FIN | ACK, S_ISN + 1, C_ISN + 1)
    z = check(t, "ShAf", "S3")
    assert (z.orig_state, z.resp_state) == ("established", "closed")


def test_fin_then_rst_both_ways_is_sf():
    # core.tcp.fin-rst-timeout/conn.log: "ShADadtFRfr" SF -- a FIN followed by a RST
    # is put back to CLOSED when the peer's FIN arrives (UpdateEstablishedState).
    t = (
        Trace()
        .handshake()
        .c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=10)
        .s(ACK, S_ISN + 1, C_ISN + 11)
        .s(ACK | PSH, S_ISN + 1, C_ISN + 11, n=40)
        .s(ACK | PSH, S_ISN + 1, C_ISN + 11, n=40)  # retransmitted
        .c(FIN | ACK, C_ISN + 11, S_ISN + 41)
        .c(RST, C_ISN + 12)
        .s(FIN | ACK, S_ISN + 41, C_ISN + 12)
        .s(RST, S_ISN + 42)
    )
    z = check(t, "ShADadtFRfr", "SF")
    assert (z.orig_state, z.resp_state) == ("closed", "closed")


def test_missed_data_before_fin():
    # core.tcp.miss-end-data/conn.log: "ShADafgF" SF with 2902 missed bytes: the
    # server's data never made it into the trace, only its FIN and the client's ACK.
    t = (
        Trace()
        .handshake()
        .c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=538)
        .s(ACK, S_ISN + 1, C_ISN + 539)
        .s(FIN | ACK, S_ISN + 1 + 2902, C_ISN + 539)
        .c(ACK, C_ISN + 539, S_ISN + 2904)
        .c(FIN | ACK, C_ISN + 539, S_ISN + 2904)
    )
    check(t, "ShADafgF", "SF")


class TestFlip:
    def test_synack_first_likely_server_port(self):
        # core.tcp.flip-without-syn/conn.log (and core.tcp.missing-syn, which has the
        # "^hADdFaf" ordering of the same shape): "^hADadFf" SF.
        t = (
            Trace()
            .s(SYN | ACK, S_ISN, C_ISN + 1)
            .c(ACK, C_ISN + 1, S_ISN + 1)
            .c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=136)
            .s(ACK, S_ISN + 1, C_ISN + 137)
            .s(ACK | PSH, S_ISN + 1, C_ISN + 137, n=500)
            .c(FIN | ACK, C_ISN + 137, S_ISN + 501)
            .s(FIN | ACK, S_ISN + 501, C_ISN + 138)
            .c(ACK, C_ISN + 138, S_ISN + 502)
        )
        z = check(t, "^hADadFf", "SF", likely_server_ports={80, 443})
        assert (z.orig, z.resp) == (CLI, SRV)

    def test_lone_synack_likely_server_port(self):
        # core.tcp.rxmit-history/conn-2.log, last line: "^h" OTH.
        z = check(Trace().s(SYN | ACK, S_ISN, C_ISN + 1), "^h", "OTH", likely_server_ports={80})
        assert (z.orig_state, z.resp_state) == ("inactive", "established")

    def test_lone_synack_without_port_heuristic_is_not_flipped(self):
        z = check(Trace().s(SYN | ACK, S_ISN, C_ISN + 1), "H", "OTH")
        assert (z.orig, z.resp) == (SRV, CLI)
        assert (z.orig_state, z.resp_state) == ("syn_ack_sent", "inactive")

    def test_both_ports_likely_synack_never_flips(self):
        # WantConnection: with both ports plausible, a SYN-ACK is never flipped.
        z = check(
            Trace().s(SYN | ACK, S_ISN, C_ISN + 1), "H", "OTH", likely_server_ports={80, 40000}
        )
        assert z.orig == SRV

    def test_synack_then_syn_reordered(self):
        # SYN-ACK seen before its SYN (UpdateInactiveState "SYN/SYN-ACK reversal"): the
        # SYN-ACK sender was the originator ('H'), the SYN is logged as the responder's
        # ('s'), then roles flip ('^') and the client's letters are upper case.  The
        # history-seen bits are not swapped by FlipRoles, which is why 'A' still appears.
        t = (
            Trace()
            .s(SYN | ACK, S_ISN, C_ISN + 1)
            .c(SYN, C_ISN)
            .c(ACK, C_ISN + 1, S_ISN + 1)
            .c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=10)
            .s(ACK | PSH, S_ISN + 1, C_ISN + 11, n=10)
            .c(FIN | ACK, C_ISN + 11, S_ISN + 11)
            .s(FIN | ACK, S_ISN + 11, C_ISN + 12)
        )
        z = check(t, "Hs^ADdFf", "SF")
        assert (z.orig, z.resp) == (CLI, SRV)


class TestRepeatedEvents:
    def test_retransmitted_data_T(self):
        t = (
            Trace()
            .handshake()
            .c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=100)
            .c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=100, dt=0.2)
            .s(ACK, S_ISN + 1, C_ISN + 101)
        )
        check(t, "ShADTa", "S1")

    def test_partial_overlap_retransmission_is_not_T(self):
        # update_last_seq only counts it when the segment does not advance last_seq.
        t = (
            Trace()
            .handshake()
            .c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=100)
            .c(ACK | PSH, C_ISN + 51, S_ISN + 1, n=100)
        )
        check(t, "ShAD", "S1")

    def test_T_is_logarithmic(self):
        t = Trace().handshake()
        for _ in range(101):  # 1 original + 100 retransmissions
            t.c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=10)
        check(t, "ShADTTT", "S1")
        t2 = Trace().handshake()
        for _ in range(10):  # 1 original + 9 retransmissions: only the first 'T'
            t2.c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=10)
        check(t2, "ShADT", "S1")

    def test_zero_window_W(self):
        t = (
            Trace()
            .handshake()
            .c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=100)
            .s(ACK, S_ISN + 1, C_ISN + 101, win=0)
        )
        for _ in range(9):  # ten zero windows in all: logged at the 1st and the 10th
            t.s(ACK, S_ISN + 1, C_ISN + 101, win=0)
        check(t, "ShADaww", "S1")

    def test_zero_window_ignored_after_peer_fin_and_on_rst(self):
        t = (
            Trace().handshake().s(RST, S_ISN + 1, win=0)  # zero window on a RST: not 'w'
        )
        check(t, "ShAr", "RSTR")
        t2 = (
            Trace()
            .handshake()
            .c(FIN | ACK, C_ISN + 1, S_ISN + 1)
            .s(ACK, S_ISN + 1, C_ISN + 2, win=0)  # peer already closed: not 'w'
            .c(ACK, C_ISN + 2, S_ISN + 1, win=0)  # a closed endpoint may still say 'W'
        )
        check(t2, "ShAFaW", "S2")

    def test_bad_checksum_C(self):
        t = Trace().c(SYN, C_ISN).s(SYN | ACK, S_ISN, C_ISN + 1, ok=False)
        t.s(SYN | ACK, S_ISN, C_ISN + 1).c(ACK, C_ISN + 1, S_ISN + 1)
        z = check(t, "SchA", "S1")
        assert z.resp_state == "established"  # the corrupt packet changed nothing

    def test_content_gap_G(self):
        t = (
            Trace()
            .handshake()
            .c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=10)
            .c(ACK | PSH, C_ISN + 21, S_ISN + 1, n=10)  # 10 bytes missing before this
            .s(ACK, S_ISN + 1, C_ISN + 31)
        )
        check(t, "ShADaG", "S1")

    def test_multi_flag_Q_and_I(self):
        check(Trace().c(SYN | FIN, C_ISN), "Q", "SH")
        t = Trace().handshake().c(FIN | RST | ACK, C_ISN + 1, S_ISN + 1)
        check(t, "ShAI", "RSTO")


class TestRepeatedSyn:
    def test_syn_retransmissions_within_attempt_delay(self):
        t = Trace().c(SYN, C_ISN).c(SYN, C_ISN, dt=1.0).c(SYN, C_ISN, dt=2.0)
        check(t, "S", "S0")

    def test_syn_retransmissions_split_by_attempt_timer(self):
        # corelight/zeek-spicy-facefish README conn.log: Linux SYN retries at
        # 0, 1, 3, 7, 15, 31, 63 s on one 5-tuple gave one 3-packet "S"/S0 entry and then
        # one single-packet "S"/S0 entry per later retry (tcp_attempt_delay = 5 s).
        t = Trace().c(SYN, C_ISN)
        for dt in (1.0, 2.0, 4.0, 8.0, 16.0, 32.0):
            t.c(SYN, C_ISN, dt=dt)
        conns = zeek_conns(t.pkts)
        assert [(z.history, z.conn_state) for z in conns] == [("S", "S0")] * 5
        with pytest.raises(ValueError):
            zeek_conn(t.pkts)

    def test_syn_with_new_isn_is_a_new_connection(self):
        t = Trace().c(SYN, C_ISN).c(SYN, C_ISN + 12345, dt=1.0).s(SYN | ACK, S_ISN, C_ISN + 12346)
        conns = zeek_conns(t.pkts)
        assert [(z.history, z.conn_state) for z in conns] == [("S", "S0"), ("Sh", "S1")]
        # A SYN-ACK answering a SYN establishes both endpoints (no final ACK needed).
        assert (conns[1].orig_state, conns[1].resp_state) == ("established", "established")

    def test_syn_after_established_same_isn(self):
        t = (
            Trace()
            .handshake()
            .c(SYN, C_ISN)  # a late duplicate of the SYN
            .c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=10)
            .s(ACK, S_ISN + 1, C_ISN + 11)
        )
        check(t, "ShADa", "S1")

    def test_syn_after_close_starts_new_connection(self):
        t = (
            Trace()
            .handshake()
            .c(FIN | ACK, C_ISN + 1, S_ISN + 1)
            .s(FIN | ACK, S_ISN + 1, C_ISN + 2)
            .c(ACK, C_ISN + 2, S_ISN + 2)
            .c(SYN, C_ISN, dt=1.0)  # same ISN, but the connection has closed
        )
        conns = zeek_conns(t.pkts)
        assert [(z.history, z.conn_state) for z in conns] == [("ShAFf", "SF"), ("S", "S0")]


def test_syn_retry_after_rej_is_a_new_connection():
    # IsReuse: once an endpoint has closed (a RST counts), any new SYN starts a new
    # connection, even with the same ISN -- each refused retry is its own REJ entry.
    t = Trace()
    for _ in range(3):
        t.c(SYN, C_ISN, dt=0.5).s(RST | ACK, 0, C_ISN + 1)
    conns = zeek_conns(t.pkts)
    assert [(z.history, z.conn_state) for z in conns] == [("Sr", "REJ")] * 3


def test_idle_longer_than_tcp_inactivity_timeout_splits():
    t = Trace().handshake().c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=10)
    t.c(ACK | PSH, C_ISN + 11, S_ISN + 1, n=10, dt=301.0)
    conns = zeek_conns(t.pkts)
    assert [(z.history, z.conn_state) for z in conns] == [("ShAD", "S1"), ("D", "OTH")]
    t2 = Trace().handshake().c(ACK | PSH, C_ISN + 1, S_ISN + 1, n=10)
    t2.c(ACK | PSH, C_ISN + 11, S_ISN + 1, n=10, dt=299.0)
    check(t2, "ShAD", "S1")


def test_syn_ack_repeated_with_same_seq_logged_once():
    t = (
        Trace()
        .c(SYN, C_ISN)
        .s(SYN | ACK, S_ISN, C_ISN + 1)
        .s(SYN | ACK, S_ISN, C_ISN + 1, dt=1.0)
        .c(ACK, C_ISN + 1, S_ISN + 1)
    )
    check(t, "ShA", "S1")


def test_fin_retransmission_logged_once_new_fin_logged_again():
    t = (
        Trace()
        .handshake()
        .c(FIN | ACK, C_ISN + 1, S_ISN + 1)
        .c(FIN | ACK, C_ISN + 1, S_ISN + 1)  # same FIN again: no new 'F'
    )
    check(t, "ShAF", "S2")
