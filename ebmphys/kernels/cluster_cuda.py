"""Swendsen-Wang cluster updates on the GPU (CUDA twin of ``cluster_cpu.swendsen_wang_steps``).

Ferromagnetic zero-field lattice Ising model, layout of :mod:`ebmphys.kernels.cluster_cpu`
(spins int8 (n_chains, n_spins + padding) with ghost zeros, ``neighbors`` int32
(n_spins, 2d), column 2a the +1 neighbour along axis a; ``thresholds`` uint64 per
chain, ``floor(p_add 2**32)`` with ``p_add = 1 - exp(-2 beta J)`` computed on the host).
One step, all chains at once, three launches:

1. every site is its own label: ``label[i] = i``;
2. one thread per site draws its bonds exactly as the CPU does (the bond from i
   to its +1 neighbour along axis a uses word a % 4 of ``philox4x32(i B' + a // 4,
   step, chain0 + m, stream)``, B' = ceil(d / 4); active iff the two spins agree
   and the word is below the threshold) and merges the two trees of every active
   bond by a lock-free union-find (Komura and Okabe, Comput. Phys. Commun. 183,
   1155, 2012; the atomic-min union of Playne and Hawick, IEEE TPDS 29, 1217, 2018):
   a root is only ever hooked below a smaller index, with ``atomic.min`` retried
   until it sticks, so labels only decrease and every label points into its own
   cluster;
3. every site finds its root and flips when the top bit of word r % 4 of
   ``philox4x32(r // 4, step, chain0 + m, stream + 1)`` is set, r the root.

Since labels only point to smaller sites of the same cluster, the root of a
cluster is its smallest site whatever order the threads ran in: the same cluster
flips with the same coin as on the CPU (where union by smaller index also makes
the smallest site the root), so the bits agree.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from ebmphys.kernels.common_cuda import launch
from ebmphys.kernels.rng import philox4x32

_TOP_BIT = np.uint64(0x80000000)


@cuda.jit(cache=True)
def _init_labels(labels):
    g = cuda.grid(1)
    n = labels.shape[1]
    if g < labels.shape[0] * n:
        m = g // n
        i = g - m * n
        labels[m, i] = i


@cuda.jit(device=True)
def _find(labels, m, i):
    """Root of site i in row m (no path compression: other threads may be hooking roots)."""
    while labels[m, i] != i:
        i = labels[m, i]
    return i


@cuda.jit(device=True)
def _union(labels, m, a, b):
    """Merge the trees of sites a and b of row m; the larger root is hooked below the smaller."""
    done = False
    while not done:
        a = _find(labels, m, a)
        b = _find(labels, m, b)
        if a < b:
            old = cuda.atomic.min(labels, (m, b), a)
            done = old == b
            b = old
        elif b < a:
            old = cuda.atomic.min(labels, (m, a), b)
            done = old == a
            a = old
        else:
            done = True


@cuda.jit(cache=True)
def _bonds(spins, neighbors, thresholds, labels, k0, k1, chain0, step, stream):
    g = cuda.grid(1)
    n_spins = neighbors.shape[0]
    if g >= spins.shape[0] * n_spins:
        return
    m = g // n_spins
    i = g - m * n_spins
    dims = neighbors.shape[1] // 2
    blocks = (dims + 3) // 4
    s = spins[m, i]
    limit = thresholds[m]
    words = philox4x32(i * blocks, step, chain0 + m, stream, k0, k1)
    for a in range(dims):
        if a > 0 and a & 3 == 0:
            words = philox4x32(i * blocks + (a >> 2), step, chain0 + m, stream, k0, k1)
        j = neighbors[i, 2 * a]
        if spins[m, j] == s and words[a & 3] < limit:
            _union(labels, m, i, j)


@cuda.jit(cache=True)
def _flip(spins, labels, k0, k1, chain0, step, stream):
    g = cuda.grid(1)
    n_spins = labels.shape[1]
    if g >= spins.shape[0] * n_spins:
        return
    m = g // n_spins
    i = g - m * n_spins
    root = _find(labels, m, i)
    coins = philox4x32(root >> 2, step, chain0 + m, stream + 1, k0, k1)
    if coins[root & 3] >= _TOP_BIT:
        spins[m, i] = -spins[m, i]


def swendsen_wang_steps(spins, neighbors, thresholds, labels, k0: int, k1: int, chain0: int, step0: int,
                        n_steps: int, stream: int, after_step=None) -> None:
    """Steps ``step0 .. step0 + n_steps - 1`` of every chain (row m is chain ``chain0 + m``).

    ``labels``: int32 device work array (n_chains, n_spins).  ``after_step(t)`` is
    called after step t (0-based within the call) if given.
    """
    blocks, threads = launch(labels.shape[0] * labels.shape[1])
    for t in range(n_steps):
        _init_labels[blocks, threads](labels)
        _bonds[blocks, threads](spins, neighbors, thresholds, labels, k0, k1, chain0, step0 + t, stream)
        _flip[blocks, threads](spins, labels, k0, k1, chain0, step0 + t, stream)
        if after_step is not None:
            after_step(t)
