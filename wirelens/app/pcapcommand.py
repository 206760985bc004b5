"""explain-pcap's job: which of the ways to read the files the command line asks for (every
packet, one conversation, the overview, several files merged, the table, the annotated
copy), and where the result goes."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator

from wirelens.app import pcapjob, reports
from wirelens.app.annotate import AnnotateError, check_arguments, run_annotate
from wirelens.app.command import (
    TABLE_ONLY_FORMATS,
    UsageError,
    emit,
    fail,
    mode_of,
    report_targets,
    sample_path,
    say_file_warnings,
    unprivileged,
    write,
    write_reports,
)
from wirelens.app.warmup import warm_up, warm_up_overview
from wirelens.capture.inherited import open_for_child


def run_pcap(args: argparse.Namespace) -> int:
    files = list(args.files) + ([sample_path()] if args.sample else [])
    if not files:
        raise UsageError("no capture file given (or use --sample)")
    if args.table:
        # imported here: 4 ms saved at start-up when not needed
        from wirelens.app.tablejob import TableError, run_table

        try:
            return run_table(files, args, write)
        except TableError as exc:
            raise UsageError(str(exc)) from exc
    if args.format in TABLE_ONLY_FORMATS:
        raise UsageError(f"--format {args.format} goes with --table")
    if args.dask and not args.summary:
        raise UsageError("--dask goes with --table or --summary")
    if args.conversation is not None and args.conversation < 1:
        raise UsageError(f"--conversation {args.conversation}: conversations count from 1")
    options = pcapjob.Options(bpf=args.filter, lang=args.lang, fmt=args.format,
                              width=args.width)
    wanted = report_targets(args, len(files))
    if args.annotate:
        annotate_target(args)
        try:
            return run_annotate(files[0], args, options)
        except AnnotateError as exc:
            raise UsageError(str(exc)) from exc
    try:
        if wanted.any:  # the page, the SVG, the report: each capture explained packet by packet
            for path in files:
                if args.conversation is not None:
                    exp = pcapjob.explain_conversation(path, args.conversation, options)
                else:  # more than a page can show: TooBig, pointing to --conversation N
                    exp = pcapjob.explain_small(path, options)
                say_file_warnings(exp.warnings)
                write_reports(exp, args.lang, wanted)
            return 0
        if args.conversation is not None:
            for path in files:
                exp = pcapjob.explain_conversation(path, args.conversation, options)
                say_file_warnings(exp.warnings)
                emit(exp, args.format, args.lang, args.width, mode_of(args))
            return 0
        if args.merge:
            write(pcapjob.render_overview(pcapjob.merged_overview(files, options), options))
            return 0
        # What is inside decides (frames, not bytes on disk): every packet explained, as
        # explain-demo does, when each file has few enough; else the overview of each.
        if not args.summary and all(pcapjob.fits_per_packet(p, options) for p in files):
            for path in files:
                exp = pcapjob.explain_small(path, options)
                say_file_warnings(exp.warnings)
                emit(exp, args.format, args.lang, args.width, mode_of(args))
            return 0
        if len(files) == 1:  # written as it comes: a big capture's JSON is big
            pcapjob.write_overview(files[0], options, write, told=say_file_warnings)
            return 0
        several = len(files) > 1 and args.format == "json"
        write("[\n" if several else "")
        for i, (_path, text, error) in enumerate(pcapjob.render_overviews(files, options)
                                                 if not args.dask else
                                                 _on_dask(files, options, args.dask)):
            if error:
                raise UsageError(error)
            write((",\n" if several and i else "") + (text.rstrip("\n") if several else text))
        write("\n]\n" if several else "")
    except pcapjob.JobError as exc:
        raise UsageError(str(exc)) from exc
    return 0



def _on_dask(files: list[str], options: pcapjob.Options, dask: str
             ) -> Iterator[tuple[str, str, str]]:
    # imported here: 4 ms saved at start-up when not needed
    from wirelens.app.tablejob import TableError, summaries

    try:
        yield from summaries(files, options, dask)
    except TableError as exc:
        raise UsageError(str(exc)) from exc


def annotate_target(args: argparse.Namespace) -> None:
    """``--annotate OUT`` checked before any work (and by a root parent, which writes it)."""
    try:
        check_arguments(args, [*args.files, *([sample_path()] if args.sample else [])])
    except AnnotateError as exc:
        raise UsageError(str(exc)) from exc


def main(args: argparse.Namespace) -> int:
    """explain-pcap as root: the files opened and the outputs checked here, the work done by
    a child without root (``command.unprivileged``); as a user, all of it here."""
    if os.geteuid() == 0:  # open the files as root, parse them as the user (or nobody)

        if args.table:  # the folders walked as root: the child may not be let in
            # imported here: 4 ms saved at start-up when not needed
            from wirelens.app.tablejob import find_files

            args.files = find_files(args.files)
        open_for_child([*args.files, *([sample_path()] if args.sample else [])])
        try:
            report_targets(args, max(len(args.files) + int(args.sample), 1))
            annotate_target(args)
        except UsageError as exc:
            return fail("explain-pcap", str(exc))
    overview_only = args.summary and args.conversation is None and not (
        args.html or args.open or args.svg or args.markdown)

    def prepare() -> None:
        if overview_only and not args.table:
            warm_up_overview(args.lang, args.format, bool(args.filter))
        else:
            warm_up()
        if args.table or args.dask:  # the table's renderers, and dask.distributed
            # imported here: 4 ms saved at start-up when not needed
            from wirelens.app import tablejob

            tablejob.warm_up(args.lang, args.format, bool(args.dask))

    return unprivileged("explain-pcap", lambda: run_pcap(args), prepare=prepare,
                        outputs=reports.outputs(args, max(len(args.files) + int(args.sample), 1)))

