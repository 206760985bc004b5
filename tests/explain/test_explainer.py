"""The explanation of scripted exchanges: live arithmetic, notes and their verdicts."""

from tests.explain.builders import (
    C_ISN,
    CLOSE_FOUR,
    CLOSE_THREE,
    DATA,
    HANDSHAKE,
    REFUSED,
    S_ISN,
    frames,
)
from wirelens.explain.catalog import Catalog
from wirelens.explain.explainer import explain
from wirelens.explain.model import Explanation, Verdict
from wirelens.explain.records import SocketCall
from wirelens.explain.tcp_state import State as S

EN = Catalog("en")


def field(packet, name):
    return next(f for layer in packet.layers for f in layer.fields if f.field.name == name)


def test_ack_arithmetic_is_spelled_out():
    exp = explain(frames(HANDSHAKE + DATA + CLOSE_FOUR))
    syn_ack, third = exp.packets[1], exp.packets[2]
    assert EN(field(syn_ack, "tcp.ack_raw").text) == (
        f"ack {C_ISN + 1} = the client's ISN {C_ISN} + 1: the SYN used one sequence number")
    assert EN(field(third, "tcp.ack_raw").text) == (
        f"ack {S_ISN + 1} = the server's ISN {S_ISN} + 1: the SYN used one sequence number")
    fin_ack = exp.packets[8]
    assert EN(field(fin_ack, "tcp.ack_raw").text) == (
        f"ack {C_ISN + 16} = the client's FIN at {C_ISN + 15} + 1: "
        "the FIN used one sequence number")


def test_summary_line_in_tcpdump_notation():
    exp = explain(frames(HANDSHAKE + DATA))
    assert exp.packets[0].summary == (
        f"IP 127.0.0.1.40000 > 127.0.0.1.8080: Flags [S], seq 0 (abs {C_ISN}), win 512, "
        "length 0")
    assert exp.packets[3].summary == (
        f"IP 127.0.0.1.40000 > 127.0.0.1.8080: Flags [P.], seq 1:15 (abs {C_ISN + 1}), "
        f"ack 1 (abs {S_ISN + 1}), win 512, length 14")
    assert [p.flags for p in exp.packets] == ["S", "S.", ".", "P.", ".", "P.", "."]


def test_handshake_notes_agree_with_the_wire():
    exp = explain(frames(HANDSHAKE))
    topics = {n.topic: n for p in exp.packets[:1] for n in p.notes}
    topics.update({n.topic: n for p in exp.packets[1:] for n in p.notes if n.topic not in topics})
    assert topics["handshake_syn"].verdict is Verdict.AGREES
    assert topics["handshake_syn_ack"].verdict is Verdict.AGREES
    assert topics["handshake_ack"].verdict is Verdict.NUANCE
    assert topics["eth_header"].verdict is Verdict.DIFFERS
    assert topics["frame_size"].verdict is Verdict.AGREES  # a SYN with options is 78 bytes
    assert topics["mac_address"].verdict is Verdict.NUANCE  # all-zero loopback MACs


def test_close_note_verdict_depends_on_how_many_segments():
    four = explain(frames(HANDSHAKE + DATA + CLOSE_FOUR)).conversations[0]
    three = explain(frames(HANDSHAKE + DATA + CLOSE_THREE)).conversations[0]
    verdict = {c.summary.close: next(n.verdict for n in c.notes if n.topic == "close")
               for c in (four, three)}
    assert verdict == {"four-segment": Verdict.AGREES, "three-segment": Verdict.NUANCE}


def test_a_bare_ack_is_shorter_than_the_notes_minimum_frame():
    exp = explain(frames(HANDSHAKE + DATA))
    note = field(exp.packets[4], "frame.cap_len").note
    assert len(exp.packets[4].data) == 54
    assert note is not None and note.verdict is Verdict.DIFFERS
    assert "padding" in EN(note.reason)


def test_socket_calls_are_linked_to_their_packets():
    fr = frames(HANDSHAKE + DATA + CLOSE_THREE)
    t = [f.ts_ns for f in fr]
    calls = [
        SocketCall("client", "connect", t[0] - 10, t[1] + 10),
        SocketCall("server", "accept", t[0] - 20, t[2] + 5, "ok"),
        SocketCall("client", "send", t[3] - 5, t[3] - 1, "14", 14),
        SocketCall("server", "recv", t[2] + 6, t[3] + 5, "14 bytes", 14),
        SocketCall("server", "recv", t[6] + 1, t[7] + 5, "b''", 0),
        SocketCall("client", "close", t[7] - 5, t[7] - 1),
        SocketCall("server", "listen", t[0] - 30, t[0] - 25, "128"),
    ]
    linked = {(c.side, c.call, c.result): c.packets for c in explain(fr, socket_calls=calls)
              .socket_calls}
    assert linked == {
        ("client", "connect", ""): (1,),
        ("server", "accept", "ok"): (3,),
        ("client", "send", "14"): (4,),
        ("server", "recv", "14 bytes"): (4,),
        ("server", "recv", "b''"): (8,),
        ("client", "close", ""): (8,),
        ("server", "listen", "128"): (),
    }


def test_missing_final_ack_is_reported():
    exp = explain(frames(HANDSHAKE + DATA + CLOSE_THREE[:2]))
    assert "warning.final_ack" in [w.key for w in exp.warnings]


def test_no_frames_is_a_warning_not_an_error():
    exp = explain([])
    assert exp.packets == () and [w.key for w in exp.warnings] == ["warning.empty"]


def test_a_capture_of_a_refused_connection_never_says_the_server_listened():
    exp = explain(frames(REFUSED))  # a capture: no socket calls, no scenario to say so
    text = " ".join(Catalog("en")(t) for p in exp.packets for t in p.transitions)
    assert "listening port" not in text and "nobody listens there" in text
    assert [p.states_before for p in exp.packets][0] == (S.CLOSED, S.CLOSED)
    assert port_texts(exp) == [("field.tcp.srcport.client", "field.tcp.dstport.nobody"),
                               ("field.tcp.srcport.nobody", "field.tcp.dstport.client")]


def test_a_reset_after_a_whole_conversation_keeps_the_servers_port_its_listener() -> None:
    late = [("s", "R", 16, None, b"")]  # the server's RST after both FINs
    exp = explain(frames(HANDSHAKE + DATA + CLOSE_FOUR + late))
    assert port_texts(exp)[-1] == ("field.tcp.srcport.server", "field.tcp.dstport.client")


def port_texts(exp: Explanation) -> list[tuple[str, ...]]:
    return [tuple(f.text.key for layer in p.layers for f in layer.fields
                  if f.field.name in ("tcp.srcport", "tcp.dstport")) for p in exp.packets]

