"""Exact results for the continuous models: log Z, moments, propagators, exact samples, densities.

Conventions: k_B = 1, p(x) = exp(-beta E(x)) / Z(beta), natural logarithms.

* ``Gaussian``: log Z = (d/2) log(2 pi / beta) - (1/2) log det P, mean, cov / beta.
* ``GaussianMixture`` (beta = 1): Z = sum_k w_k; mean and covariance of the mixture.
* ``QuarticPotential`` / ``DoubleWell``: independent coordinates, so log Z = d log z_1
  and the moments are 1-D integrals, computed by adaptive quadrature (scipy).
* ``Phi4Lattice`` at lam = 0 (free field): S = phi.A.phi with A = 1 - kappa Adj, so
  log Z = (N/2) log(pi / beta) - (1/2) sum_k log(1 - 2 kappa sum_mu cos k_mu) (periodic:
  lattice momenta k_mu = 2 pi n_mu / L_mu) and <phi_x phi_y> = (2 beta A)^-1_xy =
  (1 / (2 beta N)) sum_k e^{i k (x - y)} / (1 - 2 kappa sum_mu cos k_mu); open
  boundaries use the dense matrix A.
* ``GaussianBernoulliRBM`` (beta = 1): p(v) = sum_h pi_h N(v; b + sigma W h, sigma^2) with
  log pi_h = c.h + (b / sigma).W h + |W h|^2 / 2 - log Z', and
  log Z = log Z' + sum_i log sigma_i + (n_visible / 2) log 2 pi, by enumerating the
  2^n_hidden hidden states (n_hidden <= 20).
* Any model of dimension 1 or 2: log Z and moments by quadrature on a grid
  (:func:`grid_log_z`, :func:`grid_density`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

from ebmphys.models._validate import finite_real, positive_int
from ebmphys.models.continuous import ContinuousModel
from ebmphys.models.gaussian import Gaussian, GaussianMixture
from ebmphys.models.gb_rbm import GaussianBernoulliRBM
from ebmphys.models.phi4 import Phi4Lattice
from ebmphys.models.quartic import QuarticPotential

#: largest hidden layer enumerated for a Gaussian-Bernoulli RBM
MAX_GB_RBM_HIDDEN = 20
_CHUNK = 2**14


def _beta(beta) -> float:
    beta = finite_real("beta", beta)
    if beta <= 0:
        raise ValueError(f"beta must be finite and > 0, got {beta}")
    return beta


def _beta_one(model, beta: float) -> None:
    if beta != 1.0:
        raise ValueError(f"exact results for a {type(model).__name__} are known at beta = 1 only, got beta={beta}")


# ---------------------------------------------------------------------------- phi^4 free field


def _free_field(model: Phi4Lattice) -> None:
    if model.lam != 0.0:
        raise ValueError(f"exact phi^4 results need the free field lam = 0, got lam={model.lam}")


def _momentum_eigenvalues(shape: tuple, kappa: float) -> np.ndarray:
    """1 - 2 kappa sum_mu cos k_mu on the grid of periodic lattice momenta, shape ``shape``."""
    grids = np.meshgrid(*[2.0 * np.pi * np.arange(L) / L for L in shape], indexing="ij")
    return 1.0 - 2.0 * kappa * sum(np.cos(k) for k in grids)


def _free_matrix(model: Phi4Lattice) -> np.ndarray:
    """A = 1 - kappa Adj (dense), with S = phi.A.phi."""
    n = model.dim
    a = np.eye(n)
    nbr = model.neighbors
    for col in range(nbr.shape[1]):
        ok = nbr[:, col] < n
        np.add.at(a, (np.flatnonzero(ok), nbr[ok, col]), -model.kappa)
    return a


def phi4_free_log_z(model: Phi4Lattice, beta: float = 1.0) -> float:
    """log Z of the free field (lam = 0): lattice Fourier sum (periodic) or dense determinant (open)."""
    _free_field(model)
    beta = _beta(beta)
    half = 0.5 * model.dim * math.log(math.pi / beta)
    if model.periodic:
        return float(half - 0.5 * np.log(_momentum_eigenvalues(model.shape, model.kappa)).sum())
    logdet = np.linalg.slogdet(_free_matrix(model))[1]
    return float(half - 0.5 * logdet)


def phi4_free_propagator(model: Phi4Lattice, beta: float = 1.0) -> np.ndarray:
    """<phi_0 phi_r> of the periodic free field as a function of the displacement r, shape ``model.shape``.

    By translation invariance <phi_x phi_y> = G[(y - x) mod L].
    """
    _free_field(model)
    beta = _beta(beta)
    if not model.periodic:
        raise ValueError("the propagator as a function of the displacement needs periodic boundaries; use "
                         "exact_moments(model) for the covariance matrix of an open lattice")
    return np.real(np.fft.ifftn(1.0 / _momentum_eigenvalues(model.shape, model.kappa))) / (2.0 * beta)


def _phi4_cov(model: Phi4Lattice, beta: float) -> np.ndarray:
    _free_field(model)
    return np.linalg.inv(2.0 * beta * _free_matrix(model))


# ---------------------------------------------------------------------------- GB-RBM


def gb_rbm_hidden_log_weights(model: GaussianBernoulliRBM) -> tuple[np.ndarray, np.ndarray]:
    """All hidden states h (float64 (2^nh, nh), unit 0 the most significant bit) and log pi_h (normalised)."""
    nh = model.n_hidden
    if nh > MAX_GB_RBM_HIDDEN:
        raise ValueError(f"exact Gaussian-Bernoulli RBM results enumerate 2**n_hidden hidden states; n_hidden="
                         f"{nh} exceeds {MAX_GB_RBM_HIDDEN}")
    k = np.arange(2**nh, dtype=np.int64)
    h = ((k[:, None] >> np.arange(nh - 1, -1, -1)) & 1).astype(np.float64)
    log_w = np.empty(2**nh)
    shift = model.b / model.sigma
    for start in range(0, 2**nh, _CHUNK):
        wh = h[start:start + _CHUNK] @ model.W.T
        log_w[start:start + _CHUNK] = h[start:start + _CHUNK] @ model.c + wh @ shift + 0.5 * (wh * wh).sum(axis=1)
    return h, log_w


def _gb_rbm_log_z(model: GaussianBernoulliRBM) -> float:
    _, log_w = gb_rbm_hidden_log_weights(model)
    return float(logsumexp(log_w) + np.log(model.sigma).sum() + 0.5 * model.n_visible * math.log(2.0 * math.pi))


def _gb_rbm_moments(model: GaussianBernoulliRBM) -> tuple[np.ndarray, np.ndarray]:
    h, log_w = gb_rbm_hidden_log_weights(model)
    p = np.exp(log_w - logsumexp(log_w))
    means = model.b + model.sigma * (h @ model.W.T)
    mean = p @ means
    centred = means - mean
    cov = (centred * p[:, None]).T @ centred + np.diag(model.sigma**2)
    return mean, cov


# ---------------------------------------------------------------------------- quartic


def _quartic_1d(c: np.ndarray, beta: float, powers=(0, 1, 2)) -> np.ndarray:
    """int x^p exp(-beta e(x) + beta e_min) dx for each p (e the 1-D quartic), by adaptive quadrature."""
    from scipy import integrate  # imported on use: scipy.integrate is slow to import

    poly = np.polynomial.Polynomial(c)
    roots = poly.deriv().roots()
    stationary = np.real(roots[np.abs(np.imag(roots)) < 1e-9])
    e_min = min(poly(s) for s in stationary) if stationary.size else 0.0
    # integrate where beta (e - e_min) < 60, found by stepping out from the minima
    centre = stationary[np.argmin([poly(s) for s in stationary])] if stationary.size else 0.0
    lo, hi = centre - 1.0, centre + 1.0
    while beta * (poly(lo) - e_min) < 60:
        lo -= 1.0 + abs(lo)
    while beta * (poly(hi) - e_min) < 60:
        hi += 1.0 + abs(hi)
    points = sorted(float(s) for s in stationary if lo < s < hi)
    out = []
    for p in powers:
        value, _ = integrate.quad(lambda v, p=p: v**p * math.exp(-beta * (poly(v) - e_min)), lo, hi,
                                  points=points or None, limit=400, epsabs=0.0, epsrel=1e-12)
        out.append(value)
    return np.array(out), e_min


def quartic_moments_1d(model: QuarticPotential, beta: float = 1.0, powers=(1, 2)) -> np.ndarray:
    """<x_i^p> of one coordinate of a quartic potential for each p in ``powers`` (adaptive quadrature)."""
    beta = _beta(beta)
    values, _ = _quartic_1d(model.coefficients, beta, (0,) + tuple(powers))
    return values[1:] / values[0]


def _quartic_log_z(model: QuarticPotential, beta: float) -> float:
    values, e_min = _quartic_1d(model.coefficients, beta, (0,))
    return model.dim * (math.log(values[0]) - beta * e_min)


# ---------------------------------------------------------------------------- dispatch


def continuous_log_z(model: ContinuousModel, beta: float = 1.0) -> float:
    """Exact log Z(beta) = log int exp(-beta E(x)) dx of a model with a known answer (see the module docstring).

    Raises
    ------
    ValueError
        For a model or beta without an exact result (e.g. phi^4 with lam > 0; a
        mixture or a GB-RBM at beta != 1; other models: use :func:`grid_log_z` in 1-2 D).
    """
    beta = _beta(beta)
    if isinstance(model, Gaussian):
        logdet = np.linalg.slogdet(model.precision)[1]
        return float(0.5 * model.dim * math.log(2.0 * math.pi / beta) - 0.5 * logdet)
    if isinstance(model, GaussianMixture):
        _beta_one(model, beta)
        return float(logsumexp(model._theta[: model.n_modes]))
    if isinstance(model, QuarticPotential):
        return _quartic_log_z(model, beta)
    if isinstance(model, Phi4Lattice):
        return phi4_free_log_z(model, beta)
    if isinstance(model, GaussianBernoulliRBM):
        _beta_one(model, beta)
        return _gb_rbm_log_z(model)
    raise ValueError(f"no exact log Z for a {type(model).__name__}; for dim <= 2 use grid_log_z")


def exact_moments(model: ContinuousModel, beta: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean (dim,) and covariance (dim, dim) of x under exp(-beta E) / Z (models of the module docstring)."""
    beta = _beta(beta)
    if isinstance(model, Gaussian):
        return model.mean, model.cov / beta
    if isinstance(model, GaussianMixture):
        _beta_one(model, beta)
        w = model.mode_weights
        mean = w @ model.means
        centred = model.means - mean
        cov = np.einsum("k,kij->ij", w, model.covs) + (centred * w[:, None]).T @ centred
        return mean, cov
    if isinstance(model, QuarticPotential):
        m1, m2 = quartic_moments_1d(model, beta, (1, 2))
        return np.full(model.dim, m1), np.eye(model.dim) * (m2 - m1 * m1)
    if isinstance(model, Phi4Lattice):
        return np.zeros(model.dim), _phi4_cov(model, beta)
    if isinstance(model, GaussianBernoulliRBM):
        _beta_one(model, beta)
        return _gb_rbm_moments(model)
    raise ValueError(f"no exact moments for a {type(model).__name__}; for dim <= 2 use grid_density")


def exact_samples(model: ContinuousModel, n: int, rng: np.random.Generator, beta: float = 1.0) -> np.ndarray:
    """``n`` independent exact samples (float64 (n, dim)) of a Gaussian, a Gaussian mixture, a GB-RBM or a free field.

    ``rng`` is a host generator (:func:`ebmphys.kernels.rng.host_generator`).
    """
    n = positive_int("n", n)
    beta = _beta(beta)
    if isinstance(model, (Gaussian, Phi4Lattice)):
        mean, cov = exact_moments(model, beta)
        return mean + rng.standard_normal((n, model.dim)) @ np.linalg.cholesky(cov).T
    if isinstance(model, GaussianMixture):
        _beta_one(model, beta)
        k = rng.choice(model.n_modes, size=n, p=model.mode_weights)
        chol = np.linalg.cholesky(model.covs)
        z = rng.standard_normal((n, model.dim))
        return model.means[k] + np.einsum("nij,nj->ni", chol[k], z)
    if isinstance(model, GaussianBernoulliRBM):
        _beta_one(model, beta)
        h, log_w = gb_rbm_hidden_log_weights(model)
        p = np.exp(log_w - logsumexp(log_w))
        picked = h[rng.choice(p.shape[0], size=n, p=p / p.sum())]
        return model.b + model.sigma * (picked @ model.W.T + rng.standard_normal((n, model.dim)))
    raise ValueError(f"no exact sampler for a {type(model).__name__}")


# ---------------------------------------------------------------------------- grids (1-2 D, any model)


def grid_density(model: ContinuousModel, axes, beta: float = 1.0) -> tuple[np.ndarray, float]:
    """Normalised density exp(-beta E) / Z on the tensor grid ``axes`` (one or two 1-D arrays of points).

    Z is the trapezoidal integral over the grid, so the grid must hold the mass
    (the result is exact up to the quadrature error).  Returns (density of shape
    (len(axes[0]), len(axes[1])) or (len(axes[0]),), log Z).
    """
    from scipy import integrate

    beta = _beta(beta)
    axes = [np.asarray(a, dtype=np.float64) for a in axes]
    if len(axes) != model.dim or model.dim > 2:
        raise ValueError(f"grid_density needs one axis per dimension of a 1- or 2-D model (dim = {model.dim}), "
                         f"got {len(axes)} axes")
    mesh = np.meshgrid(*axes, indexing="ij")
    points = np.stack([m.ravel() for m in mesh], axis=1)
    log_f = (-beta * model.energy(points)).reshape(mesh[0].shape)
    top = log_f.max()
    f = np.exp(log_f - top)
    integral = f
    for axis, a in reversed(list(enumerate(axes))):
        integral = integrate.trapezoid(integral, a, axis=axis)
    return f / integral, float(top + math.log(integral))


def grid_log_z(model: ContinuousModel, axes, beta: float = 1.0) -> float:
    """log Z by trapezoidal quadrature on the tensor grid ``axes`` (1- or 2-D models)."""
    return grid_density(model, axes, beta)[1]
