"""Cluster updates of the ferromagnetic lattice Potts model: Wolff and Swendsen-Wang (CPU, Numba).

Fortuin-Kasteleyn bonds: a bond between neighbours in the same state is active
with probability ``p = 1 - exp(-beta J)`` (J > 0, no field favouring a state).

* Wolff: one step grows a single cluster from a uniformly chosen seed site
  through active bonds and moves it to one of the q - 1 other states, uniformly.
* Swendsen-Wang: one step activates every bond, labels the clusters (union-find
  with path halving, union by smaller index) and gives every cluster a state drawn
  uniformly from all q states.

Layout (that of :mod:`potts_cpu` lattices): ``states`` uint8 (n_rows, N + 1), the
ghost site N holding q (never in a cluster's state, so no bond to it is active);
``neighbors`` int32 (N, 2d), column 2a the +1 neighbour along axis a.  ``p``
enters as a uint64 threshold per row; a bond is active iff its word is below it.

Random words, ``P(c0, c3)`` = ``philox4x32(c0, step, chain0 + m, c3)`` for kernel
row m, ``stream`` = ``rng.CLUSTER``, B = ceil(2d / 4), B' = ceil(d / 4), exactly as
for the Ising kernels of :mod:`cluster_cpu` (so the GPU twins share the layout):

* Wolff: the seed site by rejection from words 0, 1, 2, ... of
  ``P(0, stream + 1), P(1, stream + 1), ...`` (:func:`cluster_cpu.seed_word`; the
  accepted word w gives site ``(w N) >> 32``, where the Ising kernel takes ``w // floor(2**32 / N)``,
  so a site's probability is 1/N within a relative N / 2**32, which biases nothing: detailed
  balance holds for any seed-site distribution, since the same cluster is reached from the
  same seeds before and after it changes); the new state from word 0 of
  ``P(0, rng.CLUSTER_STATE)`` (:func:`potts_updates.proposal`); the member at queue
  position p tests its neighbour column k with word k % 4 of ``P(p B + k // 4, stream)``.
* Swendsen-Wang: the bond from site i to its +1 neighbour along axis a uses word
  a % 4 of ``P(i B' + a // 4, stream)``; the cluster whose smallest site is r takes
  the state :func:`potts_updates.uniform_state` of word r % 4 of ``P(r // 4, stream + 1)``.
"""

import numpy as np
from numba import njit, prange

from ebmphys.kernels.cluster_cpu import activate_bonds, root_mark, seed_word
from ebmphys.kernels.potts_cpu import lattice_energy_magnetization
from ebmphys.kernels.potts_updates import proposal, uniform_state
from ebmphys.kernels.rng import CLUSTER_STATE, philox4x32


@njit(cache=True)
def wolff_step(sp, neighbors, q, threshold, k0, k1, step, chain, stream, stack):
    """Grow one Wolff cluster in ``sp`` (one row) and move it to a new state; returns its size.

    ``stack`` needs N + 1 entries.
    """
    n = neighbors.shape[0]
    z = neighbors.shape[1]
    blocks = (z + 3) // 4
    seed = np.int64((seed_word(n, step, chain, stream, k0, k1) * np.uint64(n)) >> np.uint64(32))
    old = sp[seed]
    new = np.uint8(proposal(np.int64(old), q, philox4x32(0, step, chain, CLUSTER_STATE, k0, k1)[0]))
    sp[seed] = new
    stack[0] = seed
    size = 1
    head = 0
    while head < size:
        i = stack[head]
        first_block = head * blocks
        head += 1
        for k in range(z):
            if k & 3 == 0:
                words = philox4x32(first_block + (k >> 2), step, chain, stream, k0, k1)
            j = neighbors[i, k]
            join = (sp[j] == old) & (words[k & 3] < threshold)
            sp[j] = new if join else sp[j]
            stack[size] = j
            size += join
    return size


@njit(cache=True, parallel=True)
def wolff_steps(states, neighbors, q, thresholds, k0, k1, chain0, step0, n_steps, record_every, J, h, out_energy,
                out_magnetization, column0, stream, stack, flipped):
    """Run ``n_steps`` Wolff steps numbered ``step0, ...`` on every row (row m: chain ``chain0 + m``).

    ``stack`` int64 (n_rows, N + 1) work buffer; ``flipped[m]`` accumulates the sites moved.
    After every ``record_every``-th step (0: never) E and M go to ``out_*[:, column0 + k]``.
    """
    for m in prange(states.shape[0]):
        column = column0
        for t in range(n_steps):
            flipped[m] += wolff_step(states[m], neighbors, q, thresholds[m], k0, k1, step0 + t, chain0 + m, stream,
                                     stack[m])
            if record_every > 0 and (t + 1) % record_every == 0:
                out_energy[m, column], out_magnetization[m, column] = lattice_energy_magnetization(
                    states[m], neighbors, q, J, h)
                column += 1


@njit(cache=True)
def swendsen_wang_step(sp, neighbors, q, threshold, k0, k1, step, chain, stream, parent):
    """One Swendsen-Wang update of ``sp`` (one row); ``parent`` int64 (N,) work buffer."""
    n = neighbors.shape[0]
    activate_bonds(sp, neighbors, threshold, k0, k1, step, chain, stream, parent)
    # union by smaller index: a cluster's root is its smallest site and is met first; it stores
    # its new state s as parent = -1 - s, which its members read
    block = -1
    draws = (np.uint64(0), np.uint64(0), np.uint64(0), np.uint64(0))
    for i in range(n):
        if parent[i] == i:
            if i >> 2 != block:
                block = i >> 2
                draws = philox4x32(block, step, chain, stream + 1, k0, k1)
            s = uniform_state(q, draws[i & 3])
            parent[i] = -1 - s
            sp[i] = s
        else:
            sp[i] = -1 - root_mark(parent, i)


@njit(cache=True, parallel=True)
def swendsen_wang_steps(states, neighbors, q, thresholds, k0, k1, chain0, step0, n_steps, record_every, J, h,
                        out_energy, out_magnetization, column0, stream, parent):
    """Run ``n_steps`` Swendsen-Wang updates on every row; ``parent`` int64 (n_rows, N) work buffer."""
    for m in prange(states.shape[0]):
        column = column0
        for t in range(n_steps):
            swendsen_wang_step(states[m], neighbors, q, thresholds[m], k0, k1, step0 + t, chain0 + m, stream,
                               parent[m])
            if record_every > 0 and (t + 1) % record_every == 0:
                out_energy[m, column], out_magnetization[m, column] = lattice_energy_magnetization(
                    states[m], neighbors, q, J, h)
                column += 1
