"""Language-neutral text: a catalog key plus the live values that fill its placeholders.

The model stores only these; a renderer looks the key up in the zh or en catalog. That is
how one explanation can be shown in either language, or in both (the HTML page).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class Message:
    key: str
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __reduce__(self) -> tuple[Any, ...]:
        """Picklable (a read-only mapping is not): rows come back from worker processes."""
        return msg_from, (self.key, dict(self.params))


def msg_from(key: str, params: dict[str, Any]) -> Message:
    return Message(key, MappingProxyType(params))


def msg(key: str, **params: Any) -> Message:
    return Message(key, MappingProxyType(params))
