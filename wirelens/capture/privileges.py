"""What root this process has (can it capture? make namespaces?) and how it lets go of it
for good: the primitives of the privilege split (``app.privsep`` runs a job on them)."""

from __future__ import annotations

import importlib
import os
import pwd
from collections.abc import Iterable

CAP_NET_RAW = 13  # bit in the CapEff mask of /proc/<pid>/status (linux/capability.h)
CAP_NET_ADMIN = 12


def effective_caps() -> int:
    """The effective capability mask of this process (CapEff in /proc/self/status)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("CapEff:"):
                    return int(line.split()[1], 16)
    except OSError:
        pass
    return 0


def can_capture() -> bool:
    return os.geteuid() == 0 or bool(effective_caps() & (1 << CAP_NET_RAW))


def can_admin_network() -> bool:
    return os.geteuid() == 0 or bool(effective_caps() & (1 << CAP_NET_ADMIN))


NOT_PERMITTED = (
    "capturing packets needs root or CAP_NET_RAW: run it with sudo / "
    "抓包需要 root 权限或 CAP_NET_RAW：请用 sudo 运行"
)


# ---------------------------------------------------------------- dropping root

FALLBACK_USER = "nobody"
# Imported before the drop: the interpreter's own files may not be readable by the user the
# child becomes (a Python installed under /root, say), and imports are lazy.
ALWAYS_PRELOAD = ("encodings.ascii", "encodings.latin_1", "encodings.idna", "json", "gzip",
                  "zlib", "tomllib", "unicodedata", "ctypes", "signal")


class PrivilegeError(RuntimeError):
    """Dropping root did not work as it must; nothing is parsed then."""


def unprivileged_identity() -> tuple[int, int]:
    """(uid, gid) the parsing side runs as: the sudo user, else nobody."""
    uid, gid = os.environ.get("SUDO_UID", ""), os.environ.get("SUDO_GID", "")
    if uid.isdigit() and gid.isdigit() and int(uid) != 0:
        return int(uid), int(gid)
    entry = pwd.getpwnam(FALLBACK_USER)
    return entry.pw_uid, entry.pw_gid


def drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid or os.getgid() != gid or os.getegid() != gid \
            or os.getgroups() not in ([], [gid]):
        raise PrivilegeError("the identity after dropping root is not the one asked for")
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise PrivilegeError("root could be taken back after dropping it")


def preload(modules: Iterable[str]) -> None:
    for name in (*ALWAYS_PRELOAD, *modules):
        importlib.import_module(name)
