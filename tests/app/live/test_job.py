"""``explain-demo --live``: what it refuses, in one line and exit status 2, before
anything is made (no root needed)."""

from __future__ import annotations

import pytest

from tests.conftest import RunCli


@pytest.mark.parametrize(("args", "said"), [
    (("udp", "--live"), "--live steps the tcp demo over the wire; not udp"),
    (("refused", "--live"), "not refused"),
    (("tcp", "--live", "--loss", "1"), "--live: --loss does not go with it"),
    (("tcp", "--live", "--reorder"), "--live: --reorder does not go with it"),
    (("tcp", "--live", "--quiz"), "--live: --quiz does not go with it"),
])
def test_what_live_cannot_do_is_one_line_and_exit_2(run_cli: RunCli, args: tuple[str, ...],
                                                    said: str) -> None:
    done = run_cli("explain-demo", *args, "--lang", "en")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and said in done.stderr and not done.stdout
