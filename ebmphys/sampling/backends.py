"""Bind a model and an update algorithm to the kernels that run it.

A backend owns the kernel-side layout of the chain states and exposes

* ``to_kernel(states)`` / ``from_kernel(spins)``: user states (n_chains, n_spins)
  int8 <-> the kernel's array;
* ``run(spins, k0, k1, sweep0, n_sweeps, record_every, out_energy, out_magnetization, column0)``;
* ``observe(spins, out_energy, out_magnetization, column)``: current E and M of every chain;
* ``flipped``: int64 (n_chains,) spins flipped so far by a Wolff backend, None for others.

A "sweep" is one unit of the sweep counter: N single-spin update attempts for
the local rules, one cluster update for the cluster algorithms (one
Swendsen-Wang step updates every spin; one Wolff step flips one cluster, of
mean size <|C|>, so ``<|C|> / N`` Wolff steps make one sweep's worth of flips).

``ALGORITHMS`` maps each algorithm name to the factory building its backend;
``sample`` looks algorithms up there, so a new algorithm is one entry.
"""

from __future__ import annotations

from contextlib import contextmanager

import numba
import numpy as np

from ebmphys.kernels import cluster_cpu, graph_cpu, lattice_cpu
from ebmphys.kernels.rng import STREAM_CLUSTER
from ebmphys.kernels.spin_updates import HEATBATH, METROPOLIS
from ebmphys.models.ising import GraphIsing, LatticeIsing


#: Below this many spin updates per sweep the kernels run on one thread: waking and
#: synchronising threads twice a sweep costs more than the work (and far more on a busy machine).
PARALLEL_MIN_UPDATES = lattice_cpu.PARALLEL_MIN_UPDATES


@contextmanager
def threads_for(updates_per_sweep: int):
    """Run the enclosed kernels on one Numba thread when a sweep is too small to share out.

    Results do not depend on the thread count (counter-based random numbers), only speed does.
    """
    threads = numba.get_num_threads()
    if updates_per_sweep < PARALLEL_MIN_UPDATES:
        numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(threads)


class _LatticeLayout:
    """Kernel layout of lattice chains: spins followed by a ghost row of zeros (see ``lattice_cpu``)."""

    def to_kernel(self, states: np.ndarray) -> np.ndarray:
        n = self.model.n_spins
        padded = np.zeros((states.shape[0], n + self.model.shape[-1]), dtype=np.int8)
        padded[:, :n] = states
        return padded

    def from_kernel(self, spins: np.ndarray) -> np.ndarray:
        return spins[:, : self.model.n_spins].copy()

    def observe(self, spins, out_energy, out_magnetization, column):
        lattice_cpu.lattice_observables(spins, self.model.neighbors, self.model.J, self.model.h,
                                        out_energy, out_magnetization, column)


class LatticeLocalBackend(_LatticeLayout):
    """Checkerboard Metropolis or heat-bath sweeps on a ``LatticeIsing``."""

    flipped = None

    def __init__(self, model: LatticeIsing, rule: int, betas: np.ndarray):
        model.require_bipartite()
        self.model = model
        self.row_neighbors, self.row_parity = model.rows
        self.thresholds = lattice_cpu.update_thresholds(rule, model.J, model.h, model.coordination,
                                                        np.asarray(betas, dtype=np.float64))

    def run(self, spins, k0, k1, sweep0, n_sweeps, record_every, out_energy, out_magnetization, column0):
        lattice_cpu.lattice_sweeps(
            spins, self.model.neighbors, self.row_neighbors, self.row_parity, self.model.shape[-1],
            self.model.periodic, self.thresholds, k0, k1, sweep0, n_sweeps, record_every, self.model.J,
            self.model.h, out_energy, out_magnetization, column0,
        )


class GraphLocalBackend:
    """Colour-class Metropolis or heat-bath sweeps on a ``GraphIsing``."""

    flipped = None

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

    def observe(self, spins, out_energy, out_magnetization, column):
        graph_cpu.graph_observables(spins, *self.csr, self.model.fields, out_energy, out_magnetization, column)

    def run(self, spins, k0, k1, sweep0, n_sweeps, record_every, out_energy, out_magnetization, column0):
        graph_cpu.graph_sweeps(
            spins, *self.csr, self.model.fields, self.sites, self.offsets, self.betas, self.rule, k0, k1,
            sweep0, n_sweeps, record_every, out_energy, out_magnetization, column0,
        )


LOCAL_ALGORITHMS = ("heatbath", "metropolis")


class LatticeClusterBackend(_LatticeLayout):
    """Wolff or Swendsen-Wang cluster updates on a ferromagnetic, zero-field ``LatticeIsing``.

    Any dimension, periodic or open boundaries, odd sides allowed.  One step of
    the sweep counter is one cluster update (see the module docstring).
    """

    def __init__(self, model, algorithm: str, betas: np.ndarray):
        if not isinstance(model, LatticeIsing):
            raise TypeError(
                f"algorithm {algorithm!r} needs a LatticeIsing model, got {type(model).__name__}; "
                f"use one of {list(LOCAL_ALGORITHMS)} for it"
            )
        if not (model.J > 0 and model.h == 0):
            raise ValueError(
                f"algorithm {algorithm!r} needs a ferromagnetic coupling J > 0 and zero field h = 0, "
                f"got J={model.J}, h={model.h}; use one of {list(LOCAL_ALGORITHMS)} for this model"
            )
        self.model = model
        self.algorithm = algorithm
        p_add = -np.expm1(-2.0 * np.asarray(betas, dtype=np.float64) * model.J)
        self.thresholds = lattice_cpu.threshold_table(p_add)
        n_chains, n = len(betas), model.n_spins
        if algorithm == "wolff":
            self.stack = np.zeros((n_chains, n + 1), dtype=np.int64)
            self.stamp = np.zeros((n_chains, n), dtype=np.int64)
            self.flipped = np.zeros(n_chains, dtype=np.int64)
        else:
            self.parent = np.zeros((n_chains, n), dtype=np.int64)
            self.flipped = None

    def run(self, spins, k0, k1, sweep0, n_sweeps, record_every, out_energy, out_magnetization, column0):
        common = (spins, self.model.neighbors, self.thresholds, k0, k1, sweep0, n_sweeps, record_every,
                  self.model.J, out_energy, out_magnetization, column0, 256 * STREAM_CLUSTER)
        if self.algorithm == "wolff":
            cluster_cpu.wolff_steps(*common, self.stack, self.stamp, self.flipped)
        else:
            cluster_cpu.swendsen_wang_steps(*common, self.parent)


def _cluster(algorithm: str):
    def factory(model, betas):
        return LatticeClusterBackend(model, algorithm, betas)

    return factory


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
    "wolff": _cluster("wolff"),
    "swendsen-wang": _cluster("swendsen-wang"),
}
