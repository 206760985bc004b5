"""Summing up one TCP conversation once it is followed: its handshake and close in words,
and Zeek's conn_state verdict. The tracker (conversation.py) calls ``summarize``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from wirelens.explain.tcp_state import State
from wirelens.explain.wirenumbers import ACK, FIN, RST, SYN

_SFRA = SYN | FIN | RST | ACK

if TYPE_CHECKING:
    from wirelens.explain.conversation_record import Conversation


def addr_text(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

HANDSHAKE = ("complete", "refused", "aborted", "unanswered", "partial", "none")
CLOSE = ("four-segment", "three-segment", "simultaneous", "reset", "half-open", "none")


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    number: int
    client: str
    server: str
    client_guessed: bool  # no SYN seen: the client is the side with the higher port
    handshake: str  # one of HANDSHAKE
    close: str  # one of CLOSE
    half_close: bool
    closed_first: str  # "client", "server" or ""
    packets: tuple[int, ...]
    bytes_c2s: int
    bytes_s2c: int
    first_ns: int
    last_ns: int
    final_states: tuple[State, State]
    history: str  # Zeek-style letters, upper case from the client
    verdict: str = ""  # Zeek's conn_state: one of VERDICTS
    packet_count: int = 0  # always counted, even when ``packets`` is not kept
    anomalies: tuple[tuple[str, int], ...] = ()  # (kind, frame number), in capture order
    anomaly_counts: tuple[tuple[str, int], ...] = ()  # (kind, how many), all of them
    anomalies_cut: bool = False  # more anomalies than the tracker keeps were seen
    # Frames whose anomalies are capture artefacts: the previous segment captured again
    # (``conversation.ARTEFACT_NS``), flagged as Wireshark flags them all the same.
    artefacts: tuple[int, ...] = ()
    first_packet: int = 0  # the frame that began it


# Zeek's conn_state vocabulary (base/protocols/conn/main.zeek), in the order Zeek tests it.
VERDICTS = ("REJ", "RSTRH", "RSTR", "RSTOS0", "RSTO", "SF", "SH", "S2", "SHR", "S3", "S0", "S1",
            "OTH")


def summarize(conv: Conversation,
              endpoints: Callable[[Any], tuple[str, int]] | None = None) -> ConversationSummary:
    """The conversation summed up; ``endpoints`` names the tracker's endpoint keys (none:
    they are (host, port) already)."""
    name = endpoints or _as_address
    if conv.refused:
        handshake = "refused"
    elif conv.saw_syn and conv.saw_syn_ack and conv.saw_handshake_ack:
        handshake = "complete"
    elif conv.saw_syn and not conv.saw_syn_ack and conv.reset_by == "client":
        handshake = "aborted"  # the client gave up its own attempt with a RST
    elif conv.saw_syn and not conv.saw_syn_ack:
        handshake = "unanswered"
    elif conv.saw_syn or conv.saw_syn_ack:
        handshake = "partial"
    else:
        handshake = "none"
    if conv.reset_by and not conv.refused:
        close = "reset"
    elif conv.simultaneous and len(conv.fins) == 2:
        close = "simultaneous"
    elif len(conv.fins) == 2:
        close = "three-segment" if conv.fin_rode_on_ack else "four-segment"
    elif len(conv.fins) == 1:
        close = "half-open"
    else:
        close = "none"
    return ConversationSummary(
        number=conv.number,
        client=addr_text(name(conv.client.address)),
        server=addr_text(name(conv.server.address)),
        client_guessed=conv.client_guessed,
        handshake=handshake,
        close=close,
        half_close=conv.half_close,
        closed_first=conv.fins[0] if conv.fins else "",
        packets=tuple(conv.packets),
        bytes_c2s=conv.client.bytes_sent,
        bytes_s2c=conv.server.bytes_sent,
        first_ns=conv.first_ns,
        last_ns=conv.last_ns,
        final_states=(conv.client.state, conv.server.state),
        history=conv.zeek.text,
        verdict=_verdict(conv),
        packet_count=conv.packet_count,
        anomalies=tuple(conv.anomalies or ()),
        anomaly_counts=tuple(conv.anomaly_counts.items()) if conv.anomaly_counts else (),
        anomalies_cut=sum((conv.anomaly_counts or {}).values()) > len(conv.anomalies or ()),
        artefacts=tuple(conv.artefacts or ()),
        first_packet=conv.first_index,
    )


def _as_address(endpoint: Any) -> tuple[str, int]:
    return cast(tuple[str, int], endpoint)


def _endpoint(conv: Conversation, name: str) -> str:
    """Zeek's view of one endpoint from what it sent: inactive, partial (no SYN seen),
    syn_sent, syn_ack_sent, established, closed (sent a FIN) or reset (sent a RST)."""
    side = conv.side(name)
    if name in conv.reset_sides:
        return "reset"
    if name in conv.fins:
        return "closed"
    if side.packets == 0:
        return "inactive"
    opened = conv.saw_syn if name == "client" else conv.saw_syn_ack
    if not opened:
        return "partial"
    if conv.saw_syn and conv.saw_syn_ack:  # Zeek: the SYN-ACK establishes both ends
        return "established"
    return "syn_sent" if name == "client" else "syn_ack_sent"


def _verdict(conv: Conversation) -> str:
    """Zeek's conn_state, by the rules of its ``conn_state`` function, in its order; the
    originator is the client but where Zeek took the server for it (``zeek_history``)."""
    names = ("client", "server") if conv.zeek.orig_is_client else ("server", "client")
    orig, resp = _endpoint(conv, names[0]), _endpoint(conv, names[1])
    o_inactive, r_inactive = orig in ("inactive", "partial"), resp in ("inactive", "partial")
    if resp == "reset":
        no_data = conv.client.bytes_sent == 0 and conv.server.bytes_sent == 0
        if orig in ("syn_sent", "syn_ack_sent") or (orig == "reset" and no_data):
            return "REJ"
        return "RSTRH" if o_inactive else "RSTR"
    if orig == "reset":
        if r_inactive:
            return "RSTOS0" if _syn_then_reset(conv.zeek.text) else "OTH"
        return "RSTO"
    if orig == "closed" and resp == "closed":
        return "SF"
    if orig == "closed":
        return "SH" if r_inactive else "S2"
    if resp == "closed":
        return "SHR" if o_inactive else "S3"
    if orig == "syn_sent" and resp == "inactive":
        return "S0"
    if orig == "established" and resp == "established":
        return "S1"
    return "OTH"


def _syn_then_reset(history: str) -> bool:
    """Zeek's /^?S[^HAFGIQ]*R/: a SYN, then a RST with no answer or ACK between."""
    h = history[1:] if history.startswith("^") else history
    if not h.startswith("S"):
        return False
    for letter in h[1:]:
        if letter == "R":
            return True
        if letter in "HAFGIQ":
            return False
    return False
