"""command: what every command's job shares (errors, the sample, writing to stdout)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from wirelens.app import command, pcapjob
from wirelens.capture.privileges import PrivilegeError
from wirelens.explain.model import Explanation
from wirelens.explain.text import msg


@pytest.fixture(scope="module")
def sample() -> Explanation:
    return pcapjob.explain_small(command.sample_path())


def test_the_sample_capture_is_shipped() -> None:
    path = Path(command.sample_path())
    assert path.name == command.SAMPLE and path.stat().st_size > 0


def test_fail_is_one_line_and_status_2(capfd: pytest.CaptureFixture[str]) -> None:
    assert command.fail("explain-pcap", "no such file") == 2
    out, err = capfd.readouterr()
    assert out == "" and err == "explain-pcap: error: no such file\n"


@pytest.mark.parametrize(("step", "quiz", "mode"), [
    (False, False, ""), (True, False, "step"), (False, True, "quiz")])
def test_mode_of_the_arguments(step: bool, quiz: bool, mode: str) -> None:
    assert command.mode_of(argparse.Namespace(step=step, quiz=quiz)) == mode


def test_emit_json_is_utf8_whatever_the_language(sample: Explanation,
                                                 capfdbinary: pytest.CaptureFixture[bytes]
                                                 ) -> None:
    command.emit(sample, "json", "zh", 0)
    out, _ = capfdbinary.readouterr()
    doc = json.loads(out.decode("utf-8"))
    assert len(doc["packets"]) == len(sample.packets)
    assert "\\u" not in out.decode("utf-8")  # Chinese written as itself, not escaped


def test_emit_text_renders_at_the_width_asked(sample: Explanation,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    command.emit(sample, "text", "en", 60)
    out, _ = capfd.readouterr()
    assert out and max(len(line) for line in out.splitlines()) <= 60


def test_write_sends_utf8(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    command.write("三次握手\n")
    out, _ = capfdbinary.readouterr()
    assert out == "三次握手\n".encode()


def test_only_the_files_own_warnings_are_said(capfd: pytest.CaptureFixture[str]) -> None:
    command.say_file_warnings([msg("warning.file", text="x.pcap: cut after frame 3"),
                               msg("overview.warning.filter", filter="tcp", kept=1, frames=2)])
    _, err = capfd.readouterr()
    assert err.splitlines() == ["warning: x.pcap: cut after frame 3"]


def _report_args(tmp_path: Path, **named: str | None) -> argparse.Namespace:
    args = {"html": None, "svg": None, "markdown": None, "open": False, "force": False}
    return argparse.Namespace(**{**args, **named})


def test_report_targets_of_one_file_twice_is_a_usage_error(tmp_path: Path) -> None:
    same = str(tmp_path / "out")
    with pytest.raises(command.UsageError, match="different files"):
        command.report_targets(_report_args(tmp_path, html=same, svg=same))


def test_report_targets_are_what_was_named(tmp_path: Path) -> None:
    wanted = command.report_targets(_report_args(tmp_path, svg=str(tmp_path / "l.svg")))
    assert wanted.any and wanted.svg == str(tmp_path / "l.svg") and wanted.html is None


@pytest.fixture()
def in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """``unprivileged`` runs the work here (as it does for a user who is not root)."""
    monkeypatch.setattr(command, "run_unprivileged",
                        lambda work, prepare, outputs: work())


def _raising(exc: BaseException) -> Callable[[], int]:
    def work() -> int:
        raise exc

    return work


@pytest.mark.usefixtures("in_process")
def test_unprivileged_turns_a_usage_error_into_one_line(capfd: pytest.CaptureFixture[str]
                                                        ) -> None:
    assert command.unprivileged("explain-pcap", _raising(command.UsageError("bad"))) == 2
    assert capfd.readouterr().err == "explain-pcap: error: bad\n"


@pytest.mark.usefixtures("in_process")
def test_unprivileged_ends_an_interrupt_with_130() -> None:
    assert command.unprivileged("explain-pcap", _raising(KeyboardInterrupt())) == 130


@pytest.mark.usefixtures("in_process")
def test_unprivileged_ends_quietly_when_the_reader_is_gone(
        capfd: pytest.CaptureFixture[str]) -> None:
    assert command.unprivileged("explain-pcap", _raising(BrokenPipeError())) == 0
    print("after the reader left")  # goes nowhere: stdout now leads to /dev/null
    assert capfd.readouterr() == ("", "")


def test_unprivileged_says_why_root_could_not_be_dropped(
        monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    def refuse(*args: object, **kwargs: object) -> int:
        raise PrivilegeError("no user to run as")

    monkeypatch.setattr(command, "run_unprivileged", refuse)
    assert command.unprivileged("explain-demo", lambda: 0) == 2
    assert capfd.readouterr().err == "explain-demo: error: no user to run as\n"
