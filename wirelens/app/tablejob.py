"""``explain-pcap --table``: many captures (folders read recursively) in one table.

Each file is read on its own by the overview's machinery (``pcapjob.overview_file``) and
turned into rows (``explain.table.rows_of``); a file that cannot be read is a row with its
error, never the end of the run. Files are read in parallel by ``distribute.ordered_map``
(every core, or a Dask cluster with ``--dask``) and the rows come back in file order. A
progress bar goes to stderr when it is a terminal.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Callable, Iterator, Sequence

from wirelens.app import pcapjob
from wirelens.app.distribute import DaskError, ordered_map
from wirelens.app.pcapjob import stderr_bar
from wirelens.overview.table import TableRow, error_row, rows_of

FORMATS = ("text", "csv", "json", "html")


class TableError(Exception):
    """The table cannot be made as asked: one line."""


def run_table(files: Sequence[str], args: argparse.Namespace,
              write: Callable[[str], object]) -> int:
    """``explain-pcap --table FILE_OR_DIR...``: the rows of every file, rendered."""
    clash = [name for name, given in (("--conversation", args.conversation is not None),
                                      ("--merge", args.merge), ("--annotate", args.annotate),
                                      ("--filter", args.filter), ("--html", args.html),
                                      ("--svg", args.svg), ("--markdown", args.markdown),
                                      ("--step", args.step), ("--quiz", args.quiz)) if given]
    if clash:
        raise TableError(f"--table does not go with {clash[0]}")
    try:
        rows = table_rows(files, dask=args.dask)
    except DaskError as exc:
        raise TableError(str(exc)) from exc
    write(render(rows, args.format, args.lang, args.width))
    return 0


def find_files(arguments: Sequence[str]) -> list[str]:
    """Every file named, and every file under each folder named (sorted, recursively,
    hidden files and folders left out); each once, in that order. A name that does not
    exist stays: its row says so."""
    found: dict[str, None] = {}
    for arg in arguments:
        if not os.path.isdir(arg):
            found.setdefault(arg)
            continue
        for folder, dirs, names in os.walk(arg):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                if not name.startswith("."):
                    found.setdefault(os.path.join(folder, name))
    return list(found)


def file_rows(job: tuple[str, str]) -> list[TableRow]:
    """The rows of one file: ``job`` is (the name to show, the path to read)."""
    name, path = job
    try:
        ov = pcapjob.overview_file(path, pcapjob.Options(progress=False))
        return rows_of(name, ov)
    except pcapjob.JobError as exc:
        return [error_row(name, _without_path(str(exc), path))]
    except Exception as exc:  # noqa: BLE001 - one odd file must not end a class's table
        return [error_row(name, f"{type(exc).__name__}: {exc}")]


def _failed(job: tuple[str, str], error: str) -> list[TableRow]:
    return [error_row(job[0], error)]


def _without_path(error: str, path: str) -> str:
    """The error without the file name it starts with (the row names the file)."""
    prefix = f"{path}: "
    return error[len(prefix):] if error.startswith(prefix) else error


def table_rows(arguments: Sequence[str], *, dask: str | None = None,
               progress: bool = True,
               work: Callable[[tuple[str, str]], list[TableRow]] = file_rows
               ) -> list[TableRow]:
    """The rows of every file found, in file order. ``work`` reads one file (tests give
    their own, to kill a worker)."""
    files = find_files(arguments)
    if not files:
        raise TableError("no capture file given")
    jobs = [(f, os.path.abspath(f)) for f in files]  # a Dask worker may run elsewhere
    bar = _progress(len(jobs)) if progress else None
    rows: list[TableRow] = []
    for found in ordered_map(work, jobs, dask=dask, done=bar, failed=_failed):
        rows.extend(found)
    if bar is not None:
        bar(-1)
    return rows


def _progress(total: int) -> Callable[[int], None] | None:
    """A rich bar on stderr counting files done; None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None
    # imported here: 21 ms saved at start-up when not needed
    from rich.progress import MofNCompleteColumn

    return stderr_bar("files", total, MofNCompleteColumn())


def render(rows: Sequence[TableRow], fmt: str, lang: str, width: int = 0) -> str:
    # imported here: 7 ms saved at start-up when not needed
    from wirelens.render import table

    if fmt == "csv":
        return table.to_csv(rows, lang)
    if fmt == "json":
        return table.to_json(rows, lang)
    if fmt == "html":
        return table.to_html(rows, lang)

    # imported here: 14 ms saved at start-up when not needed
    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, width=width or 160, highlight=False, force_terminal=False,
                      color_system=None)
    table.render_text(rows, console, lang)
    return out.getvalue()


def summaries(paths: Sequence[str], options: pcapjob.Options, dask: str
              ) -> Iterator[tuple[str, str, str]]:
    """``pcapjob.render_overviews`` with each file's work on a Dask cluster (the overviews
    name each file by its absolute path, as the workers read it)."""
    jobs = [(os.path.abspath(p), options) for p in paths]
    try:
        yield from ordered_map(pcapjob.overview_job, jobs, dask=dask)
    except DaskError as exc:
        raise TableError(str(exc)) from exc


def warm_up(lang: str, fmt: str, dask: bool) -> None:
    """What a child that dropped root will use, loaded while it still can."""
    # imports these here on purpose: loading them, while still root, is the point
    from wirelens.capture.privileges import preload

    preload(("csv", "rich.table", "rich.progress", *(("distributed",) if dask else ())))
    render([], fmt, lang)
    if dask:  # the versions a client tells the scheduler: read from package files, cached
        # imports these here on purpose: loading them, while still root, is the point
        from distributed.versions import get_versions

        get_versions()

