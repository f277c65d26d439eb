"""Checkerboard single-spin updates on hypercubic lattices (CPU, Numba).

Layout shared by the lattice kernels (``cluster_cpu`` too):

* ``spins``: int8 (n_chains, n_spins + L), L the last side length; sites in C
  order, then a ghost row of L zeros.  A missing (open-boundary) neighbour
  points into the ghost row, so neighbour sums need no branches.
* ``neighbors``: int32 (n_spins, 2d) neighbour table (``LatticeIsing.neighbors``),
  missing neighbours = ``n_spins``; used for observables and cluster updates.
* Sweeps walk the lattice as rows along the last axis: ``row_neighbors`` int64
  (n_rows, 2(d-1)) holds the start of the rows adjacent along the other axes
  (the ghost row ``n_rows * L`` where missing), ``row_parity`` the parity of a
  row's coordinate sum; site j of row r has colour ``(row_parity[r] + j) % 2``.
* ``thresholds``: uint64 (n_chains, 2, 2z+1): ``rng.threshold`` of ``P(s'=+1 | s, sum of neighbours)``,
  indexed ``[chain, (s+1)//2, nsum+z]``; uniform J and h make the
  local field a function of the neighbour sum, so no exponential is evaluated in
  the sweep.  A uint32 draw ``w`` sets ``s' = +1`` iff ``w < threshold``.

Random words: the k-th site of colour c in row r of kernel row m uses word k % 4 of
``philox4x32(r * B + k // 4, sweep, chain0 + m, LOCAL + c)`` with B = ceil(ceil(L/2) / 4)
(``chain0`` the chain index of the first row of the batch).
"""

import numpy as np
from numba import njit, prange

from ebmphys.kernels.rng import LOCAL, philox4x32, threshold
from ebmphys.kernels.spin_updates import p_up

#: sweeps with fewer spin updates run serially: a parallel region costs more than the work
PARALLEL_MIN_UPDATES = 1 << 15


@njit(cache=True, inline="always")
def _update(sp, i, left, right, j, adjacent, row_nbrs, r, table, z, word):
    """Set spin i (column j of row r) from its neighbour sum and a uint32 draw (see module docstring).

    Branch-free: near T_c the comparisons are coin flips that a branch predictor cannot learn.
    """
    nsum = sp[left] + sp[right] + z
    nsum += sp[adjacent[0] + j] + sp[adjacent[1] + j] + sp[adjacent[2] + j] + sp[adjacent[3] + j]
    for q in range(4, row_nbrs.shape[1]):
        nsum += sp[row_nbrs[r, q] + j]
    threshold = table[((sp[i] + 1) >> 1) * (2 * z + 1) + nsum]
    sp[i] = 2 * np.int8(word < threshold) - 1


@njit(cache=True, inline="always", error_model="numpy")
def update_row(sp, table, row_nbrs, row_parity, side, periodic_last, r, color, chain, sweep, stream, k0, k1,
               row_words):
    """Update the sites of one colour in row r of one chain (``sp``: that chain's spins).

    ``table`` is the chain's flattened threshold table, ``row_words`` a scratch buffer
    of 4 * ceil(ceil(side/2)/4) words; draws come from ``philox4x32(r * B + k // 4,
    sweep, chain, stream)``.  Shared by the sweep drivers below and the AIS kernels.
    """
    n_rows = row_nbrs.shape[0]
    n_q = row_nbrs.shape[1]
    z = n_q + 2
    ghost = n_rows * side
    blocks_per_row = row_words.shape[0] // 4
    # up to four adjacent rows hoisted out of the site loop; absent ones read the ghost row
    adjacent = (
        row_nbrs[r, 0] if n_q > 0 else ghost,
        row_nbrs[r, 1] if n_q > 1 else ghost,
        row_nbrs[r, 2] if n_q > 2 else ghost,
        row_nbrs[r, 3] if n_q > 3 else ghost,
    )
    for b in range(blocks_per_row):
        w0, w1, w2, w3 = philox4x32(r * blocks_per_row + b, sweep, chain, stream, k0, k1)
        row_words[4 * b] = w0
        row_words[4 * b + 1] = w1
        row_words[4 * b + 2] = w2
        row_words[4 * b + 3] = w3
    base = r * side
    j0 = (color + row_parity[r]) & 1
    wrap_left = base + side - 1 if periodic_last else ghost
    wrap_right = base if periodic_last else ghost
    for k in range((side - j0 + 1) // 2):
        j = j0 + 2 * k
        i = base + j
        left = i - 1 if j > 0 else wrap_left
        right = i + 1 if j < side - 1 else wrap_right
        _update(sp, i, left, right, j, adjacent, row_nbrs, r, table, z, row_words[k])


@njit(cache=True, parallel=True, error_model="numpy")
def _sweep_rows_parallel(spins, row_nbrs, row_parity, side, periodic_last, thresholds, k0, k1, chain0, sweep, words):
    n_rows = row_nbrs.shape[0]
    for color in range(2):
        for job in prange(spins.shape[0] * n_rows):
            m = job // n_rows
            r = job - m * n_rows
            update_row(spins[m], thresholds[m].ravel(), row_nbrs, row_parity, side, periodic_last, r,
                       color, chain0 + m, sweep, LOCAL + color, k0, k1, words[job])


@njit(cache=True, error_model="numpy")
def _sweep_rows_serial(spins, row_nbrs, row_parity, side, periodic_last, thresholds, k0, k1, chain0, sweep, words):
    n_rows = row_nbrs.shape[0]
    for color in range(2):
        for m in range(spins.shape[0]):
            for r in range(n_rows):
                update_row(spins[m], thresholds[m].ravel(), row_nbrs, row_parity, side, periodic_last,
                           r, color, chain0 + m, sweep, LOCAL + color, k0, k1, words[0])


@njit(cache=True, inline="always")
def bond_sum_and_magnetization(sp, neighbors):
    """(sum over bonds of s_i s_j, sum_i s_i) of one configuration ``sp`` (ghost-padded), from the neighbour table."""
    twice_bonds = 0
    mag = 0
    for i in range(neighbors.shape[0]):
        nsum = 0
        for k in range(neighbors.shape[1]):
            nsum += sp[neighbors[i, k]]
        twice_bonds += sp[i] * nsum
        mag += sp[i]
    return twice_bonds // 2, mag


@njit(cache=True, error_model="numpy")
def row_bond_sum_and_magnetization(sp, row_nbrs, side, periodic_last):
    """(sum over bonds of s_i s_j, sum_i s_i) of one configuration ``sp`` (layout above), row by row.

    Every bond is counted once, as the bond from a site to its +1 neighbour along
    each axis: along the last axis inside the row (and from the last site to the
    first when ``periodic_last``), along the other axes with the same column of
    the row ``row_nbrs[r, 2a]`` (the ghost row of zeros where there is none).  The
    loops run over contiguous int8 runs, so they vectorise: recording observables
    after a sweep costs a small fraction of the sweep.  Integer results, so
    ``E = -J bonds - h mag`` is exact.
    """
    bonds = 0
    mag = 0
    n_axes = row_nbrs.shape[1] // 2
    for r in range(row_nbrs.shape[0]):
        row = sp[r * side:(r + 1) * side]
        for j in range(side - 1):
            bonds += row[j] * row[j + 1]
        if periodic_last:
            bonds += row[side - 1] * row[0]
        for a in range(n_axes):
            start = row_nbrs[r, 2 * a]
            other = sp[start:start + side]
            for j in range(side):
                bonds += row[j] * other[j]
        for j in range(side):
            mag += row[j]
    return bonds, mag


@njit(cache=True, parallel=True)
def lattice_observables(spins, row_nbrs, side, periodic_last, J, h, out_energy, out_magnetization, column):
    """Write total energy and magnetisation of every chain into ``out_*[:, column]``.

    E = -J B - h M with B and M the integers of :func:`row_bond_sum_and_magnetization`.
    """
    for chain in prange(spins.shape[0]):
        bonds, mag = row_bond_sum_and_magnetization(spins[chain], row_nbrs, side, periodic_last)
        out_magnetization[chain, column] = mag
        out_energy[chain, column] = -J * bonds - h * mag


@njit(cache=True)
def lattice_sweeps(spins, row_nbrs, row_parity, side, periodic_last, thresholds, k0, k1, chain0,
                   sweep0, n_sweeps, record_every, J, h, out_energy, out_magnetization, column0):
    """Run ``n_sweeps`` checkerboard sweeps numbered ``sweep0, sweep0+1, ...`` (row m is chain ``chain0 + m``).

    After every ``record_every``-th sweep (0: never) the energy and magnetisation
    (:func:`lattice_observables`) are written to ``out_*[:, column0 + k]`` for k = 0, 1, ...
    """
    column = column0
    n_jobs = spins.shape[0] * row_nbrs.shape[0]
    parallel = n_jobs * side >= PARALLEL_MIN_UPDATES
    # random words of one colour of one row, for every (chain, row) job; allocated once per call
    words = np.empty((n_jobs if parallel else 1, 4 * (((side + 1) // 2 + 3) // 4)), np.uint32)
    for t in range(n_sweeps):
        if parallel:
            _sweep_rows_parallel(spins, row_nbrs, row_parity, side, periodic_last, thresholds, k0, k1, chain0,
                                 sweep0 + t, words)
        else:
            _sweep_rows_serial(spins, row_nbrs, row_parity, side, periodic_last, thresholds, k0, k1, chain0,
                               sweep0 + t, words)
        if record_every > 0 and (t + 1) % record_every == 0:
            lattice_observables(spins, row_nbrs, side, periodic_last, J, h, out_energy, out_magnetization, column)
            column += 1


@njit(cache=True)
def threshold_table(probabilities):
    """uint64 thresholds (:func:`ebmphys.kernels.rng.threshold`) of a 1-D array of probabilities."""
    out = np.empty(probabilities.shape[0], dtype=np.uint64)
    for k in range(probabilities.shape[0]):
        out[k] = threshold(probabilities[k])
    return out


@njit(cache=True)
def update_thresholds(rule, J, h, z, betas):
    """Threshold tables of single-spin updates, uint64 (n_betas, 2, 2z+1).

    Entry [k, row, n] is P(s' = +1 | s = 2 row - 1, neighbour sum n - z) at ``betas[k]``
    under ``rule`` (``spin_updates.METROPOLIS`` or ``HEATBATH``), as a threshold.
    """
    out = np.empty((betas.shape[0], 2, 2 * z + 1), dtype=np.uint64)
    for k in range(betas.shape[0]):
        for row in range(2):
            for n in range(2 * z + 1):
                out[k, row, n] = threshold(p_up(rule, 2 * row - 1, J * (n - z) + h, betas[k]))
    return out
