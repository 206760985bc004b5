"""Writing output files safely: never over a file the user has, never through a link or
over anything but a regular file, never half-written, and owned by the user who ran sudo
rather than by root.

A plain root run (no sudo) parses as ``nobody``, who may not write where root was asked
to: its child sends each file's content up a pipe (``relay_outputs_to``) and the root
parent writes it (``Relay``), but only to the files named on the command line
(``Outputs``): the child says which of them it is writing, never where.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

# In a relaying child, the pipe its outputs go up; set once by privsep before the child
# starts working, None everywhere else.
_relay_fd: int | None = None
_RELAY_HEADER = struct.Struct("!BIIQ")  # kind, path length, note length, content size
_WRITE, _OPEN = 0, 1
TEMPORARY = "-"  # ``--html -``: a new temporary page, named by whoever writes it
_COPY = 1 << 20  # bytes copied from the pipe at a time
_MAX_NAME = 4096  # bytes of a relayed path or note (PATH_MAX): a longer one is damage


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
    """``path`` may be written: absent, or a regular file and ``force`` (never a link, a
    folder, a device node, a FIFO or a socket, ``force`` or not)."""
    if _relay_fd is not None:
        return  # a relaying child may not even see the folder; the parent checks, twice
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    if mode is not None:
        if stat.S_ISLNK(mode):
            raise OutputError(f"{path} is a symbolic link; refusing to write through it")
        if stat.S_ISDIR(mode):
            raise OutputError(f"{path} is a directory")
        if not stat.S_ISREG(mode):
            raise OutputError(f"{path} is not a regular file (a device, FIFO or socket); "
                              "refusing to replace it, --force or not")
        if not force:
            raise OutputError(f"{path} already exists; add --force to overwrite it")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise OutputError(f"{parent} does not exist")


def check_writable(path: str) -> None:
    """A file can be made beside ``path`` by whoever will write it (the user behind sudo,
    else this process): found before any work is done, and named as the user gave it."""
    if _relay_fd is not None:
        return  # the parent checked, and writes it
    parent = os.path.dirname(os.path.abspath(path))
    try:
        with _as_writer():
            fd, probe = tempfile.mkstemp(prefix=".wirelens-", dir=parent)
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


@contextmanager
def _as_writer() -> Iterator[None]:
    """Under sudo, the user's identity for a while (effective ids only: root's real ids
    take it back); otherwise nothing changes."""
    owner = invoking_user()
    if owner is None:
        yield
        return
    groups = os.getgroups()
    os.setgroups([owner[1]])
    os.setegid(owner[1])
    os.seteuid(owner[0])
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)
        os.setgroups(groups)


def write_atomically(path: str, write: Callable[[BinaryIO], object], *, force: bool,
                     note: str = "", say: Callable[[str], object] | None = None) -> None:
    """Writes through a temporary file in the same folder, then renames it into place, and
    then says ``note`` (its ``{path}`` replaced by the path written). In a relaying child
    the content goes up to the parent, which writes it and says the note."""
    if _relay_fd is not None:
        buffer = io.BytesIO()
        write(buffer)
        _relay(_WRITE, path, note, buffer.getvalue())
        return
    check_target(path, force=force)
    parent = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".wirelens-", dir=parent)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        _settle(tmp, path, force)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if note:
        (say or _to_stderr)(note.replace("{path}", path))


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr)


def _settle(tmp: str, path: str, force: bool) -> None:
    """The written temporary file becomes ``path``: readable, the sudo user's."""
    os.chmod(tmp, 0o644)
    owner = invoking_user()
    if owner is not None:
        os.chown(tmp, *owner)
    check_target(path, force=force)  # nothing appeared there meanwhile
    os.replace(tmp, path)


# ---------------------------------------------------------------- the relay


def relay_outputs_to(fd: int | None) -> None:
    global _relay_fd
    _relay_fd = fd


def relaying() -> bool:
    return _relay_fd is not None


def _relay(kind: int, path: str, note: str, data: bytes) -> None:
    assert _relay_fd is not None
    name = path.encode("utf-8", "surrogateescape")
    said = note.encode("utf-8", "replace")
    view = memoryview(_RELAY_HEADER.pack(kind, len(name), len(said), len(data)) + name
                      + said + data)
    while view:
        view = view[os.write(_relay_fd, view):]


def relay_open(path: str) -> bool:
    """In a relaying child: ask the parent to open the page ``path`` (as the command line
    named it) in a browser once it is written."""
    if _relay_fd is None:
        return False
    _relay(_OPEN, path, "", b"")
    return True


@dataclass(frozen=True, slots=True)
class Outputs:
    """The files the command line named: the only ones a relaying child may have written."""

    paths: frozenset[str] = frozenset()  # as given on the command line
    force: bool = False
    page: str | None = None  # the ``--html`` page ("-": temporary), the one that --open opens
    temporary_pages: int = 0  # ``--html -``: new pages the parent makes, at most this many
    open_page: bool = False  # ``--open``


@dataclass
class Relay:
    """The root parent's side: what a child sends up, each file's content copied straight
    into a temporary file beside its target (never held in memory), renamed into place
    only once the child has ended well. Anything not named on the command line is
    refused, and the run fails."""

    allowed: Outputs
    refused: list[str] = field(default_factory=list)
    _pending: list[tuple[str, str, str]] = field(default_factory=list)  # tmp, path, note
    _opens: list[str] = field(default_factory=list)
    _temporary: int = 0

    def receive(self, fd: int) -> None:
        """Reads the pipe until the child closes it (while it runs: pipes are small)."""
        with os.fdopen(fd, "rb") as pipe:
            while header := pipe.read(_RELAY_HEADER.size):
                if len(header) < _RELAY_HEADER.size:
                    self.refused.append("a damaged message from the unprivileged side")
                    return
                kind, path_len, note_len, size = _RELAY_HEADER.unpack(header)
                if path_len > _MAX_NAME or note_len > _MAX_NAME:
                    self.refused.append("a damaged message from the unprivileged side")
                    while pipe.read(_COPY):  # until it ends: a child never waits on us
                        pass
                    return
                path = pipe.read(path_len).decode("utf-8", "surrogateescape")
                note = pipe.read(note_len).decode("utf-8", "replace")
                if kind == _OPEN:
                    self._opens.append(path)
                elif kind == _WRITE and self._may_write(path):
                    self._accept(pipe, path, note, size)
                else:
                    self.refused.append(path)
                    _drain(pipe, size)

    def _may_write(self, path: str) -> bool:
        if path == TEMPORARY:
            self._temporary += 1
            return self._temporary <= self.allowed.temporary_pages
        return path in self.allowed.paths and path not in {p for _, p, _ in self._pending}

    def _accept(self, pipe: BinaryIO, path: str, note: str, size: int) -> None:
        if path == TEMPORARY:  # the page itself, made here: the child never names it
            fd, tmp = tempfile.mkstemp(prefix="wirelens-", suffix=".html")
        else:
            fd, tmp = tempfile.mkstemp(prefix=".wirelens-",
                                       dir=os.path.dirname(os.path.abspath(path)))
        self._pending.append((tmp, path, note))
        with os.fdopen(fd, "wb") as out:
            left = size
            while left:
                chunk = pipe.read(min(left, _COPY))
                if not chunk:
                    break
                out.write(chunk)
                left -= len(chunk)

    def finish(self, ok: bool, say: Callable[[str], object],
               open_page: Callable[[str], object]) -> int:
        """Puts every file in place when the child ended well and nothing was refused
        (0), else removes them (2 when anything was refused or could not be written);
        then opens the page the command line asked for, if the child asked to."""
        for path in self.refused:
            say(f"refused: the unprivileged side asked to write {_shown(path)}, which the "
                "command line did not name")
        if not ok or self.refused:
            self.discard()
            return 2 if self.refused else 0
        written = []
        try:
            for tmp, named, note in self._pending:
                path = named
                if named == TEMPORARY:
                    os.chmod(tmp, 0o644)
                    path = tmp
                    print(path, flush=True)  # on stdout, for scripts: the page's path
                else:
                    _settle(tmp, named, self.allowed.force)
                written.append((named, path))
                if note:
                    say(_shown(note.replace("{path}", path)))
        except (OSError, OutputError) as exc:
            self.discard()
            say(f"cannot write: {exc}")
            return 2
        for named, path in written:
            if self.allowed.open_page and named == self.allowed.page and named in self._opens:
                open_page(path)
        return 0

    def discard(self) -> None:
        for tmp, _, _ in self._pending:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self._pending.clear()


def _drain(pipe: BinaryIO, size: int) -> None:
    while size > 0:
        chunk = pipe.read(min(size, _COPY))
        if not chunk:
            return
        size -= len(chunk)


def _shown(text: str) -> str:
    """Text from the unprivileged side, printed without its control characters."""
    return "".join(c if c.isprintable() else "?" for c in text)[:500]

