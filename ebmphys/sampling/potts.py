"""CPU backends of the Potts models: lattices and graphs (local and cluster updates).

Each backend binds a Potts model, an algorithm and a batch of rows (one inverse
temperature per row) to the Numba kernels of :mod:`ebmphys.kernels.potts_cpu` and
:mod:`ebmphys.kernels.potts_cluster_cpu`; the interface is documented in
:mod:`ebmphys.sampling.registry`, and the registrations at the end of this module
are the whole list of Potts algorithms:

==================  ==========================================  ===========================
model kind          algorithms                                  a "sweep" is
==================  ==========================================  ===========================
``lattice-potts``   "metropolis", "heatbath"                    N single-site updates
                    "wolff", "swendsen-wang" (J > 0, no field)  one cluster update
``graph-potts``     "metropolis", "heatbath"                    N single-site updates
``potts-rbm``       "gibbs"                                     one block-Gibbs step (v, h)
==================  ==========================================  ===========================

Observables: ``"energy"`` (total E, the model's convention, weights exp(-beta E);
parallel tempering uses it) and ``"magnetization"``, the extensive Potts order
parameter M = (q max_a n_a - N) / (q - 1), so M / N = m and the moments of m
(<m>, <m^2>, <m^4>, Binder cumulant) follow from its time series.
Configurations are uint8 states in 0..q-1 (Potts-Bernoulli RBMs: the visible
layer; they record no observables, as binary RBMs).
"""

from __future__ import annotations

import numpy as np

from ebmphys.kernels import potts_cluster_cpu, potts_cpu, potts_rbm_cpu
from ebmphys.kernels.lattice_cpu import threshold_table
from ebmphys.kernels.potts_updates import HEATBATH, METROPOLIS, random_states
from ebmphys.kernels.rng import CLUSTER, INIT, INIT_RBM_VISIBLE
from ebmphys.sampling.backends import BlockGibbsBackend, _outputs, _row_betas, plain_factory, single_beta
from ebmphys.sampling.registry import register

POTTS_OBSERVABLES = ("energy", "magnetization")
LOCAL_ALGORITHMS = ("heatbath", "metropolis")
#: local updates on lattices use tables of exp(beta J n) and exp(beta h): beta (|J| z + range of h) must stay below this
MAX_TABLE_EXPONENT = 700.0


class _PottsBackend:
    """What every Potts backend shares: random initial states, state checks, replica swaps."""

    observables = POTTS_OBSERVABLES
    flipped = None

    def __init__(self, model, betas, k0: int, k1: int, chain0: int):
        self.model = model
        self.q = model.q
        self.k0, self.k1, self.chain0 = k0, k1, chain0
        self.n_sites = model.n_spins
        self.betas = _row_betas(betas)

    def initial_states(self, n_rows: int) -> np.ndarray:
        """Independent uniform random states (stream ``rng.INIT``, sweep word 0)."""
        return random_states(n_rows, self.n_sites, self.q, self.k0, self.k1, INIT, self.chain0)

    def check_states(self, states, name: str) -> np.ndarray:
        return self.model.check_states(states, name)

    def swap(self, kstate: np.ndarray, rows_a: np.ndarray, rows_b: np.ndarray) -> None:
        kstate[np.concatenate([rows_a, rows_b])] = kstate[np.concatenate([rows_b, rows_a])]

    def updates_per_sweep(self, n_rows: int) -> int:
        return self.n_sites * n_rows


class _LatticeLayout(_PottsBackend):
    """Lattice rows: the N states followed by one ghost site holding q (see :mod:`potts_cpu`)."""

    def to_kernel(self, states: np.ndarray) -> np.ndarray:
        padded = np.full((states.shape[0], self.n_sites + 1), self.q, dtype=np.uint8)
        padded[:, : self.n_sites] = states
        return padded

    def from_kernel(self, kstate: np.ndarray) -> np.ndarray:
        return kstate[:, : self.n_sites].copy()

    def state_rows(self, kstate: np.ndarray) -> np.ndarray:
        return kstate

    def observe(self, kstate, out, column):
        e, m = _outputs(out, kstate.shape[0])
        potts_cpu.lattice_observables(kstate, self.model.neighbors, self.q, self.model.J, self.model.h, e, m, column)


class LatticeLocalBackend(_LatticeLayout):
    """Colour-class Metropolis or heat-bath sweeps of a ``LatticePotts`` (any lattice, any boundary)."""

    def __init__(self, model, rule: int, betas, k0, k1, chain0):
        super().__init__(model, betas, k0, k1, chain0)
        self.rule = rule
        self.sites, self.offsets = model.coloring()
        self.set_betas(self.betas)

    def set_betas(self, betas) -> None:
        betas = _row_betas(betas)
        m = self.model
        z = m.coordination
        exponent = betas.max(initial=0.0) * (abs(m.J) * z + np.ptp(m.h))
        if exponent > MAX_TABLE_EXPONENT:
            raise ValueError(
                f"local updates of a LatticePotts need beta * (|J| z + max h - min h) <= {MAX_TABLE_EXPONENT:g} "
                f"(their weight tables would overflow), got {exponent:.4g}; use a smaller beta"
            )
        self.betas = betas
        self.bond_table, self.field_table = potts_cpu.update_tables(self.rule, m.J, m.h, z, betas)

    def run(self, kstate, sweep0, n_sweeps, record_every, out, column0, tune=False):
        e, mag = _outputs(out, kstate.shape[0])
        m = self.model
        potts_cpu.lattice_sweeps(kstate, m.neighbors, self.sites, self.offsets, self.q, self.rule, self.bond_table,
                                 self.field_table, self.k0, self.k1, self.chain0, sweep0, n_sweeps,
                                 record_every if out else 0, m.J, m.h, e, mag, column0,
                                 potts_cpu.rows_per_thread(kstate.shape[0]))


class LatticeClusterBackend(_LatticeLayout):
    """Wolff or Swendsen-Wang updates of a ferromagnetic ``LatticePotts`` without a field (odd sides allowed)."""

    def __init__(self, model, algorithm: str, betas, k0, k1, chain0):
        if not (model.J > 0 and not model.has_field):
            raise ValueError(
                f"algorithm {algorithm!r} needs a ferromagnetic coupling J > 0 and no field favouring a state, "
                f"got J={model.J}, h={model.h.tolist()}; use one of {list(LOCAL_ALGORITHMS)} for this model"
            )
        super().__init__(model, betas, k0, k1, chain0)
        self.algorithm = algorithm
        self.set_betas(self.betas)
        n_rows = self.betas.shape[0]
        if algorithm == "wolff":
            self.stack = np.zeros((n_rows, self.n_sites + 1), dtype=np.int64)
            self.flipped = np.zeros(n_rows, dtype=np.int64)
        else:
            self.parent = np.zeros((n_rows, self.n_sites), dtype=np.int64)

    def set_betas(self, betas) -> None:
        self.betas = _row_betas(betas)
        self.thresholds = threshold_table(-np.expm1(-self.betas * self.model.J))

    def run(self, kstate, sweep0, n_sweeps, record_every, out, column0, tune=False):
        e, mag = _outputs(out, kstate.shape[0])
        m = self.model
        common = (kstate, m.neighbors, self.q, self.thresholds, self.k0, self.k1, self.chain0, sweep0, n_sweeps,
                  record_every if out else 0, m.J, m.h, e, mag, column0, CLUSTER)
        if self.algorithm == "wolff":
            potts_cluster_cpu.wolff_steps(*common, self.stack, self.flipped)
        else:
            potts_cluster_cpu.swendsen_wang_steps(*common, self.parent)


class GraphLocalBackend(_PottsBackend):
    """Colour-class Metropolis or heat-bath sweeps of a ``GraphPotts`` or ``PairwisePotts``."""

    def __init__(self, model, rule: int, betas, k0, k1, chain0):
        super().__init__(model, betas, k0, k1, chain0)
        self.rule = rule
        self.sites, self.offsets = model.coloring()
        self.csr = model.csr_tables()

    def set_betas(self, betas) -> None:
        self.betas = _row_betas(betas)

    def to_kernel(self, states: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(states, dtype=np.uint8)

    def from_kernel(self, kstate: np.ndarray) -> np.ndarray:
        return kstate.copy()

    def state_rows(self, kstate: np.ndarray) -> np.ndarray:
        return kstate

    def observe(self, kstate, out, column):
        e, m = _outputs(out, kstate.shape[0])
        potts_cpu.graph_observables(kstate, *self.csr, self.model.fields, e, m, column)

    def run(self, kstate, sweep0, n_sweeps, record_every, out, column0, tune=False):
        e, m = _outputs(out, kstate.shape[0])
        potts_cpu.graph_sweeps(kstate, *self.csr, self.model.fields, self.sites, self.offsets, self.rule, self.betas,
                               self.k0, self.k1, self.chain0, sweep0, n_sweeps, record_every if out else 0, e, m,
                               column0, potts_cpu.rows_per_thread(kstate.shape[0]))


class PottsRBMGibbsBackend(BlockGibbsBackend):
    """Block-Gibbs sampling of a ``PottsBernoulliRBM`` (layout and counters of :mod:`potts_rbm_cpu`).

    The user configurations are the visible rows v (uint8 in 0..q-1); see
    :class:`ebmphys.sampling.backends.BlockGibbsBackend` for the sweep counter and beta.
    """

    kernels = potts_rbm_cpu

    def set_betas(self, betas) -> None:
        self.betas, beta = single_beta(betas, "Potts-RBM block Gibbs")
        r = self.rbm
        self.W, self.b, self.c = beta * r.W, beta * r.b, beta * r.c
        self.WT = np.ascontiguousarray(self.W.transpose(2, 0, 1))

    def initial_states(self, n_rows: int) -> np.ndarray:
        """v_i ~ softmax(beta b_i) (stream ``rng.INIT_RBM_VISIBLE``)."""
        return potts_rbm_cpu.independent_visible(self.b, n_rows, self.k0, self.k1, self.chain0, INIT_RBM_VISIBLE)

    def latent(self, v: np.ndarray, sweep: int) -> np.ndarray:
        """The hidden states h_t that belong to visible rows ``v`` at sweep counter t = ``sweep``."""
        h = np.empty((v.shape[0], self.rbm.n_hidden), dtype=np.uint8)
        potts_rbm_cpu.start_chains(self.W, self.c, v, h, sweep, self.chain0, self.k0, self.k1)
        return h

    def updates_per_sweep(self, n_rows: int) -> int:
        return (self.rbm.n_visible * self.rbm.q + self.rbm.n_hidden) * n_rows

    def anneal(self, v, betas, step0, log_w, energy_sum, *, base_bias, base_weights):
        """Base-rate annealing (:func:`ebmphys.kernels.potts_rbm_cpu.anneal`; the parameters at beta = 1)."""
        r = self.rbm
        potts_rbm_cpu.anneal(r.W, np.ascontiguousarray(r.W.transpose(2, 0, 1)), r.b, r.c,
                             np.ascontiguousarray(base_bias, dtype=np.float64), betas,
                             np.ascontiguousarray(base_weights, dtype=np.float64), v, log_w, step0, self.k0, self.k1,
                             self.chain0)
        return None


for _rule, _name in ((METROPOLIS, "metropolis"), (HEATBATH, "heatbath")):
    register("lattice-potts", _name, "cpu", plain_factory(LatticeLocalBackend, _rule))
    register("graph-potts", _name, "cpu", plain_factory(GraphLocalBackend, _rule))
for _name in ("wolff", "swendsen-wang"):
    register("lattice-potts", _name, "cpu", plain_factory(LatticeClusterBackend, _name))
register("potts-rbm", "gibbs", "cpu", plain_factory(PottsRBMGibbsBackend))
