"""Checkerboard single-spin updates on hypercubic lattices (CPU, Numba).

Layout shared by these kernels:

* ``spins``: int8 (n_chains, n_spins + 1); the last column is a ghost spin fixed
  at 0 that open-boundary neighbours point to.
* ``neighbors``: int32 (n_spins, z) neighbour table (``LatticeIsing.neighbors``).
* ``sites``/``offsets``: sites grouped by colour; colour c is
  ``sites[offsets[c]:offsets[c+1]]``.
* ``thresholds``: uint64 (n_chains, 2, 2z+1): ``P(s'=+1 | s, sum of neighbours)``
  times 2**32, indexed by ``[chain, (s+1)//2, nsum+z]``; uniform J and h make the
  local field a function of the neighbour sum, so no exponential is evaluated in
  the sweep.  A uint32 draw ``w`` sets ``s' = +1`` iff ``w < threshold``.

Random words: ``philox4x32(block, sweep, chain, colour)``; block b serves the
four sites at positions 4b..4b+3 of the colour class.
"""

import numpy as np
from numba import njit, prange

from ebmphys.kernels.rng import philox4x32


@njit(cache=True, inline="always")
def _update_site(spins, chain, site, neighbors, thresholds, word):
    z = neighbors.shape[1]
    nsum = 0
    for k in range(z):
        nsum += spins[chain, neighbors[site, k]]
    s = spins[chain, site]
    if word < thresholds[chain, (s + 1) >> 1, nsum + z]:
        spins[chain, site] = 1
    else:
        spins[chain, site] = -1


@njit(cache=True, parallel=True)
def _sweep_colors(spins, neighbors, sites, offsets, thresholds, k0, k1, sweep):
    n_chains = spins.shape[0]
    for color in range(offsets.shape[0] - 1):
        start = offsets[color]
        n_c = offsets[color + 1] - start
        n_blocks = (n_c + 3) // 4
        for job in prange(n_chains * n_blocks):
            chain = job // n_blocks
            block = job - chain * n_blocks
            w0, w1, w2, w3 = philox4x32(block, sweep, chain, color, k0, k1)
            pos = start + 4 * block
            end = start + n_c
            _update_site(spins, chain, sites[pos], neighbors, thresholds, w0)
            if pos + 1 < end:
                _update_site(spins, chain, sites[pos + 1], neighbors, thresholds, w1)
            if pos + 2 < end:
                _update_site(spins, chain, sites[pos + 2], neighbors, thresholds, w2)
            if pos + 3 < end:
                _update_site(spins, chain, sites[pos + 3], neighbors, thresholds, w3)


@njit(cache=True, parallel=True)
def lattice_observables(spins, neighbors, J, h, out_energy, out_magnetization, column):
    """Write total energy and magnetisation of every chain into ``out_*[:, column]``."""
    n_spins = neighbors.shape[0]
    z = neighbors.shape[1]
    for chain in prange(spins.shape[0]):
        bonds = 0
        mag = 0
        for i in range(n_spins):
            s = spins[chain, i]
            nsum = 0
            for k in range(z):
                nsum += spins[chain, neighbors[i, k]]
            bonds += s * nsum
            mag += s
        out_magnetization[chain, column] = mag
        out_energy[chain, column] = -J * (bonds // 2) - h * mag


@njit(cache=True)
def lattice_sweeps(spins, neighbors, sites, offsets, thresholds, k0, k1, sweep0, n_sweeps,
                   record_every, J, h, out_energy, out_magnetization, column0):
    """Run ``n_sweeps`` checkerboard sweeps numbered ``sweep0, sweep0+1, ...``.

    After every ``record_every``-th sweep (0: never) the energy and magnetisation
    are written to ``out_*[:, column0 + k]`` for k = 0, 1, ...
    """
    column = column0
    for t in range(n_sweeps):
        _sweep_colors(spins, neighbors, sites, offsets, thresholds, k0, k1, sweep0 + t)
        if record_every > 0 and (t + 1) % record_every == 0:
            lattice_observables(spins, neighbors, J, h, out_energy, out_magnetization, column)
            column += 1


def threshold_table(p_up_table: np.ndarray) -> np.ndarray:
    """Convert probabilities P(s'=+1) in [0, 1] to uint64 thresholds p * 2**32 for uint32 draws."""
    return np.minimum(np.floor(p_up_table * 2.0**32), 2.0**32).astype(np.uint64)
