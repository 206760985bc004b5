"""What root this process has and how it lets go of it (capture/privileges.py). Which user
the parsing side becomes: tests/app/test_privsep.py."""

from __future__ import annotations

import io
import os
import pwd
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from wirelens.capture import privileges
from wirelens.capture.privileges import (
    CAP_NET_ADMIN,
    CAP_NET_RAW,
    PrivilegeError,
    can_admin_network,
    can_capture,
    drop_privileges,
    effective_caps,
    preload,
)

NOBODY = pwd.getpwnam("nobody")


def with_status(monkeypatch: pytest.MonkeyPatch, cap_eff: str | None, euid: int = 1000) -> None:
    """This process as a user ``euid`` whose /proc/self/status says ``CapEff: cap_eff``
    (None: the file cannot be read)."""
    def fake_open(path: str, encoding: str = "") -> io.StringIO:
        assert path == "/proc/self/status"
        if cap_eff is None:
            raise PermissionError(path)
        return io.StringIO(f"Name:\tpython\nCapInh:\t0000000000000000\nCapEff:\t{cap_eff}\n")

    monkeypatch.setattr(privileges, "open", fake_open, raising=False)
    monkeypatch.setattr(privileges, "os", SimpleNamespace(geteuid=lambda: euid))


def test_the_effective_capabilities_are_read_as_a_hex_mask(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with_status(monkeypatch, "0000000000003000")
    assert effective_caps() == (1 << CAP_NET_RAW) | (1 << CAP_NET_ADMIN)
    with_status(monkeypatch, None)
    assert effective_caps() == 0  # unreadable: no capabilities assumed


def test_capturing_needs_root_or_cap_net_raw(monkeypatch: pytest.MonkeyPatch) -> None:
    with_status(monkeypatch, f"{1 << CAP_NET_RAW:016x}")
    assert can_capture() and not can_admin_network()
    with_status(monkeypatch, f"{1 << CAP_NET_ADMIN:016x}")
    assert can_admin_network() and not can_capture()
    with_status(monkeypatch, "0000000000000000")
    assert not can_capture() and not can_admin_network()
    with_status(monkeypatch, "0000000000000000", euid=0)
    assert can_capture() and can_admin_network()


def test_preload_imports_the_modules_named_and_the_usual_ones() -> None:
    name = "wirelens.capture.tcpinfo"
    sys.modules.pop(name, None)
    preload([name])
    assert name in sys.modules and "tomllib" in sys.modules
    with pytest.raises(ModuleNotFoundError):
        preload(["wirelens.no_such_module"])


# ---------------------------------------------------------------- dropping root


def fake_os(*, becomes: int, root_back: bool) -> Any:
    """An ``os`` whose identity calls only record: after ``setuid`` the process reads as
    ``becomes``; ``root_back``: a second ``setuid(0)`` succeeds."""
    state = {"uid": 0, "gid": 0}

    def setuid(uid: int) -> None:
        if state["uid"] != 0 and uid == 0 and not root_back:
            raise PermissionError("setuid")
        state["uid"] = becomes if uid != 0 else 0

    def setgid(gid: int) -> None:
        state["gid"] = gid

    return SimpleNamespace(
        setgroups=lambda groups: None, setgid=setgid, setuid=setuid,
        getuid=lambda: state["uid"], geteuid=lambda: state["uid"],
        getgid=lambda: state["gid"], getegid=lambda: state["gid"], getgroups=lambda: [])


def test_dropping_root_checks_the_identity_it_got(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(privileges, "os", fake_os(becomes=4242, root_back=False))
    with pytest.raises(PrivilegeError, match="not the one asked for"):
        drop_privileges(1000, 1000)


def test_dropping_root_fails_if_root_can_be_taken_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(privileges, "os", fake_os(becomes=1000, root_back=True))
    with pytest.raises(PrivilegeError, match="taken back"):
        drop_privileges(1000, 1000)


def test_a_clean_drop_returns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(privileges, "os", fake_os(becomes=1000, root_back=False))
    drop_privileges(1000, 1000)


@pytest.mark.live
def test_a_real_drop_leaves_no_root_in_any_id() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop, report, and leave without running pytest's exit code
        try:
            os.close(read)
            drop_privileges(NOBODY.pw_uid, NOBODY.pw_gid)
            ids = [*os.getresuid(), *os.getresgid(), len(os.getgroups())]
            os.write(write, " ".join(map(str, ids)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as report:
        seen = report.read().split()
    os.waitpid(pid, 0)
    uid, gid = str(NOBODY.pw_uid), str(NOBODY.pw_gid)
    assert seen == [uid, uid, uid, gid, gid, gid, "0"]
