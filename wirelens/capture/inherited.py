"""Capture files a privileged parent opened for a child that has dropped root.

``explain-pcap`` run as root opens its input files first (as tcpdump does before it drops
privileges), then forks the unprivileged child that parses them; the child reads through
these inherited descriptors, so a file only root may read can still be explained without
any of its bytes being parsed as root.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

_opened: dict[str, int] = {}


def open_for_child(paths: Iterable[str]) -> None:
    """Open each readable path; one that cannot be opened is left for the child to report."""
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        _opened[os.path.abspath(path)] = fd


def descriptor(path: str) -> int | None:
    """The inherited descriptor for ``path``, if the parent opened it."""
    return _opened.get(os.path.abspath(path))
