"""atheris harness: whatever the bytes, explain-pcap's readers never raise but a one-line
error, and stay bounded.

    pip install -e '.[fuzz]'
    python fuzz/fuzz_pcap.py -atheris_runs=500000 [corpus_dir]          # as a plain user
    sudo python fuzz/fuzz_pcap.py -atheris_runs=500000 [corpus_dir]     # as root

The first byte of each input picks what the rest becomes: a capture file as it is, the
same gzip-compressed, or a pcapng section whose comment is the rest (the socket-call log
``explain-pcap`` reads from it, then frames). The file goes to the code explain-pcap runs:
every frame read, the numpy walk's blocks decoded, the comment's log checked; for one
input in 4 the first frames dissected, layer by layer; for one in 16 the overview built
frame by frame and its JSON; for one in 512 the numpy overview, the packet-by-packet
explanation (``explain_small``), its JSON and page (these cost milliseconds each: all of
them on every input would run 20 a second, not a thousand).
A ``JobError`` is the clean "one-line error" outcome; anything else raised is a finding.
As root the file is read through a descriptor opened first, as a root run's unprivileged
child reads it (``capture.inherited``); as a user, by its path. At the end (and every
100,000 inputs) the number of inputs run is printed as ``fuzz: N inputs``. Seeds: the
good pcap, pcapng and gzip files of the test suite.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import sys
import tempfile

import atheris

with atheris.instrument_imports(include=["wirelens"]):  # not numpy, rich, jinja2 ...
    from wirelens.app import pcapjob
    from wirelens.capture import blockread, inherited, metadata
    from wirelens.capture.blockread import BlockReader, Fallback
    from wirelens.capture.pcapfile import CaptureError, open_capture
    from wirelens.explain.dissect import dissect
    from wirelens.overview.columns import decode
    from wirelens.render.html import render_page
    from wirelens.render.json import dumps
    from wirelens.render.summary import write_json

# Memory, not disk: writing each input to a file on disk costs more than reading it.
_FD, _PATH = tempfile.mkstemp(suffix=".pcap", dir="/dev/shm" if os.path.isdir("/dev/shm")
                              else None)
os.close(_FD)
# Blocks of 4 KiB, not 8 MiB: as cheap to make as the inputs are small, and every record
# that does not fit one goes through the walk's "make room" path.
blockread.BLOCK = 1 << 12
AS_ROOT = os.geteuid() == 0
# What each input costs decides how many a campaign runs: reading and the numpy walk take
# tens of microseconds, dissecting a frame half a millisecond, a page tens.
DISSECT_EVERY = 4  # inputs between two whose first frames are dissected (every layer)
DISSECTED = 4  # frames dissected then
OVERVIEW_EVERY = 16  # inputs between two overviews built frame by frame (every frame dissected)
DEEP_EVERY = 512  # and between two full runs (numpy overview, explanation, its JSON and page)
_count = [0]


def _section(comment: bytes, rest: bytes) -> bytes:
    """A pcapng section header with ``comment``, one Ethernet interface, then ``rest``."""
    option = struct.pack("<HH", 1, len(comment)) + comment + b"\0" * (-len(comment) % 4)
    body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + option + b"\0\0\0\0"
    shb = struct.pack("<II", 0x0A0D0D0A, len(body) + 12) + body + struct.pack(
        "<I", len(body) + 12)
    idb = struct.pack("<IIHHII", 1, 20, 1, 0, 0, 20)
    return shb + idb + rest


def shaped(data: bytes) -> bytes:
    """The file this input stands for (see the module's docstring)."""
    if not data:
        return data
    kind, rest = data[0] % 3, data[1:]
    if kind == 1:
        return gzip.compress(rest, compresslevel=1, mtime=0)
    if kind == 2:
        cut = rest[0] if rest else 0
        comment = metadata.PREFIX.encode() + rest[1 : 1 + cut]
        return _section(comment, rest[1 + cut :])
    return rest


def _read() -> None:
    """Open the file as the run being fuzzed does: as root through a descriptor."""
    for fd in inherited._opened.values():
        os.close(fd)
    inherited._opened.clear()
    if AS_ROOT:
        inherited.open_for_child([_PATH])


def one_input(data: bytes) -> None:
    _count[0] += 1
    if _count[0] % 100_000 == 0:
        print(f"fuzz: {_count[0]} inputs", file=sys.stderr, flush=True)
    with open(_PATH, "wb") as fh:
        fh.write(shaped(data))
    _read()
    try:  # the blocks of the overview's numpy walk decoded, the section comment's
        # socket-call log checked (the frame-by-frame overview below dissects each frame)
        with open_capture(_PATH) as capture:
            metadata.read_calls(capture.comments)
            dissected = DISSECTED if _count[0] % DISSECT_EVERY == 0 else 0
            for i, frame in enumerate(capture):
                if i < dissected:
                    dissect(frame)
            for block in BlockReader(capture):
                decode(block)
    except (CaptureError, Fallback):
        pass
    if _count[0] % OVERVIEW_EVERY:
        return
    options = pcapjob.Options(progress=False, fast=_count[0] % DEEP_EVERY == 0)
    try:
        ov = pcapjob.overview_file(_PATH, options)
    except pcapjob.JobError:
        return
    write_json(ov, "en", io.StringIO())
    if _count[0] % DEEP_EVERY:
        return
    try:
        exp = pcapjob.explain_small(_PATH, options)
    except pcapjob.JobError:
        return
    dumps(exp, "en")
    render_page(exp, "zh")


def seeds(folder: str) -> None:
    """Write the good captures of the test suite as the first corpus, once per shape."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    from tests.capture.test_pcap_robustness import GOOD

    os.makedirs(folder, exist_ok=True)
    for kind, data in GOOD.items():
        for shape in range(3):
            with open(os.path.join(folder, f"seed-{kind}-{shape}"), "wb") as fh:
                fh.write(bytes([shape]) + data)


if __name__ == "__main__":
    import atexit

    atexit.register(lambda: print(f"fuzz: {_count[0]} inputs", file=sys.stderr, flush=True))
    atexit.register(os.unlink, _PATH)
    corpus = [a for a in sys.argv[1:] if not a.startswith("-")]
    if corpus:
        seeds(corpus[0])
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
