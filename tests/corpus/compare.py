"""wirelens held against Wireshark and Zeek on one capture file, with figures.

``check(path)`` runs both (``oracle.py``) and compares four things:
- **fields**: every field our explanation shows under a Wireshark display-filter name has
  the value tshark shows for that frame, occurrence by occurrence (numbers as numbers,
  MACs in either case; a bytes field by its bytes, since we may show them as text);
- **conversations**: our TCP conversations are tshark's ``tcp.stream``s, frame for frame;
- **analysis flags**: the (frame, kind) pairs we flag are those tshark flags, naming the
  most specific kind (tshark also marks a fast or spurious retransmission a retransmission);
- **stories**: each conversation's history and conn_state are Zeek's (``zeek.py``, from
  tshark's view of the segments), its handshake and close are what tshark's
  ``tcp.completeness`` says, and who closed first and whether it half-closed are read from
  the segments independently of our tracker.
A ``FileReport`` holds the counts and every difference found, as text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.corpus.oracle import (
    ANALYSIS_FIELDS,
    TCP_FIELDS,
    OurRun,
    ours,
    tshark_frames,
    wireshark_fields,
)
from tests.corpus.zeek import Pkt, zeek_conns
from wirelens.explain.dissect import SHOWN_BYTES

FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10
# Where wirelens differs from Wireshark on purpose, and says so in its output.
MORE_SPECIFIC = {"fast-retransmission", "spurious-retransmission"}
# Zeek's default likely_server_ports (TCP), from its protocol scripts: the ports a loaded
# analyzer registers. The oracle's own copy, so that a change on our side shows.
LIKELY_SERVER_PORTS = frozenset({
    21, 22, 23, 25, 53, 80, 81, 88, 102, 110, 135, 139, 143, 389, 443, 445, 502, 563, 585,
    587, 614, 631, 636, 989, 990, 992, 993, 995, 1080, 1433, 1434, 1883, 2811, 3128, 3268,
    3306, 3389, 5222, 5223, 5269, 5432, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8888,
    20000, 44818})


@dataclass
class FileReport:
    name: str
    opened: bool = False  # we read it without a traceback (an error with exit 2 counts)
    traceback: str = ""
    error: str = ""  # our one-line error, when we refused the file
    tshark_error: str = ""
    fields_compared: int = 0
    fields_equal: int = 0
    conversations_theirs: int = 0
    conversations_equal: int = 0
    flags_theirs: int = 0
    flags_ours: int = 0
    flags_equal: int = 0
    stories_checked: int = 0
    stories_equal: int = 0
    stories_split: int = 0  # conversations Zeek would log as several connections
    overview_checked: int = 0
    overview_equal: int = 0  # --summary tells the conversation as the explanation does
    differences: list[str] = field(default_factory=list)

    def differ(self, text: str) -> None:
        self.differences.append(f"{self.name}: {text}")


# ------------------------------------------------------------------ values


def _number(text: str) -> int | None:
    """A number as tshark shows it (decimal, hex, True/False), or as a tree line shows a
    named value: "A (1)", "IN (0x0001)"."""
    text = text.strip()
    if text in ("True", "False"):
        return int(text == "True")
    named = re.fullmatch(r".+ \((\w+)\)", text)
    if named:
        text = named.group(1)
    try:
        return int(text, 0)
    except ValueError:
        return None


def _bytes_hex(text: str) -> str:
    return text.replace(":", "").replace(" ", "").lower()


def same_value(kind: str, ours_field: dict[str, Any], theirs: str) -> bool:
    shown = str(ours_field["value"])
    if kind.startswith(("FT_UINT", "FT_INT", "FT_BOOLEAN", "FT_FRAMENUM", "FT_CHAR")):
        if kind in ("FT_UINT_BYTES",):
            return _bytes_hex(str(ours_field["raw"])) == _bytes_hex(theirs)
        mine = _number(shown)
        return mine is not None and mine == _number(theirs)
    if kind == "FT_ETHER":
        return shown.lower() == theirs.lower()
    if kind in ("FT_BYTES", "FT_UINT_BYTES"):  # bytes we may show as text: by the bytes
        raw = ours_field["raw"]
        mine, wanted = _bytes_hex(raw if isinstance(raw, str) else shown), _bytes_hex(theirs)
        # a long payload keeps its first SHOWN_BYTES in the document: those are compared
        cut = ours_field["length"] > SHOWN_BYTES and len(mine) == 2 * SHOWN_BYTES
        return mine == wanted or (cut and wanted.startswith(mine))
    return shown == theirs


def _our_fields(packet: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    named = wireshark_fields()
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for layer in packet["layers"]:
        for f in layer["fields"]:
            if f["name"] in named:
                out[f["name"]].append(f)
    return out


def compare_fields(
    report: FileReport, doc: dict[str, Any], theirs: dict[int, dict[str, list[str]]]
) -> None:
    kinds = wireshark_fields()
    for packet in doc.get("packets", []):
        frame = packet["index"]
        row = theirs.get(frame, {})
        for name, fields in _our_fields(packet).items():
            values = row.get(name, [])
            for i, ours_field in enumerate(fields):
                report.fields_compared += 1
                if i < len(values) and same_value(kinds[name], ours_field, values[i]):
                    report.fields_equal += 1
                else:
                    shown = values[i] if i < len(values) else "(not shown)"
                    report.differ(
                        f"frame {frame} {name}[{i}]: ours {ours_field['value']!r}"
                        f" raw {ours_field['raw']!r}, Wireshark {shown!r}"
                    )


# ------------------------------------------------------------------ TCP, tshark's view


@dataclass(frozen=True)
class Segment:
    frame: int
    stream: int
    src: tuple[str, int]
    dst: tuple[str, int]
    flags: int
    seq: int
    ack: int
    length: int
    window: int
    time: float
    kinds: frozenset[str]


def tshark_segments(rows: list[dict[str, list[str]]]) -> list[Segment]:
    out = []
    for row in rows:
        if not {"tcp.stream", "tcp.flags", "tcp.seq_raw", "tcp.ack_raw"} <= row.keys():
            continue  # no whole fixed TCP header in the frame
        # an ICMP error quotes a TCP header: the frame's own TCP is its last one
        src_ip = (row.get("ip.src") or row.get("ipv6.src") or ["?"])[0]
        dst_ip = (row.get("ip.dst") or row.get("ipv6.dst") or ["?"])[0]
        kinds = {kind for name, kind in ANALYSIS_FIELDS.items() if name in row}
        if kinds & MORE_SPECIFIC:
            kinds.discard("retransmission")
        out.append(
            Segment(
                frame=int(row["frame.number"][0]),
                stream=int(row["tcp.stream"][0]),
                src=(src_ip, int(row["tcp.srcport"][0])),
                dst=(dst_ip, int(row["tcp.dstport"][0])),
                flags=int(row["tcp.flags"][0], 0),
                seq=int(row["tcp.seq_raw"][0]),
                ack=int(row["tcp.ack_raw"][0]),
                length=int((row.get("tcp.len") or ["0"])[0]),
                window=int((row.get("tcp.window_size_value") or ["0"])[0]),
                time=float(row["frame.time_epoch"][0]),
                kinds=frozenset(kinds),
            )
        )
    return out


def compare_conversations(report: FileReport, doc: dict[str, Any], segments: list[Segment]) -> None:
    theirs: dict[int, set[int]] = defaultdict(set)
    for seg in segments:
        theirs[seg.stream].add(seg.frame)
    mine = {c["number"]: set(c["packets"]) for c in doc.get("conversations", [])}
    report.conversations_theirs = len(theirs)
    our_sets = {frozenset(v) for v in mine.values()}
    for stream, frames in sorted(theirs.items()):
        if frozenset(frames) in our_sets:
            report.conversations_equal += 1
        else:
            near = [n for n, v in mine.items() if v & frames]
            report.differ(
                f"tcp.stream {stream} (frames {sorted(frames)[:12]}) is not one of"
                f" our conversations (ours holding them: {near})"
            )
    extra = our_sets - {frozenset(v) for v in theirs.values()}
    for frames in extra:
        report.differ(f"our conversation of frames {sorted(frames)[:12]} is no tcp.stream")


def compare_flags(report: FileReport, doc: dict[str, Any], segments: list[Segment]) -> None:
    theirs = {(seg.frame, kind) for seg in segments for kind in seg.kinds}
    mine = {
        (a["packet"], a["kind"])
        for c in doc.get("conversations", [])
        for a in c.get("anomalies", [])
        if a["kind"] != "reset"
    }
    report.flags_theirs, report.flags_ours = len(theirs), len(mine)
    report.flags_equal = len(theirs & mine)
    for frame, kind in sorted(theirs - mine):
        report.differ(f"frame {frame}: Wireshark flags {kind}, we do not")
    for frame, kind in sorted(mine - theirs):
        report.differ(f"frame {frame}: we flag {kind}, Wireshark does not")


# ------------------------------------------------------------------ stories


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def _zeek_packets(segments: list[Segment]) -> list[Pkt]:
    return [
        Pkt(
            ts=s.time,
            src=s.src,
            dst=s.dst,
            flags=s.flags,
            seq=s.seq,
            ack=s.ack,
            payload_len=s.length,
            window=s.window,
        )
        for s in segments
    ]


def _who_closed_first(segs: list[Segment], client: tuple[str, int]) -> str:
    for s in segs:
        if s.flags & FIN and not s.flags & RST:
            return "client" if s.src == client else "server"
    return ""


def _half_closed(segs: list[Segment]) -> bool:
    """New data from one side after it received the other side's FIN."""
    fin_from: set[tuple[str, int]] = set()
    for s in segs:
        if (
            s.length
            and not s.flags & RST
            and s.src not in fin_from
            and fin_from - {s.src}
            and not s.kinds & {"retransmission", "fast-retransmission", "spurious-retransmission"}
        ):
            return True
        if s.flags & FIN:
            fin_from.add(s.src)
    return False


def compare_stories(report: FileReport, doc: dict[str, Any], segments: list[Segment]) -> None:
    by_stream: dict[int, list[Segment]] = defaultdict(list)
    for seg in segments:
        by_stream[seg.stream].append(seg)
    by_frames = {frozenset(c["packets"]): c for c in doc.get("conversations", [])}
    for stream, segs in sorted(by_stream.items()):
        conv = by_frames.get(frozenset(s.frame for s in segs))
        if conv is None:
            continue  # already a conversation difference
        found = zeek_conns(_zeek_packets(segs), likely_server_ports=LIKELY_SERVER_PORTS)
        if len(found) != 1:
            # Zeek's timers cut this tcp.stream into several connections: no one verdict
            report.stories_split += 1
            continue
        report.stories_checked += 1
        zeek = found[0]
        client = _address(conv["client"])
        expected = {
            "verdict": zeek.conn_state,
            "history": zeek.history,
            "closed_first": _who_closed_first(segs, client),
            "half_close": _half_closed(segs),
        }
        if not conv["client_guessed"] and client != zeek.orig and "^" not in zeek.history:
            expected["client"] = f"{zeek.orig[0]}:{zeek.orig[1]}"
        got = {key: conv[key] for key in expected if key in conv}
        if "client" in expected:
            got["client"] = "client " + conv["client"]
        wrong = {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v}
        if wrong:
            report.differ(
                f"conversation {conv['number']} (tcp.stream {stream}): "
                + "; ".join(f"{k} ours {a!r}, expected {b!r}" for k, (a, b) in wrong.items())
            )
        else:
            report.stories_equal += 1


# ------------------------------------------------------------------ one file


def _traceback(run: OurRun) -> str:
    return run.stderr if "Traceback (most recent call last)" in run.stderr else ""


def _packet_by_packet(path: Path) -> dict[str, Any]:
    """The packet-by-packet explanation of a file over explain-pcap's per-packet limit
    (``pcapjob.PER_PACKET``), made by the same library calls, in this process."""
    from wirelens.app.notebook import explain_file
    from wirelens.render.json import to_dict

    return to_dict(explain_file(str(path)), "en")


def check(path: Path) -> FileReport:
    report = FileReport(path.name)
    run = ours(path)
    report.traceback = _traceback(run)
    report.opened = not report.traceback and run.returncode in (0, 2)
    doc = run.document or {}
    if doc.get("schema") == "wirelens.overview":
        doc = _packet_by_packet(path)  # more frames than explain-pcap explains one by one
    names = set(TCP_FIELDS) | set(ANALYSIS_FIELDS)
    for packet in doc.get("packets", []):
        names |= set(_our_fields(packet))
    shark = tshark_frames(path, names)
    report.tshark_error = shark.error if shark.returncode else ""
    if run.returncode != 0:
        report.error = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else ""
        if shark.returncode == 0 and shark.frames:
            report.differ(
                f"tshark opens it ({len(shark.frames)} frames), we refuse: {report.error}"
            )
        return report
    if shark.returncode != 0 and not shark.frames:
        return report  # tshark refuses the file (we may read it): nothing to hold it against
    theirs = {int(r["frame.number"][0]): r for r in shark.frames}
    ours_frames = len(doc.get("packets", [])) or doc.get("frames", 0)
    if shark.returncode == 0 and ours_frames != len(shark.frames):
        report.differ(f"we read {ours_frames} frames, tshark {len(shark.frames)}")
    compare_fields(report, doc, theirs)
    segments = tshark_segments(shark.frames)
    compare_conversations(report, doc, segments)
    compare_flags(report, doc, segments)
    compare_stories(report, doc, segments)
    compare_overview(report, doc, ours(path, ("--summary",)))
    return report


# What the overview (``--summary``, the engine for big files) says of each conversation must
# be what the packet-by-packet explanation says.
OVERVIEW_KEYS = ("client", "server", "client_guessed", "handshake", "close", "half_close",
                 "closed_first", "verdict", "history", "final_states", "bytes")


def compare_overview(report: FileReport, doc: dict[str, Any], run: OurRun) -> None:
    if run.returncode != 0 or run.document is None:
        report.differ(f"--summary failed: {run.stderr.strip()[-300:]}")
        return
    mine = {c["number"]: c for c in doc.get("conversations", [])}
    theirs = {c["number"]: c for c in run.document.get("conversations", [])}
    report.overview_checked = len(mine)
    for number, conv in mine.items():
        other = theirs.get(number)
        if other is None:
            report.differ(f"--summary has no conversation {number}")
            continue
        wrong = [k for k in OVERVIEW_KEYS if conv.get(k) != other.get(k)]
        if conv["packet_count"] != other["packets"]:
            wrong.append("packets")
        kinds = {(a["kind"], a["packet"]) for a in conv.get("anomalies", [])}
        if kinds != {(a["kind"], a["packet"]) for a in other.get("anomalies", [])}:
            wrong.append("anomalies")
        if wrong:
            report.differ(f"--summary differs on conversation {number}: " + ", ".join(
                f"{k} {conv.get(k)!r} / {other.get(k, other.get('packets'))!r}" for k in wrong))
        else:
            report.overview_equal += 1
    for number in theirs.keys() - mine.keys():
        report.differ(f"--summary has a conversation {number} the explanation has not")


def figures(reports: list[FileReport]) -> Iterator[str]:
    def total(attr: str) -> int:
        return sum(getattr(r, attr) for r in reports)

    yield f"files: {len(reports)}, read without a traceback: {sum(r.opened for r in reports)}"
    yield (
        f"field values equal to Wireshark's: {total('fields_equal')} / "
        f"{total('fields_compared')} fields compared"
    )
    yield (
        f"conversations equal to tcp.stream: {total('conversations_equal')} / "
        f"{total('conversations_theirs')}"
    )
    yield (
        f"analysis flags: {total('flags_equal')} equal; Wireshark {total('flags_theirs')},"
        f" ours {total('flags_ours')}"
    )
    yield (
        f"stories equal (Zeek history and conn_state, close, half-close): "
        f"{total('stories_equal')} / {total('stories_checked')} ({total('stories_split')}"
        " more that Zeek would log as several connections)"
    )
    yield (
        f"--summary (the big-file engine) equal to the packet-by-packet explanation: "
        f"{total('overview_equal')} / {total('overview_checked')} conversations"
    )
