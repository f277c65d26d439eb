"""``ebmphys run``, ``ebmphys plot`` and ``ebmphys inspect``.

``run`` writes, next to the study file ``NAME.h5``: ``NAME_summary.csv`` (the
table of observables) and ``NAME.png`` (or ``.pdf``), and prints the table.
The three files are the study's outputs and are protected together: a new run
refuses to start if any of them exists (``--resume`` continues the study and
``--overwrite`` starts it again, and both rewrite all three); the table and the
figure are written atomically while the run still holds the lock on the study
file.  ``plot FILE`` redraws the table and figure of FILE (that is its job).

``inspect`` and ``plot`` read study files and RBM training files (``ebmphys
train``).  Both verify the data first (HDF5's Fletcher-32 checksums and the
physical checks of :class:`ebmphys.storage.StudyFile`) and refuse damaged data
with one line naming the damaged datasets; ``inspect --verify`` also reads the
stored configurations of files larger than :data:`VERIFY_LIMIT`, which the
plain commands skip.
"""

from __future__ import annotations

import sys
from pathlib import Path

import h5py
import numpy as np

from ebmphys.exceptions import DamagedDataError, UserError, WriteError
from ebmphys.limits import format_bytes
from ebmphys.storage import StudyFile, StudyFileError
from ebmphys.storage.layout import FILE_FORMAT as STUDY_FORMAT
from ebmphys.storage.dos import DOS_FILE_FORMAT, DosStudyFile
from ebmphys.study.executors import dask_executor
from ebmphys.study.runner import RunError, log, run_study
from ebmphys.study.spec import SpecError, load_study
from ebmphys.training.checkpoint import FILE_FORMAT as TRAINING_FORMAT

VERIFY_LIMIT = 2**30
"""Files whose data exceed this many bytes have their configurations verified only by ``inspect --verify``."""

SAMPLE_STEPS = 1000
"""Block-Gibbs steps of the model samples drawn by ``plot`` for a training file."""


def outputs(study_path: Path, fmt: str) -> tuple[Path, Path]:
    """Paths of the summary table and the figure of the study file ``study_path``."""
    return study_path.with_name(study_path.stem + "_summary.csv"), study_path.with_suffix("." + fmt)


def _damage_error(path, damage, action: str) -> DamagedDataError:
    names = "; ".join(f"{d.dataset} ({d.reason})" for d in damage)
    return DamagedDataError(f"{path}: {len(damage)} damaged dataset(s): {names}; {action}", path,
                            [d.dataset for d in damage], damage[0].reason)


def _verify_study(f: StudyFile, everything: bool) -> tuple[list, bool]:
    """Damage found, and whether the configurations were read (always when ``everything`` or the file is small)."""
    configurations = everything or f.data_bytes() <= VERIFY_LIMIT
    return f.verify(configurations=configurations), configurations or not f.has_configurations


def report(study_path: Path, fmt: str, quiet: bool) -> None:
    """Summarise a study file: write the CSV table and the figure, print the table unless ``quiet``.

    Raises
    ------
    ebmphys.exceptions.DamagedDataError
        If any dataset fails verification; nothing is written.
    """
    if _kind(study_path) == "dos":
        from ebmphys.study.dos import report_dos

        report_dos(study_path, fmt, quiet)
        return
    from ebmphys.plotting import plot_study
    from ebmphys.study.summary import format_table, summarize, write_csv

    with StudyFile(study_path) as f:
        damage, _ = _verify_study(f, everything=False)
        if damage:
            raise _damage_error(study_path, damage, "refusing to analyse it (ebmphys run SPEC --resume re-runs "
                                                    "the tasks concerned)")
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
    if mode == "new" and not path.exists():
        for other in outputs(path, args.format):
            if other.exists() or other.is_symlink():
                raise UserError(f"{other} already exists (an output of this study); use --overwrite to replace "
                                f"the study's outputs, or --out to write elsewhere")

    def after(done: Path) -> None:
        if not args.quiet and not sys.stderr.isatty():
            log("sampling done; analysing")
        try:
            report(done, args.format, args.quiet)
        except WriteError as exc:
            raise exc.with_context(f"the study file {done} is complete; ebmphys plot {done} writes the table and "
                                   f"the figure once space is freed") from None

    if spec.density_of_states:  # workers warm the Ising Metropolis kernels; the Potts ones load from the cache
        from ebmphys.study.dos import run_dos_study as runner
        warm = "metropolis"
    else:
        runner, warm = run_study, spec.data["sampling"]["algorithm"]
    try:
        if args.scheduler:
            with dask_executor(args.scheduler, warm, spec.data["sampling"]["device"]) as (executor, threads):
                runner(spec, path, mode=mode, workers=threads, quiet=args.quiet, executor=executor, after=after)
        else:
            runner(spec, path, mode=mode, workers=args.workers, quiet=args.quiet, after=after)
    except RunError as exc:
        raise UserError(str(exc)) from None
    return 0


def _kind(path: Path) -> str:
    """"study", "dos" (a density-of-states study) or "training": which kind of ebmphys file ``path`` is."""
    if not path.exists():
        raise FileNotFoundError(f"file {str(path)!r} does not exist")
    try:
        with h5py.File(path, "r") as f:
            fmt = f.attrs.get("file_format")
    except OSError as exc:
        reason = str(exc).split("(")[0].strip().rstrip(":") or type(exc).__name__
        raise StudyFileError(f"{path} is not a readable HDF5 file (truncated or corrupt?): {reason}") from None
    if fmt == STUDY_FORMAT:
        return "study"
    if fmt == DOS_FILE_FORMAT:
        return "dos"
    if fmt == TRAINING_FORMAT:
        return "training"
    raise StudyFileError(f"{path} is not an ebmphys study or training file (file_format {fmt!r})")


def _training_figure(path: Path, fmt: str) -> Path:
    from ebmphys.models import RBM
    from ebmphys.plotting import image_shape, plot_training
    from ebmphys.training import sample_rbm
    from ebmphys.training.checkpoint import load_checkpoint

    params, model, state, history, _ = load_checkpoint(path)  # every dataset read: damage is refused here
    W = model["W"]
    rbm = RBM(W.shape[0], W.shape[1], W=W, b=model["b"], c=model["c"])
    samples = sample_rbm(rbm, n_samples=64, n_steps=SAMPLE_STEPS, seed=0) if image_shape(W.shape[0]) else None
    title = (f"{path.name}: RBM {W.shape[0]} visible x {W.shape[1]} hidden, {params.get('method', '?').upper()}-"
             f"{params.get('k', '?')}, epoch {state['epoch']} of {params.get('n_iter', '?')}")
    return plot_training(history, W, samples, path.with_suffix("." + fmt), fmt, title)


def _plot(args) -> int:
    path = Path(args.file)
    if _kind(path) == "training":
        print(_training_figure(path, args.format))
        return 0
    report(path, args.format, quiet=True)
    print(outputs(path, args.format)[1])
    return 0


def describe_file(f: StudyFile, damage=(), configurations_verified: bool = True) -> str:
    """What a study file holds, what damage verification found, and whether it is complete (``ebmphys inspect``)."""
    lines = [
        f"{f.path}: ebmphys study {f.name!r} (written by ebmphys {f.package_version})",
        (f"  model: {f.dimension}D {f.q}-state Potts, periodic L^{f.dimension}, J = {f.J:g}" if f.q else
         f"  model: {f.dimension}D Ising, periodic L^{f.dimension}, J = {f.J:g}, h = {f.h:g}"),
        f"  sizes: {f.sizes}",
    ]
    try:
        lines.append(f"  temperatures ({len(f.temperatures)}): "
                     f"{np.array2string(f.temperatures, precision=4, separator=', ', max_line_width=10**6)}")
        lines.append(f"  seeds: {f.seeds}, chains per (L, T): {f.n_chains}, sweeps per task (incl. burn-in): {f.total_sweeps}")
    except DamagedDataError as exc:
        lines.append(f"  parameters: {exc.datasets[0]} damaged ({exc.reason})")
    all_done = True
    for L in f.sizes:
        try:
            done = f.sweeps_done(L)
            rec = f.n_records_done(L)
            n_conf = len(f.configuration_sweeps(L))
        except DamagedDataError as exc:
            all_done = False
            lines.append(f"  L = {L}: progress unknown ({exc.datasets[0]}: {exc.reason})")
            continue
        finished = int((done == f.total_sweeps).sum())
        all_done &= finished == done.size
        lines.append(f"  L = {L}: {finished}/{done.size} tasks finished, {100 * done.sum() / (done.size * f.total_sweeps):.0f}% "
                     f"of sweeps, records per chain {rec.min()}..{rec.max()} of {len(f.record_sweeps(L))}"
                     + (f", {n_conf} configurations per chain (bit-packed)" if n_conf else ""))
    for d in damage:
        where = sorted(d.tasks)
        tasks = ", ".join(f"L = {f.sizes[i]} T#{t} seed#{k}" for i, t, k in where[:6]) + (", ..." if len(where) > 6 else "")
        lines.append(f"  DAMAGED {d.dataset}: {d.reason}" + (f" (tasks {tasks})" if where else ""))
    if damage:
        state = (f"DAMAGED: {len(damage)} dataset(s) fail verification; ebmphys run SPEC --resume re-runs the "
                 f"tasks concerned")
    elif not all_done:
        state = "INCOMPLETE (continue it with ebmphys run SPEC --resume)"
    elif not f.complete:
        state = "all tasks finished, final write missing (ebmphys run SPEC --resume completes it)"
    elif not configurations_verified:
        state = (f"all tasks finished; every dataset verified except the configurations "
                 f"({format_bytes(f.data_bytes() - f.data_bytes(configurations=False))}: ebmphys inspect --verify reads them)")
    else:
        state = "complete (every dataset verified)"
    lines.append(f"  status: {state}")
    return "\n".join(lines)


def describe_training(path: Path) -> tuple[str, list]:
    """What an RBM training file holds and whether it is complete; and its damage as (dataset, reason) pairs."""
    import json

    from ebmphys.training.checkpoint import verify_checkpoint

    damage = verify_checkpoint(path)
    with h5py.File(path, "r") as f:
        params = json.loads(f["parameters"].attrs["params_json"])
        s = f["state"].attrs
        epoch, seed = int(s["epoch"]), int(s["seed"])
        shape = f["model/W"].shape if "model/W" in f else None
        monitors = {name: f["history"][name] for name in f.get("history", {}) if name != "epoch"}
        last = {}
        for name, dataset in monitors.items():
            try:
                last[name] = dataset[-1] if dataset.shape[0] else None
            except (OSError, RuntimeError):
                last[name] = None
        version = f.attrs.get("creator_version", "?")
    n_iter = params.get("n_iter")
    lines = [f"{path}: ebmphys RBM training file (written by ebmphys {version})",
             f"  model: RBM {shape[0] if shape else '?'} visible x {shape[1] if shape else '?'} hidden "
             f"(E = -b.v - c.h - v.W.h, units in {{0, 1}})",
             f"  training: {str(params.get('method', '?')).upper()}-{params.get('k', '?')}, learning rate "
             f"{params.get('learning_rate')}, batch size {params.get('batch_size')}, seed {seed}",
             f"  epochs: {epoch} of {n_iter}",
             "  monitors: " + (", ".join(f"{n} (last {v:.6g})" if v is not None else n for n, v in last.items())
                               if last else "none")]
    for name, reason in damage:
        lines.append(f"  DAMAGED {name}: {reason}")
    if damage:
        state = f"DAMAGED: {len(damage)} dataset(s) fail verification; start again with ebmphys train SPEC --overwrite"
    elif epoch < (n_iter or 0):
        state = f"INCOMPLETE at epoch {epoch} of {n_iter} (continue it with ebmphys train SPEC --resume)"
    else:
        state = "complete (every dataset verified)"
    lines.append(f"  status: {state}")
    return "\n".join(lines), damage


def _inspect(args) -> int:
    path = Path(args.file)
    if _kind(path) == "training":
        text, damage = describe_training(path)
        print(text)
        if args.spec:
            with h5py.File(path, "r") as f:
                print("\n" + str(f.attrs.get("spec_toml", "(no spec stored)")))
        if damage:
            raise DamagedDataError(f"{path}: {len(damage)} damaged dataset(s): "
                                   + "; ".join(f"{n} ({r})" for n, r in damage), path, [n for n, _ in damage],
                                   damage[0][1])
        return 0
    if _kind(path) == "dos":
        from ebmphys.study.dos import describe_dos_file

        with DosStudyFile(path) as f:
            print(describe_dos_file(f))
            if args.spec:
                print("\n" + f.spec_toml)
        return 0
    with StudyFile(path) as f:
        damage, configurations = _verify_study(f, everything=args.verify)
        print(describe_file(f, damage, configurations))
        if args.spec:
            print("\n" + f.spec_toml)
    if damage:
        raise _damage_error(path, damage, "ebmphys run SPEC --resume re-runs the tasks concerned")
    return 0


def register(subparsers) -> None:
    """Add ``run``, ``plot`` and ``inspect`` to the ``ebmphys`` command."""
    p = subparsers.add_parser("run", help="run a Monte Carlo study from a TOML spec",
                              description="Run a study: sample every (size, temperature, seed), write one HDF5 "
                                          "file NAME.h5, then the summary table NAME_summary.csv and the figure "
                                          "NAME.png (or .pdf) next to it.  The three are protected together: "
                                          "without --resume or --overwrite the run refuses to start if any of them "
                                          "exists, and all three are written atomically while the run holds the "
                                          "lock on NAME.h5 (an output that is a symbolic link is resolved and its "
                                          "target locked and written).  Memory and disk are estimated before "
                                          "anything is written.  A failed write (full disk, quota, I/O error) "
                                          "stops the run with exit status 1 and leaves the last complete "
                                          "checkpoint, which --resume continues.")
    p.add_argument("spec", help="study spec (TOML), e.g. studies/ising2d_quick.toml")
    p.add_argument("--out", help="HDF5 output path (default: study.output of the spec, or SPEC_NAME.h5)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true", help="continue an interrupted run of the same spec")
    mode.add_argument("--overwrite", action="store_true",
                      help="replace existing outputs (NAME.h5, NAME_summary.csv, NAME.png)")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores, at most one per task)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the jobs on the Dask cluster at ADDRESS (e.g. tcp://host:8786; start its workers "
                        "with --nthreads 1; needs the 'distributed' extra); the file is written here")
    p.add_argument("--quiet", action="store_true", help="no progress and no table")
    p.add_argument("--format", choices=("png", "pdf"), default="png", help="figure format (default png)")
    p.set_defaults(func=_run)

    p = subparsers.add_parser("plot", help="draw the figure and table of a study file, or the figure of a training file",
                              description="Study file NAME.h5: verify it, then (re)write NAME_summary.csv and "
                                          "NAME.png.  Training file (ebmphys train): the learning curves of every "
                                          "monitor and, when the visible units form a square image, the RBM "
                                          "filters and model samples, in NAME.png.  Damaged data are refused.")
    p.add_argument("file", help="study file (.h5) written by ebmphys run, or training file written by ebmphys train")
    p.add_argument("--format", choices=("png", "pdf"), default="png", help="figure format (default png)")
    p.set_defaults(func=_plot)

    p = subparsers.add_parser("inspect", help="show what a study or training file holds, verify it, say whether it is complete",
                              description="Describe a study or training file, verify its data (Fletcher-32 "
                                          "checksums, physical bounds) and name each damaged dataset (exit status "
                                          "2 if any).  'complete' means every task finished and every dataset was "
                                          f"read back intact.  Without --verify the stored configurations of files "
                                          f"larger than {VERIFY_LIMIT // 2**30} GiB are not read.")
    p.add_argument("file", help="study file or training file (.h5)")
    p.add_argument("--verify", action="store_true", help="read every dataset, the configurations included")
    p.add_argument("--spec", action="store_true", help="also print the stored TOML spec")
    p.set_defaults(func=_inspect)

