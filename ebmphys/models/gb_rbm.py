"""Gaussian-Bernoulli RBM: real visible units, binary hidden units (exact log Z by enumerating the hidden layer).

Energy (k_B = 1, beta = 1), visible v in R^nv, hidden h in {0, 1}^nh, widths sigma_i > 0:

    E(v, h) = sum_i (v_i - b_i)^2 / (2 sigma_i^2) - c.h - sum_ij (v_i / sigma_i) W_ij h_j.

As a continuous model its configurations are the visible rows and its energy is
the free energy F(v) = sum_i (v_i - b_i)^2 / (2 sigma_i^2) - sum_j softplus(c_j +
sum_i (v_i / sigma_i) W_ij), so p(v) = exp(-F(v)) / Z with the same Z as the joint.
Given h, v is Gaussian, N(b + sigma (W h), sigma^2), so p(v) is a mixture of 2^nh
Gaussians and log Z, moments and exact samples follow by enumerating h
(:mod:`ebmphys.partition.continuous_exact`).  Samplers: block Gibbs ("gibbs") and
every gradient sampler on F.

theta = [W (nv*nh, row-major), b (nv), c (nh), sigma (nv)]; dF/dtheta is provided
(:mod:`ebmphys.kernels.gb_rbm_cpu`).
"""

from __future__ import annotations

import numpy as np

from ebmphys.kernels import gb_rbm_cpu
from ebmphys.models._validate import positive_int
from ebmphys.models.continuous import ContinuousModel, real_array


class GaussianBernoulliRBM(ContinuousModel):
    """RBM with Gaussian visible and Bernoulli hidden units.

    Parameters
    ----------
    n_visible, n_hidden : int >= 1
    sigma : float or array_like (n_visible,), > 0
        Standard deviations of the visible units given h.
    W : array_like (n_visible, n_hidden), optional (zeros)
    b : array_like (n_visible,), optional (zeros)
        Visible means at h = 0.
    c : array_like (n_hidden,), optional (zeros)
        Hidden biases.
    """

    kind = "gb-rbm"

    def __init__(self, n_visible: int, n_hidden: int, sigma=1.0, W=None, b=None, c=None):
        nv = self.n_visible = positive_int("n_visible", n_visible)
        nh = self.n_hidden = positive_int("n_hidden", n_hidden)
        self.dim = nv
        W = real_array("W", np.zeros((nv, nh)) if W is None else W, shape=(nv, nh))
        b = real_array("b", np.zeros(nv) if b is None else b, shape=(nv,))
        c = real_array("c", np.zeros(nh) if c is None else c, shape=(nh,))
        sigma = real_array("sigma", sigma)
        sigma = np.broadcast_to(sigma, (nv,)) if sigma.ndim == 0 else sigma
        if sigma.shape != (nv,) or np.any(sigma <= 0):
            raise ValueError(f"sigma must be a number or an array of shape ({nv},), all > 0, got {sigma}")
        self._theta = np.ascontiguousarray(np.concatenate([W.ravel(), b, c, sigma]))
        self._index = np.array([nv, nh], dtype=np.int64)
        self._energy = gb_rbm_cpu.gb_rbm_free_energy
        self._grad = gb_rbm_cpu.gb_rbm_grad
        self._grad_params = gb_rbm_cpu.gb_rbm_grad_params

    def _check_theta(self, theta: np.ndarray) -> None:
        if np.any(theta[-self.n_visible:] <= 0):
            raise ValueError("sigma (the last n_visible entries of theta) must be > 0")

    @property
    def W(self) -> np.ndarray:
        return self._theta[: self.n_visible * self.n_hidden].reshape(self.n_visible, self.n_hidden).copy()

    @property
    def b(self) -> np.ndarray:
        start = self.n_visible * self.n_hidden
        return self._theta[start: start + self.n_visible].copy()

    @property
    def c(self) -> np.ndarray:
        start = self.n_visible * self.n_hidden + self.n_visible
        return self._theta[start: start + self.n_hidden].copy()

    @property
    def sigma(self) -> np.ndarray:
        return self._theta[-self.n_visible:].copy()

    def free_energy(self, v) -> np.ndarray:
        """F(v) of every visible row (the model's energy)."""
        return self.energy(v)

    def joint_energy(self, v, h) -> np.ndarray:
        """E(v, h) of every pair of rows (h in {0, 1})."""
        v = self._batch(v)
        h = np.asarray(h, dtype=np.float64).reshape(v.shape[0], self.n_hidden)
        s = self.sigma
        return (0.5 * (((v - self.b) / s) ** 2).sum(axis=1) - h @ self.c
                - np.einsum("ni,ij,nj->n", v / s, self.W, h))

    def __repr__(self) -> str:
        return f"GaussianBernoulliRBM(n_visible={self.n_visible}, n_hidden={self.n_hidden})"
