"""wiredjob: a demo's capture saved as pcapng, its socket calls in the section comment.
(``explain_wired`` runs over the lab's wire: tests/demos/test_wired.py runs it.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from wirelens.app import pcapjob
from wirelens.app.command import UsageError, sample_path
from wirelens.app.wiredjob import save_capture
from wirelens.capture.metadata import read_calls
from wirelens.capture.pcapfile import open_capture
from wirelens.explain.catalog import Catalog
from wirelens.explain.records import Frame, SocketCall

CALLS = [SocketCall("client", "connect", 10, 20, "127.0.0.1:80", -1, "127.0.0.1:40000"),
         SocketCall("client", "send", 30, 40, "14 bytes", 14, "127.0.0.1:40000")]


@pytest.fixture(scope="module")
def frames() -> list[Frame]:
    with open_capture(sample_path()) as capture:
        return list(capture)


def read_back(path: Path) -> tuple[list[bytes], list[SocketCall], list[str]]:
    with open_capture(path) as capture:
        data = [f.data for f in capture]
        calls, bad = read_calls(capture.comments)
    return data, calls, [bad] if bad else []


def test_the_capture_and_its_calls_are_read_back_as_saved(frames: list[Frame],
                                                          tmp_path: Path,
                                                          capfd: pytest.CaptureFixture[str]
                                                          ) -> None:
    path = tmp_path / "demo.pcapng"
    save_capture(str(path), frames, CALLS, force=False)
    assert read_back(path) == ([f.data for f in frames], CALLS, [])
    out, err = capfd.readouterr()
    assert f"saved {len(frames)} packets to {path}" in out + err


def test_an_existing_file_is_kept_without_force(frames: list[Frame], tmp_path: Path) -> None:
    path = tmp_path / "demo.pcapng"
    path.write_bytes(b"keep me")
    with pytest.raises(UsageError, match="cannot write"):
        save_capture(str(path), frames, CALLS, force=False)
    assert path.read_bytes() == b"keep me"
    save_capture(str(path), frames, CALLS, force=True)
    assert read_back(path)[0] == [f.data for f in frames]


def test_annotated_the_explanation_is_in_the_packets_comments(frames: list[Frame],
                                                               tmp_path: Path) -> None:
    plain, annotated = tmp_path / "plain.pcapng", tmp_path / "annotated.pcapng"
    exp = pcapjob.explain_small(sample_path())
    save_capture(str(plain), frames, CALLS, force=False)
    save_capture(str(annotated), frames, CALLS, force=False, annotate=(exp, "en"))
    assert read_back(annotated) == read_back(plain)  # the same frames and calls ...
    # ... and the explanation besides, where Wireshark shows it (frame.comment)
    first = Catalog("en")(exp.packets[0].role_text).encode()
    assert first in annotated.read_bytes() and first not in plain.read_bytes()
