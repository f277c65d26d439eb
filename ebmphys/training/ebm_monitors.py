"""Monitors of continuous-EBM training (log-likelihoods in nats per sample).

=======================  ======================================================================
name                     what it records
=======================  ======================================================================
``log_likelihood``       mean log p(x) = -E(x) - log Z over the monitor data, log Z exact:
                         closed forms (Gaussian, mixture, free phi^4), enumeration (GB-RBM with
                         n_hidden <= 20), 1-D quadrature (quartic), else, for dim <= 2,
                         trapezoidal quadrature on a grid (:func:`log_z_of`)
``ais_log_likelihood``   the same with log Z from forward AIS (any model), and its standard
                         error ``ais_log_likelihood_stderr`` (from the AIS weights; AIS
                         underestimates log Z on average, so the value tends to be high)
``energy_gap``           mean E(data) - (weighted) mean E(negative samples) of the last update
``ess``                  ESS / n_walkers of the Jarzynski weights (method "jarzynski")
``log_z_estimate``       the trainer's own estimate of log Z: Jarzynski's log Z_theta0 (exact) +
                         log Z_theta / Z_theta0 from the weights, or NCE's learned c
``log_z_ratio``          Jarzynski's estimate of log Z_theta / Z_theta0 alone (any model)
``mode_weights``         w_k / sum w of a ``GaussianMixture``, as ``mode_weight_0``, ``mode_weight_1``, ...
``parameters``           the trained entries of theta, as ``theta_<index>``
=======================  ======================================================================
"""

from __future__ import annotations

import numpy as np

from ebmphys.models.gaussian import Gaussian, GaussianMixture

EBM_MONITORS = ("log_likelihood", "ais_log_likelihood", "energy_gap", "ess", "log_z_estimate", "log_z_ratio",
                "mode_weights", "parameters")
#: points per axis of the quadrature grid of 1- and 2-D models without an exact log Z
GRID_POINTS = {1: 4001, 2: 401}
#: forward AIS settings of the "ais_log_likelihood" monitor
AIS_CHAINS = 100
AIS_STEPS = 500


def quadrature_axes(data_range: np.ndarray) -> list[np.ndarray]:
    """Grid axes covering the data's range (``data_range`` = [min, max] per coordinate, shape (2, dim))
    extended by its width (at least 1) on each side."""
    low, high = data_range
    width = np.maximum(high - low, 1.0)
    n = GRID_POINTS[low.shape[0]]
    return [np.linspace(a - w, b + w, n) for a, b, w in zip(low, high, width)]


def log_z_of(model, data_range: np.ndarray | None = None) -> tuple[float, str] | None:
    """(log Z, "exact" or "grid") for a model with a deterministic log Z, else None.

    ``data_range`` ([min, max] of the training data per coordinate) sets the
    quadrature grid of 1- and 2-D models without a closed form.
    """
    from ebmphys.partition.continuous_exact import continuous_log_z, grid_log_z

    try:
        return continuous_log_z(model), "exact"
    except ValueError:
        if model.dim <= 2 and data_range is not None:
            return grid_log_z(model, quadrature_axes(data_range)), "grid"
    return None


def quadrature_samples(model, data_range: np.ndarray, n: int, rng: np.random.Generator,
                       n_points: int = 20001) -> np.ndarray:
    """``n`` samples of a 1-D model by inverting its CDF, the trapezoidal integral of exp(-E) on a grid of
    ``n_points`` over :func:`quadrature_axes` (linear interpolation between grid points), float64 (n, 1)."""
    from scipy import integrate

    from ebmphys.partition.continuous_exact import grid_density

    if model.dim != 1:
        raise ValueError(f"quadrature samples need a 1-D model, got dim = {model.dim}")
    low, high = quadrature_axes(data_range)[0][[0, -1]]
    grid = np.linspace(low, high, n_points)
    density, _ = grid_density(model, [grid])
    cdf = integrate.cumulative_trapezoid(density, grid, initial=0.0)
    cdf /= cdf[-1]
    return np.interp(rng.random(n), cdf, grid)[:, None]


def ais_log_z(model, X: np.ndarray, seed: int) -> tuple[float, float]:
    """Forward AIS estimate of log Z (and its standard error) from a Gaussian base fitted to ``X``.

    The base is N(mean, diag(2 var)) of the data (variances floored at 1e-2), so it
    covers the data; HMC transitions with a pilot-tuned step size.
    """
    from ebmphys.partition.ais import ais

    base = Gaussian(X.mean(axis=0), np.maximum(2.0 * X.var(axis=0), 1e-2))
    result = ais(model, n_chains=AIS_CHAINS, n_steps=AIS_STEPS, base=base, seed=seed)
    return float(result.log_z), float(result.stderr)


def mode_weights(model) -> dict[str, float]:
    if not isinstance(model, GaussianMixture):
        raise ValueError(f"the 'mode_weights' monitor needs a GaussianMixture, got a {type(model).__name__}")
    return {f"mode_weight_{k}": float(w) for k, w in enumerate(model.mode_weights)}
