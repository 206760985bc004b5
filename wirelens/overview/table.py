"""A class's captures in one table: one row per TCP conversation, and one row per file that
holds no complete handshake saying why (the mistakes students make when they capture).

Rows come from a file's ``Overview`` (the same summaries ``explain-pcap --summary`` shows),
so a file is read once, by the overview's fast path. The notes' checks on a whole
conversation (its close, who closed first, TIME_WAIT) are made from its summary; the ones
whose verdict is "differs" go in the row. Everything here is plain data: texts stay
``Message`` keys until a renderer says them in a language, and a row pickles (it comes
back from a worker process or a Dask worker).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wirelens.explain import notes
from wirelens.explain.conversation_summary import ConversationSummary
from wirelens.explain.model import NoteCheck, Verdict
from wirelens.explain.text import Message, msg
from wirelens.overview.builder import Overview

# Anomaly kinds that say bytes were sent again (explain/analysis.RETRANSMISSIONS by name).
RETRANSMISSION_KINDS = ("retransmission", "fast-retransmission", "spurious-retransmission")
# Why a file holds no complete handshake: keys of the "table.why" catalog table.
REASONS = ("error", "empty", "no-tcp", "refused", "unanswered", "one-direction", "no-syn",
           "partial")
KINDS = ("conversation", "file", "error")
SYN_LETTERS = frozenset("ST")  # Zeek's history of a client's SYN, sent again (T) or not


@dataclass(frozen=True, slots=True)
class TableRow:
    file: str
    kind: str  # one of KINDS
    conversation: ConversationSummary | None = None  # kind "conversation"
    differs: tuple[NoteCheck, ...] = ()  # the notes' checks that the capture contradicts
    reason: str = ""  # one of REASONS, for kinds "file" and "error"
    why: Message | None = None  # the reason in words (kind "file")
    error: str = ""  # kind "error": what went wrong, one line

    @property
    def retransmissions(self) -> int:
        counts = dict(self.conversation.anomaly_counts) if self.conversation else {}
        return sum(counts.get(kind, 0) for kind in RETRANSMISSION_KINDS)

    @property
    def other_anomalies(self) -> tuple[tuple[str, int], ...]:
        if self.conversation is None:
            return ()
        return tuple((k, n) for k, n in self.conversation.anomaly_counts
                     if k not in RETRANSMISSION_KINDS)


def conversation_checks(s: ConversationSummary) -> list[NoteCheck]:
    """The notes' checks on a whole conversation, as the full explanation makes them."""
    return [c for c in (notes.close(s), notes.close_first(s), notes.time_wait(s)) if c]


def _one_way(history: str) -> bool:
    letters = [c for c in history if c.isalpha()]
    return all(c.isupper() for c in letters) or all(c.islower() for c in letters)


def why_no_handshake(ov: Overview, conversations: Sequence[ConversationSummary]) -> str:
    """The reason (one of REASONS) a file with no complete handshake has none."""
    if not ov.frames:
        return "empty"
    if not conversations:
        return "no-tcp"
    if any(s.handshake == "refused" for s in conversations):
        return "refused"
    if all(_one_way(s.history) for s in conversations):
        # a client that sent nothing but SYNs was never answered; one that went on
        # (an ACK, data) was, and the answers are missing from the capture
        syns_only = all(set(s.history.lstrip("^")) <= SYN_LETTERS for s in conversations)
        return "unanswered" if syns_only else "one-direction"
    if all(s.handshake == "none" for s in conversations):
        return "no-syn"
    if any(s.handshake == "unanswered" for s in conversations):
        return "unanswered"
    return "partial"


def rows_of(name: str, ov: Overview) -> list[TableRow]:
    """The rows of one file: a file row first when no handshake is complete, then one row
    per conversation in the overview's order."""
    conversations = list(ov.conversations)
    rows = [TableRow(name, "conversation", s,
                     tuple(c for c in conversation_checks(s) if c.verdict is Verdict.DIFFERS))
            for s in conversations]
    if any(s.handshake == "complete" for s in conversations):
        return rows
    reason = why_no_handshake(ov, conversations)
    kinds = ", ".join(k for k, _ in ov.counts) or "-"
    why = msg(f"table.why.{reason}", frames=ov.frames, kinds=kinds,
              conversations=len(conversations))
    return [TableRow(name, "file", reason=reason, why=why), *rows]


def error_row(name: str, error: str) -> TableRow:
    return TableRow(name, "error", reason="error", error=error)


def conversation_count(rows: Iterable[TableRow]) -> int:
    return sum(1 for r in rows if r.kind == "conversation")
