"""Loss gradients of energy-based models: MCMC maximum likelihood, denoising score matching, NCE.

Every function returns the gradient of a loss to *minimise* with respect to the
flat parameter vector theta of a continuous model (E_theta(x), p = exp(-E) / Z,
beta = 1), averaged over the rows it is given, and the loss (or a proxy) for the
record.  Parameter gradients come from the model's ``grad_params`` (dE/dtheta).

* Maximum likelihood (:func:`likelihood_gradient`): L = mean_data E + log Z, so
  dL/dtheta = mean_data dE/dtheta - sum_i w_i dE/dtheta(x_i) with negative samples x_i
  and normalised weights w_i.  With ``energy_l2`` = a > 0 it adds the regulariser of
  Du and Mordatch (2019), a (mean_data E^2 + sum_i w_i E(x_i)^2).
* Denoising score matching (:func:`score_matching_gradient`, Vincent 2011): with x~ =
  x + sigma eps, L = mean |grad_x E(x~) - eps / sigma|^2 / 2, whose minimiser matches
  -grad E to the score of the data density smoothed by N(0, sigma^2 I) (so it is
  biased by the smoothing, by O(sigma^2) in the moments).  Its gradient needs the
  mixed derivative d/dtheta (r.grad_x E) with r the residual, which is the
  directional derivative of dE/dtheta along r: computed as a central difference
  of ``grad_params`` at x~ +- tau r/|r| (tau = 1e-5 (1 + max|x~|)), relative error
  O(tau^2) plus rounding (about 1e-8 in practice), for every model that has
  ``grad_params``.
* Noise-contrastive estimation (:func:`nce_gradient`, Gutmann and Hyvarinen 2010):
  log p(x) = -E(x) - c with c a learned estimate of log Z, a Gaussian noise model
  p_n and nu noise samples per data row; G(x) = -E(x) - c - log nu - log p_n(x) and
  L = -mean_data log sigmoid(G) - nu mean_noise log(1 - sigmoid(G)).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, log_expit

#: relative finite-difference step of the score-matching mixed derivative
FD_STEP = 1e-5


def _weighted_mean(values: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    if weights is None:
        return values.mean(axis=0)
    return weights @ values


def likelihood_gradient(model, theta: np.ndarray, data: np.ndarray, negatives: np.ndarray,
                        weights: np.ndarray | None, energy_l2: float) -> tuple[np.ndarray, float]:
    """Gradient of mean_data E + log Z (negative phase: ``negatives`` with ``weights``); returns (grad, energy gap).

    The energy gap is mean_data E - sum_i w_i E(x_i).
    """
    params = (theta, model.params[1])
    gp = model.grad_params_function
    energy = model.energy_function
    g_data, g_neg = gp(data, params), gp(negatives, params)
    e_data, e_neg = energy(data, params), energy(negatives, params)
    grad = g_data.mean(axis=0) - _weighted_mean(g_neg, weights)
    if energy_l2 > 0:
        grad += energy_l2 * 2.0 * (_weighted_mean(e_data[:, None] * g_data, None)
                                   + _weighted_mean(e_neg[:, None] * g_neg, weights))
    gap = float(e_data.mean() - _weighted_mean(e_neg, weights))
    return grad, gap


def score_matching_gradient(model, theta: np.ndarray, data: np.ndarray, sigma: float,
                            eps: np.ndarray) -> tuple[np.ndarray, float]:
    """Gradient of the denoising score-matching loss at noise ``sigma`` with standard normals ``eps``; (grad, loss)."""
    params = (theta, model.params[1])
    noisy = np.ascontiguousarray(data + sigma * eps)
    residual = model.grad_function(noisy, params) - eps / sigma
    loss = 0.5 * float(np.einsum("ij,ij->i", residual, residual).mean())
    norm = np.sqrt(np.einsum("ij,ij->i", residual, residual))
    live = norm > 0
    tau = FD_STEP * (1.0 + np.abs(noisy).max(axis=1))
    direction = np.zeros_like(residual)
    direction[live] = residual[live] / norm[live, None]
    step = tau[:, None] * direction
    gp = model.grad_params_function
    mixed = (gp(np.ascontiguousarray(noisy + step), params) - gp(np.ascontiguousarray(noisy - step), params))
    mixed *= (norm / (2.0 * tau))[:, None]
    return mixed.mean(axis=0), loss


class GaussianNoise:
    """The NCE noise model N(mean, cov) fitted to the data, cov = scale^2 (data covariance + 1e-6 I)."""

    def __init__(self, X: np.ndarray, scale: float):
        self.mean = X.mean(axis=0)
        cov = np.atleast_2d(np.cov(X, rowvar=False)) + 1e-6 * np.eye(X.shape[1])
        self.chol = scale * np.linalg.cholesky(cov)
        self._whiten = np.linalg.inv(self.chol).T
        d = X.shape[1]
        self._log_norm = -0.5 * d * math.log(2.0 * math.pi) - float(np.log(np.diag(self.chol)).sum())

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.ascontiguousarray(self.mean + rng.standard_normal((n, self.mean.shape[0])) @ self.chol.T)

    def log_density(self, x: np.ndarray) -> np.ndarray:
        z = (x - self.mean) @ self._whiten
        return self._log_norm - 0.5 * (z * z).sum(axis=1)


def nce_gradient(model, theta: np.ndarray, log_z: float, data: np.ndarray, noise_rows: np.ndarray,
                 noise: GaussianNoise) -> tuple[np.ndarray, float, float]:
    """Gradient of the NCE loss in (theta, c = log Z); returns (grad theta, grad c, loss).

    ``noise_rows`` are nu * len(data) draws of ``noise``.
    """
    params = (theta, model.params[1])
    nu = noise_rows.shape[0] / data.shape[0]
    log_nu = math.log(nu)
    g_data = -model.energy_function(data, params) - log_z - log_nu - noise.log_density(data)
    g_noise = -model.energy_function(noise_rows, params) - log_z - log_nu - noise.log_density(noise_rows)
    loss = -float(log_expit(g_data).mean() + nu * log_expit(-g_noise).mean())
    a = 1.0 - expit(g_data)          # dL/dG_data = -(1 - sigmoid(G)), and dG/dtheta = -dE/dtheta
    b = expit(g_noise)                # dL/dG_noise = nu sigmoid(G) (per noise row, mean over them)
    gp = model.grad_params_function
    grad = (a[:, None] * gp(data, params)).mean(axis=0) - nu * (b[:, None] * gp(noise_rows, params)).mean(axis=0)
    grad_c = float(a.mean() - nu * b.mean())
    return grad, grad_c, loss
