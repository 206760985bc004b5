"""The Markdown report with its Mermaid sequence diagram (render/markdown.py)."""

from __future__ import annotations

from scapy.layers.l2 import ARP, Ether

from tests.explain.builders import HANDSHAKE, frames
from tests.render.pages import IMG, SCRIPT, hostile, sample, textbook_with_calls
from wirelens.explain.catalog import Catalog
from wirelens.explain.explainer import explain
from wirelens.explain.records import Frame
from wirelens.render.markdown import md, mermaid, render_markdown, sequence_diagram

EN = Catalog("en")


def mermaid_block(report: str) -> list[str]:
    """The lines of the report's first Mermaid diagram, without the fence."""
    return report.split("```mermaid\n", 1)[1].split("```", 1)[0].splitlines()


def test_the_markdown_report_has_a_mermaid_sequence_diagram() -> None:
    report = render_markdown(sample(), "en")
    diagram = mermaid_block(report)
    assert diagram[0] == "sequenceDiagram"
    assert diagram[1] == "    participant C as client 127.0.0.1:41062"
    arrows = [line.strip() for line in diagram if "->>" in line]
    assert arrows[:3] == ["C->>S: #35;1 SYN seq 0", "S->>C: #35;2 SYN+ACK seq 0 ack 1",
                          "C->>S: #35;3 ACK ack 1"]
    assert len(arrows) == 10
    assert "| 9 | " in report and "✗ **differs**" in report


def test_markdown_and_mermaid_escape_captured_text() -> None:
    report = render_markdown(hostile(), "en")
    assert SCRIPT not in report and IMG not in report
    assert md("a|b <i>") == "a\\|b &lt;i&gt;"
    assert mermaid('x; <b>#"') == "x#59; #60;b#62;#35;#34;"
    assert "Note right of S: #60;img src=x onerror=alert(1)#62;()" in report


# ---------------------------------------------------------------- escaping


def test_markdown_text_is_one_line_with_its_marks_escaped() -> None:
    assert md("a\n  b\tc") == "a b c"
    assert md("*x* _y_ `z` [l] ~s~ \\") == "\\*x\\* \\_y\\_ \\`z\\` \\[l\\] \\~s\\~ \\\\"
    assert md("R&D") == "R&amp;D"
    assert md(42) == "42"


def test_mermaid_text_is_one_line_with_braces_and_backticks_as_codes() -> None:
    assert mermaid("{a}\n`b`&") == "#123;a#125; #96;b#96;#38;"


# ---------------------------------------------------------------- the diagram


def test_socket_calls_are_notes_beside_the_packet_they_caused() -> None:
    diagram = [line.strip() for line in sequence_diagram(textbook_with_calls(), 1, EN)]
    assert diagram[3:6] == ["C->>S: #35;1 SYN seq 0", "Note left of C: connect()",
                            "S->>C: #35;2 SYN+ACK seq 0 ack 1"]
    assert diagram[diagram.index("C->>S: #35;3 ACK ack 1") + 1] == "Note right of S: accept()"


def test_a_packet_of_neither_end_is_a_note_across_both() -> None:
    stray = bytes(Ether(src="02:00:00:00:00:09", dst="ff:ff:ff:ff:ff:ff")
                  / ARP(op=1, hwsrc="02:00:00:00:00:09", psrc="10.199.0.9",
                        pdst="10.199.0.8"))
    exp = explain([*frames(HANDSHAKE), Frame(4, 10**18 + 4000, stray)])
    assert sequence_diagram(exp, 1, EN)[-1] == "    Note over C,S: #35;4 ARP"


def test_the_packet_table_has_a_row_per_packet_with_the_states_after() -> None:
    report = render_markdown(textbook_with_calls(), "en")
    rows = [line for line in report.splitlines() if line.startswith("| ")]
    assert rows[0] == ("| No. | time (s) | from | flags | role | TCP states after "
                       "(client / server) |")
    assert rows[1] == ("| 1 | 0.000000 | client | S | handshake step 1/3 (SYN) | "
                       "SYN\\_SENT / SYN\\_RECEIVED |")
    assert len(rows) == 1 + 10


def test_every_socket_call_is_listed_in_words() -> None:
    report = render_markdown(textbook_with_calls(), "en")
    calls = report.split("## Socket calls\n\n", 1)[1].splitlines()
    assert [line.split(":", 1)[0] for line in calls[:3]] == [
        "- client", "- server", "- client"]
    assert calls[0].startswith("- client: connect(): sends the SYN (packet 1)")


def test_an_empty_capture_has_no_diagram_and_says_why() -> None:
    report = render_markdown(explain([]), "en")
    assert "```mermaid" not in report
    assert report.endswith("## Warnings\n\n- the capture holds no packets\n")


def test_a_note_said_twice_about_the_same_thing_is_listed_once() -> None:
    report = render_markdown(textbook_with_calls(), "en")
    notes = [line for line in report.splitlines() if line.startswith("- ✓ ")
             or line.startswith("- ~ ") or line.startswith("- ✗ ")]
    observed = [line for line in report.splitlines() if line.startswith("  - wire: ")]
    assert len(notes) == len(observed)
    # the frame-size note is checked on every frame, but listed once per size seen
    sizes = [line for line in observed if "bytes as captured" in line]
    assert len(sizes) == len(set(sizes)) == 3  # 10 frames of 3 sizes
