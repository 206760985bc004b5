"""notebook: a capture file explained as a library call, shown by Jupyter as the page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_tshark_anomalies import SCENARIOS, build
from wirelens.app import notebook, pcapjob
from wirelens.app.command import UsageError, sample_path
from wirelens.capture.metadata import PREFIX
from wirelens.capture.pcapfile import open_capture, write_pcapng
from wirelens.render.json import dumps


def test_a_file_is_explained_as_explain_pcap_explains_it() -> None:
    exp = notebook.explain_file(sample_path())
    assert dumps(exp, "en") == dumps(pcapjob.explain_small(sample_path()), "en")
    assert exp.socket_calls  # the sample's comment holds its demo's calls


def test_jupyter_shows_it_as_the_step_through_page(tmp_path: Path) -> None:
    exp = notebook.explain_file(str(build(tmp_path, "refused", SCENARIOS["refused"])))
    page = exp._repr_html_()
    # the page inside an iframe: its scripts run apart from the notebook's
    assert page is not None and page.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;')


def test_a_file_that_is_not_a_capture_is_one_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n" * 20)
    with pytest.raises(UsageError, match="notes.txt"):
        notebook.explain_file(str(path))


def test_a_bad_socket_call_log_is_a_warning(tmp_path: Path) -> None:
    with open_capture(sample_path()) as capture:
        frames = list(capture)
    path = tmp_path / "bad-calls.pcapng"
    with path.open("wb") as out:
        write_pcapng(out, frames, comment=PREFIX + "[not a call]")
    exp = notebook.explain_file(str(path))
    assert exp.socket_calls == ()
    (said,) = [w for w in exp.warnings if w.key == "warning.file"]
    assert "socket-call log in the section comment is ignored" in said.params["text"]
