"""Cluster updates of the ferromagnetic zero-field lattice Ising model: Wolff and Swendsen-Wang (CPU, Numba).

Both algorithms use Fortuin-Kasteleyn bonds: a bond between aligned neighbours
is activated with probability ``p_add = 1 - exp(-2 beta J)`` (J > 0, h = 0).

* Wolff (PRL 62, 361, 1989): one step grows a single cluster from a uniformly
  chosen seed site through activated bonds and flips it.
* Swendsen-Wang (PRL 58, 86, 1987): one step activates every bond, labels all
  clusters (union-find with path halving, near-linear time) and flips each
  cluster with probability 1/2.

Layout shared with ``lattice_cpu``: ``spins`` int8 (n_chains, n_spins + padding)
whose columns from ``n_spins`` on are ghost spins fixed at 0; open-boundary
neighbours point to index ``n_spins`` (a ghost is never aligned with a spin, so
no bond to it is ever activated); ``neighbors`` int32 (n_spins, 2d) with column
2a the +1 neighbour along axis a.
``p_add`` enters as a uint64 threshold per chain (``thresholds[chain]`` =
floor(p_add 2**32)); a bond is active iff its uint32 word is below it.

Random words are addressed by position, so a trajectory is a pure function of
(seed, chain, step) whatever the thread count.  With ``stream`` the cluster
stream (``rng.CLUSTER``), ``B = ceil(2d / 4)`` blocks per site and, for kernel row m,
``philox4x32(c0, step, chain0 + m, c3)`` written ``P(c0, c3)``:

* Wolff: the seed site is drawn by rejection, exactly uniformly: with
  q = floor(2**32 / N), the first of words 0, 1, 2, ... of
  ``P(0, stream + 1), P(1, stream + 1), ...`` below q N gives the seed w // q
  (every site is hit by exactly q words).  The member at queue position p
  (0 = the seed, breadth-first order) tests its neighbour column m with word
  m % 4 of ``P(p B + m // 4, stream)``; an aligned neighbour whose word is below
  the threshold joins the cluster (is flipped and queued).  Every neighbour
  consumes its word whether or not it is tested, which keeps the growth loop
  free of unpredictable branches.
* Swendsen-Wang: the bond from site i to its +1 neighbour along axis a uses
  word a % 4 of ``P(i B' + a // 4, stream)``, B' = ceil(d / 4); the cluster whose
  smallest site is r flips when the top bit of word r % 4 of
  ``P(r // 4, stream + 1)`` is set.

Energies are kept as integer bond sums ``B = sum_<ij> s_i s_j`` and written as
``E = -J B`` (exact); magnetisation is ``M = sum_i s_i``.  Only when something is
recorded: Swendsen-Wang recomputes them after the step with the row pass of
:mod:`lattice_cpu`; Wolff updates them during the growth of the cluster (see
:func:`_wolff_step`), starting from one row pass per call.
"""

import numpy as np
from numba import njit, prange

from ebmphys.kernels.lattice_cpu import row_bond_sum_and_magnetization
from ebmphys.kernels.rng import philox4x32

_TWO32 = np.uint64(1) << np.uint64(32)

#: Wolff bond-sum bookkeeping: change of B contributed by one examined neighbour, indexed by
#: ``s0 * value + 3`` of its value at the time (see :func:`_wolff_step`)
_BOND_CHANGE = np.array([2, -2, 2, 0, -2], dtype=np.int64)


@njit(cache=True)
def seed_word(n_sites, step, chain, stream, k0, k1):
    """The word that picks a Wolff cluster's seed among ``n_sites`` sites, by rejection.

    The first of words 0, 1, 2, ... of ``P(0, stream + 1), P(1, stream + 1), ...``
    below ``floor(2**32 / n_sites) n_sites`` (see the module docstring); shared by the
    Ising and Potts Wolff kernels, which map it to a site.
    """
    limit = (_TWO32 // np.uint64(n_sites)) * np.uint64(n_sites)
    r = 0
    words = philox4x32(0, step, chain, stream + 1, k0, k1)
    while words[r & 3] >= limit:
        r += 1
        if r & 3 == 0:
            words = philox4x32(r >> 2, step, chain, stream + 1, k0, k1)
    return words[r & 3]


@njit(cache=True)
def _wolff_step(sp, neighbors, threshold, k0, k1, step, chain, stream, stack, track):
    """Grow and flip one Wolff cluster in the configuration ``sp`` (one chain's row).

    ``stack`` needs n_spins + 1 entries.  Returns (the cluster's old spin s0, its
    size, the change of the bond sum B).  The change of B is computed during the
    growth when ``track`` is true (else it is 0): members carry the marks
    ``-2 s0`` (joined) and ``-3 s0`` (its neighbours examined), and 0 while their own
    neighbours are examined, until a last pass over the cluster sets them to
    ``-s0``.  Flipping the cluster changes B by ``-2 s0 sum s_j`` over the bonds
    (i in C, j not in C); each bond inside C is examined twice, once by each end,
    and each boundary bond once, so B changes by the sum over all examinations
    of: -2 for an aligned non-member (s0) or a joined, unexamined member (-2 s0);
    +2 for an anti-aligned non-member (-s0) or an examined member (-3 s0); 0 for
    the ghost or the site itself (a side of length 1).  An inner bond scores
    (-2) + (+2) = 0 (its second examination always sees an examined member), a
    boundary bond its own change.
    """
    n_spins = neighbors.shape[0]
    z = neighbors.shape[1]
    blocks = (z + 3) // 4
    seed = np.int64(seed_word(n_spins, step, chain, stream, k0, k1) // (_TWO32 // np.uint64(n_spins)))
    s0 = sp[seed]
    flipped = -s0
    joined = -2 * s0 if track else flipped
    examined = -3 * s0 if track else flipped
    sp[seed] = joined
    stack[0] = seed
    size = 1
    head = 0
    d_bonds = 0
    while head < size:
        i = stack[head]
        first_block = head * blocks
        head += 1
        if track:
            sp[i] = 0
        for m in range(z):
            if m & 3 == 0:
                words = philox4x32(first_block + (m >> 2), step, chain, stream, k0, k1)
            j = neighbors[i, m]
            v = sp[j]
            if track:
                d_bonds += _BOND_CHANGE[s0 * v + 3]
            join = (v == s0) & (words[m & 3] < threshold)
            sp[j] = joined if join else v
            stack[size] = j
            size += join
        sp[i] = examined
    if track:
        for p in range(size):
            sp[stack[p]] = flipped
    return s0, size, d_bonds


@njit(cache=True)
def _wolff_chain(sp, chain, neighbors, row_nbrs, side, periodic_last, threshold, k0, k1, chain0, step0, n_steps,
                 record_every, J, out_energy, out_magnetization, column0, stream, stack, flipped):
    """All steps of kernel row ``chain`` (configuration ``sp``) of :func:`wolff_steps`."""
    track = record_every > 0
    bonds, mag = row_bond_sum_and_magnetization(sp, row_nbrs, side, periodic_last) if track else (0, 0)
    column = column0
    for t in range(n_steps):
        s0, size, d_bonds = _wolff_step(sp, neighbors, threshold, k0, k1, step0 + t, chain0 + chain, stream, stack,
                                        track)
        flipped[chain] += size
        if track:
            bonds += d_bonds
            mag -= 2 * s0 * size
            if (t + 1) % record_every == 0:
                out_energy[chain, column] = -J * bonds
                out_magnetization[chain, column] = mag
                column += 1


@njit(cache=True)
def wolff_steps(spins, neighbors, row_nbrs, side, periodic_last, thresholds, k0, k1, chain0, step0, n_steps,
                record_every, J, out_energy, out_magnetization, column0, stream, stack, flipped):
    """Run ``n_steps`` Wolff cluster flips numbered ``step0, step0+1, ...`` on every chain (row m: chain0 + m).

    Work buffer ``stack`` int64 (n_chains, n_spins + 1); ``flipped[chain]``
    accumulates the number of spins flipped.  After every ``record_every``-th
    step (0: never, and E is then not tracked) E and M go to
    ``out_*[:, column0 + k]``; the row structure (``row_nbrs``, ``side``,
    ``periodic_last``, see :mod:`lattice_cpu`) serves the bond sum at the start.
    One thread; :func:`wolff_steps_parallel` (chains shared out) gives the same bits.
    """
    for chain in range(spins.shape[0]):
        _wolff_chain(spins[chain], chain, neighbors, row_nbrs, side, periodic_last, thresholds[chain], k0, k1, chain0,
                     step0, n_steps, record_every, J, out_energy, out_magnetization, column0, stream, stack[chain],
                     flipped)


@njit(cache=True, parallel=True)
def wolff_steps_parallel(spins, neighbors, row_nbrs, side, periodic_last, thresholds, k0, k1, chain0, step0, n_steps,
                         record_every, J, out_energy, out_magnetization, column0, stream, stack, flipped):
    """:func:`wolff_steps` with the chains shared out among threads."""
    for chain in prange(spins.shape[0]):
        _wolff_chain(spins[chain], chain, neighbors, row_nbrs, side, periodic_last, thresholds[chain], k0, k1, chain0,
                     step0, n_steps, record_every, J, out_energy, out_magnetization, column0, stream, stack[chain],
                     flipped)


@njit(cache=True, inline="always")
def _find(parent, i):
    """Root of site i, halving the path on the way."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True)
def activate_bonds(sp, neighbors, threshold, k0, k1, step, chain, stream, parent):
    """Activate the Fortuin-Kasteleyn bonds of ``sp`` (one row) and join their ends in ``parent``.

    The bond from site i to its +1 neighbour j along axis a is active iff
    ``sp[j] == sp[i]`` and word a % 4 of ``P(i B' + a // 4, stream)`` is below
    ``threshold`` (see the module docstring).  ``parent`` int64 (N,) is reset and
    left as a union-find forest (path halving, union by smaller index), so every
    pointer points down and a cluster's root is its smallest site.  Shared by the
    Ising and Potts Swendsen-Wang kernels.
    """
    n_sites = neighbors.shape[0]
    dims = neighbors.shape[1] // 2
    blocks = (dims + 3) // 4
    for i in range(n_sites):
        parent[i] = i
    for i in range(n_sites):
        s = sp[i]
        for a in range(dims):
            if a & 3 == 0:
                words = philox4x32(i * blocks + (a >> 2), step, chain, stream, k0, k1)
            j = neighbors[i, 2 * a]
            if sp[j] == s and words[a & 3] < threshold:
                ri = _find(parent, i)
                rj = _find(parent, j)
                if ri < rj:
                    parent[rj] = ri
                elif rj < ri:
                    parent[ri] = rj


@njit(cache=True, inline="always")
def root_mark(parent, i):
    """The mark (a negative number) that the decided root of non-root site i left in ``parent``."""
    r = parent[i]
    while parent[r] >= 0:
        r = parent[r]
    return parent[r]


@njit(cache=True)
def _swendsen_wang_step(sp, neighbors, threshold, k0, k1, step, chain, stream, parent):
    n_spins = neighbors.shape[0]
    activate_bonds(sp, neighbors, threshold, k0, k1, step, chain, stream, parent)
    # union by smaller index makes every parent pointer point down, so a cluster's root is its
    # smallest site and is met first; a decided root stores its flip as parent = -1 (flip) or -2 (keep)
    coin_block = -1
    coins = (np.uint64(0), np.uint64(0), np.uint64(0), np.uint64(0))
    for i in range(n_spins):
        if parent[i] == i:
            if i >> 2 != coin_block:
                coin_block = i >> 2
                coins = philox4x32(coin_block, step, chain, stream + 1, k0, k1)
            if coins[i & 3] >= np.uint64(0x80000000):
                parent[i] = -1
                sp[i] = -sp[i]
            else:
                parent[i] = -2
        elif root_mark(parent, i) == -1:
            sp[i] = -sp[i]


@njit(cache=True)
def _swendsen_wang_chain(sp, chain, neighbors, row_nbrs, side, periodic_last, threshold, k0, k1, chain0, step0,
                         n_steps, record_every, J, out_energy, out_magnetization, column0, stream, parent):
    """All steps of kernel row ``chain`` (configuration ``sp``) of :func:`swendsen_wang_steps`."""
    column = column0
    for t in range(n_steps):
        _swendsen_wang_step(sp, neighbors, threshold, k0, k1, step0 + t, chain0 + chain, stream, parent)
        if record_every > 0 and (t + 1) % record_every == 0:
            bonds, mag = row_bond_sum_and_magnetization(sp, row_nbrs, side, periodic_last)
            out_energy[chain, column] = -J * bonds
            out_magnetization[chain, column] = mag
            column += 1


@njit(cache=True)
def swendsen_wang_steps(spins, neighbors, row_nbrs, side, periodic_last, thresholds, k0, k1, chain0, step0, n_steps,
                        record_every, J, out_energy, out_magnetization, column0, stream, parent):
    """Run ``n_steps`` Swendsen-Wang updates numbered ``step0, step0+1, ...`` on every chain (row m: chain0 + m).

    Work buffer ``parent``: int64 (n_chains, n_spins).  After every
    ``record_every``-th step (0: never) E and M (the row pass of :mod:`lattice_cpu`,
    row structure ``row_nbrs``, ``side``, ``periodic_last``) go to ``out_*[:, column0 + k]``.
    One thread; :func:`swendsen_wang_steps_parallel` (chains shared out) gives the same bits.
    """
    for chain in range(spins.shape[0]):
        _swendsen_wang_chain(spins[chain], chain, neighbors, row_nbrs, side, periodic_last, thresholds[chain], k0, k1,
                             chain0, step0, n_steps, record_every, J, out_energy, out_magnetization, column0, stream,
                             parent[chain])


@njit(cache=True, parallel=True)
def swendsen_wang_steps_parallel(spins, neighbors, row_nbrs, side, periodic_last, thresholds, k0, k1, chain0, step0,
                                 n_steps, record_every, J, out_energy, out_magnetization, column0, stream, parent):
    """:func:`swendsen_wang_steps` with the chains shared out among threads."""
    for chain in prange(spins.shape[0]):
        _swendsen_wang_chain(spins[chain], chain, neighbors, row_nbrs, side, periodic_last, thresholds[chain], k0, k1,
                             chain0, step0, n_steps, record_every, J, out_energy, out_magnetization, column0, stream,
                             parent[chain])
