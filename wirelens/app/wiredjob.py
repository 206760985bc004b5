"""A run over the misbehaving wire, explained without root (``explain-demo --loss ...`` and
``--live`` both end here), and a demo's capture saved as pcapng."""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from wirelens.app import reports
from wirelens.app.command import UsageError, unprivileged, write_reports
from wirelens.app.files import OutputError, write_atomically
from wirelens.explain.model import Explanation

if TYPE_CHECKING:
    from wirelens.demos.wired import WiredRun


def explain_wired(args: argparse.Namespace, run: WiredRun, wanted: reports.Targets,
                  show: Callable[[Explanation], None]) -> int:
    """A run over the wire explained without root: both ends' captures handed over as
    pcapng, read back as explain-pcap reads a file, merged; --save and the reports
    written (as root, by the parent: only what the command line named), then ``show``."""
    # imported here: 61 ms saved at start-up when not needed
    from wirelens.capture.handoff import Handoff, HandoffError
    from wirelens.demos import wired

    handoff = Handoff(run.raw_frames(), run.calls)  # both ends' captures, as pcapng

    def explain_and_show() -> int:  # parses captured bytes: runs without root
        nonlocal run
        try:
            frames, calls = handoff.receive()
        except HandoffError as exc:
            raise UsageError(f"the capture could not be handed over: {exc}") from exc
        run = wired.merged(run, frames, calls)
        exp = wired.explanation(run)
        if args.save:
            save_capture(args.save, run.frames, run.calls, args.force,
                  None if args.no_annotate else (exp, args.lang))
        if wanted.any:
            write_reports(exp, args.lang, wanted)
        show(exp)
        return 0

    try:
        return unprivileged("explain-demo", explain_and_show, outputs=reports.outputs(args))
    finally:
        handoff.close()


def save_capture(path: str, frames: Sequence[object], calls: Sequence[object], force: bool,
          annotate: tuple[Explanation, str] | None = None) -> None:
    """The capture as pcapng, the socket-call log in the section's comment; with
    ``annotate`` (the explanation, its language) the explanation in the comments too."""
    # imported here: 11 ms saved at start-up when not needed
    from wirelens.capture.metadata import calls_comment
    from wirelens.capture.pcapfile import write_pcapng

    buffer = io.BytesIO()
    write_pcapng(buffer, frames, comment=calls_comment(calls))  # type: ignore[arg-type]
    data = buffer.getvalue()
    if annotate is not None:
        # imported here: 74 ms saved at start-up when not needed
        from wirelens.app.annotate import annotated_save

        data = annotated_save(data, *annotate)
    try:
        write_atomically(path, lambda out: out.write(data), force=force,
                         note=f"saved {len(frames)} packets to " + "{path}")
    except (OutputError, OSError) as exc:
        raise UsageError(f"cannot write {path}: {exc}") from exc
