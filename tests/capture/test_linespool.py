"""Lines spooled in runs come back in key order, whatever their text, however many runs."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from wirelens.capture import linespool
from wirelens.capture.linespool import LineSpool, key, merged


@pytest.mark.parametrize("at_once", [16, 1 << 13])
def test_runs_come_back_in_key_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     at_once: int) -> None:
    monkeypatch.setattr(linespool, "LINES_AT_ONCE", at_once)
    rng = random.Random(8)
    frames = rng.sample(range(1, 10**7), 5000)
    words = ["a", "é", "握手", "\\u2028", '\\"', ""]
    spools, expected = [], []
    for name in ("share-0", "share-1", "share-2"):
        spool = LineSpool(str(tmp_path), name)
        for _ in range(rng.randint(0, 9)):
            items = []
            for _ in range(rng.choice((0, 1, 7, 300, 900))):
                if not frames:
                    break
                k = key(frames.pop(), rng.random() < 0.5, rng.random() < 0.1)
                items.append((k, f', "x": "{rng.choice(words) * rng.randint(0, 40)}"}}'))
            expected += items
            spool.add(list(items))
        spools.append(spool.close())
    got = [(k, line) for keys, lines in merged(spools)
           for k, line in zip(keys.tolist(), lines, strict=True)]
    assert got == sorted(expected)


def test_a_key_orders_by_first_frame_then_the_line_written_again_first() -> None:
    assert key(5, False, True) < key(5, True, False) < key(6, False, False)
    assert key(7, True, True) >> 2 == 7
