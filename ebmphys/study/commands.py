"""``ebmphys run``, ``ebmphys plot`` and ``ebmphys inspect``.

``run`` writes, next to the study file ``NAME.h5``: ``NAME_summary.csv`` (the
table of observables) and ``NAME.png`` (or ``.pdf``), and prints the table.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ebmphys.exceptions import UserError
from ebmphys.storage import StudyFile
from ebmphys.storage.dos import DosStudyFile, is_dos_file
from ebmphys.study.spec import SpecError, load_study
from ebmphys.study.executors import dask_executor
from ebmphys.study.runner import RunError, log, run_study


def outputs(study_path: Path, fmt: str) -> tuple[Path, Path]:
    """Paths of the summary table and the figure of the study file ``study_path``."""
    return study_path.with_name(study_path.stem + "_summary.csv"), study_path.with_suffix("." + fmt)


def report(study_path: Path, fmt: str, quiet: bool) -> None:
    """Summarise a study file: write the CSV table and the figure, print the table unless ``quiet``."""
    if is_dos_file(study_path):
        from ebmphys.study.dos import report_dos

        report_dos(study_path, fmt, quiet)
        return
    from ebmphys.plotting import plot_study
    from ebmphys.study.summary import format_table, summarize, write_csv

    with StudyFile(study_path) as f:
        summary = summarize(f)
    table_path, figure_path = outputs(study_path, fmt)
    write_csv(summary, table_path)
    plot_study(summary, figure_path, fmt)
    if not quiet:
        print(format_table(summary))
        print(f"\nwrote {study_path}, {table_path}, {figure_path}")


def _run(args) -> int:
    try:
        spec = load_study(args.spec)
    except SpecError as exc:
        raise UserError(str(exc)) from None
    path = Path(args.out) if args.out else Path(spec.data["study"]["output"])
    mode = "resume" if args.resume else "overwrite" if args.overwrite else "new"
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers must be >= 1, got {args.workers}")
    if spec.density_of_states:  # workers warm the Ising Metropolis kernels; the Potts ones load from the cache
        from ebmphys.study.dos import run_dos_study as runner
        warm = "metropolis"
    else:
        runner, warm = run_study, spec.data["sampling"]["algorithm"]
    try:
        if args.scheduler:
            with dask_executor(args.scheduler, warm) as (executor, threads):
                runner(spec, path, mode=mode, workers=threads, quiet=args.quiet, executor=executor)
        else:
            runner(spec, path, mode=mode, workers=args.workers, quiet=args.quiet)
    except RunError as exc:
        raise UserError(str(exc)) from None
    if not args.quiet and not sys.stderr.isatty():
        log("sampling done; analysing")
    report(path, args.format, args.quiet)
    return 0


def _plot(args) -> int:
    path = Path(args.file)
    report(path, args.format, quiet=True)
    print(outputs(path, args.format)[1])
    return 0


def describe_file(f: StudyFile) -> str:
    """What a study file holds and whether it is complete (the text of ``ebmphys inspect``)."""
    lines = [
        f"{f.path}: ebmphys study {f.name!r} (written by ebmphys {f.package_version})",
        (f"  model: {f.dimension}D {f.q}-state Potts, periodic L^{f.dimension}, J = {f.J:g}" if f.q else
         f"  model: {f.dimension}D Ising, periodic L^{f.dimension}, J = {f.J:g}, h = {f.h:g}"),
        f"  sizes: {f.sizes}",
        f"  temperatures ({len(f.temperatures)}): {np.array2string(f.temperatures, precision=4, separator=', ', max_line_width=10**6)}",
        f"  seeds: {f.seeds}, chains per (L, T): {f.n_chains}, sweeps per task (incl. burn-in): {f.total_sweeps}",
    ]
    all_done = True
    for L in f.sizes:
        done = f.sweeps_done(L)
        rec = f.n_records_done(L)
        n_conf = len(f.configuration_sweeps(L))
        finished = int((done == f.total_sweeps).sum())
        all_done &= finished == done.size
        lines.append(f"  L = {L}: {finished}/{done.size} tasks finished, {100 * done.sum() / (done.size * f.total_sweeps):.0f}% "
                     f"of sweeps, records per chain {rec.min()}..{rec.max()} of {len(f.record_sweeps(L))}"
                     + (f", {n_conf} configurations per chain (bit-packed)" if n_conf else ""))
    state = "complete" if f.complete else ("all tasks finished, final write missing" if all_done else
                                           "INCOMPLETE (continue it with ebmphys run SPEC --resume)")
    lines.append(f"  status: {state}")
    return "\n".join(lines)


def _inspect(args) -> int:
    if is_dos_file(args.file):
        from ebmphys.study.dos import describe_dos_file

        with DosStudyFile(args.file) as f:
            print(describe_dos_file(f))
            if args.spec:
                print("\n" + f.spec_toml)
        return 0
    with StudyFile(args.file) as f:
        print(describe_file(f))
        if args.spec:
            print("\n" + f.spec_toml)
    return 0


def register(subparsers) -> None:
    """Add ``run``, ``plot`` and ``inspect`` to the ``ebmphys`` command."""
    p = subparsers.add_parser("run", help="run a Monte Carlo study from a TOML spec",
                              description="Run a study: sample every (size, temperature, seed), write one HDF5 "
                                          "file, then the summary table and the figure next to it.")
    p.add_argument("spec", help="study spec (TOML), e.g. studies/ising2d_quick.toml")
    p.add_argument("--out", help="HDF5 output path (default: study.output of the spec, or SPEC_NAME.h5)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true", help="continue an interrupted run of the same spec")
    mode.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores, at most one per task)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the jobs on the Dask cluster at ADDRESS (e.g. tcp://host:8786; start its workers "
                        "with --nthreads 1; needs the 'distributed' extra); the file is written here")
    p.add_argument("--quiet", action="store_true", help="no progress and no table")
    p.add_argument("--format", choices=("png", "pdf"), default="png", help="figure format (default png)")
    p.set_defaults(func=_run)

    p = subparsers.add_parser("plot", help="draw the figure and table of a study file")
    p.add_argument("file", help="study file (.h5) written by ebmphys run")
    p.add_argument("--format", choices=("png", "pdf"), default="png", help="figure format (default png)")
    p.set_defaults(func=_plot)

    p = subparsers.add_parser("inspect", help="show what a study file holds and whether it is complete")
    p.add_argument("file", help="study file (.h5)")
    p.add_argument("--spec", action="store_true", help="also print the stored TOML spec")
    p.set_defaults(func=_inspect)

