"""wirelens: what really happens on the wire when two programs talk over TCP.

The library behind ``explain-demo`` and ``explain-pcap``: capture (or read) frames,
explain them against the course notes, render the explanation.
"""

from wirelens.explain.catalog import Catalog
from wirelens.explain.explainer import explain
from wirelens.explain.model import Explanation, PacketView, Verdict
from wirelens.explain.records import Frame, SocketCall
from wirelens.explain.tcp_state import State, transition_graph

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "Explanation",
    "Frame",
    "PacketView",
    "SocketCall",
    "State",
    "Verdict",
    "explain",
    "transition_graph",
    "__version__",
]
