"""Shared fixtures: the live-test gate, one real demo run as JSON, and the shipped sample.

Tests marked ``@pytest.mark.live`` capture real packets, which needs root and libpcap.
Without them the tests skip, unless ``WIRELENS_REQUIRE_LIVE=1`` says this run exists to
exercise them: then the skip becomes a failure, so a CI job cannot pass by skipping.
"""

from __future__ import annotations

import ctypes.util
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from wirelens.app import command

# The real-Chromium fixture (``browser``) for the page tests.
pytest_plugins = ["tests.browser"]

REQUIRE_LIVE = "WIRELENS_REQUIRE_LIVE"
CLI_TIMEOUT = 120  # seconds; a guard against a hung capture, not a speed check

RunCli = Callable[..., "subprocess.CompletedProcess[Any]"]


def live_problem() -> str | None:
    """Why live tests cannot run here, or None when they can."""
    if os.geteuid() != 0:
        return "live capture needs root (run pytest with sudo)"
    if ctypes.util.find_library("pcap") is None:
        return "live capture needs libpcap, which is not installed"
    return None


def require_live() -> None:
    """Skip the calling test when it cannot capture; fail instead under WIRELENS_REQUIRE_LIVE=1."""
    reason = live_problem()
    if reason is None:
        return
    if os.environ.get(REQUIRE_LIVE) == "1":
        pytest.fail(f"{REQUIRE_LIVE}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Runs before the test's fixtures are set up, so a skipped live test starts no capture.
    if item.get_closest_marker("live") is not None:
        require_live()


def console_script(name: str) -> Path:
    """An entry point installed next to this interpreter (the venv's ``bin``)."""
    return Path(sys.executable).parent / name


@pytest.fixture(scope="session")
def run_cli() -> RunCli:
    """Runs ``explain-demo`` or ``explain-pcap`` as a user would, in a child process."""

    def run(name: str, *args: str, env: Mapping[str, str] | None = None,
            text: bool = True) -> subprocess.CompletedProcess[Any]:
        return subprocess.run(
            [str(console_script(name)), *args],
            capture_output=True,
            text=text,
            encoding="utf-8" if text else None,
            env=None if env is None else {**os.environ, **env},
            timeout=CLI_TIMEOUT,
            check=False,
        )

    return run


@pytest.fixture(scope="session")
def demo_json(run_cli: RunCli) -> dict[str, Any]:
    """One real ``explain-demo tcp --loopback --format json --lang en`` run, parsed; shared by
    the session. (The two-host lab, the default, has its own tests: tests/capture/test_lab.py.)"""
    require_live()
    done = run_cli("explain-demo", "tcp", "--loopback", "--format", "json", "--lang", "en")
    assert done.returncode == 0, done.stderr
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


@pytest.fixture(scope="session")
def sample_path() -> str:
    return command.sample_path()


def make_user_dir() -> Path:
    """A folder the user behind sudo ("nobody" in the tests) can reach and write: pytest's own
    temporary folders are root's alone (0700), and output files are written as that user."""
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="wirelens-test-", dir="/tmp"))
    path.chmod(0o777)
    return path


@pytest.fixture
def user_dir() -> Iterator[Path]:
    import shutil

    path = make_user_dir()
    yield path
    shutil.rmtree(path, ignore_errors=True)
