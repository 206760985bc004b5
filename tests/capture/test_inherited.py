"""Capture files a privileged parent opened for its unprivileged child (capture/inherited.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from wirelens.capture import inherited
from wirelens.capture.inherited import descriptor, open_for_child


@pytest.fixture(autouse=True)
def fresh_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """An empty table of opened files for each test; what it opened is closed after."""
    table: dict[str, int] = {}
    monkeypatch.setattr(inherited, "_opened", table)
    yield table
    for fd in table.values():
        os.close(fd)


def test_an_opened_file_is_found_by_any_spelling_of_its_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    capture = tmp_path / "class.pcap"
    capture.write_bytes(b"pcap bytes")
    monkeypatch.chdir(tmp_path)
    open_for_child(["class.pcap"])
    fd = descriptor(str(capture))
    assert fd is not None and descriptor("./class.pcap") == fd
    assert os.pread(fd, 100, 0) == b"pcap bytes"


def test_a_path_that_cannot_be_opened_is_left_for_the_child_to_report(
        tmp_path: Path, fresh_table: dict[str, int]) -> None:
    there = tmp_path / "there.pcap"
    there.write_bytes(b"")
    open_for_child([str(tmp_path / "missing.pcap"), str(there)])
    assert descriptor(str(tmp_path / "missing.pcap")) is None
    assert list(fresh_table) == [str(there)]


def test_a_path_never_offered_has_no_descriptor(tmp_path: Path) -> None:
    assert descriptor(str(tmp_path / "other.pcap")) is None
