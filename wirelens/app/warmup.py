"""What a job loads while still root, before the parsing child drops it: that child may
not be able to read the interpreter's own files (a Python installed under /root), and
imports are lazy. ``warm_up`` loads everything a per-packet explanation can touch;
``warm_up_overview`` only what ``explain-pcap --summary`` needs."""

from __future__ import annotations

import sys

from wirelens.explain.catalog import LANGUAGES


def warm_up() -> None:
    """Load, while still root, what the parsing child will use: it may not be able to read
    the interpreter's own files (a Python installed under /root), and imports are lazy.
    Rendering an empty explanation touches the lazy imports of every renderer; nothing
    captured is parsed here."""
    # imports these here on purpose: loading them, while still root, is the point
    import importlib
    import io

    from rich.console import Console

    from wirelens.app import pcapjob, reports  # noqa: F401
    from wirelens.capture.privileges import preload
    from wirelens.explain.catalog import load
    from wirelens.explain.explainer import explain
    from wirelens.render import html, markdown, svg
    from wirelens.render import json as json_render
    from wirelens.render.terminal import render

    preload(("networkx", "argparse", "heapq", "ipaddress", "math", "random", "re", "secrets",
             "tempfile", "webbrowser", "xml.sax.saxutils", "pathlib", "locale", "gettext",
             "multiprocessing.pool", "multiprocessing.popen_fork", "multiprocessing.queues",
             "multiprocessing.synchronize", "multiprocessing.connection",
             "termios", "tty", "wirelens.app.interactive"))  # --step and --quiz
    # imports these here on purpose: loading them, while still root, is the point
    import pkgutil

    import wirelens

    for module in pkgutil.walk_packages(wirelens.__path__, "wirelens."):  # our own files too:
        importlib.import_module(module.name)  # the checkout may sit where the child cannot read
    empty = explain([])
    for lang in LANGUAGES:
        load(lang)
        render(empty, Console(file=io.StringIO(), width=80), lang)
        json_render.dumps(empty, lang)
        html.render_page(empty, lang)
        svg.ladder_document(empty, lang)
        markdown.render_markdown(empty, lang)


def warm_up_overview(lang: str, fmt: str, bpf: bool) -> None:
    """What ``explain-pcap --summary`` loads (the overview of files, as text or JSON):
    much less than ``warm_up``, so the child starts sooner and stays smaller. Rendering an
    empty overview in ``fmt`` touches the renderer's lazy imports; rich only when the text
    or a progress bar (stderr a terminal) needs it; libpcap only for a ``bpf`` filter."""
    # imports these here on purpose: loading them, while still root, is the point
    from wirelens.app import (
        fastread,  # noqa: F401
        pcapjob,
    )
    from wirelens.capture.privileges import preload
    from wirelens.explain import dissect  # noqa: F401
    from wirelens.explain.catalog import load
    from wirelens.overview.builder import OverviewBuilder

    preload(("argparse", "heapq", "tempfile", "shutil", "random", "pickle", "queue",
             "threading", "multiprocessing.pool", "multiprocessing.popen_fork",
             "multiprocessing.queues", "multiprocessing.synchronize",
             "multiprocessing.connection", "locale",
             *(("rich.console", "rich.progress") if sys.stderr.isatty() else ()),
             *(("wirelens.capture.bpf",) if bpf else ())))
    load(lang)
    empty = OverviewBuilder().finish("")
    pcapjob.render_overview(empty, pcapjob.Options(lang=lang, fmt=fmt))
