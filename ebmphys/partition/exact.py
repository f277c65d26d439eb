"""Exact partition functions and Boltzmann distributions by enumerating every state.

Enumeration is vectorised in chunks of 2**16 states; it is refused above
``MAX_ENUMERATION_SPINS`` spins (2**30 ~ 1e9 states, minutes of work).
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from ebmphys.models._validate import finite_real

MAX_ENUMERATION_SPINS = 30
_CHUNK_BITS = 16


def _check_size(n_spins: int) -> None:
    if n_spins > MAX_ENUMERATION_SPINS:
        raise ValueError(
            f"exact enumeration needs 2**n_spins states; n_spins={n_spins} exceeds the limit of "
            f"{MAX_ENUMERATION_SPINS} (use ising2d_log_z for periodic 2D lattices, or AIS)"
        )


def _beta_array(beta) -> np.ndarray:
    b = np.atleast_1d(np.asarray(beta, dtype=np.float64))
    for x in b:
        finite_real("beta", x)
        if x < 0:
            raise ValueError(f"beta must be finite and >= 0, got {x}")
    return b


def enumerate_states(n_spins: int, start: int = 0, stop: int | None = None) -> np.ndarray:
    """All spin configurations with indices in [start, stop) as int8 array (n, n_spins).

    State index k has spin i equal to +1 when bit (n_spins - 1 - i) of k is 1, else -1,
    so index order is lexicographic with site 0 most significant.
    """
    _check_size(n_spins)
    stop = 2**n_spins if stop is None else stop
    k = np.arange(start, stop, dtype=np.int64)
    bits = (k[:, None] >> np.arange(n_spins - 1, -1, -1, dtype=np.int64)) & 1
    return (2 * bits - 1).astype(np.int8)


def state_index(states: np.ndarray) -> np.ndarray:
    """Inverse of :func:`enumerate_states`: index of each configuration (int64)."""
    s = np.asarray(states).reshape(np.shape(states)[0], -1)
    n = s.shape[1]
    _check_size(n)
    bits = (s > 0).astype(np.int64)
    return bits @ (1 << np.arange(n - 1, -1, -1, dtype=np.int64))


def energy_spectrum(model) -> tuple[np.ndarray, np.ndarray]:
    """Distinct energies of ``model`` and their degeneracies, by enumeration.

    Returns
    -------
    energies : float64 array, sorted
    counts : int64 array, the number of states at each energy
    """
    _check_size(model.n_spins)
    n = model.n_spins
    chunk = 2 ** min(n, _CHUNK_BITS)
    collected: dict[float, int] = {}
    for start in range(0, 2**n, chunk):
        e = np.round(model.energy(enumerate_states(n, start, start + chunk)), 9)
        values, counts = np.unique(e, return_counts=True)
        for v, c in zip(values.tolist(), counts.tolist()):
            collected[v] = collected.get(v, 0) + c
    energies = np.array(sorted(collected), dtype=np.float64)
    return energies, np.array([collected[e] for e in energies.tolist()], dtype=np.int64)


def log_z_exact(model, beta) -> float | np.ndarray:
    """Natural log of Z(beta) = sum_s exp(-beta E(s)) by enumeration.

    Parameters
    ----------
    model : LatticeIsing or GraphIsing with at most 30 spins
    beta : float or array of float, >= 0 (inverse temperature, k_B = 1)

    Returns
    -------
    float, or an array shaped like ``beta``.
    """
    betas = _beta_array(beta)
    energies, counts = energy_spectrum(model)
    out = logsumexp(-betas[:, None] * energies[None, :], b=counts[None, :], axis=1)
    return float(out[0]) if np.ndim(beta) == 0 else out.reshape(np.shape(beta))


def boltzmann_probabilities(model, beta: float) -> np.ndarray:
    """Exact probability of every state, in the order of :func:`enumerate_states`."""
    b = _beta_array(beta)[0]
    _check_size(model.n_spins)
    if model.n_spins > 24:
        raise ValueError(f"boltzmann_probabilities stores 2**n_spins values; n_spins={model.n_spins} exceeds 24")
    log_w = -b * model.energy(enumerate_states(model.n_spins))
    return np.exp(log_w - logsumexp(log_w))
