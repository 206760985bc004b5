"""wirelens as a library, in Jupyter: ``explain_file("capture.pcap")`` returns the
explanation, which a notebook shows as the step-through page (rendering is loaded here,
so ``Explanation._repr_html_`` finds it)."""

from __future__ import annotations

from dataclasses import replace

import wirelens.render.html  # noqa: F401  (registers the page as an Explanation's HTML view)
from wirelens.app.command import UsageError
from wirelens.capture.metadata import read_calls
from wirelens.capture.pcapfile import CaptureError, open_capture
from wirelens.explain.explainer import explain
from wirelens.explain.model import Explanation
from wirelens.explain.text import msg


def explain_file(path: str) -> Explanation:
    """Every frame of the capture at ``path`` explained, with the socket calls its comments
    hold; a file that cannot be read raises ``UsageError`` (its one-line reason)."""
    try:
        with open_capture(path) as capture:
            frames = list(capture)
            calls, bad_calls = read_calls(capture.comments)
            file_warnings = list(capture.warnings) + ([f"{path}: {bad_calls}"] if bad_calls
                                                      else [])
    except CaptureError as exc:
        raise UsageError(str(exc)) from exc
    if not frames and file_warnings:
        raise UsageError(file_warnings[0])
    exp = explain(frames, socket_calls=calls, source=f"capture file {path}",
                  source_text=msg("ui.source_file", path=path))
    if file_warnings:
        extra = tuple(msg("warning.file", text=w) for w in file_warnings)
        exp = replace(exp, warnings=extra + exp.warnings)
    return exp
