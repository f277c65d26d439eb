"""A softmax classifier read as an energy-based model (joint energy models, Grathwohl et al. 2020).

A multilayer perceptron with K linear outputs f(x) (the logits) defines both the
classifier p(y | x) = softmax(f(x))_y and the energy

    E(x) = -log sum_y exp f(x)[y],   p(x) = exp(-E(x)) / Z,

so p(x, y) = exp(f(x)[y]) / Z.  As a continuous model it is sampled like any other
(the gradient samplers only need E and dE/dx) and trained through ``grad_params``.
Kernels: :mod:`ebmphys.kernels.classifier_cpu` (the MLP kernels of
:mod:`ebmphys.kernels.mlp_cpu` with K outputs).

theta = [W_1, b_1, ..., W_L, b_L], W_l of shape (n_{l-1}, n_l) row-major.
"""

from __future__ import annotations

import numpy as np

from ebmphys.kernels import classifier_cpu, mlp_cpu
from ebmphys.kernels.rng import HOST_MLP_INIT, host_generator, resolve_seed
from ebmphys.models._validate import positive_int
from ebmphys.models.continuous import ContinuousModel, real_array


class SoftmaxMLP(ContinuousModel):
    """Softmax MLP classifier with the joint energy E(x) = -logsumexp f(x).

    Parameters
    ----------
    layer_sizes : sequence of int
        (n_0 = dim, n_1, ..., n_L = K): inputs, hidden widths, classes (K >= 2).
    activation : {"tanh", "softplus", "swish"}
    theta : array_like, optional
        All parameters; default: weights N(0, 1 / n_in), zero biases, from a host
        generator keyed by ``seed`` (as ``MLPEnergy``).
    seed : int, optional
    """

    def __init__(self, layer_sizes, activation: str = "tanh", theta=None, seed: int = 0):
        sizes = [positive_int(f"layer_sizes[{i}]", n) for i, n in enumerate(layer_sizes)]
        if len(sizes) < 2 or sizes[-1] < 2:
            raise ValueError(f"layer_sizes must be (dim, hidden..., n_classes) with n_classes >= 2, got "
                             f"{list(layer_sizes)}")
        if activation not in mlp_cpu.ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(mlp_cpu.ACTIVATIONS)}, got {activation!r}")
        self.layer_sizes = tuple(sizes)
        self.activation = activation
        self.dim = sizes[0]
        self.n_classes = sizes[-1]
        n_theta = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
        if theta is None:
            rng = host_generator(resolve_seed(seed), HOST_MLP_INIT)
            parts = []
            for a, b in zip(sizes[:-1], sizes[1:]):
                parts += [rng.normal(scale=1.0 / np.sqrt(a), size=a * b), np.zeros(b)]
            theta = np.concatenate(parts)
        self._theta = real_array("theta", theta, shape=(n_theta,))
        self._index = np.array([len(sizes) - 1, mlp_cpu.ACTIVATIONS[activation], *sizes], dtype=np.int64)
        self._energy = classifier_cpu.softmax_mlp_energy
        self._grad = classifier_cpu.softmax_mlp_grad
        self._grad_params = classifier_cpu.softmax_mlp_grad_params

    def logits(self, x) -> np.ndarray:
        """f(x) of every row, float64 (n, K)."""
        return classifier_cpu.softmax_mlp_logits(self._batch(x), self.params)

    def predict_proba(self, x) -> np.ndarray:
        """p(y | x) = softmax(f(x)), float64 (n, K)."""
        f = self.logits(x)
        f -= f.max(axis=1, keepdims=True)
        p = np.exp(f)
        return p / p.sum(axis=1, keepdims=True)

    def cross_entropy_gradient(self, x, labels) -> tuple[float, np.ndarray]:
        """Mean cross-entropy of integer ``labels`` in [0, K) and its gradient in theta (n_theta,)."""
        labels = np.ascontiguousarray(labels, dtype=np.int64)
        return classifier_cpu.cross_entropy_gradient(self._batch(x), labels, self.params)

    def __repr__(self) -> str:
        return f"SoftmaxMLP(layer_sizes={self.layer_sizes}, activation={self.activation!r})"
