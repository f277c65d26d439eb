"""Reference twin of :mod:`ebmphys.kernels.spin_updates`: single-spin update probabilities and random spins.

Re-derived, sharing only the exponential: with local field f and beta = 1/T (k_B = 1),

* Metropolis: flip with probability min(1, exp(-beta dE)), dE = 2 s f, so
  P(s' = +1) = p_flip for s = -1 and 1 - p_flip for s = +1;
* heat bath: P(s' = +1) = 1 / (1 + exp(-2 beta f)), evaluated as e / (1 + e) with
  e = exp(2 beta f) when 2 beta f < 0 (no overflow).

These are the formulas of the kernel's docstring written in the same floating-point
operations, with the kernel's exponential :func:`ebmphys.kernels.detmath.exp` (plain
arithmetic, the same bits on every target; its accuracy is tested against ``math.exp``
in the detmath tests), so the thresholds agree bit for bit.
"""

import numpy as np

from ebmphys.kernels.detmath import exp
from tests.reference.rng import word

METROPOLIS = "metropolis"
HEATBATH = "heatbath"


def p_up(rule: str, spin: int, field: float, beta: float) -> float:
    """P(s' = +1) for an update of ``spin`` in local ``field`` under ``rule``."""
    if rule == METROPOLIS:
        d_energy = 2.0 * spin * field
        p_flip = 1.0 if d_energy <= 0.0 else exp(-beta * d_energy)
        return p_flip if spin < 0 else 1.0 - p_flip
    x = -2.0 * beta * field
    if x > 0.0:
        e = exp(-x)
        return e / (1.0 + e)
    return 1.0 / (1.0 + exp(x))


def random_spins(n_chains: int, n_spins: int, key, stream: int, chain0: int) -> np.ndarray:
    """Spin i of row c is +1 iff the top bit of word i % 4 of philox(i // 4, 0, chain0 + c, stream) is set."""
    out = np.empty((n_chains, n_spins), dtype=np.int8)
    for c in range(n_chains):
        for i in range(n_spins):
            out[c, i] = 1 if word(i, 0, chain0 + c, stream, key) >> 31 else -1
    return out
