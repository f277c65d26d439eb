"""Gaussian and Gaussian-mixture energies (exact references: :mod:`ebmphys.partition.continuous_exact`).

* ``Gaussian(mean, cov)``: E(x) = (x - mean).P.(x - mean) / 2 with P = cov^-1, so at
  beta = 1 the density is N(mean, cov) and log Z = (d/2) log 2 pi + (1/2) log det cov.
* ``GaussianMixture(weights, means, covs)``: E(x) = -log sum_k w_k N(x; mean_k, cov_k)
  with weights w_k > 0 not necessarily summing to one, so Z = sum_k w_k and mode k
  carries probability w_k / Z.

Parameter vectors ``theta`` (layouts in :mod:`ebmphys.kernels.energies`) are what
training differentiates: the Gaussian's mean and precision entries, the mixture's
log weights, means and the lower Cholesky factors L_k of the precisions (P_k = L_k L_k^T).
"""

from __future__ import annotations

import numpy as np

from ebmphys.kernels import energies
from ebmphys.models.continuous import ContinuousModel, real_array


def _positive_definite(name: str, matrix: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of a symmetric positive-definite ``matrix`` (ValueError naming ``name`` otherwise)."""
    if not np.allclose(matrix, matrix.T, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(matrix).max())):
        raise ValueError(f"{name} must be symmetric")
    try:
        return np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite (all eigenvalues > 0), smallest eigenvalue "
                         f"{np.linalg.eigvalsh(matrix).min():.3g}") from None


class Gaussian(ContinuousModel):
    """Multivariate normal energy E(x) = (x - mean).P.(x - mean) / 2, P = cov^-1.

    Parameters
    ----------
    mean : array_like (d,)
    cov : array_like (d, d), symmetric positive definite; a scalar or (d,) vector
        gives a multiple of the identity or a diagonal covariance.

    theta = [mean (d), P (d*d, row-major)].
    """

    def __init__(self, mean, cov=1.0):
        mean = real_array("mean", mean, ndim=1)
        if mean.shape[0] == 0:
            raise ValueError("mean must have at least one entry")
        self.dim = d = mean.shape[0]
        cov = real_array("cov", cov)
        if cov.ndim == 0:
            cov = cov * np.eye(d)
        elif cov.ndim == 1:
            if cov.shape != (d,):
                raise ValueError(f"cov given as a diagonal must have shape ({d},), got {cov.shape}")
            cov = np.diag(cov)
        if cov.shape != (d, d):
            raise ValueError(f"cov must have shape ({d}, {d}) to match mean, got {cov.shape}")
        _positive_definite("cov", cov)
        precision = np.linalg.inv(cov)
        precision = 0.5 * (precision + precision.T)
        self._theta = np.ascontiguousarray(np.concatenate([mean, precision.ravel()]))
        self._index = np.array([d], dtype=np.int64)
        self._energy = energies.gaussian_energy
        self._grad = energies.gaussian_grad
        self._grad_params = energies.gaussian_grad_params

    def _check_theta(self, theta: np.ndarray) -> None:
        _positive_definite("the precision (theta[d:])", theta[self.dim:].reshape(self.dim, self.dim))

    @property
    def mean(self) -> np.ndarray:
        return self._theta[: self.dim].copy()

    @property
    def precision(self) -> np.ndarray:
        return self._theta[self.dim:].reshape(self.dim, self.dim).copy()

    @property
    def cov(self) -> np.ndarray:
        return np.linalg.inv(self.precision)

    def __repr__(self) -> str:
        return f"Gaussian(dim={self.dim})"


class GaussianMixture(ContinuousModel):
    """Mixture energy E(x) = -log sum_k w_k N(x; mean_k, cov_k), so Z = sum_k w_k.

    Parameters
    ----------
    weights : array_like (K,), > 0
        Mode weights (need not sum to one; mode k has probability w_k / sum w).
    means : array_like (K, d)
    covs : array_like, optional
        (K, d, d) covariances (symmetric positive definite), or one (d, d) matrix,
        a scalar or (K,) scalars shared by the coordinates; default identity.

    theta = [log w (K), means (K*d), L (K*d*d)] with L_k the lower Cholesky factor of cov_k^-1.
    """

    def __init__(self, weights, means, covs=1.0):
        weights = real_array("weights", weights, ndim=1)
        if weights.shape[0] == 0 or np.any(weights <= 0):
            raise ValueError(f"weights must be a non-empty array of values > 0, got {weights}")
        means = real_array("means", means, ndim=2)
        n_modes, d = means.shape
        if n_modes != weights.shape[0] or d == 0:
            raise ValueError(f"means must have shape (K, d) with K = {weights.shape[0]} modes (one per weight) and "
                             f"d >= 1, got {means.shape}")
        covs = real_array("covs", covs)
        if covs.ndim == 0:
            covs = np.broadcast_to(covs * np.eye(d), (n_modes, d, d))
        elif covs.ndim == 1 and covs.shape == (n_modes,):
            covs = covs[:, None, None] * np.eye(d)
        elif covs.shape == (d, d):
            covs = np.broadcast_to(covs, (n_modes, d, d))
        if covs.shape != (n_modes, d, d):
            raise ValueError(f"covs must have shape ({n_modes}, {d}, {d}) (or (d, d), (K,), scalar), got {covs.shape}")
        chol = np.empty((n_modes, d, d))
        for k in range(n_modes):
            _positive_definite(f"covs[{k}]", covs[k])
            precision = np.linalg.inv(covs[k])
            chol[k] = np.linalg.cholesky(0.5 * (precision + precision.T))
        self.dim = d
        self.n_modes = n_modes
        self._theta = np.ascontiguousarray(np.concatenate([np.log(weights), means.ravel(), chol.ravel()]))
        self._index = np.array([n_modes, d], dtype=np.int64)
        self._energy = energies.mixture_energy
        self._grad = energies.mixture_grad
        self._grad_params = energies.mixture_grad_params

    def _check_theta(self, theta: np.ndarray) -> None:
        diag = self._chol(theta)[:, np.arange(self.dim), np.arange(self.dim)]
        if np.any(diag <= 0):
            raise ValueError("the Cholesky factors of the precisions in theta must have a positive diagonal")

    def _chol(self, theta=None) -> np.ndarray:
        theta = self._theta if theta is None else theta
        k, d = self.n_modes, self.dim
        return np.tril(theta[k + k * d:].reshape(k, d, d))

    @property
    def weights(self) -> np.ndarray:
        """w_k (unnormalised)."""
        return np.exp(self._theta[: self.n_modes])

    @property
    def mode_weights(self) -> np.ndarray:
        """w_k / sum w: the probability of each mode."""
        w = self.weights
        return w / w.sum()

    @property
    def means(self) -> np.ndarray:
        k, d = self.n_modes, self.dim
        return self._theta[k: k + k * d].reshape(k, d).copy()

    @property
    def covs(self) -> np.ndarray:
        L = self._chol()
        return np.linalg.inv(L @ np.transpose(L, (0, 2, 1)))

    def __repr__(self) -> str:
        return f"GaussianMixture(n_modes={self.n_modes}, dim={self.dim})"
