"""Reference twin of :mod:`ebmphys.kernels.cluster_cpu`: Wolff and Swendsen-Wang steps.

Re-derived from the module docstring, with the lattice geometry of
:class:`tests.reference.lattice.Lattice` (neighbour column 2a is the +1 neighbour along
axis a, 2a+1 the -1 neighbour; open boundaries have missing neighbours).  A bond between
aligned neighbours is active iff its word is below ``threshold(p_add)``.  Writing
``P(c0, c3) = philox4x32(c0, step, chain, c3)`` and ``stream`` the cluster stream:

* Wolff: with q = floor(2**32 / N), the first of words 0, 1, 2, ... of
  ``P(0, stream + 1), P(1, stream + 1), ...`` below q N (rejection sampling) gives the seed
  site w // q (each site gets exactly q words: exactly uniform).  Breadth first from the
  seed, the member at queue position p tests its neighbour column m with word m % 4 of
  ``P(p B + m // 4, stream)``, B = ceil(2d / 4); an aligned neighbour whose word is below
  the threshold joins (is flipped and queued).
* Swendsen-Wang: the bond from site i to its +1 neighbour along axis a uses word a % 4 of
  ``P(i B' + a // 4, stream)``, B' = ceil(d / 4), tested on the spins before the step;
  the clusters are the connected components of the active bonds (found here by
  breadth-first search), and the cluster whose smallest site is r flips when the top bit
  of word r % 4 of ``P(r // 4, stream + 1)`` is set.

Shared with the kernel: nothing (the stream number is the registry's ``CLUSTER``).
"""

import math
from collections import deque

import numpy as np

from tests.reference.lattice import Lattice
from tests.reference.rng import threshold, word


def _columns(lattice: Lattice, i: int) -> list:
    """Neighbour columns of site i in the kernels' order (axis 0: +1, -1; axis 1: +1, -1; ...), None if missing."""
    return [lattice.neighbor(i, a, s) for a in range(len(lattice.shape)) for s in (1, -1)]


def seed_site(n_spins: int, key, step: int, chain: int, stream: int) -> int:
    """The Wolff seed: w // q for the first word w < q N of the seed stream, q = floor(2**32 / N)."""
    q = 2**32 // n_spins
    r = 0
    while (w := word(r, step, chain, stream + 1, key)) >= q * n_spins:
        r += 1
    return w // q


def wolff_step(lattice: Lattice, spins, p_add: float, key, step: int, chain: int, stream: int) -> tuple[int, int]:
    """Grow and flip one Wolff cluster of one chain's ``spins`` in place; returns (old spin of the cluster, size)."""
    blocks = math.ceil(2 * len(lattice.shape) / 4)
    limit = threshold(p_add)
    seed = seed_site(lattice.n_spins, key, step, chain, stream)
    s0 = int(spins[seed])
    spins[seed] = -s0
    queue = [seed]
    p = 0
    while p < len(queue):
        for m, j in enumerate(_columns(lattice, queue[p])):
            w = word(4 * p * blocks + m, step, chain, stream, key)
            if j is not None and spins[j] == s0 and w < limit:
                spins[j] = -s0
                queue.append(j)
        p += 1
    return s0, len(queue)


def swendsen_wang_step(lattice: Lattice, spins, p_add: float, key, step: int, chain: int, stream: int) -> None:
    """One Swendsen-Wang update of one chain's ``spins``, in place."""
    n, d = lattice.n_spins, len(lattice.shape)
    blocks = math.ceil(d / 4)
    limit = threshold(p_add)
    bonded = [[] for _ in range(n)]
    for i in range(n):
        for a in range(d):
            j = lattice.neighbor(i, a, 1)
            if j is not None and spins[i] == spins[j] and word(4 * i * blocks + a, step, chain, stream, key) < limit:
                bonded[i].append(j)
                bonded[j].append(i)
    label = [-1] * n
    for start in range(n):
        if label[start] >= 0:
            continue
        members, todo = [start], deque([start])
        label[start] = start
        while todo:
            for j in bonded[todo.popleft()]:
                if label[j] < 0:
                    label[j] = start
                    members.append(j)
                    todo.append(j)
        root = min(members)
        assert root == start, "sites are scanned in order, so a new cluster starts at its smallest site"
        if word(root, step, chain, stream + 1, key) >> 31:
            for j in members:
                spins[j] = -spins[j]


def run(algorithm: str, lattice: Lattice, spins, J: float, betas, key, chain0: int, step0: int, n_steps: int,
        stream: int):
    """``n_steps`` steps of every row (row m: chain chain0 + m at betas[m], p_add = -expm1(-2 beta J)).

    Returns spins, E = -J (bond sum) and M after each step, and the spins flipped per row (Wolff).
    """
    spins = np.array(spins, dtype=np.int8)
    energy = np.zeros((spins.shape[0], n_steps))
    magnetization = np.zeros((spins.shape[0], n_steps))
    flipped = np.zeros(spins.shape[0], dtype=np.int64)
    for m in range(spins.shape[0]):
        p_add = -math.expm1(-2.0 * betas[m] * J)
        for t in range(n_steps):
            if algorithm == "wolff":
                flipped[m] += wolff_step(lattice, spins[m], p_add, key, step0 + t, chain0 + m, stream)[1]
            else:
                swendsen_wang_step(lattice, spins[m], p_add, key, step0 + t, chain0 + m, stream)
            energy[m, t] = lattice.energy(spins[m], J, 0.0)
            magnetization[m, t] = int(spins[m].sum(dtype=np.int64))
    return spins, energy, magnetization, flipped
