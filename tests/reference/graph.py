"""Reference twin of :mod:`ebmphys.kernels.graph_cpu`: colour-class sweeps on sparse graphs.

Re-derived from the module docstring: colour classes are updated in order; the site at
position p of colour class c of chain ``chain`` uses word p % 4 of

    philox4x32(p // 4, sweep, chain, LOCAL + c)

and becomes +1 iff that word is below ``threshold(p_up(rule, s, f, beta))``, with
f = h_i + sum_j J_ij s_j the local field.

Shared with the kernel: the colouring itself (``sites``, ``offsets``: an input of the
kernel, checked here to be proper), and the order of the float sums (h_i first, then the
neighbours j in increasing order, as in sorted CSR rows; the energy
-1/2 sum_i s_i (sum_j J_ij s_j) - sum_i h_i s_i summed over i in increasing order), so the
last bits of f and E agree.  Probabilities come from :func:`tests.reference.spins.p_up`.
"""

import numpy as np

from tests.reference.rng import LOCAL, threshold, word
from tests.reference.spins import p_up


class Graph:
    """Ising model on a graph: dense symmetric couplings ``J`` (zero diagonal) and fields ``h``."""

    def __init__(self, J, h, sites, offsets):
        self.J = np.asarray(J, dtype=np.float64)
        self.h = np.asarray(h, dtype=np.float64)
        self.n_spins = self.h.shape[0]
        self.adjacent = [[j for j in range(self.n_spins) if self.J[i, j] != 0.0] for i in range(self.n_spins)]
        self.classes = [[int(s) for s in sites[offsets[c]: offsets[c + 1]]] for c in range(len(offsets) - 1)]
        assert sorted(s for cls in self.classes for s in cls) == list(range(self.n_spins)), "every site once"
        for cls in self.classes:
            for i in cls:
                assert not set(self.adjacent[i]) & set(cls), "the colouring must be proper"

    @classmethod
    def from_model(cls, model) -> "Graph":
        return cls(model.couplings.toarray(), model.fields, *model.coloring())

    def local_field(self, spins, i: int) -> float:
        f = self.h[i]
        for j in self.adjacent[i]:
            f += self.J[i, j] * int(spins[j])
        return f

    def energy(self, spins) -> float:
        pair = 0.0
        field = 0.0
        for i in range(self.n_spins):
            acc = 0.0
            for j in self.adjacent[i]:
                acc += self.J[i, j] * int(spins[j])
            pair += int(spins[i]) * acc
            field += int(spins[i]) * self.h[i]
        return -0.5 * pair - field


def sweep(graph: Graph, spins, rule: str, beta: float, key, chain: int, sweep_number: int,
          stream_base: int = LOCAL) -> None:
    """One colour-class sweep of one chain's ``spins``, in place; class c uses stream ``stream_base + c``."""
    for color, cls in enumerate(graph.classes):
        for p, i in enumerate(cls):
            f = graph.local_field(spins, i)
            w = word(p, sweep_number, chain, stream_base + color, key)
            spins[i] = 1 if w < threshold(p_up(rule, int(spins[i]), f, beta)) else -1


def sweeps(graph: Graph, spins, rule: str, betas, key, chain0: int, sweep0: int, n_sweeps: int):
    """``n_sweeps`` sweeps of every row (row m: chain chain0 + m, beta betas[m]); returns spins, E and M per sweep."""
    spins = np.array(spins, dtype=np.int8)
    energy = np.zeros((spins.shape[0], n_sweeps))
    magnetization = np.zeros((spins.shape[0], n_sweeps))
    for m in range(spins.shape[0]):
        for t in range(n_sweeps):
            sweep(graph, spins[m], rule, betas[m], key, chain0 + m, sweep0 + t)
            energy[m, t] = graph.energy(spins[m])
            magnetization[m, t] = int(spins[m].sum(dtype=np.int64))
    return spins, energy, magnetization
