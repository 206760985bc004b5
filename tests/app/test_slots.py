"""Segments written into a shared slot come out as they went in, IPv6 keys included."""

from __future__ import annotations

from typing import Any

import numpy as np

from wirelens.app.slots import SLOT_ROWS, SLOTS, Slots
from wirelens.overview.columns import COLUMNS, TcpColumns


def columns(n: int, wide: dict[int, tuple[int, int]]) -> TcpColumns:
    rng = np.random.default_rng(5)
    cols: dict[str, Any] = {name: rng.integers(-1, 1 << 40, n, dtype=np.int64) for name in COLUMNS}
    cols["src"] = rng.integers(0, 1 << 63, n, dtype=np.uint64) * np.uint64(2)
    cols["dst"] = rng.integers(0, 1 << 48, n, dtype=np.uint64)
    return TcpColumns(**cols, wide=wide)


def same(a: TcpColumns, b: TcpColumns) -> bool:
    return a.wide == b.wide and all(
        getattr(a, name).dtype == getattr(b, name).dtype
        and np.array_equal(getattr(a, name), getattr(b, name)) for name in COLUMNS)


def test_what_is_put_in_a_slot_is_taken_out() -> None:
    v6 = (1 << 170, 1 << 165)
    cols = columns(1000, {3: v6, 10: v6, 999: v6})
    slots = Slots()
    try:
        for slot, rows in enumerate([np.arange(1000), np.flatnonzero(np.arange(1000) % 3 == 1),
                                     np.array([], dtype=np.int64), np.array([999])]):
            assert slot < SLOTS
            slots.put(slot, cols, rows)
            got = slots.take(slot, len(rows), cols.wide_at(rows))
            assert same(got, cols.take(rows))
        assert cols.wide_at(np.array([3, 4, 999])) == {0: v6, 2: v6}
        full = columns(SLOT_ROWS, {})
        slots.put(0, full, np.arange(SLOT_ROWS))
        assert same(slots.take(0, SLOT_ROWS, {}), full)
    finally:
        slots.close()
