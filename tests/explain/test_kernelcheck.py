"""The kernel's word against ours: scripted exchanges, scripted ``ss`` answers."""

from __future__ import annotations

from tests.explain.builders import CLOSE_FOUR, DATA, HANDSHAKE, frames
from wirelens.explain.catalog import LANGUAGES, Catalog
from wirelens.explain.explainer import explain
from wirelens.explain.kernelcheck import SS_STATES
from wirelens.explain.model import KernelView
from wirelens.explain.records import KernelSnapshot, KernelSocket
from wirelens.explain.tcp_state import State

CLIENT, SERVER = "127.0.0.1:40000", "127.0.0.1:8080"
START = 10**18  # builders.frames: packet i is captured at START + i * 1000


def at(packet: int) -> int:
    """Just after packet ``packet`` was captured."""
    return START + packet * 1000 + 1


def client_says(state: str, ts_ns: int, label: str = "end") -> KernelSnapshot:
    return KernelSnapshot(label, "client", ts_ns, (KernelSocket(state, CLIENT, SERVER),))


def server_says(ts_ns: int, *sockets: KernelSocket, label: str = "end") -> KernelSnapshot:
    return KernelSnapshot(label, "server", ts_ns, tuple(sockets))


def views(steps: list, *snapshots: KernelSnapshot) -> tuple[KernelView, ...]:
    exp = explain(frames(steps), kernel=snapshots)
    for lang in LANGUAGES:  # every view says itself in both languages
        for view in exp.kernel:
            assert not Catalog(lang)(view.text).startswith("[")
    return exp.kernel


def test_every_ss_state_name_is_one_of_ours() -> None:
    assert set(SS_STATES.values()) <= set(State)
    assert SS_STATES["TIME-WAIT"] is State.TIME_WAIT and SS_STATES["ESTAB"] is State.ESTABLISHED


def test_after_a_close_the_kernel_and_we_agree() -> None:
    steps = HANDSHAKE + DATA + CLOSE_FOUR
    end = at(len(steps))
    client, server = views(steps, client_says("TIME-WAIT", end), server_says(end))
    assert (client.kernel_state, client.inferred, client.agrees) == ("TIME-WAIT", "TIME_WAIT",
                                                                      True)
    assert client.text.key == "kernel.agree"
    assert (server.kernel_state, server.inferred, server.agrees) == ("", "CLOSED", True)
    assert server.text.key == "kernel.none_agree"


def test_the_state_compared_is_the_one_at_the_checkpoint() -> None:
    steps = HANDSHAKE + DATA + CLOSE_FOUR
    (view,) = views(steps, client_says("ESTAB", at(3), label="open"))
    assert view.inferred == "ESTABLISHED" and view.agrees


def test_a_disagreement_is_shown_and_warned() -> None:
    steps = HANDSHAKE + DATA + CLOSE_FOUR
    exp = explain(frames(steps), kernel=[client_says("ESTAB", at(len(steps)))])
    (view,) = exp.kernel
    assert view.agrees is False and view.text.key == "kernel.differ"
    assert [w.key for w in exp.warnings if w.key == "warning.kernel_differs"] == [
        "warning.kernel_differs"]


def test_a_fin_still_queued_is_told_apart() -> None:
    (view,) = views(HANDSHAKE + DATA, client_says("FIN-WAIT-1", at(7)))
    assert view.agrees is False and view.text.key == "kernel.fin_queued"


def test_a_dropped_syn_is_what_the_kernel_knows_and_the_capture_cannot() -> None:
    syn_twice = [("c", "S", 0, None, b""), ("c", "S", 0, None, b"")]
    listener = KernelSocket("LISTEN", SERVER, "0.0.0.0:*", 2, 1)
    listened, dropped = views(syn_twice, server_says(at(2), listener))
    assert listened.agrees is None and listened.text.key == "kernel.listener"
    assert dict(listened.text.params)["queued"] == 2
    assert dropped.inferred == "SYN_RECEIVED" and dropped.agrees is False
    assert dropped.text.key == "kernel.syn_dropped"


def test_a_socket_the_capture_does_not_show_is_listed_unjudged() -> None:
    other = KernelSocket("ESTAB", SERVER, "127.0.0.1:50000")
    listed = views(HANDSHAKE, server_says(at(3), other))
    assert [(v.text.key, v.agrees) for v in listed] == [("kernel.unknown", None),
                                                        ("kernel.none_differ", False)]


def test_a_checkpoint_before_the_connection_began_says_nothing_of_it() -> None:
    assert views(HANDSHAKE, server_says(START - 5)) == ()
