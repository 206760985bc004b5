"""warmup: what a job loads while still root, checked in a fresh interpreter (this one has
loaded far more already)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Prints which modules a fresh interpreter holds after the call given as argv[1].
PROBE = """
import json, pkgutil, sys
import wirelens
from wirelens.app import warmup
exec(sys.argv[1])
ours = [m.name for m in pkgutil.walk_packages(wirelens.__path__, "wirelens.")]
print(json.dumps({"missing": [m for m in ours if m not in sys.modules],
                  "loaded": sorted(sys.modules)}))
"""


def loaded_after(call: str) -> dict[str, list[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE, call], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, list[str]] = json.loads(done.stdout)
    return result


def test_warm_up_loads_every_module_of_wirelens_and_the_step_modes() -> None:
    after = loaded_after("warmup.warm_up()")
    assert after["missing"] == []
    assert {"networkx", "termios", "wirelens.app.interactive"} <= set(after["loaded"])


@pytest.mark.parametrize("bpf", [False, True])
def test_warm_up_overview_loads_libpcaps_filter_only_for_a_filter(bpf: bool) -> None:
    after = loaded_after(f"warmup.warm_up_overview('en', 'json', {bpf})")
    loaded = set(after["loaded"])
    assert {"wirelens.app.fastread", "wirelens.render.summary"} <= loaded
    assert ("wirelens.capture.bpf" in loaded) == bpf
    # far less than warm_up: no page, no terminal renderer, no rich without a terminal
    assert not {"wirelens.render.html", "wirelens.render.terminal", "rich.console"} & loaded
