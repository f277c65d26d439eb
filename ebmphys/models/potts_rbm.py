"""Potts-Bernoulli restricted Boltzmann machine: categorical visible units, binary hidden units.

Convention (k_B = 1, beta = 1): visible units v_i in {0, ..., q-1} (uint8), hidden
units h_j in {0, 1}, and

    E(v, h) = -sum_i b_i(v_i) - sum_j c_j h_j - sum_{i,j} W_ij(v_i) h_j,

with weights ``W`` of shape (n_visible, q, n_hidden), visible biases ``b`` of shape
(n_visible, q) and hidden biases ``c`` of shape (n_hidden,).  With one-hot visible
vectors this is a binary RBM whose visible units come in groups of q with exactly
one active unit per group (the categorical RBM of Salakhutdinov, Mnih and Hinton
2007; the Potts RBM of protein-sequence models, Tubiana, Cocco and Monasson 2019).

Summing out the hidden layer,

    F(v) = -sum_i b_i(v_i) - sum_j softplus(c_j + sum_i W_ij(v_i)),   p(v) = exp(-F(v)) / Z,

and the layers are conditionally independent:
p(h_j = 1 | v) = sigmoid(c_j + sum_i W_ij(v_i)),
p(v_i = a | h) = softmax_a(b_i(a) + sum_j W_ij(a) h_j).

Gauge: adding a constant to b_i(.) or u_ij to W_ij(.) (with c_j -= sum_i u_ij) leaves
p(v) unchanged; the parameters are stored as given (the trainer starts in the
zero-sum gauge of the data's log-marginals).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logsumexp

from ebmphys.models._validate import positive_int
from ebmphys.models.potts import check_q, potts_states
from ebmphys.models.rbm import _parameter, binary_units, softplus


class PottsBernoulliRBM:
    """RBM with q-state visible units and binary hidden units (module docstring).

    Parameters
    ----------
    n_visible : int >= 1
    q : int in [2, 254]
        States per visible unit.
    n_hidden : int >= 1
    W : array_like (n_visible, q, n_hidden), optional (zeros)
    b : array_like (n_visible, q), optional (zeros)
    c : array_like (n_hidden,), optional (zeros)
    """

    #: registry key of the model family (:mod:`ebmphys.sampling.registry`)
    kind = "potts-rbm"

    def __init__(self, n_visible: int, q: int, n_hidden: int, W=None, b=None, c=None):
        self.n_visible = positive_int("n_visible", n_visible)
        self.q = check_q(q)
        self.n_hidden = positive_int("n_hidden", n_hidden)
        nv, nh = self.n_visible, self.n_hidden
        self.W = _parameter("W", np.zeros((nv, self.q, nh)) if W is None else W, (nv, self.q, nh))
        self.b = _parameter("b", np.zeros((nv, self.q)) if b is None else b, (nv, self.q))
        self.c = _parameter("c", np.zeros(nh) if c is None else c, (nh,))

    def __repr__(self) -> str:
        return f"PottsBernoulliRBM(n_visible={self.n_visible}, q={self.q}, n_hidden={self.n_hidden})"

    def copy(self) -> PottsBernoulliRBM:
        """An independent copy of the model."""
        return PottsBernoulliRBM(self.n_visible, self.q, self.n_hidden, self.W, self.b, self.c)

    def check_visible(self, v, name: str = "v") -> np.ndarray:
        """Validate visible configurations (integers in 0..q-1); return uint8 array (batch, n_visible)."""
        arr = np.asarray(v)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2:
            raise ValueError(f"{name} must have shape (n_samples, {self.n_visible}), got {np.shape(v)}")
        return potts_states(name, arr, self.q, self.n_visible, (self.n_visible,))

    def check_hidden(self, h, name: str = "h") -> np.ndarray:
        """Validate hidden configurations; return uint8 array (batch, n_hidden)."""
        return binary_units(name, h, self.n_hidden)

    def _picked(self, v: np.ndarray) -> np.ndarray:
        """sum_i W_ij(v_i) for each row: (batch, n_hidden)."""
        return self.W[np.arange(self.n_visible), v.astype(np.int64)].sum(axis=1)

    def _bias(self, v: np.ndarray) -> np.ndarray:
        return self.b[np.arange(self.n_visible), v.astype(np.int64)].sum(axis=1)

    def energy(self, v, h) -> np.ndarray:
        """E(v, h) for each pair of rows, shape (batch,)."""
        v = self.check_visible(v)
        hf = self.check_hidden(h).astype(np.float64)
        if v.shape[0] != hf.shape[0]:
            raise ValueError(f"v and h must have the same number of rows, got {v.shape[0]} and {hf.shape[0]}")
        return -self._bias(v) - hf @ self.c - np.einsum("bj,bj->b", self._picked(v), hf)

    def hidden_input(self, v) -> np.ndarray:
        """c_j + sum_i W_ij(v_i), shape (batch, n_hidden)."""
        return self.c + self._picked(self.check_visible(v))

    def free_energy(self, v) -> np.ndarray:
        """F(v) = -sum_i b_i(v_i) - sum_j softplus(c_j + sum_i W_ij(v_i)), shape (batch,)."""
        v = self.check_visible(v)
        return -self._bias(v) - softplus(self.c + self._picked(v)).sum(axis=1)

    def hidden_probabilities(self, v) -> np.ndarray:
        """p(h_j = 1 | v), shape (batch, n_hidden)."""
        return expit(self.hidden_input(v))

    def visible_input(self, h) -> np.ndarray:
        """b_i(a) + sum_j W_ij(a) h_j, shape (batch, n_visible, q)."""
        return self.b + np.einsum("iaj,bj->bia", self.W, self.check_hidden(h).astype(np.float64))

    def visible_probabilities(self, h) -> np.ndarray:
        """p(v_i = a | h), shape (batch, n_visible, q) (each row of q sums to 1)."""
        x = self.visible_input(h)
        return np.exp(x - logsumexp(x, axis=2, keepdims=True))
