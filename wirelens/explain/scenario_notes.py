"""Where the scenario library's captures bear on the course notes: the evidence for each
check, read from the capture itself (so a saved capture, read back, says the same).

- a SYN answered by a RST: what "a client alone cannot run" looks like (note 000);
- a "quit" that ends a chat, followed by its sender's FIN (note 003);
- the UDP header's 8 bytes, and nothing in UDP that would notice a loss (notes 004, 001);
- a DNS answer: from the name to the address (note 004).
"""

from __future__ import annotations

from collections.abc import Iterable

from wirelens.explain import notes
from wirelens.explain.conversation import SegmentStory
from wirelens.explain.conversation_summary import ConversationSummary
from wirelens.explain.dissect import Dissection
from wirelens.explain.fields import FieldValue
from wirelens.explain.model import NoteCheck
from wirelens.explain.segment import Segment

QUIT = b"quit"  # the word that ends the chat programs of note 003

Tracked = tuple[Dissection, Segment | None, SegmentStory | None]


def conversation_notes(summary: ConversationSummary,
                       tracked: Iterable[Tracked]) -> list[NoteCheck]:
    mine = [(d, seg, story) for d, seg, story in tracked
            if seg is not None and story is not None and story.conversation == summary.number]
    out: list[NoteCheck] = []
    if summary.handshake == "refused":
        syn = next((seg.index for _, seg, s in mine if s.role == "handshake-1"), 0)
        rst = next((seg.index for _, seg, s in mine if seg.rst), 0)
        out.append(notes.refused(summary.server, syn, rst))
    chat = _chat(mine)
    if chat is not None:
        out.append(chat)
    return out


def _chat(mine: list[tuple[Dissection, Segment, SegmentStory]]) -> NoteCheck | None:
    counts = {"client": 0, "server": 0}
    quit_by, quit_at = "", 0
    for d, seg, story in mine:
        if seg.payload_len and not story.retransmission:
            counts[story.sender] += 1
            if not quit_by and d.payload.strip() == QUIT:
                quit_by, quit_at = story.sender, seg.index
        if quit_by and seg.fin and story.sender == quit_by and seg.index >= quit_at:
            return notes.chat_quit(counts["client"], counts["server"], quit_at, seg.index)
    return None


def field_note(fv: FieldValue, d: Dissection) -> NoteCheck | None:
    if fv.name == "udp.length" and isinstance(fv.value, int):
        return notes.udp_header(fv.value)
    if fv.name == "udp.checksum":
        return notes.udp_unreliable()
    if fv.name in ("dns.a", "dns.aaaa") and d.facts.get("dns_response"):
        return notes.dns(str(d.facts.get("dns_qname", "")), str(d.facts.get("dns_qtype", "")),
                         fv.display)
    return None
