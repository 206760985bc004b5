"""Writing output files safely: never over a file the user has, never through a link,
never half-written, and owned by the user who ran sudo rather than by root."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import BinaryIO


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
    if os.path.islink(path):
        raise OutputError(f"{path} is a symbolic link; refusing to write through it")
    if os.path.isdir(path):
        raise OutputError(f"{path} is a directory")
    if os.path.exists(path) and not force:
        raise OutputError(f"{path} already exists; add --force to overwrite it")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise OutputError(f"{parent} does not exist")


def write_atomically(path: str, write: Callable[[BinaryIO], object], *, force: bool) -> None:
    """Writes through a temporary file in the same folder, then renames it into place."""
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
