"""Reference twin of :mod:`ebmphys.kernels.lattice_cpu`: checkerboard sweeps on hypercubic lattices.

Re-derived from the module docstring, one site at a time, with the geometry taken from
coordinates (no ghost rows, no row tables): sites in C order, rows along the last axis
(row r = site // L, column j = site % L), colour = parity of the coordinate sum.  A sweep
updates every site of colour 0, then every site of colour 1; the k-th site of colour c
in row r (k = j // 2) of chain ``chain`` uses word k % 4 of

    philox4x32(r * B + k // 4, sweep, chain, LOCAL + c),   B = ceil(ceil(L / 2) / 4),

and becomes +1 iff that word is below ``threshold(P(s' = +1 | s, neighbour sum))``.

Shared with the kernel: nothing but the stream number ``LOCAL``.  The probabilities come
from :func:`tests.reference.spins.p_up` with local field ``J * nsum + h``, which is the
kernel's table entry ``J * (n - z) + h`` for n - z = nsum.
"""

import math

import numpy as np

from tests.reference.rng import LOCAL, threshold, word
from tests.reference.spins import p_up


class Lattice:
    """Hypercubic lattice of side lengths ``shape``, periodic or open, sites in C order."""

    def __init__(self, shape, periodic: bool):
        self.shape = tuple(shape)
        self.periodic = periodic
        self.n_spins = int(np.prod(self.shape))
        self.side = self.shape[-1]
        self._neighbors = [None] * self.n_spins  # memo of neighbors(i)

    def coords(self, i: int) -> tuple[int, ...]:
        return tuple(int(x) for x in np.unravel_index(i, self.shape))

    def site(self, coords) -> int:
        return int(np.ravel_multi_index(coords, self.shape))

    def neighbor(self, i: int, axis: int, step: int):
        """Site one ``step`` (+1 or -1) along ``axis`` from site i, or None off an open boundary."""
        x = list(self.coords(i))
        x[axis] += step
        if self.periodic:
            x[axis] %= self.shape[axis]
        elif not 0 <= x[axis] < self.shape[axis]:
            return None
        return self.site(x)

    def neighbors(self, i: int) -> list[int]:
        """All 2d neighbours of site i (a side of length 2 with periodic boundaries lists one site twice)."""
        if self._neighbors[i] is None:
            out = [self.neighbor(i, a, s) for a in range(len(self.shape)) for s in (1, -1)]
            self._neighbors[i] = [j for j in out if j is not None]
        return self._neighbors[i]

    def color(self, i: int) -> int:
        return sum(self.coords(i)) % 2

    def neighbor_sum(self, spins, i: int) -> int:
        return sum(int(spins[j]) for j in self.neighbors(i))

    def bond_sum(self, spins) -> int:
        """sum over bonds <ij> of s_i s_j, each bond once (via its +1 end)."""
        total = 0
        for i in range(self.n_spins):
            for a in range(len(self.shape)):
                j = self.neighbor(i, a, 1)
                if j is not None:
                    total += int(spins[i]) * int(spins[j])
        return total

    def energy(self, spins, J: float, h: float) -> float:
        """E = -J sum_<ij> s_i s_j - h sum_i s_i (the kernel's expression, integers times J and h)."""
        return -J * self.bond_sum(spins) - h * int(np.sum(spins, dtype=np.int64))

    def word_index(self, i: int) -> int:
        """Index of site i's word in its colour's stream: 4 (r B) + k, so block r B + k // 4 and word k % 4."""
        r, j = divmod(i, self.side)
        blocks_per_row = math.ceil(math.ceil(self.side / 2) / 4)
        return 4 * r * blocks_per_row + j // 2


def sweep(lattice: Lattice, spins, rule: str, J: float, h: float, beta: float, key, chain: int, sweep_number: int,
          stream_base: int = LOCAL) -> None:
    """One checkerboard sweep of one chain's ``spins`` (int8, n_spins), in place; colour c uses ``stream_base + c``."""
    for color in (0, 1):
        for i in range(lattice.n_spins):
            if lattice.color(i) != color:
                continue
            nsum = lattice.neighbor_sum(spins, i)
            p = p_up(rule, int(spins[i]), J * nsum + h, beta)
            w = word(lattice.word_index(i), sweep_number, chain, stream_base + color, key)
            spins[i] = 1 if w < threshold(p) else -1


def sweeps(lattice: Lattice, spins, rule: str, J: float, h: float, betas, key, chain0: int, sweep0: int,
           n_sweeps: int):
    """``n_sweeps`` sweeps numbered sweep0, sweep0 + 1, ... of every row of ``spins`` (row m: chain chain0 + m).

    Returns the new spins and the energies and magnetisations after each sweep, (n_chains, n_sweeps).
    """
    spins = np.array(spins, dtype=np.int8)
    energy = np.zeros((spins.shape[0], n_sweeps))
    magnetization = np.zeros((spins.shape[0], n_sweeps))
    for m in range(spins.shape[0]):
        for t in range(n_sweeps):
            sweep(lattice, spins[m], rule, J, h, betas[m], key, chain0 + m, sweep0 + t)
            energy[m, t] = lattice.energy(spins[m], J, h)
            magnetization[m, t] = int(spins[m].sum(dtype=np.int64))
    return spins, energy, magnetization


def threshold_table(rule: str, J: float, h: float, z: int, beta: float) -> np.ndarray:
    """Entry [(s+1)//2, nsum+z] = threshold(P(s' = +1 | s, nsum)) for one beta."""
    return np.array([[threshold(p_up(rule, 2 * row - 1, J * nsum + h, beta)) for nsum in range(-z, z + 1)]
                     for row in range(2)], dtype=np.uint64)
