"""The demo's socket-call log, kept in a pcapng comment so a saved capture keeps it.

``explain-pcap demo.pcapng`` can then show which call caused which packet, as the live
demo did. Other tools show the comment as text and are not bothered by it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from wirelens.explain.records import SocketCall

PREFIX = "wirelens-socket-calls "


def calls_comment(calls: Sequence[SocketCall]) -> str:
    rows = [[c.side, c.call, c.start_ns, c.end_ns, c.result, c.nbytes]
            + ([c.conn] if c.conn else []) for c in calls]
    return PREFIX + json.dumps(rows, ensure_ascii=False)


def calls_from_comments(comments: Iterable[str]) -> list[SocketCall]:
    """The calls in the first wirelens comment; [] when there is none or it is damaged."""
    for comment in comments:
        if not comment.startswith(PREFIX):
            continue
        try:
            rows = json.loads(comment[len(PREFIX):])
            return [  # a 7th column, when present, names the connection
                SocketCall(str(side), str(call), int(start), int(end), str(result), int(n),
                           str(conn[0]) if conn else "")
                for side, call, start, end, result, n, *conn in rows
            ]
        except (ValueError, TypeError):
            return []
    return []
