"""The explanation as pcapng comments: one line per packet, the story for the section."""

from __future__ import annotations

from dataclasses import replace

from wirelens.app import notebook
from wirelens.app.command import sample_path
from wirelens.capture.pcapfile import open_capture
from wirelens.explain.explainer import explain
from wirelens.explain.records import Frame
from wirelens.render.comments import WIRESHARK_WORDS, packet_comments, story_comment


def sample_frames() -> list[Frame]:
    with open_capture(sample_path()) as capture:
        return list(capture)


def test_one_line_a_packet_each_note_once() -> None:
    comments = packet_comments(notebook.explain_file(sample_path()), "en")
    assert list(comments) == list(range(1, 11))
    assert all("\n" not in c for c in comments.values())
    assert comments[3].startswith("#1 handshake step 3/3 (ACK); server SYN_RECEIVED → "
                                   "ESTABLISHED")
    # the IP header's note is told on the first packet, not on every one
    assert sum("The IP header is 20 to 60 bytes" in c for c in comments.values()) == 1


def test_a_frame_captured_twice_is_named_an_artefact() -> None:
    frames = sample_frames()
    copy = replace(frames[3], ts_ns=frames[3].ts_ns + 1000)  # the same frame, 1 µs later
    frames = [replace(f, index=i) for i, f in enumerate([*frames[:4], copy, *frames[4:]], 1)]
    comments = packet_comments(explain(frames), "en")
    assert "[TCP Retransmission], a capture artefact" in comments[5]
    assert "capture artefact" not in comments[4]


def test_the_story_has_the_ladder_the_notes_and_the_calls() -> None:
    story = story_comment(notebook.explain_file(sample_path()), "zh")
    lines = story.splitlines()
    assert lines[0].startswith("wirelens：这个抓包的经过（zh）")
    assert any("#1 [S] seq 0" in line for line in lines)  # the ladder, as text
    assert "套接字调用" in lines and any("connect()" in line for line in lines)


def test_every_anomaly_kind_has_wiresharks_words() -> None:
    from wirelens.explain.analysis import KIND_NAMES

    assert set(WIRESHARK_WORDS) == set(KIND_NAMES.values())
