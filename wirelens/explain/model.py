"""The explanation model: what renderers turn into terminal text, JSON and HTML.

Everything here is frozen and language-neutral (texts are ``Message`` keys), and knows
nothing about how it will be shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from wirelens.explain.conversation_summary import ConversationSummary
from wirelens.explain.fields import FieldValue
from wirelens.explain.tcp_state import State
from wirelens.explain.text import Message

if TYPE_CHECKING:
    from wirelens.explain.wirestory import WireView

SCHEMA_VERSION = "1.2"  # 1.1: conversation verdict/anomaly kinds; the overview document;
# 1.2: each anomaly says whether it is a capture artefact


class Verdict(Enum):
    AGREES = "agrees"
    NUANCE = "nuance"
    DIFFERS = "differs"


@dataclass(frozen=True, slots=True)
class NoteRef:
    file: str  # a file in the course notes folder
    section: str  # its section heading, as the notes write it

    def __str__(self) -> str:
        return f"{self.file} § {self.section}"


@dataclass(frozen=True, slots=True)
class NoteCheck:
    """What the course notes claim, what was captured, and whether the two agree."""

    topic: str
    ref: NoteRef
    claim: Message
    observed: Message
    verdict: Verdict
    reason: Message


@dataclass(frozen=True, slots=True)
class FieldView:
    field: FieldValue
    text: Message
    note: NoteCheck | None = None


@dataclass(frozen=True, slots=True)
class LayerView:
    name: str
    offset: int
    length: int
    fields: tuple[FieldView, ...]


@dataclass(frozen=True, slots=True)
class PacketView:
    index: int
    ts_ns: int
    time: float  # seconds since the first packet
    summary: str  # tcpdump's notation, with relative and absolute numbers
    flags: str  # tcpdump's letters: "S", "S.", "P.", "F.", "."
    role: str  # see conversation_record.ROLES; "" for a packet that is not TCP
    role_text: Message
    conversation: int  # 0 when the packet belongs to no TCP conversation
    sender: str  # "client", "server", or "" when not TCP
    rel_seq: int | None
    rel_ack: int | None
    payload_len: int
    states_before: tuple[State, State] | None  # (client, server)
    states_after: tuple[State, State] | None
    transitions: tuple[Message, ...]  # why each endpoint's state changed (or stayed)
    layers: tuple[LayerView, ...]
    data: bytes  # the frame's captured bytes, for the hex view
    warnings: tuple[Message, ...]
    # ARP or neighbour discovery (not TCP, so conversation 0) between the two hosts of this
    # TCP conversation; ``sender`` then says which host sent it
    related: int = 0

    @property
    def notes(self) -> tuple[NoteCheck, ...]:
        return tuple(f.note for layer in self.layers for f in layer.fields if f.note)


@dataclass(frozen=True, slots=True)
class CallView:
    side: str
    call: str
    start_ns: int
    end_ns: int
    result: str
    packets: tuple[int, ...]  # the packets it caused, or (for accept/recv) that let it return
    relation: str  # "caused", "returned-after", or "" when it touches no packet
    text: Message
    note: NoteCheck | None = None


@dataclass(frozen=True, slots=True)
class ConversationView:
    summary: ConversationSummary
    notes: tuple[NoteCheck, ...]
    anomalies: tuple[tuple[str, int], ...]  # (kind, packet number)

    @property
    def number(self) -> int:
        return self.summary.number


@dataclass(frozen=True, slots=True)
class KernelView:
    """At a checkpoint of a demo: one socket's state as the kernel listed it (``ss``),
    beside the state we inferred from the capture up to that moment."""

    label: str  # the checkpoint: "half-closed", "end" ...
    side: str  # "client" or "server": whose kernel was asked
    ts_ns: int
    socket: str  # "127.0.0.1:40000 → 127.0.0.1:8080" (local → peer), or the listener's address
    kernel_state: str  # ss's name ("TIME-WAIT"), "" when the kernel listed no such socket
    inferred: str  # our State value ("TIME_WAIT"), "" when the capture shows no such socket
    agrees: bool | None  # None: nothing to compare (a listening socket)
    text: Message


@dataclass(frozen=True, slots=True)
class Explanation:
    source: str  # "live capture on lo" or the file's name
    packets: tuple[PacketView, ...]
    conversations: tuple[ConversationView, ...]
    socket_calls: tuple[CallView, ...]
    warnings: tuple[Message, ...]
    endpoints: tuple[str, str]  # ("client ip:port", "server ip:port") of the first conversation
    source_text: Message | None = None  # ``source`` in words, for either language
    kernel: tuple[KernelView, ...] = ()  # the kernel's own word on the states (demos only)
    wire: WireView | None = None  # what a misbehaving wire did (explain-demo --loss ...)

    def _repr_html_(self) -> str | None:
        """Jupyter shows the explanation as the step-through page, once rendering is loaded
        (``wirelens.app.notebook`` loads it); None: Jupyter shows the plain repr."""
        view = _HTML_VIEW.get("page")
        return None if view is None else view(self)


# How Jupyter shows an ``Explanation``: the model knows nothing of rendering, so the page
# renderer registers itself here when it is loaded (``render.html``).
_HTML_VIEW: dict[str, Callable[[Explanation], str]] = {}


def register_html_view(view: Callable[[Explanation], str]) -> None:
    """Let ``Explanation._repr_html_`` show explanations with ``view``."""
    _HTML_VIEW["page"] = view
