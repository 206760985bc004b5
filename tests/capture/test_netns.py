"""Threads entering network namespaces (capture/netns.py)."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
from collections.abc import Iterator

import pytest

from wirelens.capture.netns import entered, namespace_id, setns_net

HERE = "/proc/thread-self/ns/net"


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def test_a_namespace_is_named_by_its_proc_link() -> None:
    assert namespace_id(HERE).startswith("net:[")
    assert namespace_id(HERE) == namespace_id(f"/proc/{os.getpid()}/ns/net")


def test_a_file_that_is_no_namespace_is_refused_with_its_errno() -> None:
    fd = os.open("/dev/null", os.O_RDONLY)
    try:
        with pytest.raises(OSError) as info:
            setns_net(fd)
    finally:
        os.close(fd)
    assert info.value.errno in (errno.EINVAL, errno.EPERM)
    assert str(info.value).startswith(f"[Errno {info.value.errno}] setns: ")


def test_a_missing_namespace_is_not_entered_and_leaks_nothing() -> None:
    before = open_fds()
    with pytest.raises(FileNotFoundError), entered("/run/netns/wirelens-no-such-namespace"):
        pytest.fail("the block must not run")
    assert open_fds() == before


@pytest.fixture
def namespace() -> Iterator[str]:
    """A network namespace of this test's own (only its loopback), removed after."""
    name = f"wl-test-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield f"/run/netns/{name}"
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)


@pytest.mark.live
def test_the_block_runs_in_the_namespace_and_the_thread_comes_back(namespace: str) -> None:
    home = namespace_id(HERE)
    before = open_fds()
    with entered(namespace):
        # /run/netns/<name> is a bind mount of the namespace's file: the id is its inode
        assert namespace_id(HERE) == f"net:[{os.stat(namespace).st_ino}]" != home
        assert [name for _, name in socket.if_nameindex()] == ["lo"]
    assert namespace_id(HERE) == home
    assert open_fds() == before


@pytest.mark.live
def test_the_thread_comes_back_when_the_block_raises(namespace: str) -> None:
    home = namespace_id(HERE)
    with pytest.raises(RuntimeError), entered(namespace):
        raise RuntimeError("inside")
    assert namespace_id(HERE) == home
