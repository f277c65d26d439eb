"""Cluster updates of the ferromagnetic zero-field lattice Ising model: Wolff and Swendsen-Wang (CPU, Numba).

Both algorithms use Fortuin-Kasteleyn bonds: a bond between aligned neighbours
is activated with probability ``p_add = 1 - exp(-2 beta J)`` (J > 0, h = 0).

* Wolff (PRL 62, 361, 1989): one step grows a single cluster from a uniformly
  chosen seed site through activated bonds and flips it.
* Swendsen-Wang (PRL 58, 86, 1987): one step activates every bond, labels all
  clusters (union-find with path halving, near-linear time) and flips each
  cluster with probability 1/2.

Layout shared with ``lattice_cpu``: ``spins`` int8 (n_chains, n_spins + 1), the
last column a ghost spin fixed at 0 that open-boundary neighbours point to
(a ghost is never aligned with a spin, so no bond to it is ever activated);
``neighbors`` int32 (n_spins, 2d) with column 2a the +1 neighbour along axis a.
``p_add`` enters as a uint64 threshold per chain (``thresholds[chain]`` =
floor(p_add 2**32)); a bond is active iff its uint32 word is below it.

Random words: within update step t of chain c the draws are consumed one after
another; draw k is word ``k % 4`` of ``philox4x32(k // 4, t, c, stream)``.  The
trajectory is therefore a pure function of (seed, chain, step) whatever the
thread count.  Wolff consumes: the seed site (by rejection, exactly uniform),
then one word per bond tested, in the order the cluster grows (depth first).
Swendsen-Wang consumes one word per aligned bond in bond order (site i, axis a),
then one word per cluster, whose top bit decides its flip, in order of the
cluster's root site.

Energies are kept as integer bond sums ``B = sum_<ij> s_i s_j`` and written as
``E = -J B`` (exact); magnetisation is ``M = sum_i s_i``.
"""

import numpy as np
from numba import njit, prange

from ebmphys.kernels.rng import philox4x32

_TWO32 = np.uint64(1) << np.uint64(32)


@njit(cache=True, inline="always")
def _draw(words, k, step, chain, stream, k0, k1):
    """Draw number ``k`` of (step, chain): word k % 4 of block k // 4.

    ``words`` is the block holding draw k - 1 (block 0 when k = 0); returns the
    block holding draw k, the draw, and k + 1.
    """
    if k % 4 == 0 and k > 0:
        words = philox4x32(k // 4, step, chain, stream, k0, k1)
    return words, words[k % 4], k + 1


@njit(cache=True)
def _bond_sum_and_magnetization(spins, chain, neighbors):
    """Integer bond sum (forward bonds only, each bond once) and magnetisation of one chain."""
    n_spins = neighbors.shape[0]
    dims = neighbors.shape[1] // 2
    bonds = 0
    mag = 0
    for i in range(n_spins):
        s = spins[chain, i]
        mag += s
        for a in range(dims):
            bonds += s * spins[chain, neighbors[i, 2 * a]]
    return bonds, mag


@njit(cache=True)
def _wolff_step(spins, chain, neighbors, threshold, k0, k1, step, stream, stack, stamp):
    """Grow and flip one Wolff cluster; return (its old spin, its size, the change of the bond sum)."""
    n_spins = neighbors.shape[0]
    z = neighbors.shape[1]
    mark = step + 1
    limit = (_TWO32 // np.uint64(n_spins)) * np.uint64(n_spins)
    words = philox4x32(0, step, chain, stream, k0, k1)
    words, w, k = _draw(words, 0, step, chain, stream, k0, k1)
    while w >= limit:
        words, w, k = _draw(words, k, step, chain, stream, k0, k1)
    seed = np.int64((w * np.uint64(n_spins)) >> np.uint64(32))
    s0 = spins[chain, seed]
    spins[chain, seed] = -s0
    stamp[chain, seed] = mark
    stack[chain, 0] = seed
    size = 1
    head = 0
    while head < size:
        i = stack[chain, head]
        head += 1
        for m in range(z):
            j = neighbors[i, m]
            if spins[chain, j] == s0:
                words, w, k = _draw(words, k, step, chain, stream, k0, k1)
                if w < threshold:
                    spins[chain, j] = -s0
                    stamp[chain, j] = mark
                    stack[chain, size] = j
                    size += 1
    # bonds leaving the cluster change sign: dB = -2 s0 sum_{boundary} s_j (old = current s_j)
    boundary = 0
    for p in range(size):
        i = stack[chain, p]
        for m in range(z):
            j = neighbors[i, m]
            if j < n_spins and stamp[chain, j] != mark:
                boundary += spins[chain, j]
    return s0, size, -2 * s0 * boundary


@njit(cache=True, parallel=True)
def wolff_steps(spins, neighbors, thresholds, k0, k1, step0, n_steps, record_every, J,
                out_energy, out_magnetization, column0, stream, stack, stamp, flipped):
    """Run ``n_steps`` Wolff cluster flips numbered ``step0, step0+1, ...`` on every chain.

    Work buffers ``stack`` and ``stamp``: int64 (n_chains, n_spins), ``stamp`` zero
    before the first call of a run (step numbers only grow from call to call).
    ``flipped[chain]`` accumulates the number of spins flipped.  After every
    ``record_every``-th step (0: never) E and M go to ``out_*[:, column0 + k]``.
    """
    for chain in prange(spins.shape[0]):
        bonds, mag = _bond_sum_and_magnetization(spins, chain, neighbors)
        threshold = thresholds[chain]
        column = column0
        for t in range(n_steps):
            s0, size, d_bonds = _wolff_step(spins, chain, neighbors, threshold, k0, k1, step0 + t, stream, stack, stamp)
            flipped[chain] += size
            bonds += d_bonds
            mag -= 2 * s0 * size
            if record_every > 0 and (t + 1) % record_every == 0:
                out_energy[chain, column] = -J * bonds
                out_magnetization[chain, column] = mag
                column += 1


@njit(cache=True, inline="always")
def _find(parent, chain, i):
    """Root of site i, halving the path on the way."""
    while parent[chain, i] != i:
        parent[chain, i] = parent[chain, parent[chain, i]]
        i = parent[chain, i]
    return i


@njit(cache=True)
def _swendsen_wang_step(spins, chain, neighbors, threshold, k0, k1, step, stream, parent):
    n_spins = neighbors.shape[0]
    dims = neighbors.shape[1] // 2
    for i in range(n_spins):
        parent[chain, i] = i
    words = philox4x32(0, step, chain, stream, k0, k1)
    k = 0
    for i in range(n_spins):
        s = spins[chain, i]
        for a in range(dims):
            j = neighbors[i, 2 * a]
            if spins[chain, j] == s:
                words, w, k = _draw(words, k, step, chain, stream, k0, k1)
                if w < threshold:
                    ri = _find(parent, chain, i)
                    rj = _find(parent, chain, j)
                    if ri < rj:
                        parent[chain, rj] = ri
                    elif rj < ri:
                        parent[chain, ri] = rj
    # union by smaller index makes every parent pointer point down, so a cluster's root is its
    # smallest site and is met first; a decided root stores its flip as parent = -1 (flip) or -2 (keep)
    for i in range(n_spins):
        if parent[chain, i] == i:
            words, w, k = _draw(words, k, step, chain, stream, k0, k1)
            if w >= np.uint64(0x80000000):
                parent[chain, i] = -1
                spins[chain, i] = -spins[chain, i]
            else:
                parent[chain, i] = -2
        else:
            r = parent[chain, i]
            while parent[chain, r] >= 0:
                r = parent[chain, r]
            if parent[chain, r] == -1:
                spins[chain, i] = -spins[chain, i]


@njit(cache=True, parallel=True)
def swendsen_wang_steps(spins, neighbors, thresholds, k0, k1, step0, n_steps, record_every, J,
                        out_energy, out_magnetization, column0, stream, parent):
    """Run ``n_steps`` Swendsen-Wang updates numbered ``step0, step0+1, ...`` on every chain.

    Work buffer ``parent``: int64 (n_chains, n_spins).  After every
    ``record_every``-th step (0: never) E and M go to ``out_*[:, column0 + k]``.
    """
    for chain in prange(spins.shape[0]):
        threshold = thresholds[chain]
        column = column0
        for t in range(n_steps):
            _swendsen_wang_step(spins, chain, neighbors, threshold, k0, k1, step0 + t, stream, parent)
            if record_every > 0 and (t + 1) % record_every == 0:
                bonds, mag = _bond_sum_and_magnetization(spins, chain, neighbors)
                out_energy[chain, column] = -J * bonds
                out_magnetization[chain, column] = mag
                column += 1
