"""Network namespaces of threads: a thread enters one for a block (``entered``), and a
namespace is told apart by the id its /proc link names. Python has no ``os.setns`` before
3.12, so libc's ``setns`` through ctypes. Shared by the lab, which makes the namespaces,
and the wire, whose TAP devices are opened inside them."""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator
from contextlib import contextmanager

CLONE_NEWNET = 0x40000000  # linux/sched.h


def setns_net(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"setns: {os.strerror(errno)}")


def namespace_id(path: str) -> str:
    """``net:[4026531840]``: which namespace a /proc/.../ns/net link names."""
    return os.readlink(path)


@contextmanager
def entered(ns_path: str) -> Iterator[None]:
    """Runs the block with the calling thread in the network namespace at ``ns_path``."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(ns_path, os.O_RDONLY)
        try:
            setns_net(target)
        finally:
            os.close(target)
        try:
            yield
        finally:
            setns_net(home)
    finally:
        os.close(home)
