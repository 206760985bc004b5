"""Writing output files safely: never over a file the user has, never through a link,
never half-written, and owned by the user who ran sudo rather than by root."""

from __future__ import annotations

import io
import os
import struct
import tempfile
from collections.abc import Callable, Iterator
from typing import BinaryIO

# In a child of a plain root run (no sudo: the child is "nobody", who may not write where
# root asked), outputs go back to the parent through this pipe, which writes them. Set once
# by privsep before the child starts working; None everywhere else.
_relay_fd: int | None = None
_RELAY_HEADER = struct.Struct("!IBQ")  # path length, what (0 write, 1 overwrite, 2 open), size
OPEN_REQUEST = 2


class OutputError(Exception):
    """The output path cannot be written as asked; the message is one line."""


def invoking_user() -> tuple[int, int] | None:
    """(uid, gid) of the user behind sudo, when running as root through sudo."""
    if os.geteuid() != 0:
        return None
    uid, gid = os.environ.get("SUDO_UID"), os.environ.get("SUDO_GID")
    if not (uid and gid and uid.isdigit() and gid.isdigit()):
        return None
    return int(uid), int(gid)


def check_target(path: str, *, force: bool) -> None:
    if _relay_fd is not None:
        return  # a relaying child may not even see the folder; the parent checks, twice
    if os.path.islink(path):
        raise OutputError(f"{path} is a symbolic link; refusing to write through it")
    if os.path.isdir(path):
        raise OutputError(f"{path} is a directory")
    if os.path.exists(path) and not force:
        raise OutputError(f"{path} already exists; add --force to overwrite it")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise OutputError(f"{parent} does not exist")


def relay_outputs_to(fd: int) -> None:
    global _relay_fd
    _relay_fd = fd


def relayed(fd: int) -> Iterator[tuple[str, int, bytes]]:
    """What a child sent up the pipe: (path, what, bytes), until it closes."""
    with os.fdopen(fd, "rb") as pipe:
        while header := pipe.read(_RELAY_HEADER.size):
            path_len, what, size = _RELAY_HEADER.unpack(header)
            path = pipe.read(path_len).decode("utf-8", "surrogateescape")
            yield path, what, pipe.read(size)


def _relay(path: str, what: int, data: bytes) -> None:
    assert _relay_fd is not None
    name = os.path.abspath(path).encode("utf-8", "surrogateescape")
    view = memoryview(_RELAY_HEADER.pack(len(name), what, len(data)) + name + data)
    while view:
        view = view[os.write(_relay_fd, view):]


def relay_open(path: str) -> bool:
    """In a relaying child: ask the parent to open ``path`` in a browser once it is written."""
    if _relay_fd is None:
        return False
    _relay(path, OPEN_REQUEST, b"")
    return True


def write_atomically(path: str, write: Callable[[BinaryIO], object], *, force: bool) -> None:
    """Writes through a temporary file in the same folder, then renames it into place."""
    if _relay_fd is not None:
        buffer = io.BytesIO()
        write(buffer)
        _relay(path, int(force), buffer.getvalue())
        return
    check_target(path, force=force)
    parent = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".wirelens-", dir=parent)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        os.chmod(tmp, 0o644)
        owner = invoking_user()
        if owner is not None:
            os.chown(tmp, *owner)
        check_target(path, force=force)  # nothing appeared there meanwhile
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
