"""Can this process capture packets? Root, or the CAP_NET_RAW capability, is needed."""

from __future__ import annotations

import os

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
