"""Writing the explanation to files: the HTML page, the ladder SVG, the Markdown report.

Shared by ``explain-demo`` and ``explain-pcap`` (``--html``, ``--svg``, ``--markdown``,
``--open``). Each file is written with ``files.write_atomically``: never over an existing
file without ``--force``, never through a link, and owned by the sudo user under sudo.
``--html -`` writes the page to a new temporary file and prints its path.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wirelens.app.files import (
    TEMPORARY,
    OutputError,
    Outputs,
    check_target,
    check_writable,
    invoking_user,
    relay_open,
    relaying,
    write_atomically,
)

if TYPE_CHECKING:  # the overview of a file as JSON reports nothing: loaded where used
    from wirelens.explain.model import Explanation


def add_arguments(parser: argparse.ArgumentParser, *, with_force: bool) -> None:
    group = parser.add_argument_group("files (instead of the text on the terminal)")
    group.add_argument("--html", metavar="FILE",
                       help="write the step-through page; '-' writes a temporary file and "
                            "prints its path")
    group.add_argument("--open", action="store_true",
                       help="open the page in the default browser (implies --html - "
                            "without --html)")
    group.add_argument("--svg", metavar="FILE", help="write the ladder diagram alone as SVG")
    group.add_argument("--markdown", metavar="FILE",
                       help="write a Markdown report with a Mermaid sequence diagram")
    if with_force:
        group.add_argument("--force", action="store_true", help="overwrite existing files")


@dataclass(frozen=True, slots=True)
class Targets:
    html: str | None
    svg: str | None
    markdown: str | None
    open: bool
    force: bool

    @property
    def any(self) -> bool:
        return bool(self.html or self.svg or self.markdown)


def targets(args: argparse.Namespace, inputs: int = 1) -> Targets:
    """The files asked for, checked before any work is done (raises ``OutputError``):
    each one different (``--save`` too), absent or a regular file with ``--force``, in a
    folder where it can be written."""
    html = args.html or (TEMPORARY if args.open else None)
    out = Targets(html, args.svg, args.markdown, args.open, bool(getattr(args, "force", False)))
    save = getattr(args, "save", None)
    named = [p for p in (out.html, out.svg, out.markdown, save) if p and p != TEMPORARY]
    if len({_same_file_key(p) for p in named}) < len(named):
        raise OutputError("--html, --svg, --markdown and --save need different files")
    if inputs > 1 and named:
        raise OutputError("--html, --svg and --markdown write one capture: give one file "
                          "(or --html - for a temporary page per capture)")
    for path in named:
        check_target(path, force=out.force)
        check_writable(path)
    return out


def _same_file_key(path: str) -> tuple[int, int] | str:
    """What two names of one file have in common: its inode, else its absolute path."""
    try:
        st = os.stat(path)
    except OSError:
        return os.path.realpath(path)
    return st.st_dev, st.st_ino


def outputs(args: argparse.Namespace, inputs: int = 1) -> Outputs:
    """The files this command line names: all a relaying child may have written."""
    html = args.html or (TEMPORARY if args.open else None)
    named = (html, args.svg, args.markdown, getattr(args, "save", None),
             getattr(args, "annotate", None))
    return Outputs(frozenset(p for p in named if p and p != TEMPORARY),
                   bool(getattr(args, "force", False)), html,
                   inputs if html == TEMPORARY else 0, bool(args.open))


def _temporary_page() -> str:
    fd, path = tempfile.mkstemp(prefix="wirelens-", suffix=".html")
    os.close(fd)
    return path


def _write_text(path: str, text: str, force: bool, note: str,
                say: Callable[[str], None]) -> None:
    data = text.encode("utf-8")
    write_atomically(path, lambda out: out.write(data), force=force,
                     note=note.replace("{kib}", f"{len(data) / 1024:.0f}"), say=say)


def write(exp: Explanation, lang: str, wanted: Targets,
          say: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> None:
    """Writes every file asked for, each said once it is in place (by the root parent,
    for a relaying child: see ``files.Relay``)."""
    # imported here: 38 ms saved at start-up when not needed
    from wirelens.render.html import render_page
    from wirelens.render.markdown import render_markdown
    from wirelens.render.svg import ladder_document

    if wanted.html:
        page = wanted.html
        if page == TEMPORARY and not relaying():  # a relaying child's parent makes it
            page = _temporary_page()
        _write_text(page, render_page(exp, lang), page != wanted.html or wanted.force,
                    "wrote the page {path} ({kib} KiB, " + f"{len(exp.packets)} packets)", say)
        if page != wanted.html:
            print(page, flush=True)  # on stdout, for scripts: the one thing printed there
        if wanted.open:
            open_in_browser(page, say)
    if wanted.svg:
        _write_text(wanted.svg, ladder_document(exp, lang), wanted.force,
                    "wrote the ladder {path} ({kib} KiB)", say)
    if wanted.markdown:
        _write_text(wanted.markdown, render_markdown(exp, lang), wanted.force,
                    "wrote the report {path} ({kib} KiB)", say)


def open_in_browser(path: str, say: Callable[[str], None]) -> bool:
    if relay_open(path):  # a child that dropped root: the parent opens it once it is written
        return True
    uri = Path(path).resolve().as_uri()
    if invoking_user() is not None:
        say(f"running as root through sudo: open {uri} in your own browser")
        return False
    # imported here: 4 ms saved at start-up when not needed
    import webbrowser  # here: it takes a while to load, and most runs open nothing

    try:
        opened = webbrowser.open(uri)
    except webbrowser.Error:
        opened = False
    if not opened:
        say(f"no browser could be started here: open {uri} yourself")
    return opened
