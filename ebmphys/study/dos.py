"""Density-of-states studies: Wang-Landau walkers per lattice size, analysed for a first-order transition.

A spec with ``model.type = "potts"`` and ``sampling.algorithm = "wang-landau"``
(:data:`ebmphys.study.spec.POTTS_DOS_SCHEMA`) becomes one task per (size, seed):
``n_chains`` Wang-Landau walkers (:func:`ebmphys.sampling.wang_landau.wang_landau`,
optionally in an energy window) whose key is derived from the seed and the size
index.  Tasks run on the executors of :mod:`ebmphys.study.executors`; each finished
task is written whole into one HDF5 file (:mod:`ebmphys.storage.dos`), so
``--resume`` continues with the tasks not yet written.

Analysis (:func:`summarize_dos`), per size L and walker, from ln g (beta0 = 0):

* the equal-height point of P_beta(E) (:func:`ebmphys.analysis.equal_height`): beta_eh(L),
  the latent heat from the peak distance, Delta e_peak(L), and the interface tension
  sigma(L) = ln(P_max / P_min) / (2 L^{d-1});
* the equal-weight point with ratio q (:func:`ebmphys.analysis.equal_weight`, Borgs and
  Kotecky): beta_ew(L), the mean energies of the ordered and disordered sides
  e_ord(L), e_dis(L) and their difference Delta e_mean(L);

each averaged over walkers with the standard error spread / sqrt(n_walkers), and
Delta e_peak extrapolated as Delta e + a / L^d.  For the 2D model the reference
values are Baxter's (:mod:`ebmphys.partition.potts_critical`).
"""

from __future__ import annotations

import csv
import math
import sys
import warnings
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ebmphys.analysis import equal_height, equal_weight, extrapolate, log_distribution
from ebmphys.models import LatticePotts
from ebmphys.partition.potts_critical import potts_beta_c, potts_latent_heat, potts_transition_energies
from ebmphys.progress import Progress
from ebmphys.sampling.wang_landau import wang_landau
from ebmphys.storage import FileLockedError, atomic_path
from ebmphys.storage.dos import DosBlock, DosCheckpointedFile, DosLayout, DosStudyFile
from ebmphys.study.executors import default_workers, local_pool
from ebmphys.study.spec import StudySpec
from ebmphys.study.tasks import task_key

#: relative half-width of the default equal-height bracket around the exact 2D beta_c
BRACKET = 0.05


@dataclass(frozen=True)
class DosTask:
    """One (size, seed) point of a density-of-states study: ``n_chains`` Wang-Landau walkers."""

    index: int
    size_index: int
    seed_index: int
    L: int
    dimension: int
    q: int
    J: float
    n_chains: int
    key: int
    flatness: float
    log_f_final: float
    check_every_sweeps: int
    max_sweeps: int
    energy_range: tuple | None
    device: str

    @property
    def n_spins(self) -> int:
        return self.L**self.dimension


def expand_dos(spec: StudySpec) -> list[DosTask]:
    """All tasks of a density-of-states study, ordered by size, then seed (key: task_key(seed, size index, 0))."""
    d = spec.data
    wl = d["wang_landau"]
    tasks = []
    for i, L in enumerate(spec.sizes):
        n = L ** spec.dimension
        window = None if wl["energy_min"] is None else (wl["energy_min"] * n, wl["energy_max"] * n)
        for k, seed in enumerate(spec.seeds):
            tasks.append(DosTask(
                index=len(tasks), size_index=i, seed_index=k, L=L, dimension=spec.dimension, q=spec.q,
                J=d["model"]["J"], n_chains=d["sampling"]["n_chains"], key=task_key(seed, i, 0),
                flatness=wl["flatness"], log_f_final=wl["log_f_final"], check_every_sweeps=wl["check_every_sweeps"],
                max_sweeps=wl["max_sweeps"], energy_range=window, device=d["sampling"]["device"],
            ))
    return tasks


def _model(task: DosTask) -> LatticePotts:
    return LatticePotts((task.L,) * task.dimension, task.q, J=task.J)


def run_dos_task(task: DosTask) -> DosBlock:
    """Run the walkers of one task (a pure function of the task)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # non-converged walkers are recorded in the file
        r = wang_landau(_model(task), n_chains=task.n_chains, flatness=task.flatness, log_f_final=task.log_f_final,
                        check_every_sweeps=task.check_every_sweeps, max_sweeps=task.max_sweeps, seed=task.key,
                        device=task.device, energy_range=task.energy_range)
    return DosBlock(size_index=task.size_index, seed_index=task.seed_index, log_g=r.log_g, trials=r.trials,
                    converged=r.converged, seconds=r.seconds)


def dos_layout(spec: StudySpec, tasks: list[DosTask]) -> DosLayout:
    keys = np.zeros((len(spec.sizes), len(spec.seeds)), dtype=np.uint64)
    energies = {}
    for t in tasks:
        keys[t.size_index, t.seed_index] = t.key
        m = _model(t)
        energies[t.L] = -t.J * (m.n_bonds - np.arange(m.n_bonds + 1.0))
    return DosLayout(name=spec.name, spec_toml=spec.text, fingerprint=spec.fingerprint(), dimension=spec.dimension,
                     J=spec.data["model"]["J"], q=spec.q, sizes=tuple(spec.sizes), seeds=tuple(spec.seeds),
                     n_chains=spec.data["sampling"]["n_chains"], task_keys=keys, energies=energies)


def run_dos_study(spec: StudySpec, output, *, mode: str = "new", workers: int | None = None, quiet: bool = False,
                  executor: Executor | None = None, after=None) -> Path:
    """Run (or resume) a density-of-states study; the arguments and errors are those of :func:`run_study`.

    ``after(path)``, when given, runs once the file is complete, still under the file's lock
    (the command writes the table and the figure there).
    """
    from ebmphys.study.runner import RunError, log

    path = Path(output)
    if mode not in ("new", "resume", "overwrite"):
        raise ValueError(f"mode must be 'new', 'resume' or 'overwrite', got {mode!r}")
    if not path.parent.is_dir():
        raise RunError(f"cannot write {path}: directory {str(path.parent)!r} does not exist")
    store = DosCheckpointedFile(path)
    tasks = expand_dos(spec)
    try:
        with store.lock():
            if mode == "resume":
                if not path.exists():
                    raise RunError(f"cannot resume {path}: the file does not exist (run without --resume to start it)")
                with DosStudyFile(path) as f:
                    if f.fingerprint != spec.fingerprint():
                        raise RunError(f"cannot resume {path}: it was written by a different spec (study {f.name!r}); "
                                       f"use --overwrite to replace it or another --out")
                    done = {(i, k) for i, L in enumerate(f.sizes) for k, d in enumerate(f.done(L)) if d}
            else:
                if path.exists() and mode == "new":
                    raise RunError(f"{path} already exists; use --resume to continue it or --overwrite to replace it")
                store.create(dos_layout(spec, tasks))
                done = set()
            todo = [t for t in tasks if (t.size_index, t.seed_index) not in done]
            # largest lattices first: they take longest
            todo.sort(key=lambda t: -t.n_spins)
            n_workers = workers or default_workers(len(todo) or 1)
            if todo and not quiet and not sys.stderr.isatty():
                log(f"{len(todo)} of {len(tasks)} Wang-Landau tasks to run on {n_workers} worker(s), writing {path}")
            progress = Progress(len(tasks), enabled=not quiet, desc=spec.name, unit="task", initial=len(done))
            own = executor is None and bool(todo)
            if own:
                executor = local_pool(n_workers)  # workers warm the Ising kernels; the Potts ones load from the cache
            try:
                in_flight = {executor.submit(run_dos_task, t): t for t in todo}
                while in_flight:
                    finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
                    blocks = [f.result() for f in finished]
                    for f in finished:
                        in_flight.pop(f)
                    store.commit(blocks, complete=not in_flight)
                    progress.update(len(blocks))
                if not todo:
                    store.commit([], complete=True)
            finally:
                if own:
                    executor.shutdown(wait=False, cancel_futures=True)
                progress.close()
            if after is not None:
                after(path)
    except FileLockedError as exc:
        raise RunError(str(exc)) from None
    return path


# ---------------------------------------------------------------------------- analysis


@dataclass
class DosSummary:
    """First-order transition of a density-of-states study (see the module docstring).

    ``values`` and ``errors`` map each quantity of :data:`DOS_QUANTITIES` to float64 (n_L,)
    arrays (NaN where no walker gave an estimate); ``notes`` list walkers whose
    distribution was not double-peaked in the bracket.
    """

    name: str
    dimension: int
    J: float
    q: int
    sizes: list
    n_walkers: np.ndarray
    converged: np.ndarray
    seconds: np.ndarray
    bracket: tuple
    values: dict
    errors: dict
    complete: bool
    latent_heat_extrapolated: object = None
    distributions: dict = field(default_factory=dict, repr=False)
    notes: list = field(default_factory=list)

    @property
    def beta_c(self) -> float | None:
        """Exact transition point for the 2D model (J > 0), else None."""
        return potts_beta_c(self.q, self.J) if self.dimension == 2 and self.J > 0 else None

    @property
    def baxter(self) -> dict | None:
        """Baxter's exact values per site (2D, J > 0): latent heat, ordered and disordered energies."""
        if self.beta_c is None:
            return None
        e_ord, e_dis = potts_transition_energies(self.q, self.J)
        return {"latent_heat": potts_latent_heat(self.q, self.J), "e_ord": e_ord, "e_dis": e_dis}


DOS_QUANTITIES = ("beta_eh", "latent_heat_peak", "interface_tension", "beta_ew", "e_ord", "e_dis", "latent_heat_mean")


def _bracket(spec_toml_data: dict, q: int, J: float, dimension: int) -> tuple[float, float]:
    a = spec_toml_data["analysis"]
    if a["beta_min"] is not None:
        return a["beta_min"], a["beta_max"]
    if dimension != 2 or J <= 0:
        raise ValueError("analysis.beta_min and analysis.beta_max are needed outside the 2D ferromagnet")
    b = potts_beta_c(q, J)
    return (1 - BRACKET) * b, (1 + BRACKET) * b


def summarize_dos(f: DosStudyFile) -> DosSummary:
    """Equal-height and equal-weight analysis of every size of a density-of-states file (module docstring)."""
    from ebmphys.study.spec import parse_study

    spec = parse_study(f.spec_toml, str(f.path))
    bracket = _bracket(spec.data, f.q, f.J, f.dimension)
    n_l = len(f.sizes)
    values = {k: np.full(n_l, np.nan) for k in DOS_QUANTITIES}
    errors = {k: np.full(n_l, np.nan) for k in DOS_QUANTITIES}
    n_walkers, converged, seconds = np.zeros(n_l, int), np.zeros(n_l, int), np.zeros(n_l)
    summary = DosSummary(name=f.name, dimension=f.dimension, J=f.J, q=f.q, sizes=list(f.sizes), n_walkers=n_walkers,
                         converged=converged, seconds=seconds, bracket=bracket, values=values, errors=errors,
                         complete=f.complete)
    for i, L in enumerate(f.sizes):
        energies, log_g, n = f.energies(L), f.log_g(L), f.n_spins(L)
        n_walkers[i], converged[i], seconds[i] = log_g.shape[0], f.converged(L).sum(), f.seconds(L)
        rows = np.full((log_g.shape[0], len(DOS_QUANTITIES)), np.nan)
        for w in range(log_g.shape[0]):
            try:
                d = equal_height(energies, log_g[w], beta0=0.0, bracket=bracket, n_sites=n, side=L,
                                 dimension=f.dimension, window=max(3, L))
            except ValueError as exc:
                summary.notes.append(f"L = {L}, walker {w}, equal heights: {exc}")
                continue
            rows[w, :3] = d.beta, d.latent_heat, d.interface_tension
            try:
                e = equal_weight(energies, log_g[w], beta0=0.0, bracket=bracket, n_sites=n,
                                 split=d.energy_minimum, ratio=f.q)
            except ValueError as exc:
                summary.notes.append(f"L = {L}, walker {w}, equal weight: {exc}")
                continue
            rows[w, 3:] = e.beta, e.energy_ordered / n, e.energy_disordered / n, e.latent_heat
        for k, name in enumerate(DOS_QUANTITIES):
            column = rows[np.isfinite(rows[:, k]), k]
            if column.size:
                values[name][i] = column.mean()
            if column.size > 1:
                errors[name][i] = column.std(ddof=1) / math.sqrt(column.size)
        if log_g.shape[0]:
            mean = np.where(np.isfinite(log_g).all(axis=0), log_g.mean(axis=0), -np.inf)
            targets = {"beta_c": summary.beta_c, "beta_eh": values["beta_eh"][i]}
            summary.distributions[L] = {k: (energies / n, np.exp(log_distribution(energies, mean, b)))
                                        for k, b in targets.items() if b is not None and np.isfinite(b)}
    ok = np.isfinite(values["latent_heat_peak"]) & (errors["latent_heat_peak"] > 0)
    if ok.sum() >= 2:
        summary.latent_heat_extrapolated = extrapolate(np.array(f.sizes)[ok], values["latent_heat_peak"][ok],
                                                       errors["latent_heat_peak"][ok], power=f.dimension)
    return summary


DOS_HEADERS = ("L", "walkers", "converged", "seconds") + tuple(f"{q}{s}" for q in DOS_QUANTITIES for s in ("", "_err"))


def write_dos_csv(summary: DosSummary, path) -> None:
    """One row per size: L, walkers, converged walkers, seconds, then each quantity with its error (written atomically)."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(DOS_HEADERS)
        for i, L in enumerate(summary.sizes):
            row = [L, int(summary.n_walkers[i]), int(summary.converged[i]), f"{summary.seconds[i]:.1f}"]
            for q in DOS_QUANTITIES:
                row += [f"{summary.values[q][i]:.8g}", f"{summary.errors[q][i]:.3g}"]
            writer.writerow(row)


def _pm(value: float, error: float) -> str:
    from ebmphys.study.summary import _pm as pm

    return pm(value, error)


def format_dos_table(summary: DosSummary) -> str:
    """The end-of-run table of a density-of-states study."""
    head = ("L", "beta_eh", "De_peak", "sigma", "beta_ew(q)", "e_ord", "e_dis", "De_mean")
    rows = [head]
    for i, L in enumerate(summary.sizes):
        rows.append((str(L), *(_pm(summary.values[q][i], summary.errors[q][i]) for q in DOS_QUANTITIES)))
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(f"{summary.q}-state Potts, {summary.dimension}D, J = {summary.J:g}; per site, k_B = 1; "
                 f"Wang-Landau walkers per size: {summary.n_walkers.tolist()} (converged {summary.converged.tolist()}); "
                 f"errors: spread over walkers / sqrt(n)")
    lines.append("beta_eh: equal peak heights; De_peak: peak distance / N; sigma = ln(Pmax/Pmin) / (2 L^(d-1)); "
                 "beta_ew(q): ordered weight = q x disordered; e_ord, e_dis, De_mean: side means there")
    ref = summary.baxter
    if ref is not None:
        lines.append(f"exact (Baxter 1973): beta_c = {summary.beta_c:.6f}, latent heat {ref['latent_heat']:.6f}, "
                     f"e_ord = {ref['e_ord']:.6f}, e_dis = {ref['e_dis']:.6f}")
    x = summary.latent_heat_extrapolated
    if x is not None:
        line = f"De_peak extrapolated as De + a/L^{summary.dimension}: {_pm(x.value, x.error)} (chi2/dof = {x.chi2:.1f}/{x.dof})"
        if ref is not None:
            line += (f"; Baxter {ref['latent_heat']:.4f}: difference {x.value - ref['latent_heat']:+.4f} "
                     f"({(x.value - ref['latent_heat']) / ref['latent_heat'] * 100:+.1f}%)")
        lines.append(line)
    if ref is not None and np.isfinite(summary.values["latent_heat_mean"]).any():
        i = int(np.flatnonzero(np.isfinite(summary.values["latent_heat_mean"]))[-1])
        v = summary.values["latent_heat_mean"][i]
        lines.append(f"De_mean at L = {summary.sizes[i]}: {_pm(v, summary.errors['latent_heat_mean'][i])}; "
                     f"Baxter {ref['latent_heat']:.4f}: difference {v - ref['latent_heat']:+.4f} "
                     f"({(v - ref['latent_heat']) / ref['latent_heat'] * 100:+.1f}%)")
    lines += summary.notes
    if not summary.complete:
        lines.append("(the study file is incomplete: estimates use the tasks written so far)")
    return "\n".join(lines)


def report_dos(path: Path, fmt: str, quiet: bool) -> tuple[Path, Path]:
    """Summarise a density-of-states file: CSV table and figure next to it; print the table unless ``quiet``."""
    from ebmphys.plotting import plot_dos_study

    with DosStudyFile(path) as f:
        summary = summarize_dos(f)
    table_path, figure_path = path.with_name(path.stem + "_summary.csv"), path.with_suffix("." + fmt)
    write_dos_csv(summary, table_path)
    plot_dos_study(summary, figure_path, fmt)
    if not quiet:
        print(format_dos_table(summary))
        print(f"\nwrote {path}, {table_path}, {figure_path}")
    return table_path, figure_path


def describe_dos_file(f: DosStudyFile) -> str:
    """What a density-of-states file holds (the text of ``ebmphys inspect``)."""
    lines = [f"{f.path}: ebmphys density-of-states study {f.name!r} (written by ebmphys {f.package_version})",
             f"  model: {f.dimension}D {f.q}-state Potts, periodic L^{f.dimension}, J = {f.J:g}",
             f"  sizes: {f.sizes}, seeds: {f.seeds}, Wang-Landau walkers per seed: {f.n_chains_per_seed}"]
    for L in f.sizes:
        done = f.done(L)
        lines.append(f"  L = {L}: {int(done.sum())}/{done.size} tasks written, {int(f.converged(L).sum())} walkers "
                     f"converged, {f.seconds(L):.1f} s")
    lines.append("  status: " + ("complete" if f.complete else "INCOMPLETE (continue it with ebmphys run SPEC --resume)"))
    return "\n".join(lines)

