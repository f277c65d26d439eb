"""Reference twin of the replica exchanges of :class:`ebmphys.sampling.chains.Chains` (parallel tempering).

Re-derived from the ``chains`` module docstring, on checkerboard lattice sweeps
(:mod:`tests.reference.lattice`): ensemble c has one replica per beta b_0 < b_1 < ...;
the configuration at b_i is swept as the ordinary chain of kernel row c n_betas + i
(chain index (chain0 + c) n_betas + i, beta b_i).  After sweep counter ``sweep`` (a multiple of
``exchange_every``), round r = sweep // exchange_every tries the pairs (i, i + 1) with
i = r % 2, r % 2 + 2, ...; pair i of ensemble c swaps iff word i % 4 of
``philox4x32(i // 4, sweep, chain0 + c, EXCHANGE)`` is below ``threshold(p)`` with

    p = min(1, exp((b_i - b_{i+1}) (E_i - E_{i+1}))).

The exponential is :func:`ebmphys.kernels.detmath.exp` (plain arithmetic that gives the same
bits on every target, the package's definition of the rule; its accuracy against the C
library is tested with detmath).  Otherwise shared with the code under test: nothing but the
stream number ``EXCHANGE`` (energies are E = -J (bond sum) - h M, exact for the lattices used).
"""

import numpy as np

from ebmphys.kernels.detmath import exp

from tests.reference import lattice as lattice_ref
from tests.reference.rng import EXCHANGE, threshold, word


def run(lattice, states, rule: str, J: float, h: float, betas, key, chain0: int, sweep0: int, n_sweeps: int,
        exchange_every: int):
    """Sweeps sweep0 .. sweep0 + n_sweeps - 1 of ``states`` (n_chains, n_betas, n_spins) with exchanges.

    Returns (states, replicas, accepted): ``replicas[c, i]`` the label of the replica held at
    b_i (replica k started at b_k), ``accepted[i]`` the exchanges of pair i accepted, summed
    over ensembles.
    """
    states = np.array(states, dtype=np.int8)
    n_chains, n_betas = states.shape[:2]
    replicas = np.tile(np.arange(n_betas), (n_chains, 1))
    accepted = np.zeros(n_betas - 1, dtype=np.int64)
    for t in range(n_sweeps):
        for c in range(n_chains):
            for i in range(n_betas):
                row_chain = (chain0 + c) * n_betas + i
                lattice_ref.sweep(lattice, states[c, i], rule, J, h, betas[i], key, row_chain, sweep0 + t)
        sweep = sweep0 + t + 1
        if sweep % exchange_every:
            continue
        for i in range((sweep // exchange_every) % 2, n_betas - 1, 2):
            for c in range(n_chains):
                e_lo, e_hi = lattice.energy(states[c, i], J, h), lattice.energy(states[c, i + 1], J, h)
                p = exp(min((betas[i + 1] - betas[i]) * (e_hi - e_lo), 0.0))
                if word(i, sweep, chain0 + c, EXCHANGE, key) < threshold(p):
                    states[c, [i, i + 1]] = states[c, [i + 1, i]]
                    replicas[c, [i, i + 1]] = replicas[c, [i + 1, i]]
                    accepted[i] += 1
    return states, replicas, accepted
