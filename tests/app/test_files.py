"""Output files (issue 19): only regular files are replaced, and a plain root run's parent
writes only what the command line named, whatever its unprivileged child sends up."""

from __future__ import annotations

import os
import stat
import struct
from pathlib import Path

import pytest

from wirelens.app import files
from wirelens.app.files import OutputError, Outputs, Relay, check_target, check_writable


def _special(kind: str, path: Path) -> None:
    if kind == "fifo":
        os.mkfifo(path)
    else:  # a character device like /dev/null's (needs root: CAP_MKNOD)
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))


@pytest.mark.parametrize("kind", ["fifo", pytest.param("device", marks=pytest.mark.live)])
def test_force_never_replaces_a_device_node_or_a_fifo(kind: str, tmp_path: Path,
                                                      capfd: pytest.CaptureFixture[str]
                                                      ) -> None:
    from wirelens import cli

    target = tmp_path / "target"
    _special(kind, target)
    with pytest.raises(OutputError, match="not a regular file"):
        check_target(str(target), force=True)
    assert cli.pcap_main(["--sample", "--html", str(target), "--force"]) == 2
    err = capfd.readouterr().err
    assert "not a regular file" in err and "wrote" not in err
    mode = target.lstat().st_mode
    assert (stat.S_ISFIFO(mode) if kind == "fifo" else stat.S_ISCHR(mode))


def test_a_folder_that_cannot_be_written_is_found_first_and_named_as_given(
        capfd: pytest.CaptureFixture[str]) -> None:
    from wirelens import cli

    with pytest.raises(OutputError, match="cannot write /proc/x.html"):
        check_writable("/proc/x.html")
    assert cli.pcap_main(["--sample", "--html", "/proc/version", "--force"]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "cannot write /proc/version" in err
    assert "wrote" not in err and ".wirelens-" not in err


def _sent(outputs: Outputs, *messages: tuple[str, str, bytes] | str) -> Relay:
    """What a relaying child's writes (path, note, content) and open requests (a path)
    come to in the parent's ``Relay``."""
    read, write = os.pipe()
    files.relay_outputs_to(write)
    try:
        for message in messages:
            if isinstance(message, str):
                files.relay_open(message)
            else:
                path, note, data = message
                files.write_atomically(path, lambda out, d=data: out.write(d), force=False,
                                       note=note)
    finally:
        files.relay_outputs_to(None)
        os.close(write)
    relay = Relay(outputs)
    relay.receive(read)
    return relay


def test_the_relay_refuses_a_path_the_command_line_did_not_name(tmp_path: Path) -> None:
    asked, other = tmp_path / "asked.html", tmp_path / "other"
    relay = _sent(Outputs(frozenset({str(asked)}), page=str(asked), open_page=True),
                  (str(asked), "wrote {path}", b"<html>"), (str(other), "", b"owned"))
    said: list[str] = []
    opened: list[str] = []
    assert relay.finish(True, said.append, opened.append) == 2
    assert not asked.exists() and not other.exists()  # nothing written once one is refused
    assert said == [f"refused: the unprivileged side asked to write {other}, which the "
                    "command line did not name"]
    assert opened == [] and os.listdir(tmp_path) == []


def test_the_relay_writes_what_was_named_and_opens_only_the_page(tmp_path: Path) -> None:
    page, ladder = tmp_path / "page.html", tmp_path / "ladder.svg"
    relay = _sent(Outputs(frozenset({str(page), str(ladder)}), page=str(page),
                          open_page=True),
                  (str(page), "wrote the page {path}", b"<html>\x1b[2J"),
                  (str(ladder), "wrote \x1b]0;x\x07{path}", b"<svg>"),
                  "/etc/passwd", str(ladder), str(page))
    said: list[str] = []
    opened: list[str] = []
    assert relay.finish(True, said.append, opened.append) == 0
    assert page.read_bytes() == b"<html>\x1b[2J" and ladder.read_bytes() == b"<svg>"
    assert said == [f"wrote the page {page}", f"wrote ?]0;x?{ladder}"]  # no escapes
    assert opened == [str(page)]


def test_a_temporary_page_is_made_by_the_parent_not_named_by_the_child(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    relay = _sent(Outputs(page="-", temporary_pages=1, open_page=True),
                  ("-", "wrote the page {path}", b"<html>"), "-",
                  ("-", "", b"a second one"))
    opened: list[str] = []
    assert relay.finish(True, lambda line: None, opened.append) == 2  # only one was asked
    assert opened == []
    relay = _sent(Outputs(page="-", temporary_pages=1, open_page=True),
                  ("-", "wrote the page {path}", b"<html>"), "-")
    assert relay.finish(True, lambda line: None, opened.append) == 0
    made = capfd.readouterr().out.strip()
    assert opened == [made] and Path(made).read_bytes() == b"<html>"
    os.unlink(made)


def test_a_failed_child_leaves_no_file(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    relay = _sent(Outputs(frozenset({str(page)})), (str(page), "", b"half"))
    assert relay.finish(False, lambda line: None, lambda path: None) == 0
    assert os.listdir(tmp_path) == []


@pytest.mark.live
def test_a_plain_root_run_relays_through_the_parent_only_what_was_named(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capfd: pytest.CaptureFixture[str]) -> None:
    """The whole split: a child without root asks for a path the command line did not
    name (a bug in the parsing code, say); the root parent refuses it."""
    from wirelens.app.privsep import run_unprivileged

    monkeypatch.delenv("SUDO_UID", raising=False)
    asked, other = tmp_path / "asked.html", tmp_path / "root-only"

    def work() -> int:
        assert os.geteuid() != 0
        files.write_atomically(str(asked), lambda out: out.write(b"page"), force=False)
        files.write_atomically(str(other), lambda out: out.write(b"x"), force=True)
        return 0

    outputs = Outputs(frozenset({str(asked)}), page=str(asked))
    assert run_unprivileged(work, outputs=outputs) == 2
    assert "refused" in capfd.readouterr().err
    assert not other.exists() and not asked.exists()

    def good() -> int:
        files.write_atomically(str(asked), lambda out: out.write(b"page"), force=False,
                               note="wrote {path}")
        return 0

    assert run_unprivileged(good, outputs=outputs) == 0
    assert asked.read_bytes() == b"page" and asked.stat().st_uid == 0
    assert capfd.readouterr().err == f"wrote {asked}\n"


def test_a_damaged_relay_message_is_refused_and_the_pipe_still_drained() -> None:
    read, write = os.pipe()
    os.write(write, struct.pack("!BIIQ", 0, 1 << 30, 0, 0) + b"x" * 10_000)
    os.close(write)
    relay = Relay(Outputs(frozenset({"x"})))
    relay.receive(read)
    assert relay.refused == ["a damaged message from the unprivileged side"]
