"""Finite-size scaling: Binder-cumulant crossings and critical exponents from power-law fits.

Conventions: ``betas`` are inverse temperatures (k_B = 1), U4 the Binder
cumulant 1 - <m^4> / (3 <m^2>^2), L the linear lattice size.  Errors are
standard errors; the U4 errors at different betas and sizes are assumed
independent (separate runs).  Scaling forms at a continuous transition:

    U4_L(beta) = g((beta - beta_c) L^{1/nu})   -> curves of different L cross at beta_c,
    dU4/dbeta at beta_c ~ L^{1/nu},
    chi_max(L) ~ L^{gamma/nu}.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ebmphys.analysis._checks import beta_grid, positive_errors, real_vector


class BinderCrossing(NamedTuple):
    """Where the U4 curves of a smaller and a larger lattice cross.

    Linear interpolation of both curves between the two betas that bracket
    the sign change of ``u4_large - u4_small``.

    Attributes
    ----------
    beta, beta_error : float
        The crossing and its propagated standard error.
    u4, u4_error : float
        The common value of U4 there (propagated error, from the smaller lattice's curve).
    slope_small, slope_small_error, slope_large, slope_large_error : float
        dU4/dbeta of each curve on the bracketing interval, for :func:`fit_nu`.
    """

    beta: float
    beta_error: float
    u4: float
    u4_error: float
    slope_small: float
    slope_small_error: float
    slope_large: float
    slope_large_error: float


class ExponentFit(NamedTuple):
    """A critical exponent from a weighted log-log fit ``y = A L^x``.

    Attributes
    ----------
    value, error : float
        The exponent asked for and its standard error (from the fit covariance,
        not rescaled by chi2 / dof).
    amplitude, amplitude_error : float
        A and its standard error.
    chi2 : float
        Weighted residual sum of squares of the log-log fit.
    dof : int
        Degrees of freedom, number of sizes - 2.
    """

    value: float
    error: float
    amplitude: float
    amplitude_error: float
    chi2: float
    dof: int


def _sizes(sizes) -> np.ndarray:
    s = real_vector("sizes", sizes, 2)
    if np.any(s <= 0) or np.any(np.diff(s) <= 0):
        raise ValueError(f"sizes must be positive and strictly increasing, got {s}")
    return s


def binder_crossing(betas, u4_small, u4_large, err_small, err_large) -> BinderCrossing:
    """Crossing of the Binder cumulants of two lattice sizes, with its error.

    Parameters
    ----------
    betas : array_like, shape (n,)
        Inverse temperatures, >= 0, strictly increasing, n >= 2.
    u4_small, u4_large : array_like, shape (n,)
        U4 of the smaller and of the larger lattice at ``betas``.
    err_small, err_large : array_like, shape (n,)
        Their standard errors, > 0.

    Returns
    -------
    BinderCrossing
        beta at which the linear interpolants of the two curves meet, in the
        interval where ``d = u4_large - u4_small`` changes sign; errors by
        linear propagation of the four U4 errors involved.

    Raises
    ------
    ValueError
        If the inputs are malformed, d never changes sign (no crossing in the
        range), or changes sign more than once (restrict the beta range to the
        crossing you mean).
    """
    b = beta_grid("betas", betas, min_length=2, increasing=True)
    small = real_vector("u4_small", u4_small, 2)
    large = real_vector("u4_large", u4_large, 2)
    for name, arr in (("u4_small", small), ("u4_large", large)):
        if arr.shape != b.shape:
            raise ValueError(f"{name} must have the shape of betas {b.shape}, got {arr.shape}")
    es = positive_errors("err_small", err_small, b.shape)
    el = positive_errors("err_large", err_large, b.shape)
    d = large - small
    above = d >= 0
    changes = np.flatnonzero(above[:-1] != above[1:])
    if changes.size == 0:
        raise ValueError(f"u4_large - u4_small does not change sign over betas [{b[0]}, {b[-1]}]: no crossing")
    if changes.size > 1:
        raise ValueError(
            f"u4_large - u4_small changes sign {changes.size} times, near betas {b[changes]}; "
            "restrict betas to the interval around the crossing you want"
        )
    i = int(changes[0])
    j = slice(i, i + 2)
    width = b[i + 1] - b[i]
    denom = d[i] - d[i + 1]  # nonzero: one end has d < 0, the other d >= 0
    frac = d[i] / denom
    # derivatives of frac with respect to d[i] and d[i+1]
    dfrac = np.array([-d[i + 1], d[i]]) / denom**2
    beta_err = width * np.sqrt(np.sum((dfrac * np.hypot(es[j], el[j])) ** 2))
    rise = small[i + 1] - small[i]
    u4 = small[i] + frac * rise
    # chain rule through frac(d), with d = large - small
    du_dsmall = np.array([1.0 - frac, frac]) - rise * dfrac
    du_dlarge = rise * dfrac
    u4_err = np.sqrt(np.sum((du_dsmall * es[j]) ** 2 + (du_dlarge * el[j]) ** 2))
    return BinderCrossing(
        beta=float(b[i] + width * frac),
        beta_error=float(beta_err),
        u4=float(u4),
        u4_error=float(u4_err),
        slope_small=float(rise / width),
        slope_small_error=float(np.hypot(es[i], es[i + 1]) / width),
        slope_large=float((large[i + 1] - large[i]) / width),
        slope_large_error=float(np.hypot(el[i], el[i + 1]) / width),
    )


def binder_crossings(sizes, betas, u4, u4_err) -> dict[tuple[int, int], BinderCrossing]:
    """Binder crossings of successive lattice sizes (L_1, L_2), (L_2, L_3), ...

    Parameters
    ----------
    sizes : array_like, shape (n_sizes,)
        Linear sizes L, positive and strictly increasing, n_sizes >= 2.
    betas : array_like, shape (n_betas,)
        Common inverse temperatures, >= 0, strictly increasing.
    u4, u4_err : array_like, shape (n_sizes, n_betas)
        Binder cumulants and their standard errors (> 0).

    Returns
    -------
    dict
        ``{(L_small, L_large): BinderCrossing}`` for each successive pair.

    Raises
    ------
    ValueError
        For malformed input (messages name the parameter), or a pair without a
        unique crossing (the message names the pair).
    """
    L = _sizes(sizes)
    b = beta_grid("betas", betas, min_length=2, increasing=True)
    u = np.asarray(u4)
    if u.dtype.kind not in "biuf" or u.shape != (L.size, b.size):
        raise ValueError(f"u4 must be a real array of shape (n_sizes, n_betas) = {(L.size, b.size)}, got {u.shape}")
    if not np.all(np.isfinite(u)):
        raise ValueError("u4 must contain only finite values")
    e = positive_errors("u4_err", u4_err, u.shape)
    crossings = {}
    for k in range(L.size - 1):
        pair = tuple(np.asarray(sizes)[k : k + 2].tolist())
        try:
            crossings[pair] = binder_crossing(b, u[k], u[k + 1], e[k], e[k + 1])
        except ValueError as err:
            raise ValueError(f"sizes {pair}: {err}") from None
    return crossings


def _power_law(sizes, values, errors, name: str) -> tuple[float, float, float, float, float, int]:
    """Weighted fit log y = log A + x log L; returns x, err x, A, err A, chi2, dof."""
    L = _sizes(sizes)
    y = real_vector(name, values, L.size)
    if y.shape != L.shape:
        raise ValueError(f"{name} must have the shape of sizes {L.shape}, got {y.shape}")
    if np.any(y <= 0):
        raise ValueError(f"{name} must be > 0 for a log-log fit, got {y}")
    err = positive_errors(f"{name}_err", errors, L.shape)
    log_l, log_y = np.log(L), np.log(y)
    w = (y / err) ** 2
    design = np.stack([np.ones_like(log_l), log_l], axis=1)
    cov = np.linalg.inv(design.T @ (design * w[:, None]))
    intercept, slope = cov @ (design.T @ (w * log_y))
    chi2 = float(np.sum(w * (log_y - intercept - slope * log_l) ** 2))
    amplitude = float(np.exp(intercept))
    return float(slope), float(np.sqrt(cov[1, 1])), amplitude, amplitude * float(np.sqrt(cov[0, 0])), chi2, L.size - 2


def fit_gamma_over_nu(sizes, chi_peak, chi_peak_err) -> ExponentFit:
    """gamma/nu from the susceptibility maxima, chi_max(L) = A L^{gamma/nu}.

    Parameters
    ----------
    sizes : array_like, shape (n,)
        Linear sizes, positive, strictly increasing, n >= 2.
    chi_peak, chi_peak_err : array_like, shape (n,)
        Peak susceptibilities (> 0) and their standard errors (> 0).

    Returns
    -------
    ExponentFit
        ``value`` = gamma/nu from a weighted least-squares fit of
        log chi_max against log L (weights (chi / err)^2).
    """
    return ExponentFit(*_power_law(sizes, chi_peak, chi_peak_err, "chi_peak"))


def fit_nu(sizes, slopes, slopes_err) -> ExponentFit:
    """nu from the Binder slopes at the crossing, dU4/dbeta = A L^{1/nu}.

    Parameters
    ----------
    sizes : array_like, shape (n,)
        Linear sizes, positive, strictly increasing, n >= 2.
    slopes, slopes_err : array_like, shape (n,)
        dU4/dbeta at the crossing (> 0: U4 grows with beta) and standard errors (> 0).

    Returns
    -------
    ExponentFit
        ``value`` = nu = 1/x where x is the fitted exponent, ``error`` = err_x / x^2.

    Raises
    ------
    ValueError
        For malformed input, or a fitted exponent x <= 0 (nu undefined).
    """
    x, x_err, amplitude, amplitude_err, chi2, dof = _power_law(sizes, slopes, slopes_err, "slopes")
    if x <= 0:
        raise ValueError(f"the fitted exponent 1/nu = {x:.4g} is <= 0: slopes do not grow with L, nu is undefined")
    return ExponentFit(1.0 / x, x_err / x**2, amplitude, amplitude_err, chi2, dof)
