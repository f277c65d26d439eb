"""Result collection: thermodynamic observables, Binder crossings and exponents of a study file.

All per-spin conventions are those of :func:`ebmphys.analysis.thermo_observables`
(k_B = 1; E, |m|, C = beta^2 var(E)/N, chi = beta (<M^2> - <|M|>^2)/N,
U4 = 1 - <m^4>/(3 <m^2>^2)); every chain of a (size, temperature) point is
pooled, using the records all its tasks have written (so a running or killed
study can be summarised).

Potts studies (q > 0) use the same table with m the Potts order parameter
(q max_a n_a / N - 1) / (q - 1), and add nu from the Binder slopes: dU4/dbeta
(``binder_slope``, from the time series: d<X>/dbeta = <X><E> - <X E>) at the grid
temperature nearest the exact T_c of the square lattice, J / ln(1 + sqrt q) (in
other dimensions: nearest the Binder-crossing T_c), fitted to A L^{1/nu}.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

import numpy as np

from ebmphys.analysis import (BinderCrossing, Estimate, ExponentFit, binder_crossing, fit_gamma_over_nu, fit_nu,
                              jackknife, thermo_observables)
from ebmphys.storage import StudyFile, atomic_path

QUANTITIES = ("energy", "abs_magnetization", "specific_heat", "susceptibility", "binder")
"""Per-spin observables of the summary table, in table order."""

ESTIMATED = QUANTITIES + ("susceptibility_m2",)
"""Everything estimated (``susceptibility_m2`` = beta <M^2>/N, used for gamma/nu)."""

MIN_RECORDS = 40
"""Fewest records per chain for an estimate (the jackknife cuts chains into blocks)."""


@dataclass
class StudySummary:
    """Observables of a study on the grid (size, temperature).

    Attributes
    ----------
    name : str
    dimension : int
    J, h : float
        Coupling and field (energy unit J).
    sizes : list of int
    temperatures : float64 (n_T,)
        In the order of the file.
    values, errors : dict of float64 (n_L, n_T)
        For each name in :data:`QUANTITIES`; NaN where too few records were written.
    n_records : int64 (n_L, n_T)
        Records per chain used.
    n_chains : int
    complete : bool
        Whether the file was complete.
    crossings : dict
        ``{(L_small, L_large): BinderCrossing}`` for successive sizes that cross.
    crossing_notes : dict
        ``{(L_small, L_large): reason}`` for pairs without a usable crossing.
    gamma_over_nu : ExponentFit or None
        Fit of chi(L) = A L^{gamma/nu} with chi = beta <M^2>/N at the grid temperature
        nearest the Binder-crossing T_c (None without a crossing).
    gamma_over_nu_temperature : float or None
        That temperature.
    q : int
        0 for an Ising study, the number of Potts states for a Potts study.
    nu : ExponentFit or None
        Potts studies: fit of dU4/dbeta = A L^{1/nu} at ``nu_temperature``.
    nu_temperature : float or None
    binder_slopes : (values, errors) of float64 (n_L,) or None
        dU4/dbeta at ``nu_temperature`` for each size.
    """

    name: str
    dimension: int
    J: float
    h: float
    sizes: list
    temperatures: np.ndarray
    values: dict
    errors: dict
    n_records: np.ndarray
    n_chains: int
    complete: bool
    crossings: dict = field(default_factory=dict)
    crossing_notes: dict = field(default_factory=dict)
    gamma_over_nu: ExponentFit | None = None
    gamma_over_nu_temperature: float | None = None
    q: int = 0
    nu: ExponentFit | None = None
    nu_temperature: float | None = None
    binder_slopes: tuple | None = None

    @property
    def critical_temperature(self) -> tuple[float, float] | None:
        """(T_c, error) from the crossing of the two largest sizes that cross, or None."""
        if not self.crossings:
            return None
        c = self.crossings[max(self.crossings)]
        return 1.0 / c.beta, c.beta_error / c.beta**2


def select_crossing(betas: np.ndarray, u4_small, u4_large, err_small, err_large) -> BinderCrossing:
    """The Binder crossing of two sizes on a grid where noise adds spurious sign changes.

    Far from T_c both cumulants tend to the same limits (0 at high T, 2/3 at low
    T) and their difference changes sign at random.  The physical crossing is
    where the larger lattice goes from below (small beta) to above (large beta);
    among such intervals the one whose rise of ``u4_large - u4_small`` is the
    most significant is passed to :func:`ebmphys.analysis.binder_crossing`.

    Raises
    ------
    ValueError
        If the larger lattice never rises through the smaller one.
    """
    d = np.asarray(u4_large) - np.asarray(u4_small)
    var = np.asarray(err_small) ** 2 + np.asarray(err_large) ** 2
    rising = np.flatnonzero((d[:-1] < 0) & (d[1:] >= 0))
    if rising.size == 0:
        raise ValueError("the larger lattice's U4 never rises through the smaller one's: no crossing in range")
    score = (d[rising + 1] - d[rising]) / np.sqrt(var[rising] + var[rising + 1])
    i = int(rising[np.argmax(score)])
    j = slice(i, i + 2)
    return binder_crossing(betas[j], np.asarray(u4_small)[j], np.asarray(u4_large)[j],
                           np.asarray(err_small)[j], np.asarray(err_large)[j])


def observable_table(study: StudyFile, betas) -> tuple[dict, dict, np.ndarray]:
    """Every ESTIMATED observable with its jackknife error at every (size, point) of ``study``.

    ``betas[j]`` is the inverse temperature of point j (1 for an action already
    holding its couplings, as phi^4's).  Returns ``(values, errors, n_records)``:
    dicts of (n_sizes, n_points) arrays, NaN where a point has fewer than
    :data:`MIN_RECORDS` complete records (or a magnetisation that is zero throughout),
    and the complete records of each point.
    """
    n_l, n_p = len(study.sizes), len(betas)
    values = {q: np.full((n_l, n_p), np.nan) for q in ESTIMATED}
    errors = {q: np.full((n_l, n_p), np.nan) for q in ESTIMATED}
    n_records = np.zeros((n_l, n_p), dtype=np.int64)
    for i, L in enumerate(study.sizes):
        energy = study.observable("energy", L)
        magnetization = study.observable("magnetization", L)
        usable = study.n_records_done(L).min(axis=1)
        for j, beta in enumerate(betas):
            n = int(usable[j])
            n_records[i, j] = n
            if n < MIN_RECORDS or not np.any(magnetization[j, :, :n]):
                continue
            obs = thermo_observables(energy[j, :, :n], magnetization[j, :, :n], float(beta), study.n_spins(L))
            for q in ESTIMATED:
                values[q][i, j], errors[q][i, j] = getattr(obs, q)
    return values, errors, n_records


def summarize(study: StudyFile) -> StudySummary:
    """Observables with jackknife errors, Binder crossings and gamma/nu of a study file (see :class:`StudySummary`)."""
    values, errors, n_records = observable_table(study, study.betas)
    summary = StudySummary(
        name=study.name, dimension=study.dimension, J=study.J, h=study.h, sizes=list(study.sizes), temperatures=study.temperatures,
        values=values, errors=errors, n_records=n_records, n_chains=study.n_chains, complete=study.complete,
        q=study.q,
    )
    _scaling(summary, study.betas)
    if study.q:
        _potts_nu(summary, study, n_records)
    return summary


def binder_slope(energy, magnetization, beta: float, n_spins: int, n_blocks: int = 20) -> Estimate:
    """dU4/dbeta of U4 = 1 - <m^4> / (3 <m^2>^2) from one temperature's time series, with a jackknife error.

    With d<X>/dbeta = <X><E> - <X E> (weights exp(-beta E)), A = <m^4>, B = <m^2>:
    dU4/dbeta = -(A' B - 2 A B') / (3 B^3).  ``energy`` and ``magnetization`` are
    extensive totals of shape (n_chains, n_samples); the energy enters shifted by its mean.
    """
    e = np.asarray(energy, dtype=np.float64)
    e = e - e.mean()
    m2 = (np.asarray(magnetization, dtype=np.float64) / n_spins) ** 2
    m4 = m2**2

    def slope(e1, a, b, ae, be):
        da, db = a * e1 - ae, b * e1 - be
        return -(da * b - 2 * a * db) / (3 * b**3)

    return jackknife(slope, e, m4, m2, m4 * e, m2 * e, n_blocks=n_blocks)


def _potts_nu(summary: StudySummary, study: StudyFile, n_records: np.ndarray) -> None:
    if summary.dimension == 2 and summary.J > 0:
        t_c = summary.J / np.log1p(np.sqrt(summary.q))
    elif summary.critical_temperature is not None:
        t_c = summary.critical_temperature[0]
    else:
        return
    j = int(np.argmin(np.abs(summary.temperatures - t_c)))
    summary.nu_temperature = float(summary.temperatures[j])
    slopes, slope_errors = np.full(len(summary.sizes), np.nan), np.full(len(summary.sizes), np.nan)
    for i, L in enumerate(summary.sizes):
        n = int(n_records[i, j])
        if n < MIN_RECORDS:
            continue
        est = binder_slope(study.observable("energy", L)[j, :, :n], study.observable("magnetization", L)[j, :, :n],
                           float(study.betas[j]), study.n_spins(L))
        slopes[i], slope_errors[i] = est.value, est.error
    summary.binder_slopes = (slopes, slope_errors)
    if len(summary.sizes) >= 2 and np.all(np.isfinite(slopes)) and np.all(slopes > 0) and np.all(slope_errors > 0):
        try:
            summary.nu = fit_nu(summary.sizes, slopes, slope_errors)
        except ValueError:
            summary.nu = None


def _scaling(summary: StudySummary, betas: np.ndarray) -> None:
    order = np.argsort(betas)
    u, e = summary.values["binder"][:, order], summary.errors["binder"][:, order]
    for k in range(len(summary.sizes) - 1):
        pair = (summary.sizes[k], summary.sizes[k + 1])
        ok = np.isfinite(u[k]) & np.isfinite(u[k + 1]) & (e[k] > 0) & (e[k + 1] > 0)
        if ok.sum() < 2:
            summary.crossing_notes[pair] = "too few temperatures with data"
            continue
        try:
            summary.crossings[pair] = select_crossing(betas[order][ok], u[k][ok], u[k + 1][ok], e[k][ok], e[k + 1][ok])
        except ValueError as exc:
            summary.crossing_notes[pair] = str(exc)
    if len(summary.sizes) >= 2 and summary.critical_temperature is not None:
        t_c = summary.critical_temperature[0]
        j = int(np.argmin(np.abs(summary.temperatures - t_c)))
        chi, chi_err = summary.values["susceptibility_m2"][:, j], summary.errors["susceptibility_m2"][:, j]
        summary.gamma_over_nu_temperature = float(summary.temperatures[j])
        if np.all(np.isfinite(chi)) and np.all(chi_err > 0):
            summary.gamma_over_nu = fit_gamma_over_nu(summary.sizes, chi, chi_err)

HEADERS = ("T", "L", "e", "e_err", "|m|", "|m|_err", "C", "C_err", "chi", "chi_err", "U4", "U4_err", "records")


def write_csv(summary: StudySummary, path) -> None:
    """One row per (L, T): T, L, then each quantity of :data:`QUANTITIES` with its error, records per chain.

    Written atomically (:func:`ebmphys.storage.atomic_path`): a failed write leaves any previous table.
    """
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        for i, L in enumerate(summary.sizes):
            for j, T in enumerate(summary.temperatures):
                row = [f"{T:.6g}", L]
                for q in QUANTITIES:
                    row += [f"{summary.values[q][i, j]:.8g}", f"{summary.errors[q][i, j]:.3g}"]
                writer.writerow(row + [int(summary.n_records[i, j])])


def _pm(value: float, error: float) -> str:
    if not np.isfinite(value):
        return "-"
    if not np.isfinite(error) or error <= 0:
        return f"{value:.5f}"
    digits = max(0, min(6, 1 - int(np.floor(np.log10(error)))))
    return f"{value:.{digits}f} ± {error:.{digits}f}"


def format_table(summary: StudySummary) -> str:
    """The end-of-run table: T, L and the per-spin observables with error bars, then T_c and gamma/nu."""
    head = ("T", "L", "E/N", "|m|", "C", "chi", "U4")
    rows = [head]
    for j in np.argsort(summary.temperatures):
        for i, L in enumerate(summary.sizes):
            rows.append((f"{summary.temperatures[j]:.4f}", str(L),
                         *(_pm(summary.values[q][i, j], summary.errors[q][i, j]) for q in QUANTITIES)))
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append("per spin, k_B = 1, J = energy unit; chi = beta(<M^2> - <|M|>^2)/N, U4 = 1 - <m^4>/(3<m^2>^2); "
                 "errors: block jackknife over all chains")
    if summary.q:
        lines.append(f"q = {summary.q} Potts model: E = -J sum delta(s_i, s_j), m = (q max_a n_a / N - 1) / (q - 1)"
                     + (f"; exact T_c = J / ln(1 + sqrt q) = {summary.J / np.log1p(np.sqrt(summary.q)):.6f}"
                        if summary.dimension == 2 else ""))
    for pair, c in summary.crossings.items():
        lines.append(f"Binder crossing L = {pair[0]}, {pair[1]}: beta = {_pm(c.beta, c.beta_error)}, "
                     f"T = {_pm(1 / c.beta, c.beta_error / c.beta**2)}")
    for pair, note in summary.crossing_notes.items():
        lines.append(f"Binder crossing L = {pair[0]}, {pair[1]}: none ({note})")
    if summary.gamma_over_nu is not None:
        g = summary.gamma_over_nu
        lines.append(f"gamma/nu from beta<M^2>/N at T = {summary.gamma_over_nu_temperature:.5g}: "
                     f"{_pm(g.value, g.error)} (chi2/dof = {g.chi2:.1f}/{g.dof})")
    if summary.binder_slopes is not None:
        slopes, errs = summary.binder_slopes
        lines.append(f"dU4/dbeta at T = {summary.nu_temperature:.5g}: "
                     + ", ".join(f"L = {L}: {_pm(v, e)}" for L, v, e in zip(summary.sizes, slopes, errs)))
    if summary.nu is not None:
        lines.append(f"nu from dU4/dbeta ~ L^(1/nu) at T = {summary.nu_temperature:.5g}: "
                     f"{_pm(summary.nu.value, summary.nu.error)} (chi2/dof = {summary.nu.chi2:.1f}/{summary.nu.dof})")
    if not summary.complete:
        lines.append("(the study file is incomplete: estimates use the records written so far)")
    return "\n".join(lines)
