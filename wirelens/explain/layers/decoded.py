"""What a layer's ``dissect`` returns to the dissection driver."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from wirelens.explain.fields import Layer


class Truncated(Exception):
    """The frame ends before this layer's header does (a snap length cut, or a broken frame)."""


class TooDeep(Exception):
    """More nested headers than any real frame has (a hostile or broken capture): dissection
    stops there, so a frame of stacked tags cannot make it slow or big."""


@dataclass(frozen=True, slots=True)
class Decoded:
    layer: Layer
    next_key: int | None  # the number that says what comes next (EtherType, IP protocol)
    payload_start: int  # frame offset where the next layer begins
    payload_end: int  # frame offset where it ends (IP's length trims Ethernet padding)
    facts: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
