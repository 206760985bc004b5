"""Dropping root for the parsing side: the identity, the order, no way back."""

import os
import pwd
import re

import pytest

from wirelens.app.privsep import run_unprivileged
from wirelens.capture.privileges import drop_privileges, unprivileged_identity

NOBODY = pwd.getpwnam("nobody")


def test_identity_is_the_sudo_user_else_nobody(monkeypatch):
    monkeypatch.setenv("SUDO_UID", "1234")
    monkeypatch.setenv("SUDO_GID", "4321")
    assert unprivileged_identity() == (1234, 4321)
    monkeypatch.delenv("SUDO_UID")
    assert unprivileged_identity() == (NOBODY.pw_uid, NOBODY.pw_gid)
    monkeypatch.setenv("SUDO_UID", "0")
    monkeypatch.setenv("SUDO_GID", "0")
    assert unprivileged_identity() == (NOBODY.pw_uid, NOBODY.pw_gid)


@pytest.mark.live
def test_the_child_runs_without_root_and_cannot_get_it_back(monkeypatch):
    monkeypatch.delenv("SUDO_UID", raising=False)
    read, write = os.pipe()

    def work() -> int:
        with open("/proc/self/status", encoding="utf-8") as status:
            lines = {k: v.split() for k, _, v in (line.partition(":") for line in status)}
        os.write(write, " ".join(lines["Uid"] + lines["Gid"] + ["|"] + lines["Groups"]).encode())
        try:
            drop_privileges(0, 0)
        except PermissionError:
            return 7
        return 0

    assert run_unprivileged(work) == 7
    os.close(write)
    seen = os.read(read, 4096).decode().split()
    os.close(read)
    uids, gids, groups = seen[:4], seen[4:8], seen[9:]
    assert set(uids) == {str(NOBODY.pw_uid)} and set(gids) == {str(NOBODY.pw_gid)}
    assert groups == []


def test_an_error_in_the_child_is_one_line_and_status_2(capfd):
    def work() -> int:
        raise ValueError("broken capture")

    if os.geteuid() != 0:
        with pytest.raises(ValueError):
            run_unprivileged(work)
        return
    assert run_unprivileged(work) == 2
    assert capfd.readouterr().err.strip() == "wirelens: error: broken capture"


def _record_parsing_uids(monkeypatch: pytest.MonkeyPatch) -> int:
    """Makes the dissector write the parsing process's real, effective and saved uids
    (from /proc) down a pipe each time it parses a frame; returns the pipe's read end."""
    from wirelens.explain import explainer

    read, write = os.pipe()
    original = explainer.dissect

    def dissect(frame, *options):  # type: ignore[no-untyped-def]
        with open("/proc/self/status", encoding="utf-8") as status:
            uids = next(line for line in status if line.startswith("Uid:")).split()[1:]
        os.write(write, (" ".join(uids) + "\n").encode())
        return original(frame, *options)

    monkeypatch.setattr(explainer, "dissect", dissect)
    return read


def _record_judge_uids(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The real, effective and saved uids of each capture's judge, read from /proc just
    before it is told to end."""
    from wirelens.capture import judge

    seen: list[str] = []
    original = judge.Judge.close

    def close(self: judge.Judge) -> None:
        with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
            seen.extend(next(line for line in status if line.startswith("Uid:")).split()[1:])
        original(self)

    monkeypatch.setattr(judge.Judge, "close", close)
    return seen


def _uids_seen(read: int) -> set[str]:
    import fcntl

    fcntl.fcntl(read, fcntl.F_SETFL, os.O_NONBLOCK)
    data = b""
    try:
        while chunk := os.read(read, 65536):
            data += chunk
    except BlockingIOError:
        pass
    return {uid for line in data.decode().splitlines() for uid in line.split()}


@pytest.mark.live
def test_explain_pcap_as_root_parses_as_nobody(monkeypatch, capfd):
    from wirelens import cli

    monkeypatch.delenv("SUDO_UID", raising=False)
    read = _record_parsing_uids(monkeypatch)
    assert cli.pcap_main(["--sample", "--format", "json"]) == 0
    assert _uids_seen(read) == {str(NOBODY.pw_uid)}
    assert '"packets"' in capfd.readouterr().out


@pytest.mark.live
def test_explain_demo_under_sudo_parses_as_the_user(monkeypatch, capfd, user_dir):
    from wirelens import cli

    monkeypatch.setenv("SUDO_UID", "65534")
    monkeypatch.setenv("SUDO_GID", "65534")
    read = _record_parsing_uids(monkeypatch)
    judges = _record_judge_uids(monkeypatch)
    saved = user_dir / "demo.pcapng"
    page = user_dir / "demo.html"
    assert cli.demo_main(["tcp", "--loopback", "--save", str(saved), "--html", str(page)]) == 0
    assert _uids_seen(read) == {"65534"}
    assert judges and set(judges) == {"65534"}  # the judge that read every frame live
    for path in (saved, page):
        assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534)


@pytest.mark.live
def test_files_of_a_plain_root_run_are_written_by_the_parent(monkeypatch, capfd, tmp_path):
    """As plain root the parser is nobody, who cannot write into root's folders: the files
    come back up a pipe and the root parent writes them, still refusing to overwrite."""
    from wirelens import cli

    monkeypatch.delenv("SUDO_UID", raising=False)
    page = tmp_path / "page.html"
    assert cli.pcap_main(["--sample", "--html", str(page)]) == 0
    assert page.stat().st_size > 10_000 and page.stat().st_uid == 0
    assert cli.pcap_main(["--sample", "--html", str(page)]) == 2
    assert "--force" in capfd.readouterr().err


@pytest.mark.live
def test_verbose_says_what_ran_as_root_and_what_as_the_user(monkeypatch, capfd):
    from wirelens import cli

    monkeypatch.delenv("SUDO_UID", raising=False)
    assert cli.demo_main(["tcp", "--loopback", "--verbose", "--lang", "en",
                          "--format", "json"]) == 0
    err = capfd.readouterr().err
    assert "as root (pid" in err and "no captured byte is parsed there" in err
    judge = re.search(r"as uid 65534 \(nobody\).*judge .*\(pid (\d+)\)", err)
    assert judge is not None and int(judge.group(1)) != os.getpid()


@pytest.mark.live
def test_over_the_wire_the_loop_and_the_merge_run_without_root(monkeypatch, capfd):
    from wirelens import cli

    monkeypatch.delenv("SUDO_UID", raising=False)
    read = _record_parsing_uids(monkeypatch)
    assert cli.demo_main(["tcp", "--loss", "1", "--verbose", "--lang", "en",
                          "--format", "json"]) == 0
    assert _uids_seen(read) == {str(NOBODY.pw_uid)}
    err = capfd.readouterr().err
    assert re.search(r"as uid 65534 \(nobody\).*the wire's loop", err)
