"""--html, --svg, --markdown and --open on explain-pcap and explain-demo."""

from __future__ import annotations

import os
import re
import webbrowser
from pathlib import Path

import pytest

from tests.conftest import RunCli
from wirelens import cli
from wirelens.app import reports
from wirelens.app.command import sample_path


def test_explain_pcap_writes_the_page_and_refuses_to_overwrite_it(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "capture.html"
    assert cli.pcap_main(["--sample", "--html", str(page), "--lang", "en"]) == 0
    text = page.read_text("utf-8")
    assert text.startswith("<!DOCTYPE html>") and 'data-ui="en"' in text
    assert page.stat().st_size < 1_000_000
    out, err = capfd.readouterr()
    assert out == "" and f"wrote the page {page}" in err  # the page replaces the terminal text
    assert cli.pcap_main(["--sample", "--html", str(page)]) == 2
    assert "already exists; add --force" in capfd.readouterr().err
    assert cli.pcap_main(["--sample", "--html", str(page), "--force"]) == 0


def test_a_dash_writes_a_temporary_page_and_prints_its_path(
        capfd: pytest.CaptureFixture[str]) -> None:
    assert cli.pcap_main(["--sample", "--html", "-"]) == 0
    path = capfd.readouterr().out.strip()
    try:
        assert re.fullmatch(r".*/wirelens-[^/]+\.html", path)
        assert Path(path).read_text("utf-8").startswith("<!DOCTYPE html>")
        assert oct(Path(path).stat().st_mode & 0o777) == "0o644"
    finally:
        os.unlink(path)


def test_open_starts_the_browser_on_the_page(monkeypatch: pytest.MonkeyPatch,
                                             capfd: pytest.CaptureFixture[str]) -> None:
    opened: list[str] = []
    monkeypatch.setattr(reports, "invoking_user", lambda: None)
    monkeypatch.setattr(webbrowser, "open", lambda uri: opened.append(uri) or True)
    assert cli.pcap_main(["--sample", "--open"]) == 0  # --open alone means --html -
    path = capfd.readouterr().out.strip()
    try:
        assert opened == [Path(path).resolve().as_uri()]
    finally:
        os.unlink(path)


def test_open_without_a_browser_says_where_the_page_is(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(reports, "invoking_user", lambda: None)
    monkeypatch.setattr(webbrowser, "open", lambda uri: False)
    page = tmp_path / "p.html"
    assert cli.pcap_main(["--sample", "--html", str(page), "--open"]) == 0
    assert f"open {page.resolve().as_uri()} yourself" in capfd.readouterr().err


def test_svg_and_markdown_files(tmp_path: Path) -> None:
    ladder, report = tmp_path / "ladder.svg", tmp_path / "report.md"
    assert cli.pcap_main(["--sample", "--svg", str(ladder), "--markdown", str(report),
                          "--lang", "zh"]) == 0
    assert ladder.read_text("utf-8").startswith("<?xml") and "客户端" in ladder.read_text("utf-8")
    assert "```mermaid\nsequenceDiagram" in report.read_text("utf-8")


@pytest.mark.parametrize("extra", [
    ["--html", "same", "--svg", "same"],
    ["--html", "x.html", "--force", "--sample"],  # two captures, one file
])
def test_bad_file_requests_are_one_line_errors(tmp_path: Path, extra: list[str],
                                               monkeypatch: pytest.MonkeyPatch,
                                               capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.pcap_main([sample_path(), "--sample", *extra]) == 2
    err = capfd.readouterr().err
    assert err.startswith("explain-pcap: error: ") and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_a_symlink_is_never_written_through(tmp_path: Path,
                                            capfd: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "target"
    target.write_text("keep")
    (tmp_path / "link.html").symlink_to(target)
    assert cli.pcap_main(["--sample", "--html", str(tmp_path / "link.html"), "--force"]) == 2
    assert "symbolic link" in capfd.readouterr().err and target.read_text() == "keep"


@pytest.mark.live
def test_explain_demo_writes_the_page_after_the_capture_owned_by_the_sudo_user(
        user_dir: Path, run_cli: RunCli) -> None:
    page = user_dir / "handshake.html"
    done = run_cli("explain-demo", "tcp", "--loopback", "--html", str(page), "--lang", "zh",
                   env={"SUDO_UID": "65534", "SUDO_GID": "65534"})
    assert done.returncode == 0, done.stderr
    text = page.read_text("utf-8")
    assert 'data-ui="zh"' in text and "live capture" not in done.stdout
    assert (page.stat().st_uid, page.stat().st_gid) == (65534, 65534)
    assert ">1 / " in text and 'class="pkt ' in text
