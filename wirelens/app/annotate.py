"""``explain-pcap FILE --annotate OUT.pcapng`` and the annotations of ``explain-demo --save``:
the explanation written into the capture's comments, where Wireshark shows it.

Each explained frame's comment holds its part (``render.comments``); the copy is made from
the input's own records (``capture.annotated``), so frames, time stamps and old comments
stay as they were. The input is never written to.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence
from typing import BinaryIO

from wirelens.app import pcapjob
from wirelens.app.files import OutputError, check_target, write_atomically
from wirelens.capture.annotated import annotate_pcapng, write_annotated
from wirelens.capture.pcapfile import CaptureError, open_capture
from wirelens.explain.model import Explanation

# Every frame is explained field by field: a bigger file needs --conversation or --filter.
MAX_WHOLE_FILE = pcapjob.BIG_FILE


class AnnotateError(Exception):
    """The annotations cannot be written as asked: one line."""


def comments_of(exp: Explanation, lang: str) -> tuple[dict[int, str], list[str]]:
    """(frame number -> its comment, the section's comments) for an explanation."""
    # imported here: 48 ms saved at start-up when not needed
    from wirelens.render.comments import packet_comments, story_comment

    return packet_comments(exp, lang), [story_comment(exp, lang)]


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def check_annotate_target(inputs: Sequence[str], target: str, *, force: bool) -> None:
    """One input, and a target that is neither it nor (without ``force``) an existing file."""
    if len(inputs) != 1:
        raise AnnotateError("--annotate writes one capture: give one file")
    if _same_file(inputs[0], target):
        raise AnnotateError(f"{target} is the input capture; write the annotations to "
                            "another file")
    try:
        check_target(target, force=force)
    except OutputError as exc:
        raise AnnotateError(str(exc)) from exc


def check_arguments(args: argparse.Namespace, inputs: Sequence[str]) -> None:
    """``--annotate OUT`` with the rest of ``explain-pcap``'s command line: one input, a
    target that may be written, and nothing else to write."""
    if not args.annotate:
        return
    clash = [name for name, given in (("--html", args.html or args.open), ("--svg", args.svg),
                                      ("--markdown", args.markdown), ("--merge", args.merge),
                                      ("--summary", args.summary), ("--table", args.table),
                                      ("--step", args.step), ("--quiz", args.quiz)) if given]
    if clash:
        raise AnnotateError(f"--annotate does not go with {clash[0]}")
    check_annotate_target(inputs, args.annotate, force=args.force)


def run_annotate(path: str, args: argparse.Namespace, options: pcapjob.Options) -> int:
    """``explain-pcap FILE --annotate OUT`` once its arguments are checked."""
    count = annotate_file(path, args.annotate, options, force=args.force,
                          conversation=args.conversation)
    print(f"wrote {count} frames with their explanation in comments to {args.annotate}",
          file=sys.stderr)
    return 0


def annotate_file(path: str, target: str, options: pcapjob.Options, *, force: bool,
                  conversation: int | None = None) -> int:
    """Explain ``path`` (one conversation of it with ``conversation``) and write the
    annotated copy to ``target``; returns the number of frames written."""
    check_annotate_target([path], target, force=force)
    # imported here: 12 ms saved at start-up when not needed
    from wirelens.app.fastread import file_size

    if conversation is None and not options.bpf and file_size(path) > MAX_WHOLE_FILE:
        raise AnnotateError(f"{path} is big ({file_size(path) >> 20} MB): --annotate explains "
                            "every packet; pick a conversation with --conversation N or "
                            "narrow it with --filter")
    try:
        exp = (pcapjob.explain_small(path, options) if conversation is None
               else pcapjob.explain_conversation(path, conversation, options))
    except pcapjob.JobError as exc:
        raise AnnotateError(str(exc)) from exc
    comments, section = comments_of(exp, options.lang)

    written = [0]
    try:
        with open_capture(path) as capture:
            def write(out: BinaryIO) -> None:
                written[0] = write_annotated(capture, out, comments, section)

            write_atomically(target, write, force=force)
    except (CaptureError, OutputError, OSError) as exc:
        raise AnnotateError(f"cannot write {target}: {exc}") from exc
    return written[0]


def annotated_save(data: bytes, exp: Explanation, lang: str) -> bytes:
    """A demo's capture as ``--save`` writes it (``data``), with the explanation added."""
    comments, section = comments_of(exp, lang)
    out = io.BytesIO()
    annotate_pcapng(data, out, comments, section)
    return out.getvalue()


__all__ = ["AnnotateError", "annotate_file", "annotated_save", "check_annotate_target",
           "check_arguments", "comments_of", "run_annotate"]
