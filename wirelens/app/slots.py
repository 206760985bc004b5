"""TCP segments carried to a share's process through shared memory, not pickled down a pipe.

``app.fastread`` reads the file in one process and follows most conversations in
another. Pickling each block's columns, writing them down a pipe and reading them back
copies every byte four times over, in both processes; here the reading process writes a
block's segments once, straight into one of a few slots of memory mapped before the fork,
and sends only the slot's number down the pipe. The share's process copies the columns
out (what it keeps of them must not change under it) and hands the slot back at once.
"""

from __future__ import annotations

import mmap
from typing import Any

import numpy as np
import numpy.typing as npt

from wirelens.overview.columns import COLUMNS, TcpColumns

SLOTS = 4  # blocks on their way at once: the reader runs at most this far ahead
SLOT_ROWS = 1 << 15  # segments a slot holds (blockread cuts no longer blocks)
_BYTES = 8  # every column is 64-bit
_DTYPES = {name: np.uint64 if name in ("src", "dst") else np.int64 for name in COLUMNS}


class Slots:
    """``SLOTS`` slots of shared memory, made before the fork so both processes map them."""

    def __init__(self) -> None:
        self._memory = mmap.mmap(-1, SLOTS * len(COLUMNS) * SLOT_ROWS * _BYTES)
        self.free = list(range(SLOTS))  # the writer's bookkeeping

    def _column(self, slot: int, name: str, count: int) -> npt.NDArray[Any]:
        at = (slot * len(COLUMNS) + COLUMNS.index(name)) * SLOT_ROWS * _BYTES
        return np.frombuffer(self._memory, dtype=_DTYPES[name], count=count, offset=at)

    def put(self, slot: int, cols: TcpColumns, rows: npt.NDArray[np.int64]) -> None:
        """The segments at ``rows`` of ``cols`` (at most ``SLOT_ROWS``) into ``slot``;
        their ``wide`` keys travel with the message."""
        for name in COLUMNS:
            np.take(getattr(cols, name), rows, out=self._column(slot, name, len(rows)),
                    mode="clip")  # rows are in range; "clip" spares numpy a buffer

    def take(self, slot: int, count: int, wide: dict[int, tuple[int, int]]) -> TcpColumns:
        """The ``count`` segments in ``slot``, copied out: the slot can be reused."""
        taken = {name: self._column(slot, name, count).copy() for name in COLUMNS}
        return TcpColumns(**taken, wide=wide)

    def close(self) -> None:
        self._memory.close()
