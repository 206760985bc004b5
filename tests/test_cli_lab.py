"""explain-demo's lab options refused as bad input: one line on stderr, exit status 2, and
no lab built. In-process, no root needed."""

from __future__ import annotations

from typing import Any

import pytest

from wirelens import cli


@pytest.fixture(autouse=True)
def no_lab(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any of these reaching the lab or a capture would be a bug in the input checks."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        pytest.fail("the lab or the demo ran, though the arguments should have been refused")

    monkeypatch.setattr("wirelens.capture.lab.Lab.start", refuse)
    monkeypatch.setattr("wirelens.demos.runner.run_tcp_demo", refuse)
    monkeypatch.setattr("wirelens.capture.privileges.can_capture", lambda: True)


@pytest.mark.parametrize(("argv", "says"), [
    (["lab"], "--cleanup"),
    (["tcp", "--cleanup"], "explain-demo lab --cleanup"),
    (["tcp", "--ipv6", "--host", "127.0.0.1"], "--ipv6"),
    (["arp", "--loopback"], "loopback has neither"),
    (["arp", "--host", "127.0.0.1"], "needs the two-host lab"),
], ids=["lab-without-cleanup", "cleanup-without-lab", "ipv6-with-ipv4-host",
        "arp-on-loopback", "arp-with-host"])
def test_bad_lab_options_are_one_line(argv: list[str], says: str,
                                      capfd: pytest.CaptureFixture[str]) -> None:
    assert cli.demo_main(argv) == 2
    out, err = capfd.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("explain-demo: error: ")
    assert says in err


def test_cleanup_needs_root(monkeypatch: pytest.MonkeyPatch,
                            capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    assert cli.demo_main(["lab", "--cleanup"]) == 2
    assert "needs root" in capfd.readouterr().err
