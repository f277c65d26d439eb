"""Exact partition functions and Boltzmann distributions of small Potts models and Potts-Bernoulli RBMs.

Works for every Potts model (:class:`ebmphys.models.LatticePotts`, :class:`GraphPotts`,
:class:`PairwisePotts`) through its ``energy`` method, in chunks of 2**18 states.
State index k has site i in state digit (N - 1 - i) of k written in base q, so index
order is lexicographic with site 0 most significant.  Enumeration is refused above
``MAX_POTTS_STATES`` states (q**N), probabilities above ``MAX_POTTS_PROBABILITIES``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from ebmphys.partition._beta import beta_array

MAX_POTTS_STATES = 2**27
MAX_POTTS_PROBABILITIES = 2**24
_CHUNK = 2**18


def _n_states(n_sites: int, q: int, limit: int, what: str) -> int:
    n = q**n_sites
    if n > limit:
        raise ValueError(f"{what} enumerates q**N = {q}**{n_sites} states, above the limit of {limit} "
                         f"(use a smaller system, or Wang-Landau / AIS)")
    return n


def enumerate_potts_states(n_sites: int, q: int, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Configurations with indices in [start, stop) as uint8 (n, n_sites), in the index order of the module docstring."""
    stop = _n_states(n_sites, q, MAX_POTTS_STATES, "enumerate_potts_states") if stop is None else stop
    k = np.arange(start, stop, dtype=np.int64)
    powers = q ** np.arange(n_sites - 1, -1, -1, dtype=np.int64)
    return ((k[:, None] // powers[None, :]) % q).astype(np.uint8)


def potts_state_index(states, q: int) -> np.ndarray:
    """Inverse of :func:`enumerate_potts_states`: the index of each configuration (rows of ``states``), int64."""
    s = np.asarray(states).reshape(np.shape(states)[0], -1).astype(np.int64)
    return s @ (q ** np.arange(s.shape[1] - 1, -1, -1, dtype=np.int64))


def potts_energy_spectrum(model) -> tuple[np.ndarray, np.ndarray]:
    """Distinct energies of ``model`` (rounded to 1e-9) and the number of states at each, by enumeration."""
    n = _n_states(model.n_spins, model.q, MAX_POTTS_STATES, "potts_energy_spectrum")
    levels, degeneracies = [], []
    for start in range(0, n, _CHUNK):
        e = model.energy(enumerate_potts_states(model.n_spins, model.q, start, min(start + _CHUNK, n)))
        values, counts = np.unique(np.round(e, 9), return_counts=True)
        levels.append(values)
        degeneracies.append(counts)
    energies, inverse = np.unique(np.concatenate(levels), return_inverse=True)
    counts = np.zeros(energies.shape[0], dtype=np.int64)
    np.add.at(counts, inverse, np.concatenate(degeneracies))
    return energies, counts


def potts_log_z_exact(model, beta) -> float | np.ndarray:
    """log Z(beta) = log sum_sigma exp(-beta E(sigma)) by enumeration; float or array shaped like ``beta``."""
    betas = np.atleast_1d(beta_array(beta))
    energies, counts = potts_energy_spectrum(model)
    out = logsumexp(-betas[:, None] * energies[None, :], b=counts[None, :], axis=1)
    return float(out[0]) if np.ndim(beta) == 0 else out.reshape(np.shape(beta))


def potts_boltzmann_probabilities(model, beta: float) -> np.ndarray:
    """Exact probability of every configuration, in the order of :func:`enumerate_potts_states`."""
    b = float(np.atleast_1d(beta_array(beta))[0])
    n = _n_states(model.n_spins, model.q, MAX_POTTS_PROBABILITIES, "potts_boltzmann_probabilities")
    log_w = np.concatenate([-b * model.energy(enumerate_potts_states(model.n_spins, model.q, s, min(s + _CHUNK, n)))
                            for s in range(0, n, _CHUNK)])
    return np.exp(log_w - logsumexp(log_w))


#: exact log Z of a Potts-Bernoulli RBM sums over 2**n_hidden or q**n_visible states, whichever is fewer
MAX_EXACT_POTTS_RBM_STATES = 2**22


def potts_rbm_log_z_exact(rbm) -> float:
    """log Z = log sum_{v, h} exp(-E(v, h)) of a :class:`ebmphys.models.PottsBernoulliRBM`.

    Sums over the smaller layer with the other summed out analytically:
    over h, log Z = logsumexp_h [c.h + sum_i logsumexp_a (b_i(a) + sum_j W_ij(a) h_j)];
    over v, log Z = logsumexp_v [-F(v)].  Refused above ``MAX_EXACT_POTTS_RBM_STATES`` states.
    """
    n_h, n_v = 2**rbm.n_hidden, rbm.q**rbm.n_visible
    if min(n_h, n_v) > MAX_EXACT_POTTS_RBM_STATES:
        raise ValueError(f"exact log Z of a Potts-Bernoulli RBM sums over min(2**n_hidden, q**n_visible) = "
                         f"{min(n_h, n_v)} states, above the limit of {MAX_EXACT_POTTS_RBM_STATES} (use AIS)")
    partial = []
    if n_h <= n_v:
        for start in range(0, n_h, _CHUNK):
            k = np.arange(start, min(start + _CHUNK, n_h), dtype=np.int64)
            h = ((k[:, None] >> np.arange(rbm.n_hidden - 1, -1, -1)) & 1).astype(np.float64)
            x = rbm.b[None] + np.einsum("iaj,bj->bia", rbm.W, h)
            partial.append(logsumexp(h @ rbm.c + logsumexp(x, axis=2).sum(axis=1)))
    else:
        for start in range(0, n_v, _CHUNK):
            v = enumerate_potts_states(rbm.n_visible, rbm.q, start, min(start + _CHUNK, n_v))
            partial.append(logsumexp(-rbm.free_energy(v)))
    return float(logsumexp(partial))
