"""``explain-demo --live``: what it refuses, in one line and exit status 2, before
anything is made (no root needed)."""

from __future__ import annotations

import pytest

from tests.conftest import RunCli


@pytest.mark.parametrize(("args", "said"), [
    (("transfer", "--live"), "--live does not step the transfer demo: its hundreds of segments"),
    (("arp", "--live"), "--live does not step the arp demo: ARP frames pass the wire's gate"),
    (("tcp", "--live", "--loss", "1"), "--live: --loss does not go with it"),
    (("tcp", "--live", "--reorder"), "--live: --reorder does not go with it"),
    (("tcp", "--live", "--quiz"), "--live: --quiz does not go with it"),
    (("refused", "--live", "--loss", "1"), "--live: --loss does not go with it"),
    (("half-close", "--live", "--loopback"), "--live needs the two-host lab's wire"),
])
def test_what_live_cannot_do_is_one_line_and_exit_2(run_cli: RunCli, args: tuple[str, ...],
                                                    said: str) -> None:
    done = run_cli("explain-demo", *args, "--lang", "en")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and said in done.stderr and not done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("scenario", ["transfer", "arp"])
def test_the_refusals_are_said_in_chinese_too(run_cli: RunCli, scenario: str) -> None:
    done = run_cli("explain-demo", scenario, "--live", "--lang", "zh")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and f"--live 不能单步演示 {scenario}" in done.stderr
