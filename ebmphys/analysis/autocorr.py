"""Autocorrelation function, integrated autocorrelation time and effective sample size.

Conventions
-----------
Time is measured in steps of the series (one sample = one unit).  The
integrated autocorrelation time is

    tau_int = 1/2 + sum_{t >= 1} rho(t),

so an uncorrelated series has tau_int = 1/2 and the variance of the mean of n
samples is approximately ``2 tau_int var(x) / n``.  The effective sample size is
``n / (2 tau_int)``.

References: A. D. Sokal, "Monte Carlo methods in statistical mechanics:
foundations and new algorithms" (Cargese lectures, 1996), section 3;
N. Madras and A. D. Sokal, J. Stat. Phys. 50, 109 (1988).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ebmphys.analysis._checks import finite_real, time_series

MIN_LENGTH = 10
"""Fewest samples per chain accepted by the functions of this module."""


class AutocorrelationTime(NamedTuple):
    """Integrated autocorrelation time with its statistical error.

    Attributes
    ----------
    tau : float
        tau_int(W) = 1/2 + sum_{t=1}^{W} rho(t), in steps of the series.
    error : float
        Madras-Sokal standard error, ``tau * sqrt(2 (2W + 1) / n_total)``.
    window : int
        The summation window W chosen by Sokal's automatic windowing.
    """

    tau: float
    error: float
    window: int


def _checked_series(x) -> np.ndarray:
    arr = time_series("x", x, MIN_LENGTH)
    if np.all(arr.max(axis=1) == arr.min(axis=1)):
        raise ValueError("x is constant (zero variance): its autocorrelation and tau_int are undefined")
    return arr


def _autocorrelation(arr: np.ndarray) -> np.ndarray:
    """Normalised ACF of a validated (n_chains, n) array, averaged over chains."""
    n = arr.shape[1]
    centred = arr - arr.mean(axis=1, keepdims=True)
    size = 1 << int(2 * n - 1).bit_length()
    spectrum = np.fft.rfft(centred, n=size, axis=1)
    autocov = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=1)[:, :n].mean(axis=0) / n
    return autocov / autocov[0]


def autocorrelation(x) -> np.ndarray:
    """Normalised autocorrelation function rho(t), t = 0, ..., n-1, computed by FFT.

    Parameters
    ----------
    x : array_like, shape (n,) or (n_chains, n)
        One or several equally long chains of a real observable, finite values,
        n >= ``MIN_LENGTH``.

    Returns
    -------
    rho : float64 array, shape (n,)
        ``rho(t) = C(t) / C(0)`` with ``C(t) = (1/n) sum_i (x_i - xbar)(x_{i+t} - xbar)``
        (each chain centred on its own mean; the autocovariances of the chains
        are averaged before normalising).  ``rho(0) = 1``.

    Raises
    ------
    ValueError
        If the series is too short, contains NaN or inf, or is constant.
    """
    return _autocorrelation(_checked_series(x))


def integrated_autocorrelation_time(x, c: float = 5.0) -> AutocorrelationTime:
    """Integrated autocorrelation time by Sokal's automatic windowing.

    The window W is the smallest W >= 1 with ``W >= c * tau_int(W)``, searched
    over W < n/2 (n samples per chain: lags beyond half the series carry too
    little data).  For chains of shape (n_chains, n) the ACF is averaged over
    chains.

    Parameters
    ----------
    x : array_like, shape (n,) or (n_chains, n)
        Time series, finite, n >= ``MIN_LENGTH`` samples per chain.
    c : float, default 5.0
        Window constant, > 0.  Sokal recommends 4 to 10 for near-exponential ACFs.

    Returns
    -------
    AutocorrelationTime
        ``tau`` in steps of the series (0.5 for uncorrelated data), its
        Madras-Sokal ``error`` ``tau * sqrt(2 (2W + 1) / n_total)`` with
        ``n_total = n_chains * n``, and the ``window`` W.

    Raises
    ------
    ValueError
        If ``c`` <= 0, the series is too short, has NaN/inf, is constant, or no
        window W < n/2 satisfies the criterion (the series is too short
        compared with its correlation time; Sokal suggests n of order 1000 tau).

    Notes
    -----
    For anticorrelated series tau_int can be below 1/2, and the windowed
    estimate can even be <= 0 for strongly alternating series.
    """
    c = finite_real("c", c)
    if c <= 0:
        raise ValueError(f"c must be > 0, got {c}")
    arr = _checked_series(x)
    n_chains, n = arr.shape
    rho = _autocorrelation(arr)
    windows = np.arange(1, n // 2)
    tau = 0.5 + np.cumsum(rho[1 : n // 2])
    ok = np.flatnonzero(windows >= c * tau)
    if ok.size == 0:
        raise ValueError(
            f"x is too short to estimate tau_int: no window W < {n // 2} satisfies W >= c * tau_int(W) "
            f"(tau_int({windows[-1]}) = {tau[-1]:.4g}, c = {c}); use a series of at least about "
            f"{int(np.ceil(2 * c * tau[-1])) + 1} samples per chain, preferably 100 times more"
        )
    w = int(windows[ok[0]])
    t = float(tau[ok[0]])
    return AutocorrelationTime(tau=t, error=abs(t) * float(np.sqrt(2.0 * (2 * w + 1) / (n_chains * n))), window=w)


def effective_sample_size(x, c: float = 5.0) -> float:
    """Effective number of independent samples ``n_total / (2 tau_int)``.

    Parameters
    ----------
    x : array_like, shape (n,) or (n_chains, n)
        Time series (see :func:`integrated_autocorrelation_time`).
    c : float, default 5.0
        Window constant passed to :func:`integrated_autocorrelation_time`.

    Raises
    ------
    ValueError
        As :func:`integrated_autocorrelation_time`, and if the estimated
        tau_int is <= 0 (a strongly alternating series, for which the
        effective sample size is undefined).
    """
    result = integrated_autocorrelation_time(x, c)
    if result.tau <= 0:
        raise ValueError(
            f"the estimated tau_int of x is {result.tau:.4g} <= 0 (strongly anticorrelated series): "
            "the effective sample size is undefined; use blocking_error for the error of the mean"
        )
    return float(np.size(x) / (2.0 * result.tau))
