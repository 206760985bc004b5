"""A live demo's capture, handed to the unprivileged side as a pcapng stream down a pipe.

The privileged process captured the frames as raw bytes and logged the demo's socket
calls; it parses neither. It writes them, in the form ``--save`` gives a file (frames in
Enhanced Packet Blocks, the call log as JSON in the section's comment), into a pipe; the
process that has dropped root reads that pipe with the reader ``explain-pcap`` uses. So what
the explainer sees of a live demo is exactly what it would see of the saved file.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

from wirelens.capture.metadata import calls_comment, calls_from_comments
from wirelens.capture.pcapfile import CaptureError, PcapngStream, open_capture
from wirelens.explain.records import Frame, SocketCall

NAME = "<the live capture>"


class HandoffError(RuntimeError):
    """The stream did not arrive whole; the message says where it broke."""


class Handoff:
    """The writing end starts at once (a thread of the privileged process); ``receive``, in
    the unprivileged process, reads everything back; ``close``, in the privileged process
    once that one has ended, lets go of the pipe."""

    def __init__(self, frames: Sequence[Frame], calls: Sequence[SocketCall]) -> None:
        self._owner = os.getpid()
        self._read: int | None
        self._read, self._write = os.pipe()
        self._pipe = os.fstat(self._read).st_ino
        self._writer = threading.Thread(target=self._send, args=(list(frames), list(calls)),
                                        name="wirelens-handoff", daemon=True)
        self._writer.start()

    def _send(self, frames: list[Frame], calls: list[SocketCall]) -> None:
        encoder = PcapngStream(comment=calls_comment(calls))
        try:
            with os.fdopen(self._write, "wb") as out:
                out.write(encoder.header())
                for frame in frames:
                    out.write(encoder.frame(frame))
        except (BrokenPipeError, ValueError, OSError):  # the reader ended first; it says why
            pass

    def receive(self) -> tuple[list[Frame], list[SocketCall]]:
        """The frames and the socket calls, as the stream carried them."""
        if os.getpid() != self._owner:  # a forked reader: its copy of the writing end must
            self._close_inherited_writer()  # go, or the stream would never end
        if self._read is None:
            raise HandoffError("the capture was handed over already")
        read, self._read = self._read, None
        try:
            with open_capture(NAME, fd=read) as capture:
                frames = list(capture)
                calls = calls_from_comments(capture.comments)
                problems = list(capture.warnings)
        except CaptureError as exc:
            raise HandoffError(str(exc)) from exc
        finally:
            os.close(read)
        if problems:
            raise HandoffError("; ".join(problems))
        return frames, calls

    def close(self) -> None:
        """In the privileged process: stop offering the stream (a reader that failed early
        leaves the writer with nobody to write to)."""
        if self._read is not None:
            os.close(self._read)
            self._read = None
        self._writer.join(5)


    def _close_inherited_writer(self) -> None:
        try:  # the writer may have closed it before the fork, and the number been reused
            if os.fstat(self._write).st_ino == self._pipe:
                os.close(self._write)
        except OSError:
            pass
