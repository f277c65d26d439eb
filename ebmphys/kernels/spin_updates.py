"""Per-site physics of single-spin updates, as plain scalar functions.

Both update rules are written as the probability that the spin is +1 after the
update, ``p_up``, so one kernel draws ``s' = +1 if u < p_up else -1`` for either
rule.  With local field ``f = sum_j J_ij s_j + h_i`` and ``dE = 2 s f`` the
energy change of flipping ``s``:

* Metropolis: flip with probability ``min(1, exp(-beta dE))``;
* heat bath (Gibbs): ``p_up = 1 / (1 + exp(-2 beta f))`` whatever ``s`` is.

These functions are callable from CPU kernels, from Python (to build lookup
tables) and from CUDA kernels.  The exponential is :func:`ebmphys.kernels.detmath.exp`
(not the C library's), so a probability has the same bits on the CPU and on a GPU.
"""

import numpy as np
from numba import njit

from ebmphys.kernels.detmath import exp
from ebmphys.kernels.rng import philox4x32

METROPOLIS = 0
HEATBATH = 1


@njit(cache=True, inline="always")
def metropolis_p_up(spin, field, beta):
    """P(s' = +1) for a Metropolis update of ``spin`` in local ``field``."""
    d_energy = 2.0 * spin * field
    p_flip = 1.0 if d_energy <= 0.0 else exp(-beta * d_energy)
    return p_flip if spin < 0 else 1.0 - p_flip


@njit(cache=True, inline="always")
def heatbath_p_up(field, beta):
    """P(s' = +1) for a heat-bath update in local ``field`` (stable for large |beta f|)."""
    x = -2.0 * beta * field
    if x > 0.0:
        e = exp(-x)
        return e / (1.0 + e)
    return 1.0 / (1.0 + exp(x))


@njit(cache=True, inline="always")
def p_up(rule, spin, field, beta):
    """P(s' = +1) under update ``rule`` (METROPOLIS or HEATBATH)."""
    if rule == METROPOLIS:
        return metropolis_p_up(spin, field, beta)
    return heatbath_p_up(field, beta)


@njit(cache=True)
def random_spins(n_chains, n_spins, k0, k1, stream, chain0):
    """Independent uniform random spins, int8 (n_chains, n_spins).

    Spin i of row c (chain index ``chain0 + c``) takes word i % 4 of
    ``philox4x32(i // 4, 0, chain0 + c, stream)``; it is +1 when the word's top bit is set.
    """
    out = np.empty((n_chains, n_spins), dtype=np.int8)
    for c in range(n_chains):
        for b in range((n_spins + 3) // 4):
            w = philox4x32(b, 0, chain0 + c, stream, k0, k1)
            for lane in range(4):
                i = 4 * b + lane
                if i < n_spins:
                    out[c, i] = 1 if w[lane] >= 0x80000000 else -1
    return out
