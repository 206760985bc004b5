"""Lines spooled in runs come back in key order, whatever their text, however many runs."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from wirelens.app import linespool
from wirelens.app.linespool import LineSpool, key, merged


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


def test_many_runs_and_streams_merge_in_key_order(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Hundreds of runs (a long capture's), and streams whose batches come one by one."""
    monkeypatch.setattr(linespool, "LINES_AT_ONCE", 1 << 10)
    rng = random.Random(9)
    frames = rng.sample(range(1, 10**8), 30000)
    spool = LineSpool(str(tmp_path), "share")
    expected = []
    for _ in range(400):
        items = [(key(frames.pop(), False, False), f', "n": {rng.random()}}}')
                 for _ in range(rng.randint(1, 40))]
        expected += items
        spool.add(list(items))
    streams = []
    for _ in range(2):
        items = sorted((key(frames.pop(), False, rng.random() < 0.5), ', "s": 1}')
                       for _ in range(rng.randint(0, 3000)))
        expected += items
        batches = [items[i : i + 256] for i in range(0, len(items), 256)]
        streams.append(iter([(np.array([k for k, _ in b], dtype=np.int64), [t for _, t in b])
                             for b in batches]))
    got = [(k, line) for keys, lines in merged([spool.close()], streams)
           for k, line in zip(keys.tolist(), lines, strict=True)]
    assert got == sorted(expected)
