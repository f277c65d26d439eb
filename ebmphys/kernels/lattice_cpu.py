"""Checkerboard single-spin updates on hypercubic lattices (CPU, Numba).

Layout shared by the lattice kernels (``cluster_cpu`` too):

* ``spins``: int8 (n_chains, n_spins + L), L the last side length; sites in C
  order, then a ghost row of L zeros.  A missing (open-boundary) neighbour
  points into the ghost row, so neighbour sums need no branches.
* ``neighbors``: int32 (n_spins, 2d) neighbour table (``LatticeIsing.neighbors``),
  missing neighbours = ``n_spins``; used by the cluster updates and by
  :func:`bond_sum_and_magnetization` (AIS, Wang-Landau).
* Sweeps walk the lattice as rows along the last axis: ``row_neighbors`` int64
  (n_rows, 2(d-1)) holds the start of the rows adjacent along the other axes
  (the ghost row ``n_rows * L`` where missing), ``row_parity`` the parity of a
  row's coordinate sum; site j of row r has colour ``(row_parity[r] + j) % 2``.
* ``thresholds``: uint64 (n_chains, 2, 2z+1): ``rng.threshold`` of ``P(s'=+1 | s, sum of neighbours)``,
  indexed ``[chain, (s+1)//2, nsum+z]``; uniform J and h make the
  local field a function of the neighbour sum, so no exponential is evaluated in
  the sweep.  A uint32 draw ``w`` sets ``s' = +1`` iff ``w < threshold``.

A sweep updates every site of colour 0, then every site of colour 1 (sites of one
colour are not neighbours, so their order within a colour does not matter).
Random words: the k-th site of colour c in row r of kernel row m uses word k % 4 of
``philox4x32(r * B + k // 4, sweep, chain0 + m, LOCAL + c)`` with B = ceil(ceil(L/2) / 4)
(``chain0`` the chain index of the first row of the batch).

Drivers: :func:`sweeps_serial` (one thread), :func:`sweeps_chain_parallel` (one
chain per thread, no synchronisation between sweeps) and
:func:`sweeps_row_parallel` (the rows of each colour shared out, for fewer chains
than threads) take the same arguments and give the same bits; the caller picks
one, so only the driver used is compiled.  Recorded observables come from the
row pass :func:`row_bond_sum_and_magnetization` after the sweep (integers, so
exact; about 0.2 ns per site against about 3 ns for the sweep).
"""

import numpy as np
from numba import njit, prange

from ebmphys.kernels.rng import LOCAL, philox4x32, threshold
from ebmphys.kernels.spin_updates import p_up

#: sweeps with fewer spin updates run serially: a parallel region costs more than the work
PARALLEL_MIN_UPDATES = 1 << 15
#: rows of one job of the row-parallel driver: about this many sites
_ROW_JOB_SITES = 1 << 12


@njit(cache=True, inline="always", error_model="numpy")
def _set_spin(sp, i, nsum, table, width, word):
    """Set spin i from its offset neighbour sum ``nsum`` (sum + z) and a uint32 draw (see module docstring).

    Branch-free: near T_c the comparisons are coin flips that a branch predictor cannot learn.
    """
    s = sp[i]
    sp[i] = 2 * np.int8(np.uint64(word) < table[np.uint64(((s + 1) >> 1) * width + nsum)]) - 1


@njit(cache=True, error_model="numpy")
def _update_edge_site(sp, table, row_nbrs, r, side, periodic_last, base, ghost, j, word):
    """Update column j of row r whatever its place in the row or the dimension (row ends: wrapped or ghost neighbours)."""
    n_q = row_nbrs.shape[1]
    i = base + j
    left = i - 1 if j > 0 else (base + side - 1 if periodic_last else ghost)
    right = i + 1 if j < side - 1 else (base if periodic_last else ghost)
    nsum = np.int64(sp[left]) + sp[right] + n_q + 2
    for q in range(n_q):
        nsum += sp[row_nbrs[r, q] + j]
    _set_spin(sp, i, nsum, table, 2 * n_q + 5, word)


@njit(cache=True, error_model="numpy")
def update_row(sp, table, row_nbrs, row_parity, side, periodic_last, r, color, chain, sweep, stream, k0, k1,
               row_words):
    """Update the sites of one colour in row r of one chain (``sp``: that chain's spins).

    ``table`` is the chain's flattened threshold table, ``row_words`` a scratch buffer
    of 4 * ceil(ceil(side/2)/4) words; draws come from ``philox4x32(r * B + k // 4,
    sweep, chain, stream)``.  Shared by the sweep drivers below and the AIS kernels.
    The sites at the two ends of the row (wrapped or ghost left and right
    neighbours) are updated on their own, so the loop over the others has no
    branches and unsigned indices (no negative-index checks).
    """
    n_rows = row_nbrs.shape[0]
    n_q = row_nbrs.shape[1]
    z = n_q + 2
    width = 2 * z + 1
    ghost = n_rows * side
    blocks_per_row = row_words.shape[0] // 4
    for b in range(blocks_per_row):
        w0, w1, w2, w3 = philox4x32(r * blocks_per_row + b, sweep, chain, stream, k0, k1)
        row_words[4 * b] = w0
        row_words[4 * b + 1] = w1
        row_words[4 * b + 2] = w2
        row_words[4 * b + 3] = w3
    base = r * side
    j0 = (color + row_parity[r]) & 1
    n = (side - j0 + 1) // 2  # sites of this colour in the row; the k-th is column j0 + 2k
    first = 0 if j0 == 0 else -1  # a site in column 0 or side - 1 is an edge site
    last = n - 1 if n > 0 and j0 + 2 * (n - 1) == side - 1 else -1
    k_lo = 1 if first == 0 else 0
    k_hi = max(k_lo, n - 1 if last >= 0 else n)
    one = np.uint64(1)
    ubase = np.uint64(base) + np.uint64(j0)
    # the loop over the inner sites, written out for 2D and 3D (adjacent rows hoisted out of the loop)
    if n_q == 2:
        a0 = np.uint64(row_nbrs[r, 0] + j0)
        a1 = np.uint64(row_nbrs[r, 1] + j0)
        for kk in range(k_lo, k_hi):
            k = np.uint64(kk)
            o = k + k
            i = ubase + o
            nsum = np.int64(sp[i - one]) + sp[i + one] + sp[a0 + o] + sp[a1 + o] + z
            _set_spin(sp, i, nsum, table, width, row_words[k])
    elif n_q == 4:
        a0 = np.uint64(row_nbrs[r, 0] + j0)
        a1 = np.uint64(row_nbrs[r, 1] + j0)
        a2 = np.uint64(row_nbrs[r, 2] + j0)
        a3 = np.uint64(row_nbrs[r, 3] + j0)
        for kk in range(k_lo, k_hi):
            k = np.uint64(kk)
            o = k + k
            i = ubase + o
            nsum = np.int64(sp[i - one]) + sp[i + one] + sp[a0 + o] + sp[a1 + o] + sp[a2 + o] + sp[a3 + o] + z
            _set_spin(sp, i, nsum, table, width, row_words[k])
    else:  # 1D and 4D or more: the general site update
        for k in range(k_lo, k_hi):
            _update_edge_site(sp, table, row_nbrs, r, side, periodic_last, base, ghost, j0 + 2 * k, row_words[k])
    if first == 0:
        _update_edge_site(sp, table, row_nbrs, r, side, periodic_last, base, ghost, j0, row_words[0])
    if last > first:
        _update_edge_site(sp, table, row_nbrs, r, side, periodic_last, base, ghost, j0 + 2 * last, row_words[last])


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


@njit(cache=True, inline="always", error_model="numpy")
def _row_bonds(sp, r, row_nbrs, side, periodic_last):
    """(bonds, magnetisation) of row r: its sites' bonds to their +1 neighbours along every axis.

    The sums of one row (at most d * side terms) are kept in int32, which lets the
    loops run in 8 lanes.
    """
    row = sp[r * side:(r + 1) * side]
    bonds = np.int32(0)
    mag = np.int32(0)
    for j in range(side - 1):
        bonds = np.int32(bonds + row[j] * row[j + 1])
    for a in range(row_nbrs.shape[1] // 2):
        start = row_nbrs[r, 2 * a]
        other = sp[start:start + side]
        for j in range(side):
            bonds = np.int32(bonds + row[j] * other[j])
    for j in range(side):
        mag = np.int32(mag + row[j])
    if periodic_last:
        bonds += row[side - 1] * row[0]
    return np.int64(bonds), np.int64(mag)


@njit(cache=True, inline="always", error_model="numpy")
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
    for r in range(row_nbrs.shape[0]):
        b, m = _row_bonds(sp, r, row_nbrs, side, periodic_last)
        bonds += b
        mag += m
    return bonds, mag


@njit(cache=True)
def lattice_observables(spins, row_nbrs, side, periodic_last, J, h, out_energy, out_magnetization, column):
    """Write total energy and magnetisation of every chain into ``out_*[:, column]``.

    E = -J B - h M with B and M the integers of :func:`row_bond_sum_and_magnetization`.
    """
    for chain in range(spins.shape[0]):
        bonds, mag = row_bond_sum_and_magnetization(spins[chain], row_nbrs, side, periodic_last)
        out_magnetization[chain, column] = mag
        out_energy[chain, column] = -J * bonds - h * mag


@njit(cache=True, inline="always", error_model="numpy")
def _chain_sweeps(sp, table, row_nbrs, row_parity, side, periodic_last, chain, k0, k1, sweep0, n_sweeps,
                  record_every, J, h, out_energy, out_magnetization, m, column0):
    """All sweeps of one chain (kernel row m, chain index ``chain``), with its records in row m of ``out_*``."""
    words = np.empty(4 * (((side + 1) // 2 + 3) // 4), np.uint32)
    column = column0
    for t in range(n_sweeps):
        for color in range(2):
            for r in range(row_nbrs.shape[0]):
                update_row(sp, table, row_nbrs, row_parity, side, periodic_last, r, color, chain, sweep0 + t,
                           LOCAL + color, k0, k1, words)
        if record_every > 0 and (t + 1) % record_every == 0:
            bonds, mag = row_bond_sum_and_magnetization(sp, row_nbrs, side, periodic_last)
            out_magnetization[m, column] = mag
            out_energy[m, column] = -J * bonds - h * mag
            column += 1


@njit(cache=True)
def sweeps_serial(spins, row_nbrs, row_parity, side, periodic_last, thresholds, k0, k1, chain0, sweep0, n_sweeps,
                  record_every, J, h, out_energy, out_magnetization, column0):
    """Run ``n_sweeps`` checkerboard sweeps numbered ``sweep0, sweep0+1, ...`` (row m is chain ``chain0 + m``).

    After every ``record_every``-th sweep (0: never) the energy and magnetisation
    (E = -J B - h M of :func:`row_bond_sum_and_magnetization`) are written to
    ``out_*[:, column0 + k]`` for k = 0, 1, ...  One thread, chain after chain.
    :func:`sweeps_chain_parallel` and :func:`sweeps_row_parallel` take the same
    arguments and give the same bits on several threads.
    """
    for m in range(spins.shape[0]):
        _chain_sweeps(spins[m], thresholds[m].ravel(), row_nbrs, row_parity, side, periodic_last, chain0 + m, k0, k1,
                      sweep0, n_sweeps, record_every, J, h, out_energy, out_magnetization, m, column0)


@njit(cache=True, parallel=True)
def sweeps_chain_parallel(spins, row_nbrs, row_parity, side, periodic_last, thresholds, k0, k1, chain0, sweep0,
                          n_sweeps, record_every, J, h, out_energy, out_magnetization, column0):
    """:func:`sweeps_serial` with the chains shared out among threads (no synchronisation between sweeps)."""
    for m in prange(spins.shape[0]):
        _chain_sweeps(spins[m], thresholds[m].ravel(), row_nbrs, row_parity, side, periodic_last, chain0 + m, k0, k1,
                      sweep0, n_sweeps, record_every, J, h, out_energy, out_magnetization, m, column0)


@njit(cache=True, parallel=True)
def sweeps_row_parallel(spins, row_nbrs, row_parity, side, periodic_last, thresholds, k0, k1, chain0, sweep0,
                        n_sweeps, record_every, J, h, out_energy, out_magnetization, column0):
    """:func:`sweeps_serial` with the rows of each colour shared out among threads (for fewer chains than threads).

    Jobs of about ``_ROW_JOB_SITES`` sites each; observables are summed row by row in parallel.
    """
    n_chains = spins.shape[0]
    n_rows = row_nbrs.shape[0]
    rows_per_job = max(1, _ROW_JOB_SITES // side)
    jobs_per_chain = (n_rows + rows_per_job - 1) // rows_per_job
    n_jobs = n_chains * jobs_per_chain
    n_words = 4 * (((side + 1) // 2 + 3) // 4)
    partial = np.zeros((n_chains, jobs_per_chain, 2), dtype=np.int64)
    column = column0
    for t in range(n_sweeps):
        for color in range(2):
            for job in prange(n_jobs):
                m = job // jobs_per_chain
                first = (job - m * jobs_per_chain) * rows_per_job
                words = np.empty(n_words, np.uint32)
                table = thresholds[m].ravel()
                for r in range(first, min(n_rows, first + rows_per_job)):
                    update_row(spins[m], table, row_nbrs, row_parity, side, periodic_last, r, color, chain0 + m,
                               sweep0 + t, LOCAL + color, k0, k1, words)
        if record_every > 0 and (t + 1) % record_every == 0:
            for job in prange(n_jobs):
                m = job // jobs_per_chain
                b = job - m * jobs_per_chain
                bonds = 0
                mag = 0
                for r in range(b * rows_per_job, min(n_rows, (b + 1) * rows_per_job)):
                    rb, rm = _row_bonds(spins[m], r, row_nbrs, side, periodic_last)
                    bonds += rb
                    mag += rm
                partial[m, b, 0] = bonds
                partial[m, b, 1] = mag
            for m in range(n_chains):
                bonds = partial[m, :, 0].sum()
                mag = partial[m, :, 1].sum()
                out_magnetization[m, column] = mag
                out_energy[m, column] = -J * bonds - h * mag
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
