"""Binary restricted Boltzmann machine: energy, free energy and conditionals.

Convention (k_B = 1, beta = 1): visible units v_i and hidden units h_j in {0, 1},

    E(v, h) = -b.v - c.h - v.W.h,

with weights ``W`` of shape (n_visible, n_hidden), visible bias ``b`` and hidden
bias ``c``, all float64.  Summing out the hidden layer gives the free energy

    F(v) = -b.v - sum_j softplus(c_j + (v.W)_j),    p(v) = exp(-F(v)) / Z,

and the layers are conditionally independent:
``p(h_j = 1 | v) = sigmoid(c_j + (v.W)_j)``, ``p(v_i = 1 | h) = sigmoid(b_i + (W.h)_i)``.
Energies and free energies are totals over the units, in nats.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ebmphys.models._validate import positive_int


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(x)), computed without overflow for large |x|."""
    return np.logaddexp(0.0, x)


def binary_units(name: str, x, width: int) -> np.ndarray:
    """Validate a batch of binary unit configurations; return uint8 array (batch, width).

    ``x`` may be any real or boolean array of shape (width,) or (batch, width) whose
    entries are exactly 0 or 1.
    """
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array of 0s and 1s, got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != width:
        raise ValueError(f"{name} must have shape (n_samples, {width}) (one column per unit), got {np.shape(x)}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values; units must be 0 or 1")
    if arr.size and not np.all((arr == 0) | (arr == 1)):
        bad = arr[(arr != 0) & (arr != 1)].ravel()[0]
        raise ValueError(f"{name} must be binary (entries 0 or 1), found the value {bad!r}")
    return np.ascontiguousarray(arr, dtype=np.uint8)


def _parameter(name: str, value, shape: tuple) -> np.ndarray:
    arr = np.array(value, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return np.ascontiguousarray(arr)


class RBM:
    """Binary RBM with energy E(v, h) = -b.v - c.h - v.W.h (units in {0, 1}).

    Parameters
    ----------
    n_visible, n_hidden : int, >= 1
        Numbers of visible and hidden units.
    W : array_like (n_visible, n_hidden), optional
        Weights; zeros when omitted.
    b : array_like (n_visible,), optional
        Visible bias; zeros when omitted.
    c : array_like (n_hidden,), optional
        Hidden bias; zeros when omitted.

    All parameters are stored as contiguous float64 arrays and copied on input.
    """

    #: registry key of the model family (:mod:`ebmphys.sampling.registry`)
    kind = "rbm"

    def __init__(self, n_visible: int, n_hidden: int, W=None, b=None, c=None):
        self.n_visible = positive_int("n_visible", n_visible)
        self.n_hidden = positive_int("n_hidden", n_hidden)
        nv, nh = self.n_visible, self.n_hidden
        self.W = _parameter("W", np.zeros((nv, nh)) if W is None else W, (nv, nh))
        self.b = _parameter("b", np.zeros(nv) if b is None else b, (nv,))
        self.c = _parameter("c", np.zeros(nh) if c is None else c, (nh,))
        with np.errstate(over="ignore"):
            bound = np.abs(self.W).sum() + np.abs(self.b).sum() + np.abs(self.c).sum()
        if not np.isfinite(bound):
            raise ValueError("W, b and c give energies up to sum|W| + sum|b| + sum|c| = inf, which overflows "
                             "float64: use smaller parameters")

    def __repr__(self) -> str:
        return f"RBM(n_visible={self.n_visible}, n_hidden={self.n_hidden})"

    def copy(self) -> "RBM":
        """An independent copy of the model."""
        return RBM(self.n_visible, self.n_hidden, self.W, self.b, self.c)

    def check_visible(self, v, name: str = "v") -> np.ndarray:
        """Validate visible configurations; return uint8 array (batch, n_visible)."""
        return binary_units(name, v, self.n_visible)

    def check_hidden(self, h, name: str = "h") -> np.ndarray:
        """Validate hidden configurations; return uint8 array (batch, n_hidden)."""
        return binary_units(name, h, self.n_hidden)

    def energy(self, v, h) -> np.ndarray:
        """E(v, h) = -b.v - c.h - v.W.h for each pair of rows, shape (batch,)."""
        vf = self.check_visible(v).astype(np.float64)
        hf = self.check_hidden(h).astype(np.float64)
        if vf.shape[0] != hf.shape[0]:
            raise ValueError(f"v and h must have the same number of rows, got {vf.shape[0]} and {hf.shape[0]}")
        return -(vf @ self.b) - (hf @ self.c) - np.einsum("bi,bi->b", vf @ self.W, hf)

    def hidden_input(self, v) -> np.ndarray:
        """Total input c + v.W to each hidden unit, shape (batch, n_hidden)."""
        return self.c + self.check_visible(v).astype(np.float64) @ self.W

    def free_energy(self, v) -> np.ndarray:
        """F(v) = -b.v - sum_j softplus(c_j + (v.W)_j), shape (batch,), stable for large inputs."""
        vf = self.check_visible(v).astype(np.float64)
        return -(vf @ self.b) - softplus(self.c + vf @ self.W).sum(axis=1)

    def hidden_probabilities(self, v) -> np.ndarray:
        """p(h_j = 1 | v) = sigmoid(c_j + (v.W)_j), shape (batch, n_hidden)."""
        return expit(self.hidden_input(v))

    def visible_probabilities(self, h) -> np.ndarray:
        """p(v_i = 1 | h) = sigmoid(b_i + (W.h)_i), shape (batch, n_visible)."""
        return expit(self.b + self.check_hidden(h).astype(np.float64) @ self.W.T)
