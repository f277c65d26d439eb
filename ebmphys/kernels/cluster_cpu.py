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
``E = -J B`` (exact); magnetisation is ``M = sum_i s_i``.  Wolff updates them
incrementally from the cluster's boundary, and only when something is recorded.
"""

import numpy as np
from numba import njit, prange

from ebmphys.kernels.rng import philox4x32

_TWO32 = np.uint64(1) << np.uint64(32)


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
def _wolff_step(sp, neighbors, threshold, k0, k1, step, chain, stream, stack, stamp, track):
    """Grow and flip one Wolff cluster in the configuration ``sp`` (one chain's row).

    ``stack`` needs n_spins + 1 entries.  Returns (the cluster's old spin, its
    size, the change of the bond sum); the bond-sum change is computed (a second
    pass over the cluster, marking members in ``stamp`` with step + 1) only when
    ``track`` is true, else it is 0.
    """
    n_spins = neighbors.shape[0]
    z = neighbors.shape[1]
    blocks = (z + 3) // 4
    words_per_site = _TWO32 // np.uint64(n_spins)
    limit = words_per_site * np.uint64(n_spins)
    r = 0
    words = philox4x32(0, step, chain, stream + 1, k0, k1)
    while words[r & 3] >= limit:
        r += 1
        if r & 3 == 0:
            words = philox4x32(r >> 2, step, chain, stream + 1, k0, k1)
    seed = np.int64(words[r & 3] // words_per_site)
    s0 = sp[seed]
    flipped = -s0
    sp[seed] = flipped
    stack[0] = seed
    size = 1
    head = 0
    while head < size:
        i = stack[head]
        first_block = head * blocks
        head += 1
        for m in range(z):
            if m & 3 == 0:
                words = philox4x32(first_block + (m >> 2), step, chain, stream, k0, k1)
            j = neighbors[i, m]
            join = (sp[j] == s0) & (words[m & 3] < threshold)
            sp[j] = flipped if join else sp[j]
            stack[size] = j
            size += join
    if not track:
        return s0, size, 0
    # bonds leaving the cluster change sign: dB = -2 s0 sum_{boundary} s_j (old = current s_j)
    mark = step + 1
    for p in range(size):
        stamp[stack[p]] = mark
    boundary = 0
    for p in range(size):
        i = stack[p]
        for m in range(z):
            j = neighbors[i, m]
            if j < n_spins and stamp[j] != mark:
                boundary += sp[j]
    return s0, size, -2 * s0 * boundary


@njit(cache=True, parallel=True)
def wolff_steps(spins, neighbors, thresholds, k0, k1, chain0, step0, n_steps, record_every, J,
                out_energy, out_magnetization, column0, stream, stack, stamp, flipped):
    """Run ``n_steps`` Wolff cluster flips numbered ``step0, step0+1, ...`` on every chain (row m: chain0 + m).

    Work buffers ``stack`` int64 (n_chains, n_spins + 1) and ``stamp`` int64
    (n_chains, n_spins), ``stamp`` zero
    before the first call of a run (step numbers only grow from call to call).
    ``flipped[chain]`` accumulates the number of spins flipped.  After every
    ``record_every``-th step (0: never, and E is then not tracked) E and M go
    to ``out_*[:, column0 + k]``.
    """
    track = record_every > 0
    for chain in prange(spins.shape[0]):
        sp = spins[chain]
        bonds, mag = _bond_sum_and_magnetization(spins, chain, neighbors) if track else (0, 0)
        threshold = thresholds[chain]
        column = column0
        for t in range(n_steps):
            s0, size, d_bonds = _wolff_step(sp, neighbors, threshold, k0, k1, step0 + t, chain0 + chain, stream,
                                            stack[chain], stamp[chain], track)
            flipped[chain] += size
            if track:
                bonds += d_bonds
                mag -= 2 * s0 * size
                if (t + 1) % record_every == 0:
                    out_energy[chain, column] = -J * bonds
                    out_magnetization[chain, column] = mag
                    column += 1


@njit(cache=True, inline="always")
def _find(parent, i):
    """Root of site i, halving the path on the way."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True)
def _swendsen_wang_step(sp, neighbors, threshold, k0, k1, step, chain, stream, parent):
    n_spins = neighbors.shape[0]
    dims = neighbors.shape[1] // 2
    blocks = (dims + 3) // 4
    for i in range(n_spins):
        parent[i] = i
    for i in range(n_spins):
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
        else:
            r = parent[i]
            while parent[r] >= 0:
                r = parent[r]
            if parent[r] == -1:
                sp[i] = -sp[i]


@njit(cache=True, parallel=True)
def swendsen_wang_steps(spins, neighbors, thresholds, k0, k1, chain0, step0, n_steps, record_every, J,
                        out_energy, out_magnetization, column0, stream, parent):
    """Run ``n_steps`` Swendsen-Wang updates numbered ``step0, step0+1, ...`` on every chain (row m: chain0 + m).

    Work buffer ``parent``: int64 (n_chains, n_spins).  After every
    ``record_every``-th step (0: never) E and M go to ``out_*[:, column0 + k]``.
    """
    for chain in prange(spins.shape[0]):
        threshold = thresholds[chain]
        column = column0
        for t in range(n_steps):
            _swendsen_wang_step(spins[chain], neighbors, threshold, k0, k1, step0 + t, chain0 + chain, stream,
                                parent[chain])
            if record_every > 0 and (t + 1) % record_every == 0:
                bonds, mag = _bond_sum_and_magnetization(spins, chain, neighbors)
                out_energy[chain, column] = -J * bonds
                out_magnetization[chain, column] = mag
                column += 1
