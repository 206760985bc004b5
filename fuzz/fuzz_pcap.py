"""atheris harness: explain-pcap's overview over arbitrary bytes must never raise.

    pip install atheris
    python fuzz/fuzz_pcap.py -atheris_runs=100000 [corpus_dir]

Each input is written to one temporary file and given to the same code explain-pcap
runs (``pcapjob.overview_file`` and the JSON renderer); a ``JobError`` is the clean
"one-line error" outcome, anything else raised is a finding. Seeds: a good pcap, pcapng
and gzip file of a conversation with a fast retransmission.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile

import atheris

with atheris.instrument_imports():
    from wirelens import pcapjob
    from wirelens.render.overview import write_json

_FD, _PATH = tempfile.mkstemp(suffix=".pcap")
os.close(_FD)


def one_input(data: bytes) -> None:
    with open(_PATH, "wb") as fh:
        fh.write(data)
    try:
        ov = pcapjob.overview_file(_PATH, pcapjob.Options(progress=False))
    except pcapjob.JobError:
        return
    write_json(ov, "en", io.StringIO())


def seeds(folder: str) -> None:
    """Write the good captures of the test suite as the first corpus."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    from tests.capture.test_pcap_robustness import GOOD

    os.makedirs(folder, exist_ok=True)
    for kind, data in GOOD.items():
        with open(os.path.join(folder, f"seed-{kind}"), "wb") as fh:
            fh.write(data)


if __name__ == "__main__":
    corpus = [a for a in sys.argv[1:] if not a.startswith("-")]
    if corpus:
        seeds(corpus[0])
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
