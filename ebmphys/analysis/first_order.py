"""First-order transitions from energy distributions: double peaks, equal heights, latent heat, interface tension.

Input is an energy distribution known up to a constant on a grid of levels:
``log_weights[k] = ln P_{beta0}(E_k) + const`` at inverse temperature ``beta0`` (k_B = 1).
It comes either from a canonical run at beta0 (:func:`energy_histogram`: the log of
the counts of each distinct energy) or from a density of states (Wang-Landau:
``log_weights = ln g(E)`` with ``beta0 = 0``, or a multicanonical run's reweighted
histogram).  Reweighting moves it to any beta:

    ln P_beta(E) = log_weights(E) - (beta - beta0) E + const,

which is exact for a density of states and, for a canonical histogram, reliable
only where the histogram has counts.

At a temperature-driven first-order transition of a finite system, P_beta(E) has
two peaks, the ordered (low energy) and the disordered (high energy) phase.
:func:`equal_height` finds the beta at which both peaks are equally high (a
standard finite-size definition of the transition point, Challa, Landau and Binder
1986; Lee and Kosterlitz 1991) and reports there

* the peak energies E_ord < E_dis, located to sub-level precision by the vertex of
  the parabola through the three highest levels of each peak, and the latent heat
  per site (E_dis - E_ord) / N, which approaches the infinite-volume value with
  corrections of order 1/L^d (:func:`extrapolate`);
* the interface free energy from the histogram minimum between the peaks,
  F_s = ln(P_max / P_min), and the interface tension sigma = F_s / (2 L^{d-1}) for
  periodic boundaries (the mixed-phase configurations at the minimum hold two
  interfaces of area L^{d-1}; Binder 1982), in units of k_B T per unit area.

:func:`equal_weight` finds instead the beta at which the ordered side (below the
histogram minimum) carries ``ratio`` times the probability of the disordered side,
and the mean energy of each side there.  With ``ratio = q`` for the q-state Potts
model (q ordered phases against one disordered phase) this is the finite-size
transition point of Borgs and Kotecky (1990; Borgs, Kotecky and Miracle-Sole 1991),
whose shift from the infinite-volume beta_t is exponentially small in L, and the
side means approach the pure-phase energies e_ord, e_dis much faster than the peak
positions do.

Peaks are the two largest local maxima of ln P that are maxima over at least
``window`` levels on either side (so noise in a canonical histogram does not
create peaks); levels with ln P = -inf (no counts, or unreachable energies) are
ignored.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.optimize import brentq
from scipy.special import logsumexp

from ebmphys.analysis._checks import beta_value, positive_int, real_vector


class DoublePeak(NamedTuple):
    """The double-peaked energy distribution of a finite system at its equal-height point.

    Attributes
    ----------
    beta : float
        Inverse temperature at which both peaks of P_beta(E) are equally high.
    energy_ordered, energy_disordered : float
        Total energies of the two peaks (sub-level parabola vertices), E_ord < E_dis.
    energy_minimum : float
        Level of the lowest point of P_beta between the peaks.
    latent_heat : float
        (E_dis - E_ord) / N, per site.
    interface_free_energy : float
        F_s = ln(P_max / P_min), P_max the common peak height, P_min the minimum between.
    interface_tension : float
        F_s / (2 L^{d-1}) (periodic boundaries, two interfaces), or NaN when no ``side`` was given.
    """

    beta: float
    energy_ordered: float
    energy_disordered: float
    energy_minimum: float
    latent_heat: float
    interface_free_energy: float
    interface_tension: float


class PhaseWeights(NamedTuple):
    """The ordered and disordered sides of an energy distribution at their weight-ratio point.

    Attributes
    ----------
    beta : float
        Inverse temperature at which P(E < split) = ratio * P(E > split).
    energy_ordered, energy_disordered : float
        Mean total energy of each side there.
    latent_heat : float
        (energy_disordered - energy_ordered) / N, per site.
    split : float
        The level dividing the phases (excluded from both sides).
    """

    beta: float
    energy_ordered: float
    energy_disordered: float
    latent_heat: float
    split: float


class Extrapolation(NamedTuple):
    """Weighted least-squares fit y(L) = y_inf + a L^{-power}."""

    value: float
    error: float
    slope: float
    chi2: float
    dof: int


def energy_histogram(energy) -> tuple[np.ndarray, np.ndarray]:
    """Distinct energies of a canonical time series and the log of their counts.

    Parameters
    ----------
    energy : array_like
        Total energies (any shape; all samples pooled), finite.  Energies closer than
        1e-9 count as one level.

    Returns
    -------
    levels : float64 array, increasing
    log_counts : float64 array, ln of the number of samples at each level
        (pass as ``log_weights`` with ``beta0`` the sampling beta).
    """
    e = np.asarray(energy, dtype=np.float64).ravel()
    if e.size == 0 or not np.all(np.isfinite(e)):
        raise ValueError("energy must be a non-empty array of finite values")
    levels, counts = np.unique(np.round(e, 9), return_counts=True)
    return levels, np.log(counts)


def _grid(levels, log_weights) -> tuple[np.ndarray, np.ndarray]:
    e = real_vector("levels", levels, 3)
    lw = np.asarray(log_weights, dtype=np.float64)
    if lw.shape != e.shape:
        raise ValueError(f"log_weights must have the shape of levels {e.shape}, got {lw.shape}")
    if np.any(np.isnan(lw)) or np.any(lw == np.inf):
        raise ValueError("log_weights must be finite or -inf (an empty level)")
    if np.any(np.diff(e) <= 0):
        raise ValueError("levels must be strictly increasing")
    return e, lw


def log_distribution(levels, log_weights, beta: float, beta0: float = 0.0) -> np.ndarray:
    """ln P_beta(E) on the levels, normalised (sum of P = 1); see the module docstring."""
    e, lw = _grid(levels, log_weights)
    log_p = lw - (beta_value("beta", beta) - beta_value("beta0", beta0)) * e
    return log_p - logsumexp(log_p)


def _peaks(log_p: np.ndarray, window: int) -> tuple[int, int, int]:
    """Indices (ordered peak, minimum between, disordered peak) of a double-peaked ln P; ValueError if single-peaked."""
    n = log_p.shape[0]
    candidates = []
    for k in np.flatnonzero(np.isfinite(log_p)):
        lo, hi = max(0, k - window), min(n, k + window + 1)
        if log_p[k] >= np.max(log_p[lo:hi]):
            candidates.append(k)
    if len(candidates) < 2:
        raise ValueError("the energy distribution has a single peak: no phase coexistence at this beta")
    top = sorted(candidates, key=lambda k: log_p[k])[-1]
    others = [k for k in candidates if abs(k - top) > window]
    if not others:
        raise ValueError("the energy distribution has a single peak: no phase coexistence at this beta")
    second = max(others, key=lambda k: log_p[k])
    a, b = sorted((top, second))
    between = a + int(np.argmin(np.where(np.isfinite(log_p[a:b + 1]), log_p[a:b + 1], np.inf)))
    return a, between, b


def _vertex(e: np.ndarray, log_p: np.ndarray, k: int) -> float:
    """Energy of the vertex of the parabola through the finite levels k-1, k, k+1 (k itself at an edge)."""
    if k == 0 or k == e.shape[0] - 1 or not np.all(np.isfinite(log_p[k - 1:k + 2])):
        return float(e[k])
    x, y = e[k - 1:k + 2], log_p[k - 1:k + 2]
    curvature, slope, _ = np.polyfit(x - x[1], y, 2)
    if curvature >= 0:
        return float(e[k])
    return float(x[1] - slope / (2 * curvature))


def _split_heights(log_p: np.ndarray, split: int) -> tuple[float, float]:
    """Highest ln P below and above level index ``split`` (ordered side, disordered side)."""
    return float(np.max(log_p[:split])), float(np.max(log_p[split + 1:]))


def equal_height(levels, log_weights, *, beta0: float, bracket: tuple[float, float], n_sites: int,
                 side: int | None = None, dimension: int = 2, window: int = 3) -> DoublePeak:
    """The equal-height point of a double-peaked energy distribution (module docstring).

    The root is found for a fixed split level between the phases (then the height
    difference max_{E > split} ln P - max_{E < split} ln P falls strictly with beta, so
    the root is unique in the bracket); the split is then moved to the minimum between
    the two peaks at the root and the search repeated until the split stays put.

    Parameters
    ----------
    levels : array_like (n,), strictly increasing
        Total energies of the levels.
    log_weights : array_like (n,)
        ln P_{beta0}(E) + const on the levels (-inf for empty levels).
    beta0 : float >= 0
        Inverse temperature of ``log_weights`` (0 for a density of states).
    bracket : (float, float)
        Inverse temperatures between which the peak heights cross.
    n_sites : int >= 1
        Number of sites N (latent heat per site).
    side : int, optional
        Linear size L of a periodic L^d system, for the interface tension.
    dimension : int >= 1
        d, for the interface area L^{d-1}.
    window : int >= 1
        A peak is a maximum over ``window`` levels on either side.

    Returns
    -------
    DoublePeak

    Raises
    ------
    ValueError
        If the heights do not cross inside the bracket, or the distribution at the
        crossing is not double-peaked.
    """
    e, lw = _grid(levels, log_weights)
    beta0 = beta_value("beta0", beta0)
    window = positive_int("window", window)
    n_sites = positive_int("n_sites", n_sites)
    lo, hi = (beta_value("bracket[0]", bracket[0]), beta_value("bracket[1]", bracket[1]))
    if not lo < hi:
        raise ValueError(f"bracket must be (beta_lo, beta_hi) with beta_lo < beta_hi, got {bracket}")
    finite = np.flatnonzero(np.isfinite(lw))
    try:
        split = _peaks(lw - (0.5 * (lo + hi) - beta0) * e, window)[1]
    except ValueError:
        split = int(finite[finite.size // 2])
    for _ in range(20):
        def height_difference(beta):
            ordered, disordered = _split_heights(lw - (beta - beta0) * e, split)
            return disordered - ordered

        d_lo, d_hi = height_difference(lo), height_difference(hi)
        if not d_lo > 0 > d_hi:
            raise ValueError(f"the peak heights do not cross between beta = {lo} and {hi} (disordered minus "
                             f"ordered log height {d_lo:.3g} and {d_hi:.3g}); widen the bracket")
        beta = brentq(height_difference, lo, hi, xtol=1e-14, rtol=1e-13)
        log_p = lw - (beta - beta0) * e
        a, m, b = _peaks(log_p, window)
        if m == split:
            break
        split = m
    else:
        raise ValueError("the split between the phases did not settle: the distribution has more than two peaks")
    top = 0.5 * (log_p[a] + log_p[b])
    free_energy = float(top - log_p[m])
    tension = free_energy / (2.0 * side ** (dimension - 1)) if side is not None else float("nan")
    e_ord, e_dis = _vertex(e, log_p, a), _vertex(e, log_p, b)
    return DoublePeak(beta=float(beta), energy_ordered=e_ord, energy_disordered=e_dis, energy_minimum=float(e[m]),
                      latent_heat=(e_dis - e_ord) / n_sites, interface_free_energy=free_energy,
                      interface_tension=tension)


def equal_weight(levels, log_weights, *, beta0: float, bracket: tuple[float, float], n_sites: int, split: float,
                 ratio: float = 1.0) -> PhaseWeights:
    """The beta at which the ordered side carries ``ratio`` times the weight of the disordered side (module docstring).

    Parameters
    ----------
    levels, log_weights, beta0, bracket, n_sites
        As in :func:`equal_height`.
    split : float
        Energy dividing the phases, e.g. ``equal_height(...).energy_minimum``; levels
        below it are ordered, above it disordered.
    ratio : float > 0
        Target weight ratio ordered / disordered (q for the q-state Potts model).

    Returns
    -------
    PhaseWeights
    """
    e, lw = _grid(levels, log_weights)
    beta0 = beta_value("beta0", beta0)
    n_sites = positive_int("n_sites", n_sites)
    if not (np.isfinite(ratio) and ratio > 0):
        raise ValueError(f"ratio must be a finite number > 0, got {ratio}")
    ordered, disordered = e < split, e > split
    if not (np.isfinite(lw[ordered]).any() and np.isfinite(lw[disordered]).any()):
        raise ValueError(f"split = {split} must leave populated levels on both sides")
    lo, hi = (beta_value("bracket[0]", bracket[0]), beta_value("bracket[1]", bracket[1]))

    def log_ratio(beta):
        log_p = lw - (beta - beta0) * e
        return logsumexp(log_p[ordered]) - logsumexp(log_p[disordered]) - np.log(ratio)

    if not log_ratio(lo) < 0 < log_ratio(hi):
        raise ValueError(f"the weight ratio does not pass {ratio} between beta = {lo} and {hi}; widen the bracket")
    beta = brentq(log_ratio, lo, hi, xtol=1e-14, rtol=1e-13)
    log_p = lw - (beta - beta0) * e

    def mean(side):
        p = np.exp(log_p[side] - np.max(log_p[side]))
        return float(p @ e[side] / p.sum())

    e_ord, e_dis = mean(ordered), mean(disordered)
    return PhaseWeights(beta=float(beta), energy_ordered=e_ord, energy_disordered=e_dis,
                        latent_heat=(e_dis - e_ord) / n_sites, split=float(split))


def extrapolate(sizes, values, errors, power: float) -> Extrapolation:
    """Weighted linear fit of y(L) = y_inf + a L^{-power}; y_inf with its standard error.

    Parameters
    ----------
    sizes : array_like (n,), n >= 2, positive
    values, errors : array_like (n,), errors > 0
    power : float > 0
        Order of the leading finite-size correction (d for peak energies of a
        first-order transition in d dimensions).
    """
    L = real_vector("sizes", sizes, 2)
    y = real_vector("values", values, L.size)
    s = real_vector("errors", errors, L.size)
    if y.shape != L.shape or s.shape != L.shape:
        raise ValueError("sizes, values and errors must have the same shape")
    if np.any(L <= 0) or np.any(s <= 0) or power <= 0:
        raise ValueError("sizes, errors and power must be > 0")
    x = L ** (-float(power))
    w = 1.0 / s**2
    design = np.stack([np.ones_like(x), x], axis=1)
    cov = np.linalg.inv(design.T @ (design * w[:, None]))
    intercept, slope = cov @ (design.T @ (w * y))
    chi2 = float(np.sum(w * (y - intercept - slope * x) ** 2))
    return Extrapolation(float(intercept), float(np.sqrt(cov[0, 0])), float(slope), chi2, L.size - 2)
