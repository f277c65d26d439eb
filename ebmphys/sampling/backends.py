"""Bind a model and an update algorithm to the kernels that run it.

A backend owns the kernel-side layout of the chain states and exposes

* ``to_kernel(states)`` / ``from_kernel(spins)``: user states (n_chains, n_spins)
  int8 <-> the kernel's array;
* ``run(spins, k0, k1, sweep0, n_sweeps, record_every, out_energy, out_magnetization, column0)``.

``ALGORITHMS`` maps each algorithm name to the factory building its backend;
``sample`` looks algorithms up there, so a new algorithm is one entry.
"""

from __future__ import annotations

import numpy as np

from ebmphys.kernels import graph_cpu, lattice_cpu
from ebmphys.kernels.spin_updates import HEATBATH, METROPOLIS, heatbath_p_up, metropolis_p_up
from ebmphys.models.ising import GraphIsing, LatticeIsing


class LatticeLocalBackend:
    """Checkerboard Metropolis or heat-bath sweeps on a ``LatticeIsing``."""

    def __init__(self, model: LatticeIsing, rule: int, betas: np.ndarray):
        model.require_bipartite()
        self.model = model
        self.sites, self.offsets = model.coloring()
        z = model.coordination
        nsum = np.arange(-z, z + 1)
        p = np.empty((len(betas), 2, 2 * z + 1))
        for c, beta in enumerate(betas):
            for row, spin in enumerate((-1, 1)):
                for k, n in enumerate(nsum):
                    field = model.J * n + model.h
                    p[c, row, k] = metropolis_p_up(spin, field, beta) if rule == METROPOLIS else heatbath_p_up(field, beta)
        self.thresholds = lattice_cpu.threshold_table(p)

    def to_kernel(self, states: np.ndarray) -> np.ndarray:
        padded = np.zeros((states.shape[0], self.model.n_spins + 1), dtype=np.int8)
        padded[:, :-1] = states
        return padded

    def from_kernel(self, spins: np.ndarray) -> np.ndarray:
        return spins[:, :-1].copy()

    def run(self, spins, k0, k1, sweep0, n_sweeps, record_every, out_energy, out_magnetization, column0):
        lattice_cpu.lattice_sweeps(
            spins, self.model.neighbors, self.sites, self.offsets, self.thresholds, k0, k1, sweep0,
            n_sweeps, record_every, self.model.J, self.model.h, out_energy, out_magnetization, column0,
        )


class GraphLocalBackend:
    """Colour-class Metropolis or heat-bath sweeps on a ``GraphIsing``."""

    def __init__(self, model: GraphIsing, rule: int, betas: np.ndarray):
        self.model = model
        self.rule = rule
        self.betas = np.ascontiguousarray(betas, dtype=np.float64)
        self.sites, self.offsets = model.coloring()
        J = model.couplings
        self.csr = (J.indptr.astype(np.int64), J.indices.astype(np.int32), J.data.astype(np.float64))

    def to_kernel(self, states: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(states, dtype=np.int8)

    def from_kernel(self, spins: np.ndarray) -> np.ndarray:
        return spins.copy()

    def run(self, spins, k0, k1, sweep0, n_sweeps, record_every, out_energy, out_magnetization, column0):
        graph_cpu.graph_sweeps(
            spins, *self.csr, self.model.fields, self.sites, self.offsets, self.betas, self.rule, k0, k1,
            sweep0, n_sweeps, record_every, out_energy, out_magnetization, column0,
        )


def _local(rule: int):
    def factory(model, betas):
        if isinstance(model, LatticeIsing):
            return LatticeLocalBackend(model, rule, betas)
        if isinstance(model, GraphIsing):
            return GraphLocalBackend(model, rule, betas)
        raise TypeError(f"model must be a LatticeIsing or GraphIsing, got {type(model).__name__}")

    return factory


ALGORITHMS = {
    "metropolis": _local(METROPOLIS),
    "heatbath": _local(HEATBATH),
}
