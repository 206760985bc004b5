"""What the wire did and what TCP did about it, from scripted captures (no root, no wire)."""

from __future__ import annotations

from tests.capture.test_ends import LOSS
from tests.capture.wirebuild import (
    ENDS,
    HANDSHAKE,
    MESSAGE,
    START,
    STEP_NS,
    TRANSIT_NS,
    Step,
    run,
)
from wirelens.capture.ends import merge
from wirelens.explain.catalog import Catalog
from wirelens.explain.model import Verdict
from wirelens.explain.records import SocketCall
from wirelens.explain.wirestory import KernelInfo, WireView, explain_wire


def kernel(side: str, retrans: int, ts_ns: int = 2 * 10**18) -> KernelInfo:
    return KernelInfo(side, ts_ns, "ESTABLISHED", retrans, 500, 400, 204000, 10, 2**31 - 1,
                      0, 0, 0)


RTO = 204_000_000  # the retransmission timer of a fresh Linux connection, about


def view(steps: list[Step], client_retrans: int = 0, waits: dict[int, int] | None = None,
         **kw: object) -> WireView:
    client, server, log = run(steps, waits)
    frames, passages, lines = merge(client, server, ENDS, log)
    return explain_wire(frames, passages, lines, rules=["--loss 1"],
                        kernel=[kernel("client", client_retrans), kernel("server", 0)],
                        **kw)  # type: ignore[arg-type]


def test_a_drop_and_its_retransmission_are_tied_together():
    v = view(LOSS, client_retrans=1, delivered=True, waits={5: RTO})
    assert v.dropped == {4}
    (effect,) = v.effects
    assert effect.kind == "drop-resent" and effect.packets == (4, 5)
    text = Catalog("en")(effect.text)
    assert "dropped packet #4" in text and "#5" in text and "retransmission on timeout" in text
    assert f"{(STEP_NS + RTO) / 1e6:.1f} ms later" in text
    early = Catalog("en")(view(LOSS, client_retrans=1).effects[0].text)
    assert "well before the 200 ms" in early and "#5" in early
    assert [(a.packet, a.names) for a in v.anomalies] == [(5, ("retransmission",))]
    assert "dropped" in Catalog("en")(v.anomalies[0].cause)


def test_the_kernel_count_agrees_or_the_difference_is_shown():
    agree = view(LOSS, client_retrans=1)
    client = agree.kernel[0]
    assert (client.side, client.flagged, client.resent, client.agrees) == ("client", 1, 1, True)
    differ = view(LOSS, client_retrans=0)
    assert not differ.kernel[0].agrees
    assert "DIFFER" in Catalog("en")(differ.kernel[0].text)


def test_a_wire_copy_is_not_counted_against_the_kernel():
    steps: list[Step] = HANDSHAKE + [("c", "PA", 1, 1, MESSAGE, "dup"),
                                     ("s", "A", 1, 15, b"", "pass"),
                                     ("s", "A", 1, 15, b"", "pass")]
    v = view(steps, client_retrans=0)
    client = v.kernel[0]
    assert (client.resent, client.wire_copies, client.agrees) == (1, 1, True)
    (effect,) = v.effects
    assert effect.kind == "duplicate" and effect.packets[:2] == (4, 5)


def test_a_swap_is_explained_with_the_receivers_flags():
    steps: list[Step] = HANDSHAKE + [("c", "PA", 1, 1, b"Hello, ", "late"),
                                     ("c", "PA", 8, 1, b"Server!", "pass"),
                                     ("s", "A", 1, 1, b"", "pass"),
                                     ("s", "A", 1, 15, b"", "pass")]
    v = view(steps)
    (effect,) = v.effects
    assert effect.kind == "swap"
    names = {a.packet: a.names for a in v.anomalies}
    assert "lost-segment" in names[4]  # the later bytes arrived first
    assert {"out-of-order", "retransmission"} & set(names[5])
    assert any(n.topic == "wire_byte_stream" and n.verdict is Verdict.AGREES for n in v.notes)


def test_rtt_from_the_handshake_against_the_configured_delay():
    v = view(LOSS, delays=(100_000, 0))
    assert v.rtt is not None and v.rtt.syn == 1 and v.rtt.syn_ack == 2
    assert v.rtt.measured_ns == STEP_NS + TRANSIT_NS  # SYN left at 1 ms, SYN-ACK arrived
    assert v.rtt.configured_ns == 100_000
    assert "measured" in Catalog("en")(v.rtt.text)


def test_the_notes_retransmission_claim_gets_a_verdict():
    v = view(LOSS, client_retrans=1, delivered=True, waits={5: RTO})
    (note,) = [n for n in v.notes if n.topic == "wire_retransmission"]
    assert note.verdict is Verdict.AGREES and note.ref.file.startswith("001_")
    sooner = view(LOSS, client_retrans=1, delivered=True)  # resent 1 ms later: no timeout
    assert [n.verdict for n in sooner.notes] == [Verdict.NUANCE]
    incomplete = view(LOSS, client_retrans=1, delivered=False, waits={5: RTO})
    assert [n.verdict for n in incomplete.notes] == [Verdict.NUANCE]


def test_every_wire_text_renders_in_both_languages():
    steps: list[Step] = LOSS[:4] + [("c", "PA", 1, 1, MESSAGE, "dup")] + LOSS[5:]
    v = view(steps, client_retrans=1, delivered=True, delays=(1000, 1000))
    for lang in ("en", "zh"):
        cat = Catalog(lang)
        texts = [cat(v.summary)] + [cat(e.text) for e in v.effects]
        texts += [cat(k.text) for k in v.kernel] + [cat(a.cause) for a in v.anomalies]
        texts += [cat(m) for a in v.anomalies for m in a.meaning]
        texts += [cat(m) for n in v.notes for m in (n.claim, n.observed, n.reason)]
        assert v.rtt is not None
        texts.append(cat(v.rtt.text))
        assert all(t and not t.startswith("[") and "{" not in t for t in texts), texts



# ---------------------------------------------------------------- UDP: nobody resends

ANSWER = b"Got it, over UDP."
UDP_LOSS: list[Step] = [("c", "U", 0, None, MESSAGE, "drop")]
WAIT_NS = 1_000_000_000


def udp_view(steps: list[Step], calls: list[SocketCall]) -> WireView:
    client, server, log = run(steps)
    frames, passages, lines = merge(client, server, ENDS, log)
    return explain_wire(frames, passages, lines, rules=["--loss 1"], calls=calls)


def timed_out(side: str) -> SocketCall:
    return SocketCall(side, "recvfrom", START, START + WAIT_NS + STEP_NS, "TimeoutError")


def test_a_dropped_datagram_left_never_arrived_and_was_not_resent() -> None:
    v = udp_view(UDP_LOSS, [timed_out("server"), timed_out("client")])
    assert v.dropped == {1}
    (p,) = v.passages
    assert p.seen_at == ("client",) and p.arrived_ns is None
    (effect,) = v.effects
    assert effect.kind == "drop-not-resent" and effect.packets == (1,)
    text = Catalog("en")(effect.text)
    assert "seen leaving the client, never seen at the server's end" in text
    assert "The server's recvfrom() waited 1.0 s and raised TimeoutError" in text
    assert "nobody sent it again" in text
    (note,) = v.notes
    assert (note.topic, note.verdict) == ("wire_udp_loss", Verdict.AGREES)
    assert note.ref.file.startswith("001_") and "UDP" in note.ref.section
    assert "1 recvfrom() call(s) gave up" in Catalog("en")(note.observed)
    assert v.kernel == () and v.rtt is None and v.anomalies == ()  # TCP's checks: no TCP


def test_a_datagram_its_application_sent_again_is_not_udp_resending() -> None:
    steps = UDP_LOSS + [("c", "U", 0, None, MESSAGE, "pass"), ("s", "U", 0, None, ANSWER, "pass")]
    v = udp_view(steps, [])
    (effect,) = v.effects
    assert effect.kind == "drop-resent-by-app" and effect.packets == (1, 2)
    assert "an application that sent them again" in Catalog("en")(effect.text)
    assert "No recvfrom() of the server gave up" in Catalog("en")(effect.text)
    (note,) = v.notes
    assert note.verdict is Verdict.NUANCE


def test_a_lost_answer_is_told_from_the_clients_side() -> None:
    steps: list[Step] = [("c", "U", 0, None, MESSAGE, "pass"), ("s", "U", 0, None, ANSWER, "drop")]
    v = udp_view(steps, [timed_out("client")])
    (effect,) = v.effects
    text = Catalog("en")(effect.text)
    assert "seen leaving the server, never seen at the client's end" in text
    assert "The client's recvfrom() waited" in text


def test_a_duplicated_datagram_is_not_a_byte_stream_story() -> None:
    v = udp_view([("c", "U", 0, None, MESSAGE, "dup")], [])
    (effect,) = v.effects
    assert effect.text.key == "wire.effect.duplicate_udp" and effect.packets == (1, 2)
    assert v.notes == ()  # the notes' byte-stream claim is TCP's


def test_every_udp_wire_text_renders_in_both_languages() -> None:
    views = [udp_view(UDP_LOSS, [timed_out("server")]),
             udp_view(UDP_LOSS + [("c", "U", 0, None, MESSAGE, "pass")], []),
             udp_view([("c", "U", 0, None, MESSAGE, "dup")], [])]
    for lang in ("en", "zh"):
        cat = Catalog(lang)
        for v in views:
            texts = [cat(v.summary)] + [cat(e.text) for e in v.effects]
            texts += [cat(m) for n in v.notes for m in (n.claim, n.observed, n.reason)]
            assert all(t and not t.startswith("[") and "{" not in t for t in texts), texts
