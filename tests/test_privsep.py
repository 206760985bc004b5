"""Dropping root for the parsing side: the identity, the order, no way back."""

import os
import pwd

import pytest

from wirelens.privsep import drop_privileges, run_unprivileged, unprivileged_identity

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
