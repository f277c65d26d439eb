"""Colour-class Metropolis and heat-bath sweeps of Potts models on lattices and graphs (CPU, Numba).

Layouts:

* lattices (:class:`ebmphys.models.LatticePotts`): ``states`` uint8 (n_rows, N + 1),
  sites in C order followed by one ghost site holding the value q; ``neighbors``
  int32 (N, 2d) with missing (open-boundary) neighbours pointing at the ghost (index N);
* graphs (:class:`ebmphys.models.PairwisePotts`, :class:`GraphPotts`): ``states`` uint8
  (n_rows, N); couplings in CSR form with one q x q table per entry
  (``indptr``, ``indices``, ``tables``), fields (N, q).

Sites are swept colour class by colour class of a proper colouring (``sites``
sorted by colour, ``offsets``), so every update of a class sees fixed neighbours
and the classes' sites update in parallel.  Per-site physics is in
:mod:`ebmphys.kernels.potts_updates`.

Random words.  The site at position p of colour class c, kernel row m, sweep t,
uses ``philox4x32(p // P, t, chain0 + m, rng.LOCAL + c)``, P sites per block:
heat bath P = 4, word p % 4; Metropolis P = 2, words 2 (p % 2) (proposal) and
2 (p % 2) + 1 (acceptance).

Threads: with at least ``ROWS_PER_THREAD`` rows per thread each thread runs whole
rows for the whole call (one parallel region, no barrier per colour class); with
fewer rows the threads share the blocks of each colour class.  The bits are the same.

Observables: total energy E (the model's convention) and the extensive Potts
magnetisation M = (q max_a n_a - N) / (q - 1); lattice energies are
-J (number of satisfied bonds) - sum_i h[sigma_i].
"""


import numba
import numpy as np
from numba import njit, prange

from ebmphys.kernels.detmath import exp
from ebmphys.kernels.potts_updates import (
    HEATBATH,
    count_state,
    graph_heatbath,
    graph_metropolis,
    lattice_heatbath,
    lattice_metropolis,
    proposal,
)
from ebmphys.kernels.rng import LOCAL, WANG_LANDAU, philox4x32, threshold
from ebmphys.kernels.wang_landau_cpu import check_flatness, visit

_MASK32 = 0xFFFFFFFF
#: with at least this many rows per thread, each thread runs whole rows (no barrier per colour class)
ROWS_PER_THREAD = 4


def rows_per_thread(n_rows: int) -> bool:
    """Whether a batch of ``n_rows`` rows is shared out by rows (``by_row``) rather than by blocks of sites."""
    return n_rows >= ROWS_PER_THREAD * numba.get_num_threads()


@njit(cache=True)
def sites_per_block(rule):
    """Sites served by one Philox block: 4 for heat bath (one word each), 2 for Metropolis (two words)."""
    return 4 if rule == HEATBATH else 2


@njit(cache=True, inline="always")
def _lattice_block(sp, neighbors, sites, start, n_c, block, q, rule, bond, field, counts, weights, k0, k1, chain,
                   sweep, stream):
    """Update the sites of one Philox block of one colour class (positions block * P .. block * P + P - 1)."""
    per = sites_per_block(rule)
    w = philox4x32(block, sweep, chain, stream, k0, k1)
    for lane in range(per):
        pos = block * per + lane
        if pos < n_c:
            i = sites[start + pos]
            if rule == HEATBATH:
                sp[i] = lattice_heatbath(sp, neighbors, i, q, bond, field, counts, weights, w[lane])
            else:
                sp[i] = lattice_metropolis(sp, neighbors, i, q, bond, field, w[2 * lane], w[2 * lane + 1])


@njit(cache=True, parallel=True)
def _lattice_sweep_by_class(states, neighbors, sites, offsets, q, rule, bond_t, field_t, k0, k1, chain0, sweep,
                            counts, weights):
    """One sweep, the blocks of each colour class of every row shared out over threads (few rows, large lattices)."""
    per = sites_per_block(rule)
    for c in range(offsets.shape[0] - 1):
        n_c = offsets[c + 1] - offsets[c]
        n_blocks = (n_c + per - 1) // per
        for job in prange(states.shape[0] * n_blocks):
            m = job // n_blocks
            _lattice_block(states[m], neighbors, sites, offsets[c], n_c, job - m * n_blocks, q, rule, bond_t[m],
                           field_t[m], counts[job], weights[job], k0, k1, chain0 + m, sweep, LOCAL + c)


@njit(cache=True, parallel=True)
def _lattice_sweeps_by_row(states, neighbors, sites, offsets, q, rule, bond_t, field_t, k0, k1, chain0, sweep0,
                           n_sweeps, record_every, J, h, out_energy, out_magnetization, column0):
    """Whole runs, one row per thread (many rows): no barrier per colour class."""
    per = sites_per_block(rule)
    for m in prange(states.shape[0]):
        counts = np.empty(q + 1, dtype=np.int64)
        weights = np.empty(q)
        column = column0
        for t in range(n_sweeps):
            for c in range(offsets.shape[0] - 1):
                n_c = offsets[c + 1] - offsets[c]
                for block in range((n_c + per - 1) // per):
                    _lattice_block(states[m], neighbors, sites, offsets[c], n_c, block, q, rule, bond_t[m], field_t[m],
                                   counts, weights, k0, k1, chain0 + m, sweep0 + t, LOCAL + c)
            if record_every > 0 and (t + 1) % record_every == 0:
                out_energy[m, column], out_magnetization[m, column] = lattice_energy_magnetization(
                    states[m], neighbors, q, J, h)
                column += 1


@njit(cache=True)
def lattice_energy_magnetization(sp, neighbors, q, J, h):
    """(E, M) of one lattice configuration ``sp`` (ghost-padded): E = -J (satisfied bonds) - sum_i h[sigma_i]."""
    n = neighbors.shape[0]
    counts = np.zeros(q + 1, dtype=np.int64)
    equal = 0
    field = 0.0
    for i in range(n):
        s = sp[i]
        counts[s] += 1
        field += h[s]
        equal += count_state(sp, neighbors, i, s)
    return -J * (equal // 2) - field, (q * counts[:q].max() - n) / (q - 1.0)


@njit(cache=True, parallel=True)
def lattice_observables(states, neighbors, q, J, h, out_energy, out_magnetization, column):
    """Write E and M of every row into ``out_*[:, column]`` (lattice layout)."""
    for m in prange(states.shape[0]):
        out_energy[m, column], out_magnetization[m, column] = lattice_energy_magnetization(states[m], neighbors, q,
                                                                                           J, h)


@njit(cache=True)
def lattice_sweeps(states, neighbors, sites, offsets, q, rule, bond_t, field_t, k0, k1, chain0, sweep0, n_sweeps,
                   record_every, J, h, out_energy, out_magnetization, column0, by_row):
    """Run ``n_sweeps`` colour-class sweeps numbered ``sweep0, ...`` (row m is chain ``chain0 + m``).

    ``bond_t``, ``field_t``: per-row tables of :func:`update_tables`.  After every
    ``record_every``-th sweep (0: never) E and M go to ``out_*[:, column0 + k]``.
    ``by_row`` (see :func:`rows_per_thread`): each thread runs whole rows; else the blocks
    of each colour class are shared out over threads.  The bits are the same.
    """
    if by_row:
        _lattice_sweeps_by_row(states, neighbors, sites, offsets, q, rule, bond_t, field_t, k0, k1, chain0, sweep0,
                               n_sweeps, record_every, J, h, out_energy, out_magnetization, column0)
        return
    per = sites_per_block(rule)
    n_jobs = states.shape[0] * ((np.diff(offsets).max() + per - 1) // per)
    counts = np.empty((n_jobs, q + 1), dtype=np.int64)
    weights = np.empty((n_jobs, q))
    column = column0
    for t in range(n_sweeps):
        _lattice_sweep_by_class(states, neighbors, sites, offsets, q, rule, bond_t, field_t, k0, k1, chain0, sweep0 + t,
                                counts, weights)
        if record_every > 0 and (t + 1) % record_every == 0:
            lattice_observables(states, neighbors, q, J, h, out_energy, out_magnetization, column)
            column += 1


@njit(cache=True)
def update_tables(rule, J, h, z, betas):
    """Per-beta tables of :mod:`potts_updates`: (bond table, field_w (n_betas, q)).

    The bond table is bond_w (n_betas, z+1) for heat bath and bond_dw (n_betas, 2z+1) for Metropolis.
    """
    q = h.shape[0]
    width = z + 1 if rule == HEATBATH else 2 * z + 1
    bond = np.empty((betas.shape[0], width))
    field_w = np.empty((betas.shape[0], q))
    top_h = h.max()
    for k in range(betas.shape[0]):
        b = betas[k]
        for a in range(q):
            field_w[k, a] = exp(b * (h[a] - top_h))
        if rule == HEATBATH:
            top = max(0.0, b * J * z)
            for n in range(z + 1):
                bond[k, n] = exp(b * J * n - top)
        else:
            for d in range(-z, z + 1):
                bond[k, d + z] = exp(b * J * d)
    return bond, field_w


@njit(cache=True, inline="always")
def _graph_block(sp, indptr, indices, tables, fields, sites, start, n_c, block, q, rule, beta, weights, k0, k1, chain,
                 sweep, stream):
    """Update the sites of one Philox block of one colour class of a graph row."""
    per = sites_per_block(rule)
    w = philox4x32(block, sweep, chain, stream, k0, k1)
    for lane in range(per):
        pos = block * per + lane
        if pos < n_c:
            i = sites[start + pos]
            if rule == HEATBATH:
                sp[i] = graph_heatbath(sp, indptr, indices, tables, fields, i, q, beta, weights, w[lane])
            else:
                sp[i] = graph_metropolis(sp, indptr, indices, tables, fields, i, q, beta, w[2 * lane], w[2 * lane + 1])


@njit(cache=True, parallel=True)
def _graph_sweep_by_class(states, indptr, indices, tables, fields, sites, offsets, rule, betas, k0, k1, chain0, sweep,
                          weights):
    q = fields.shape[1]
    per = sites_per_block(rule)
    for c in range(offsets.shape[0] - 1):
        n_c = offsets[c + 1] - offsets[c]
        n_blocks = (n_c + per - 1) // per
        for job in prange(states.shape[0] * n_blocks):
            m = job // n_blocks
            _graph_block(states[m], indptr, indices, tables, fields, sites, offsets[c], n_c, job - m * n_blocks, q,
                         rule, betas[m], weights[job], k0, k1, chain0 + m, sweep, LOCAL + c)


@njit(cache=True, parallel=True)
def _graph_sweeps_by_row(states, indptr, indices, tables, fields, sites, offsets, rule, betas, k0, k1, chain0, sweep0,
                         n_sweeps, record_every, out_energy, out_magnetization, column0):
    q = fields.shape[1]
    per = sites_per_block(rule)
    for m in prange(states.shape[0]):
        weights = np.empty(q)
        column = column0
        for t in range(n_sweeps):
            for c in range(offsets.shape[0] - 1):
                n_c = offsets[c + 1] - offsets[c]
                for block in range((n_c + per - 1) // per):
                    _graph_block(states[m], indptr, indices, tables, fields, sites, offsets[c], n_c, block, q, rule,
                                 betas[m], weights, k0, k1, chain0 + m, sweep0 + t, LOCAL + c)
            if record_every > 0 and (t + 1) % record_every == 0:
                out_energy[m, column], out_magnetization[m, column] = graph_energy_magnetization(
                    states[m], indptr, indices, tables, fields)
                column += 1


@njit(cache=True)
def graph_energy(sp, indptr, indices, tables, fields):
    """E(sigma) = -1/2 sum_i sum_{j in row i} J_ij(sigma_i, sigma_j) - sum_i h_i(sigma_i) of one configuration."""
    pair = 0.0
    field = 0.0
    for i in range(fields.shape[0]):
        s = sp[i]
        field += fields[i, s]
        for k in range(indptr[i], indptr[i + 1]):
            pair += tables[k, s, sp[indices[k]]]
    return -0.5 * pair - field


@njit(cache=True)
def graph_energy_magnetization(sp, indptr, indices, tables, fields):
    """(E, M) of one graph configuration."""
    n, q = fields.shape
    counts = np.zeros(q, dtype=np.int64)
    for i in range(n):
        counts[sp[i]] += 1
    return graph_energy(sp, indptr, indices, tables, fields), (q * counts.max() - n) / (q - 1.0)


@njit(cache=True, parallel=True)
def graph_observables(states, indptr, indices, tables, fields, out_energy, out_magnetization, column):
    """Write E and M of every row into ``out_*[:, column]`` (graph layout)."""
    for m in prange(states.shape[0]):
        out_energy[m, column], out_magnetization[m, column] = graph_energy_magnetization(states[m], indptr, indices,
                                                                                         tables, fields)


@njit(cache=True)
def graph_sweeps(states, indptr, indices, tables, fields, sites, offsets, rule, betas, k0, k1, chain0, sweep0,
                 n_sweeps, record_every, out_energy, out_magnetization, column0, by_row):
    """Run ``n_sweeps`` colour-class sweeps of a graph model (row m: chain ``chain0 + m``, beta ``betas[m]``).

    Threads share rows or blocks as in :func:`lattice_sweeps`.
    """
    if by_row:
        _graph_sweeps_by_row(states, indptr, indices, tables, fields, sites, offsets, rule, betas, k0, k1, chain0,
                             sweep0, n_sweeps, record_every, out_energy, out_magnetization, column0)
        return
    per = sites_per_block(rule)
    weights = np.empty((states.shape[0] * ((np.diff(offsets).max() + per - 1) // per), fields.shape[1]))
    column = column0
    for t in range(n_sweeps):
        _graph_sweep_by_class(states, indptr, indices, tables, fields, sites, offsets, rule, betas, k0, k1, chain0,
                              sweep0 + t, weights)
        if record_every > 0 and (t + 1) % record_every == 0:
            graph_observables(states, indptr, indices, tables, fields, out_energy, out_magnetization, column)
            column += 1


# ---------------------------------------------------------------------------- Wang-Landau


@njit(cache=True)
def _unsatisfied(sp, neighbors):
    """Number of unsatisfied bonds (neighbours in different states; each bond once) of one configuration."""
    n = neighbors.shape[0]
    equal = 0
    real = 0
    for i in range(n):
        for k in range(neighbors.shape[1]):
            j = neighbors[i, k]
            real += j < n
            equal += sp[j] == sp[i]
    return (real - equal) // 2


@njit(cache=True, inline="always")
def _distance(level, lo, hi):
    """Distance of ``level`` from the window [lo, hi] (0 inside)."""
    return lo - level if level < lo else (level - hi if level > hi else 0)


@njit(cache=True, parallel=True)
def wang_landau_walkers(states, neighbors, q, lo, hi, flatness, check_every, log_f_final, max_trials, k0, k1, chain0,
                        log_g, visited, trials, final_log_f):
    """Wang-Landau walkers of a zero-field lattice Potts model, one per row of ``states`` (lattice layout).

    Levels: the number a of unsatisfied bonds (E = -J (B - a)); the walk is confined to
    the window lo <= a <= hi (a trial leaving it is rejected; the whole range is
    0 .. B).  Trial t of the walker in row w uses the words of ``philox4x32(t mod 2**32,
    t // 2**32, chain0 + w, rng.WANG_LANDAU)``: word 0 picks the site ((word N) >> 32),
    word 1 the proposed state (:func:`potts_updates.proposal`), word 2 accepts iff below
    ``threshold(min(1, g(a) / g(a')))``.  The schedule (flatness checks every
    ``check_every`` trials, then 1/t) is that of :mod:`ebmphys.kernels.wang_landau_cpu`;
    outputs as there (``trials`` counts the trials of the walk).

    A walker that starts outside the window first enters it: entry trial u (words of
    ``philox4x32(u mod 2**32, 2**31 + u // 2**32, chain0 + w, rng.WANG_LANDAU)``, laid
    out as above) is accepted iff it does not increase the distance to the window.
    """
    n = neighbors.shape[0]
    n_levels = log_g.shape[1]
    for w in prange(states.shape[0]):
        sp = states[w]
        lg = log_g[w]
        vis = visited[w]
        lg[:] = 0.0
        vis[:] = False
        hist = np.zeros(n_levels, dtype=np.int64)
        level = _unsatisfied(sp, neighbors)
        u = 0
        while _distance(level, lo, hi) > 0 and u < max_trials:
            r = philox4x32(u & _MASK32, 0x80000000 | ((u >> 32) & 0x7FFFFFFF), (chain0 + w) & _MASK32, WANG_LANDAU,
                           k0, k1)
            i = np.int64((np.uint64(r[0]) * np.uint64(n)) >> np.uint64(32))
            a = np.int64(sp[i])
            b = proposal(a, q, r[1])
            new = level + count_state(sp, neighbors, i, a) - count_state(sp, neighbors, i, b)
            if _distance(new, lo, hi) <= _distance(level, lo, hi):
                sp[i] = b
                level = new
            u += 1
        log_f = 1.0
        phase2 = False
        n_visited = 0
        t = 0
        while log_f > log_f_final and t < max_trials:
            r = philox4x32(t & _MASK32, (t >> 32) & _MASK32, (chain0 + w) & _MASK32, WANG_LANDAU, k0, k1)
            i = np.int64((np.uint64(r[0]) * np.uint64(n)) >> np.uint64(32))
            a = np.int64(sp[i])
            b = proposal(a, q, r[1])
            new = level + count_state(sp, neighbors, i, a) - count_state(sp, neighbors, i, b)
            if lo <= new <= hi and r[2] < threshold(exp(min(lg[level] - lg[new], 0.0))):
                sp[i] = b
                level = new
            log_f, n_visited, t = visit(level, lg, hist, vis, log_f, n_visited, t, phase2)
            if not phase2 and t % check_every == 0:
                log_f, phase2 = check_flatness(hist, vis, n_visited, flatness, log_f, t)
        trials[w] = t
        final_log_f[w] = log_f
