"""Exact log partition function and log-likelihood of a small binary RBM.

With E(v, h) = -b.v - c.h - v.W.h (units in {0, 1}) one layer sums out
analytically, so Z needs only the 2**m states of the smaller layer:

    log Z = logsumexp_h [ c.h + sum_i softplus(b_i + (W.h)_i) ]    (sum over hidden)
          = logsumexp_v [ b.v + sum_j softplus(c_j + (v.W)_j) ]    (sum over visible)

The states are enumerated in chunks and combined with a stable logsumexp.
Refused when min(n_visible, n_hidden) > ``MAX_EXACT_RBM_UNITS``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

MAX_EXACT_RBM_UNITS = 20
_CHUNK_BITS = 14


def exact_is_feasible(rbm) -> bool:
    """True when min(n_visible, n_hidden) <= MAX_EXACT_RBM_UNITS."""
    return min(rbm.n_visible, rbm.n_hidden) <= MAX_EXACT_RBM_UNITS


def _binary_states(n_units: int, start: int, stop: int) -> np.ndarray:
    """States with indices in [start, stop) as float64 rows, unit 0 the most significant bit."""
    k = np.arange(start, stop, dtype=np.int64)
    return ((k[:, None] >> np.arange(n_units - 1, -1, -1, dtype=np.int64)) & 1).astype(np.float64)


def rbm_log_z_exact(rbm) -> float:
    """Natural log of Z = sum_{v,h} exp(-E(v, h)), summing over the smaller layer.

    Parameters
    ----------
    rbm : ebmphys.models.RBM
        Needs min(n_visible, n_hidden) <= 20.

    Raises
    ------
    ValueError
        If both layers have more than ``MAX_EXACT_RBM_UNITS`` units.
    """
    m = min(rbm.n_visible, rbm.n_hidden)
    if m > MAX_EXACT_RBM_UNITS:
        raise ValueError(
            f"exact log Z of an RBM sums over 2**min(n_visible, n_hidden) states; "
            f"min(n_visible={rbm.n_visible}, n_hidden={rbm.n_hidden}) = {m} exceeds "
            f"{MAX_EXACT_RBM_UNITS} (estimate log Z with AIS instead)"
        )
    if rbm.n_hidden <= rbm.n_visible:
        weights, own_bias, other_bias = rbm.W.T, rbm.c, rbm.b
    else:
        weights, own_bias, other_bias = rbm.W, rbm.b, rbm.c
    chunk = 2 ** min(m, _CHUNK_BITS)
    partial = []
    for start in range(0, 2**m, chunk):
        s = _binary_states(m, start, start + chunk)
        log_w = s @ own_bias + np.logaddexp(0.0, other_bias + s @ weights).sum(axis=1)
        partial.append(logsumexp(log_w))
    return float(logsumexp(partial))


def rbm_log_prob_exact(rbm, v) -> np.ndarray:
    """Exact log p(v) = -F(v) - log Z in nats for each row of ``v`` (binary, width n_visible)."""
    return -rbm.free_energy(v) - rbm_log_z_exact(rbm)
