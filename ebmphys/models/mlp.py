"""A small multilayer-perceptron energy, the building block of continuous EBM training.

E(x) = MLP(x) + (alpha / 2) |x|^2: hidden layers with a smooth activation (tanh,
softplus or swish), a linear scalar output, and an optional confinement alpha
>= 0 that makes exp(-E) normalisable whatever the weights (an MLP with bounded
activations grows at most linearly).  Gradients in the inputs and in every
parameter are analytic (back-propagation in Numba, :mod:`ebmphys.kernels.mlp_cpu`).

theta = [W_1, b_1, ..., W_L, b_L, alpha] with W_l of shape (n_{l-1}, n_l) row-major.
"""

from __future__ import annotations

import numpy as np

from ebmphys.kernels import mlp_cpu
from ebmphys.kernels.rng import HOST_MLP_INIT, host_generator, resolve_seed
from ebmphys.models._validate import finite_real, positive_int
from ebmphys.models.continuous import ContinuousModel, real_array


class MLPEnergy(ContinuousModel):
    """Energy given by a multilayer perceptron.

    Parameters
    ----------
    layer_sizes : sequence of int
        (n_0 = dim, n_1, ..., n_L = 1): input dimension, hidden widths, one output.
    activation : {"tanh", "softplus", "swish"}
        Activation of the hidden layers.
    quadratic : float >= 0
        alpha of the confinement term alpha |x|^2 / 2 (with ``theta``: its last entry, so
        leave ``quadratic`` at 0 or give the same value).
    theta : array_like, optional
        All parameters (layout in the module docstring); default: weights
        N(0, 1 / n_in) and zero biases from a host generator keyed by ``seed``.
    seed : int, optional
        Seed of the default initial weights.
    """

    def __init__(self, layer_sizes, activation: str = "tanh", quadratic: float = 0.0, theta=None, seed: int = 0):
        sizes = [positive_int(f"layer_sizes[{i}]", n) for i, n in enumerate(layer_sizes)]
        if len(sizes) < 2 or sizes[-1] != 1:
            raise ValueError(f"layer_sizes must be (dim, hidden..., 1) with at least an input and the single "
                             f"output, got {list(layer_sizes)}")
        if activation not in mlp_cpu.ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(mlp_cpu.ACTIVATIONS)}, got {activation!r}")
        alpha = finite_real("quadratic", quadratic)
        if alpha < 0:
            raise ValueError(f"quadratic must be >= 0, got {alpha}")
        self.layer_sizes = tuple(sizes)
        self.activation = activation
        self.dim = sizes[0]
        n_theta = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])) + 1
        if theta is None:
            rng = host_generator(resolve_seed(seed), HOST_MLP_INIT)
            parts = []
            for a, b in zip(sizes[:-1], sizes[1:]):
                parts += [rng.normal(scale=1.0 / np.sqrt(a), size=a * b), np.zeros(b)]
            theta = np.concatenate(parts + [[alpha]])
        else:
            theta = real_array("theta", theta, shape=(n_theta,))
            if alpha not in (0.0, theta[-1]):
                raise ValueError(f"quadratic = {alpha} differs from the last entry of theta ({theta[-1]}), which is "
                                 f"the confinement alpha; give one of them")
            self._check_theta(theta)
        self._theta = np.ascontiguousarray(theta)
        self._index = np.array([len(sizes) - 1, mlp_cpu.ACTIVATIONS[activation], *sizes], dtype=np.int64)
        self._energy = mlp_cpu.mlp_energy
        self._grad = mlp_cpu.mlp_grad
        self._grad_params = mlp_cpu.mlp_grad_params

    def _check_theta(self, theta: np.ndarray) -> None:
        if theta[-1] < 0:
            raise ValueError(f"the confinement alpha (last entry of theta) must be >= 0, got {theta[-1]}")

    @property
    def quadratic(self) -> float:
        return float(self._theta[-1])

    def __repr__(self) -> str:
        return f"MLPEnergy(layer_sizes={self.layer_sizes}, activation={self.activation!r}, quadratic={self.quadratic})"
