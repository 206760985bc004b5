"""The kernel's word against ours: the TCP states ``ss`` listed at a demo's checkpoint,
compared with the states inferred from the capture up to that moment.

A demo asks each side's kernel (``ss -tan``, filtered on the demo's port) while it still
holds its sockets, at moments when nothing is in flight. For each connection the capture
shows, the state we inferred at that moment should be the state the kernel lists, under
its own name (``ss`` writes TIME-WAIT where RFC 9293 and we write TIME_WAIT). Where a
connection has no socket in the kernel, we should have inferred CLOSED. Anything else is
shown as a disagreement, with the likely reason where one is known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wirelens.explain.conversation_summary import ConversationSummary
from wirelens.explain.model import KernelView
from wirelens.explain.records import KernelSnapshot, KernelSocket
from wirelens.explain.tcp_state import State
from wirelens.explain.text import msg

# ss's state names (iproute2 misc/ss.c, sstate_name) and the RFC 9293 states they are.
SS_STATES: dict[str, State] = {
    "ESTAB": State.ESTABLISHED,
    "SYN-SENT": State.SYN_SENT,
    "SYN-RECV": State.SYN_RECEIVED,
    "FIN-WAIT-1": State.FIN_WAIT_1,
    "FIN-WAIT-2": State.FIN_WAIT_2,
    "TIME-WAIT": State.TIME_WAIT,
    "UNCONN": State.CLOSED,
    "CLOSE-WAIT": State.CLOSE_WAIT,
    "LAST-ACK": State.LAST_ACK,
    "LISTEN": State.LISTEN,
    "CLOSING": State.CLOSING,
}
# States in which an endpoint has no socket for the connection (a listener is not one).
NO_SOCKET = (State.CLOSED, State.LISTEN)
# (ours, the kernel's): the application called close(), so the kernel has moved on, but
# its FIN still waits behind unsent bytes and is not on the wire for the capture to see.
FIN_QUEUED = {(State.ESTABLISHED, State.FIN_WAIT_1), (State.CLOSE_WAIT, State.LAST_ACK)}


@dataclass(frozen=True, slots=True)
class Moment:
    """One packet of a conversation: when it was captured and both states after it."""

    conversation: int
    ts_ns: int
    states: tuple[State, State]  # (client, server)
    role: str


def is_listener(sock: KernelSocket) -> bool:
    return sock.state == "LISTEN" or sock.peer.endswith(":*")


def _inferred(summary: ConversationSummary, moments: Sequence[Moment], side: int,
              ts_ns: int, initial: tuple[State, State]) -> tuple[State, bool]:
    """The state at ``ts_ns`` and whether the peer's SYN had been answered by then."""
    state = initial[side]
    answered = False
    for m in moments:
        if m.conversation != summary.number or m.ts_ns > ts_ns:
            continue
        state = m.states[side]
        answered = answered or m.role == "handshake-2"
    return state, answered


def _endpoints(summary: ConversationSummary, side: str) -> tuple[str, str]:
    return ((summary.client, summary.server) if side == "client"
            else (summary.server, summary.client))


def compare(
    snapshots: Sequence[KernelSnapshot],
    summaries: Sequence[ConversationSummary],
    moments: Sequence[Moment],
    initial: tuple[State, State] = (State.CLOSED, State.LISTEN),
) -> tuple[KernelView, ...]:
    out: list[KernelView] = []
    for snap in snapshots:
        i = 0 if snap.side == "client" else 1
        side_name = msg(f"ui.{snap.side}")
        listed: set[tuple[str, str]] = set()
        for sock in snap.sockets:
            if is_listener(sock):
                out.append(KernelView(snap.label, snap.side, snap.ts_ns, sock.local, sock.state,
                                      "", None, msg("kernel.listener", checkpoint=snap.label,
                                                    local=sock.local, queued=sock.recv_q,
                                                    backlog=sock.send_q)))
                continue
            listed.add((sock.local, sock.peer))
            where = f"{sock.local} → {sock.peer}"
            conv = next((s for s in summaries if _endpoints(s, snap.side) ==
                         (sock.local, sock.peer)), None)
            if conv is None:
                out.append(KernelView(snap.label, snap.side, snap.ts_ns, where, sock.state, "",
                                      None, msg("kernel.unknown", checkpoint=snap.label,
                                                side=side_name, socket=where,
                                                kernel=sock.state)))
                continue
            state, _ = _inferred(conv, moments, i, snap.ts_ns, initial)
            ours = SS_STATES.get(sock.state)
            agrees = ours is state
            key = ("kernel.agree" if agrees else "kernel.fin_queued"
                   if (state, ours) in FIN_QUEUED else "kernel.differ")
            out.append(KernelView(snap.label, snap.side, snap.ts_ns, where, sock.state,
                                  state.value, agrees,
                                  msg(key, checkpoint=snap.label, side=side_name, socket=where,
                                      kernel=sock.state, inferred=state.value)))
        for conv in summaries:
            if conv.first_ns > snap.ts_ns:
                continue  # the connection began after this checkpoint
            local, peer = _endpoints(conv, snap.side)
            if (local, peer) in listed:
                continue
            where = f"{local} → {peer}"
            state, answered = _inferred(conv, moments, i, snap.ts_ns, initial)
            agrees = state in NO_SOCKET
            if agrees:
                key = "kernel.none_agree"
            elif state is State.SYN_RECEIVED and not answered:
                key = "kernel.syn_dropped"
            else:
                key = "kernel.none_differ"
            out.append(KernelView(snap.label, snap.side, snap.ts_ns, where, "", state.value,
                                  agrees, msg(key, checkpoint=snap.label, side=side_name,
                                              socket=where, inferred=state.value)))
    return tuple(out)
