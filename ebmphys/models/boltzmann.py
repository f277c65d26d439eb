"""Fully visible Boltzmann machine and its exact map onto a GraphIsing model.

A Boltzmann machine on binary units x_i in {0, 1} has energy

    E_BM(x) = -sum_{i<j} W_ij x_i x_j - sum_i b_i x_i.

With x = (1 + s) / 2 (s in {-1, +1}) this is exactly an Ising model plus a constant,

    E_BM(x) = E_Ising(s) + c,
    J_ij = W_ij / 4,   h_i = b_i / 2 + sum_j W_ij / 4,
    c = -sum_{i<j} W_ij / 4 - sum_i b_i / 2,

so Z_BM(beta) = exp(-beta c) Z_Ising(beta) and log Z_BM = log Z_Ising - beta c.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ebmphys.models.ising import GraphIsing


def binary_to_spins(x) -> np.ndarray:
    """Map units in {0, 1} to spins in {-1, +1} (int8): s = 2x - 1."""
    x = np.asarray(x)
    if x.size and not np.all((x == 0) | (x == 1)):
        raise ValueError("x must contain only 0 and 1")
    return (2 * x.astype(np.int8) - 1).astype(np.int8)


def spins_to_binary(s) -> np.ndarray:
    """Map spins in {-1, +1} to units in {0, 1} (uint8): x = (1 + s) / 2."""
    s = np.asarray(s)
    if s.size and not np.all(np.abs(s) == 1):
        raise ValueError("s must contain only -1 and +1")
    return ((s.astype(np.int16) + 1) // 2).astype(np.uint8)


def boltzmann_to_ising(weights, biases) -> tuple[GraphIsing, float]:
    """Exact Ising form of a fully visible Boltzmann machine.

    Parameters
    ----------
    weights : (N, N) symmetric matrix with zero diagonal (dense or scipy.sparse)
    biases : (N,) array

    Returns
    -------
    model : GraphIsing
        Couplings W/4 and fields b/2 + W.sum(1)/4.
    constant : float
        c such that E_BM(x) = E_Ising(s) + c for s = 2x - 1.
    """
    W = sp.csr_matrix(weights, dtype=np.float64)
    b = np.asarray(biases, dtype=np.float64)
    if b.shape != (W.shape[0],):
        raise ValueError(f"biases must have shape ({W.shape[0]},), got {b.shape}")
    row_sums = np.asarray(W.sum(axis=1)).ravel()
    model = GraphIsing(W / 4.0, b / 2.0 + row_sums / 4.0)
    constant = -W.sum() / 8.0 - b.sum() / 2.0
    return model, float(constant)
