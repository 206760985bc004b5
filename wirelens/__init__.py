"""wirelens: what really happens on the wire when two programs talk over TCP.

The library behind ``explain-demo`` and ``explain-pcap``: capture (or read) frames,
explain them against the course notes (``wirelens.explain.explainer.explain``), render
the explanation. The names below are loaded when first asked for: ``explain-pcap``
needs few of them, and every import adds to the time of each run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wirelens.explain.catalog import Catalog
    from wirelens.explain.model import Explanation, PacketView, Verdict
    from wirelens.explain.records import Frame, SocketCall
    from wirelens.explain.tcp_state import State, transition_graph

__version__ = "0.1.0"

_WHERE = {
    "Catalog": "wirelens.explain.catalog",
    "Explanation": "wirelens.explain.model",
    "Frame": "wirelens.explain.records",
    "PacketView": "wirelens.explain.model",
    "SocketCall": "wirelens.explain.records",
    "State": "wirelens.explain.tcp_state",
    "Verdict": "wirelens.explain.model",
    "transition_graph": "wirelens.explain.tcp_state",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'wirelens' has no attribute {name!r}")


__all__ = [
    "Catalog",
    "Explanation",
    "Frame",
    "PacketView",
    "SocketCall",
    "State",
    "Verdict",
    "transition_graph",
    "__version__",
]
