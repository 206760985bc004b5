"""Zeek's conn.log ``history``, letter by letter, as Zeek's TCP analyzer writes it.

Theory of operation (Zeek's ``update_history`` and ``Connection::CheckHistory``): letters
are upper case for the *originator* and lower case for the responder. A segment with one
of SYN, FIN, RST writes S (H with ACK), F or R, again each time its sequence number (for a
FIN, the one after its data) differs from that letter's last one; a segment with two or
more of them writes Q, or I for FIN with RST, once. A segment with none writes D if it
carries data, else A if it acknowledges, once per side. So a SYN or FIN that carries
data writes no D. T (payload sent again: its end does not pass the highest sequence
number seen) and W (a zero window) are written at the 1st, 10th, 100th ... time.

Who is the originator: the sender of the first segment, except that a first segment
without a SYN (or a SYN-ACK) from a likely server port to another port starts the
connection the other way round (Zeek's ``WantConnection``). When a SYN-ACK came first and
its SYN arrives later, Zeek turns the roles round and writes ``^``; the letters already
seen stay with their position (Zeek does not swap them).

G (a content gap) is written, scaled, when the peer acknowledges data never captured,
once the handshake is done: a hole before later data (one hole per side at a time), or
beyond all data. Not written: C (bad checksum; Zeek drops such a segment by default,
while most captures taken on the sending host carry offloaded, unfilled checksums that
we explain instead).
"""

from __future__ import annotations

from wirelens.explain.wirenumbers import ACK, FIN, RST, SYN

# Zeek's default likely_server_ports for TCP, from its protocol scripts (base and the
# common ones): a port here is taken as the server's when no SYN says which side is.
LIKELY_SERVER_PORTS = frozenset({
    21, 22, 23, 25, 53, 80, 81, 88, 102, 110, 135, 139, 143, 389, 443, 445, 502, 563,
    585, 587, 614, 631, 636, 989, 990, 992, 993, 995, 1080, 1433, 1434, 1883, 2811, 3128,
    3268, 3306, 3389, 5222, 5223, 5269, 5432, 6379, 6666, 6667, 6668, 6669, 8000, 8080,
    8888, 20000, 44818,
})
_SFR = SYN | FIN | RST
_SCALE = frozenset(10**k for k in range(10))


def first_sender_is_server(sport: int, dport: int, flags: int) -> bool:
    """Zeek's ``WantConnection``: whether a conversation's first segment, when it is not a
    bare SYN, came from the server, judged by likely server ports."""
    if flags & SYN and not flags & ACK or sport not in LIKELY_SERVER_PORTS:
        return False
    if dport in LIKELY_SERVER_PORTS:
        return not flags & SYN and sport < dport
    return True


_LETTERS = "SHFRQIDA"  # the letters written once per side (or again on a new number)


class ZeekHistory:
    """One conversation's history so far (``text``); see the module's docstring."""

    __slots__ = ("orig_is_client", "text", "_seen", "_numbers")

    def __init__(self, orig_is_client: bool = True, flipped: bool = False) -> None:
        self.orig_is_client = orig_is_client
        self.text = "^" if flipped else ""  # turned round at the start by a server port
        self._seen = 0  # one bit per (originator or responder, letter), as Zeek's mask
        # (client's?, letter) -> the last S/H/F/R number, or how often T/W happened;
        # made when first needed (most conversations need none)
        self._numbers: dict[tuple[bool, str], int] | None = None

    def _write(self, from_client: bool, letter: str) -> None:
        self.text += letter if from_client == self.orig_is_client else letter.lower()

    def once(self, from_client: bool, letter: str) -> bool:
        """Write the letter the first time this side does it; whether it was seen."""
        bit = 1 << (_LETTERS.index(letter) + (0 if from_client == self.orig_is_client else 16))
        if self._seen & bit:
            return True
        self._seen |= bit
        self._write(from_client, letter)
        return False

    def _numbered(self) -> dict[tuple[bool, str], int]:
        if self._numbers is None:
            self._numbers = {}
        return self._numbers

    def _at(self, from_client: bool, letter: str, position: int) -> None:
        """S, H, F, R: again whenever the sequence number is a new one."""
        numbers, key = self._numbered(), (from_client, letter)
        if self.once(from_client, letter) and numbers.get(key) != position:
            self._write(from_client, letter)
        numbers[key] = position

    def scaled(self, from_client: bool, letter: str) -> None:
        """T, W: at the 1st, 10th, 100th ... time (Zeek's ScaledHistoryEntry)."""
        numbers, key = self._numbered(), (from_client, letter)
        count = numbers.get(key, 0) + 1
        numbers[key] = count
        if count in _SCALE:
            self._write(from_client, letter)

    def segment(self, from_client: bool, flags: int, seq: int, payload_len: int) -> None:
        """The letters of one segment's flags and data."""
        bits = flags & _SFR
        if bits & (bits - 1):  # two or more of SYN, FIN, RST
            self.once(from_client, "I" if flags & FIN and flags & RST else "Q")
        elif flags & SYN:
            self._at(from_client, "H" if flags & ACK else "S", seq)
        elif flags & FIN:
            self._at(from_client, "F", (seq + payload_len) & 0xFFFFFFFF)
        elif flags & RST:
            self._at(from_client, "R", seq)
        elif payload_len:
            self.once(from_client, "D")
        elif flags & ACK:
            self.once(from_client, "A")

    def flip(self) -> None:
        """The SYN of a conversation whose SYN-ACK came first: the client originates."""
        self.orig_is_client = True
        self.text += "^"
