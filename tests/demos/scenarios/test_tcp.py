"""``tcp``: the course notes' exchange as a scenario, run for real on loopback."""

from __future__ import annotations

import pytest

from tests.demos.scenarios.runs import kernel, ran

pytestmark = pytest.mark.live


def test_tcp_client_ends_in_time_wait_and_the_kernel_agrees() -> None:
    doc = ran("tcp").doc
    (client,) = kernel(doc, "end", "client")
    assert (client["kernel_state"], client["agrees"]) == ("TIME-WAIT", True)
