"""Result collection of a phi^4 study: observables, Binder crossings in kappa, U4*, nu, and the Ising limit.

Per-site conventions at weights exp(-S) (beta = 1, :func:`ebmphys.analysis.thermo_observables`):
S/N, |m| = <|M|>/N, C = var(S)/N, chi = (<M^2> - <|M|>^2)/N, U4 = 1 - <m^4>/(3<m^2>^2),
with block-jackknife errors over every chain of a (L, lam, kappa) point.

For each quartic coupling lam the grid of kappas is scanned for the Binder
crossing of successive sizes (:func:`ebmphys.study.summary.select_crossing`); the
crossing of the two largest sizes estimates kappa_c(lam) and U4* (to compare with
the 2D Ising value on the periodic square, 0.61069; Kamieniarz and Bloete 1993).
nu comes from the Binder slopes dU4/dkappa ~ L^(1/nu) at kappa_c, each slope the
finite difference of U4 over the two grid points around kappa_c.  As lam grows
kappa_c(lam) tends to the Ising value beta_c / 2 = ln(1 + sqrt 2) / 4 in 2D.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field

import numpy as np

from ebmphys.analysis import BinderCrossing, ExponentFit, fit_nu
from ebmphys.storage import StudyFile, atomic_path
from ebmphys.study.summary import (
    QUANTITIES,
    _pm,
    observable_table,
    select_crossing,
)

#: U4 at the critical point of the 2D Ising model on periodic squares (Kamieniarz and Bloete, J. Phys. A 26, 201)
U4_ISING_2D = 0.61069
#: kappa_c of the lam -> infinity limit in 2D: beta_c(Ising) / 2
KAPPA_C_ISING_2D = math.log(1.0 + math.sqrt(2.0)) / 4.0


@dataclass
class Phi4Series:
    """The kappa scan of one quartic coupling.

    Attributes
    ----------
    lam : float
    points : int64 array
        Indices of the series' grid points (increasing kappa) in the file's point axis.
    kappas : float64 array
    crossings : dict
        ``{(L_small, L_large): BinderCrossing}`` of successive sizes (crossing "beta" is kappa).
    crossing_notes : dict
        ``{(L_small, L_large): reason}`` for pairs without a crossing.
    nu : ExponentFit or None
        Fit of dU4/dkappa ~ L^(1/nu) at kappa_c.
    slopes, slope_errors : float64 arrays (n_L,) or None
        The Binder slopes at kappa_c used for nu.
    """

    lam: float
    points: np.ndarray
    kappas: np.ndarray
    crossings: dict = field(default_factory=dict)
    crossing_notes: dict = field(default_factory=dict)
    nu: ExponentFit | None = None
    nu_note: str = ""
    slopes: np.ndarray | None = None
    slope_errors: np.ndarray | None = None

    @property
    def critical(self) -> BinderCrossing | None:
        """The crossing of the two largest sizes that cross, or None."""
        return self.crossings[max(self.crossings)] if self.crossings else None


@dataclass
class Phi4Summary:
    """Observables of a phi^4 study on the grid (size, point); ``values``/``errors`` as in ``StudySummary``."""

    name: str
    dimension: int
    sizes: list
    lams: np.ndarray
    kappas: np.ndarray
    values: dict
    errors: dict
    n_records: np.ndarray
    n_chains: int
    complete: bool
    series: list = field(default_factory=list)


def summarize_phi4(study: StudyFile) -> Phi4Summary:
    """Observables with jackknife errors, Binder crossings, U4* and nu of every lam of a phi^4 study file."""
    values, errors, n_records = observable_table(study, np.ones(len(study.kappas)))
    summary = Phi4Summary(name=study.name, dimension=study.dimension, sizes=list(study.sizes), lams=study.lams,
                          kappas=study.kappas, values=values, errors=errors, n_records=n_records,
                          n_chains=study.n_chains, complete=study.complete)
    for lam in dict.fromkeys(study.lams.tolist()):
        points = np.flatnonzero(study.lams == lam)
        points = points[np.argsort(study.kappas[points])]
        series = Phi4Series(lam=lam, points=points, kappas=study.kappas[points])
        _scan(summary, series)
        summary.series.append(series)
    return summary


def _scan(summary: Phi4Summary, series: Phi4Series) -> None:
    u, e = summary.values["binder"][:, series.points], summary.errors["binder"][:, series.points]
    k = series.kappas
    for a in range(len(summary.sizes) - 1):
        pair = (summary.sizes[a], summary.sizes[a + 1])
        ok = np.isfinite(u[a]) & np.isfinite(u[a + 1]) & (e[a] > 0) & (e[a + 1] > 0)
        if ok.sum() < 2:
            series.crossing_notes[pair] = "too few couplings with data"
            continue
        try:
            series.crossings[pair] = select_crossing(k[ok], u[a][ok], u[a + 1][ok], e[a][ok], e[a + 1][ok])
        except ValueError as exc:
            series.crossing_notes[pair] = str(exc)
    critical = series.critical
    if critical is None or len(summary.sizes) < 2:
        series.nu_note = "no crossing"
        return
    j = int(np.clip(np.searchsorted(k, critical.beta) - 1, 0, len(k) - 2))
    width = k[j + 1] - k[j]
    series.slopes = (u[:, j + 1] - u[:, j]) / width
    series.slope_errors = np.hypot(e[:, j], e[:, j + 1]) / width
    if not (np.all(np.isfinite(series.slopes)) and np.all(series.slope_errors > 0)):
        series.nu_note = "missing data at kappa_c"
        return
    try:
        series.nu = fit_nu(summary.sizes, series.slopes, series.slope_errors)
    except ValueError as exc:
        series.nu_note = str(exc)


HEADERS = ("lam", "kappa", "L", "e", "e_err", "|m|", "|m|_err", "C", "C_err", "chi", "chi_err", "U4", "U4_err",
           "records")


def write_phi4_csv(summary: Phi4Summary, path) -> None:
    """One row per (L, lam, kappa): per-site observables with errors, records per chain (written atomically)."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        for i, L in enumerate(summary.sizes):
            for j, (lam, kappa) in enumerate(zip(summary.lams, summary.kappas)):
                row = [f"{lam:.6g}", f"{kappa:.6g}", L]
                for q in QUANTITIES:
                    row += [f"{summary.values[q][i, j]:.8g}", f"{summary.errors[q][i, j]:.3g}"]
                writer.writerow(row + [int(summary.n_records[i, j])])


def format_phi4_table(summary: Phi4Summary) -> str:
    """The end-of-run table of a phi^4 study, then crossings, U4*, nu and the Ising limit."""
    head = ("lam", "kappa", "L", "S/N", "|m|", "C", "chi", "U4")
    rows = [head]
    for series in summary.series:
        for j in series.points:
            for i, L in enumerate(summary.sizes):
                rows.append((f"{series.lam:g}", f"{summary.kappas[j]:.5f}", str(L),
                             *(_pm(summary.values[q][i, j], summary.errors[q][i, j]) for q in QUANTITIES)))
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append("per site, weights exp(-S); C = var(S)/N, chi = (<M^2> - <|M|>^2)/N, U4 = 1 - <m^4>/(3<m^2>^2); "
                 "errors: block jackknife over all chains")
    for series in summary.series:
        for pair, c in series.crossings.items():
            lines.append(f"lam = {series.lam:g}: Binder crossing L = {pair[0]}, {pair[1]}: kappa = "
                         f"{_pm(c.beta, c.beta_error)}, U4 = {_pm(c.u4, c.u4_error)}")
        for pair, note in series.crossing_notes.items():
            lines.append(f"lam = {series.lam:g}: Binder crossing L = {pair[0]}, {pair[1]}: none ({note})")
        if series.nu is not None:
            lines.append(f"lam = {series.lam:g}: nu from dU4/dkappa at kappa_c, L = {summary.sizes}: "
                         f"{_pm(series.nu.value, series.nu.error)} (chi2/dof = {series.nu.chi2:.1f}/{series.nu.dof}"
                         f"; 2D Ising: 1)")
    if summary.dimension == 2:
        lines.append(f"2D Ising references: U4* = {U4_ISING_2D} (periodic square), kappa_c(lam -> infinity) = "
                     f"ln(1 + sqrt 2)/4 = {KAPPA_C_ISING_2D:.6f}")
        for series in summary.series:
            c = series.critical
            if c is not None:
                lines.append(f"lam = {series.lam:g}: kappa_c - {KAPPA_C_ISING_2D:.6f} = "
                             f"{_pm(c.beta - KAPPA_C_ISING_2D, c.beta_error)}, U4* - {U4_ISING_2D} = "
                             f"{_pm(c.u4 - U4_ISING_2D, c.u4_error)}")
    if not summary.complete:
        lines.append("(the study file is incomplete: estimates use the records written so far)")
    return "\n".join(lines)
