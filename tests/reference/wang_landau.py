"""Reference twin of :mod:`ebmphys.kernels.wang_landau_cpu`: Wang-Landau walkers with the 1/t refinement.

Re-derived from the module docstring (levels a = number of antiparallel bonds, 0 .. B).
Trials 2u and 2u + 1 of a walker with chain index ``chain`` use the four words
(site, acceptance, site, acceptance) of

    philox4x32(u mod 2**32, u // 2**32, chain, WANG_LANDAU);

the site is (word N) >> 32 and the flip is accepted iff the acceptance word is below
``threshold(min(1, g(a) / g(a')))``, computed as exp(min(ln g(a) - ln g(a'), 0)).  After
every trial ln f is added to ln g and 1 to H of the current level; phase 1 checks every
``check_every`` trials for a flat histogram (min H >= flatness * (sum H) / n_visited over
the visited levels, halving ln f and clearing H), then whether ln f <= n_visited / t (phase
2: ln f = n_visited / t after every trial).  The walk stops after the first pair of
trials at whose end ln f <= log_f_final or t >= max_trials.

Shared with the kernel: nothing but the order of evaluation of the float expressions
written above (left to right), and the stream number ``WANG_LANDAU``.
"""

import math

import numpy as np

from tests.reference.lattice import Lattice
from tests.reference.rng import MASK32, WANG_LANDAU, philox4x32, threshold


def walk(lattice: Lattice, spins, flatness: float, check_every: int, log_f_final: float, max_trials: int, key,
         chain: int):
    """One walker from configuration ``spins`` (int8, n_spins); returns (log_g, visited, trials, final ln f, spins)."""
    spins = np.array(spins, dtype=np.int8)
    n = lattice.n_spins
    n_bonds = sum(1 for i in range(n) for a in range(len(lattice.shape)) if lattice.neighbor(i, a, 1) is not None)
    log_g = np.zeros(n_bonds + 1)
    hist = np.zeros(n_bonds + 1, dtype=np.int64)
    visited = np.zeros(n_bonds + 1, dtype=bool)
    level = (n_bonds - lattice.bond_sum(spins)) // 2
    log_f, phase2, t = 1.0, False, 0
    while log_f > log_f_final and t < max_trials:
        u = t // 2
        words = philox4x32(u & MASK32, u >> 32, chain, WANG_LANDAU, *key)
        for site_word, accept_word in (words[0:2], words[2:4]):
            i = (site_word * n) >> 32
            new = level + int(spins[i]) * lattice.neighbor_sum(spins, i)
            if accept_word < threshold(math.exp(min(log_g[level] - log_g[new], 0.0))):
                spins[i] = -spins[i]
                level = new
            log_g[level] += log_f
            hist[level] += 1
            visited[level] = True
            t += 1
            if phase2:
                log_f = visited.sum() / t
        if not phase2 and t % check_every == 0:
            n_visited = int(visited.sum())
            if hist[visited].min() >= flatness * int(hist[visited].sum()) / n_visited:
                log_f *= 0.5
                hist[:] = 0
            if log_f <= n_visited / t:
                phase2 = True
                log_f = n_visited / t
    return log_g, visited, t, log_f, spins
