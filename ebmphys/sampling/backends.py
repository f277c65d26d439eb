"""CPU backends of the binary models: Ising lattices and graphs, and binary RBMs.

Each backend binds a model, an update algorithm and a batch of rows (one inverse
temperature per row) to the Numba kernels of :mod:`ebmphys.kernels`, and owns the
kernel-side layout of the configurations (ghost-padded rows on lattices, the
visible layer of RBMs).  The interface is documented in
:mod:`ebmphys.sampling.registry`; the registrations at the end of this module
are the whole list of binary-model algorithms.

A "sweep" is one unit of the sweep counter: N single-spin update attempts for the
local rules, one cluster update for the cluster algorithms (one Swendsen-Wang
step updates every spin; one Wolff step flips one cluster, of mean size <|C|>,
so ``<|C|> / N`` Wolff steps make one sweep's worth of flips), one block-Gibbs
step (v then h) for RBMs.

Lattice Metropolis and heat bath take the option ``layout``: ``"int8"`` (default,
one int8 per spin, :mod:`ebmphys.kernels.lattice_cpu`) or ``"multispin"`` (64
chains per uint64 word, :class:`MultispinBackend`; never chosen automatically).
"""

from __future__ import annotations

from contextlib import contextmanager

import numba
import numpy as np

from ebmphys.kernels import lattice_cpu
from ebmphys.kernels.rng import CLUSTER, INIT
from ebmphys.kernels.spin_updates import HEATBATH, METROPOLIS, random_spins
from ebmphys.sampling.registry import register

#: Below this many spin updates per sweep the kernels run on one thread: waking and
#: synchronising threads twice a sweep costs more than the work (and far more on a busy machine).
PARALLEL_MIN_UPDATES = lattice_cpu.PARALLEL_MIN_UPDATES

ISING_OBSERVABLES = ("energy", "magnetization")


@contextmanager
def threads_for(updates_per_sweep: int):
    """Run the enclosed kernels on one Numba thread when a sweep is too small to share out.

    Results do not depend on the thread count (counter-based random numbers), only speed does.
    """
    if updates_per_sweep >= PARALLEL_MIN_UPDATES:  # nothing to change (and numba's thread calls cost microseconds)
        yield
        return
    threads = numba.get_num_threads()
    if threads > 1:
        numba.set_num_threads(1)
    try:
        yield
    finally:
        if threads > 1:
            numba.set_num_threads(threads)


def _row_betas(betas) -> np.ndarray:
    return np.ascontiguousarray(betas, dtype=np.float64)


def single_beta(betas, what: str) -> tuple[np.ndarray, float]:
    """(row betas, their one value; 1 when there are no rows) for a sampler that runs every chain at one beta.

    ValueError naming ``what`` (e.g. "RBM block Gibbs") when the rows differ.
    """
    betas = _row_betas(betas)
    if betas.size and np.any(betas != betas[0]):
        raise ValueError(f"{what} runs every chain at one beta; a ladder of betas is not supported")
    return betas, float(betas[0]) if betas.size else 1.0


class _IsingBackend:
    """What every Ising backend shares: random initial spins, state checks, replica swaps."""

    observables = ISING_OBSERVABLES
    flipped = None

    def __init__(self, model, betas, k0: int, k1: int, chain0: int):
        self.model = model
        self.betas = _row_betas(betas)
        self.k0, self.k1, self.chain0 = k0, k1, chain0
        self.n_sites = model.n_spins

    def initial_states(self, n_rows: int) -> np.ndarray:
        """Independent uniform random spins (stream ``rng.INIT``, sweep word 0)."""
        return random_spins(n_rows, self.model.n_spins, self.k0, self.k1, INIT, self.chain0)

    def check_states(self, states, name: str) -> np.ndarray:
        return self.model.check_states(states, name)

    def swap(self, kstate: np.ndarray, rows_a: np.ndarray, rows_b: np.ndarray) -> None:
        kstate[np.concatenate([rows_a, rows_b])] = kstate[np.concatenate([rows_b, rows_a])]

    def updates_per_sweep(self, n_rows: int) -> int:
        return self.model.n_spins * n_rows


class _LatticeLayout(_IsingBackend):
    """Kernel layout of lattice chains: spins followed by a ghost row of zeros (see ``lattice_cpu``)."""

    def to_kernel(self, states: np.ndarray) -> np.ndarray:
        n = self.model.n_spins
        padded = np.zeros((states.shape[0], n + self.model.shape[-1]), dtype=np.int8)
        padded[:, :n] = states
        return padded

    def from_kernel(self, spins: np.ndarray) -> np.ndarray:
        return spins[:, : self.model.n_spins].copy()

    def state_rows(self, spins: np.ndarray) -> np.ndarray:
        return spins

    def observe(self, spins, out, column):
        e, m = _outputs(out, spins.shape[0])
        model = self.model
        row_neighbors, _ = model.rows
        lattice_cpu.lattice_observables(spins, row_neighbors, model.shape[-1], model.periodic, model.J, model.h, e, m,
                                        column)


def _driver(serial, by_unit, by_rows, n_units: int):
    """The sweep driver for ``n_units`` independent units (chains, or groups of 64 chains) on the current thread count.

    One thread: ``serial``; units shared out evenly enough (at least 90% of the
    threads busy): ``by_unit``, one unit per thread, no synchronisation between
    sweeps; otherwise ``by_rows``, the rows of every colour shared out.  The drivers
    give the same bits; only the one used is compiled.
    """
    threads = numba.get_num_threads()
    if threads == 1:
        return serial
    if n_units / threads >= 0.9 * -(-n_units // threads):
        return by_unit
    return by_rows


def _outputs(out: dict, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The energy and magnetisation arrays of ``out`` (all observables, or empty: nothing recorded)."""
    if out:
        return out["energy"], out["magnetization"]
    empty = np.zeros((n_rows, 0))
    return empty, empty


class LatticeLocalBackend(_LatticeLayout):
    """Checkerboard Metropolis or heat-bath sweeps on a ``LatticeIsing`` (periodic sides even)."""

    def __init__(self, model, rule: int, betas, k0, k1, chain0):
        model.require_bipartite()
        super().__init__(model, betas, k0, k1, chain0)
        self.rule = rule
        self.row_neighbors, self.row_parity = model.rows
        self.set_betas(self.betas)

    def set_betas(self, betas) -> None:
        self.betas = _row_betas(betas)
        m = self.model
        self.thresholds = lattice_cpu.update_thresholds(self.rule, m.J, m.h, m.coordination, self.betas)

    def run(self, spins, sweep0, n_sweeps, record_every, out, column0, tune=False):
        e, mag = _outputs(out, spins.shape[0])
        m = self.model
        sweeps = _driver(lattice_cpu.sweeps_serial, lattice_cpu.sweeps_chain_parallel, lattice_cpu.sweeps_row_parallel,
                         spins.shape[0])
        sweeps(spins, self.row_neighbors, self.row_parity, m.shape[-1], m.periodic, self.thresholds, self.k0, self.k1,
               self.chain0, sweep0, n_sweeps, record_every if out else 0, m.J, m.h, e, mag, column0)

    def anneal(self, spins, betas, step0, log_w, energy_sum):
        from ebmphys.kernels import ais_cpu

        m = self.model
        energy = np.empty(spins.shape[0])
        ais_cpu.lattice_anneal(spins, m.neighbors, self.row_neighbors, self.row_parity, m.shape[-1], m.periodic,
                               m.J, m.h, self.rule, betas, step0, self.k0, self.k1, self.chain0, log_w, energy,
                               energy_sum)
        return energy


class MultispinBackend(_IsingBackend):
    """``layout="multispin"``: checkerboard Metropolis or heat bath, 64 chains per uint64 word (``multispin_cpu``).

    Kernel rows 64 g .. 64 g + 63 form group g; every row keeps its own beta and its
    own random numbers, so the chains are as independent as with the int8 layout,
    and ladders (parallel tempering) work.  Needs a periodic 2D or 3D
    ``LatticeIsing`` with even sides and a multiple of 64 rows (``n_chains``, times
    the number of betas of a ladder).  Configurations are unpacked to int8 only
    when asked for (``Chains.states``).  There is no annealing kernel.

    The layout is never chosen automatically: for the same seed its trajectories
    differ from the int8 layout's, so choosing it by ``n_chains`` would make chain c
    depend on how many chains run beside it, and a batch split with ``chain0`` would
    no longer equal the whole batch.  Within the layout, batches split at multiples
    of 64 (``chain0`` a multiple of 64) have the bits of the whole batch.
    """

    #: work of one site word, in int8 spin updates (for the thread heuristics of ``updates_per_sweep``)
    WORD_WORK = 8

    def __init__(self, model, rule: int, betas, k0, k1, chain0):
        shape = model.shape
        if not (model.periodic and len(shape) in (2, 3) and all(L % 2 == 0 for L in shape)):
            raise ValueError(f"layout='multispin' needs a periodic 2D or 3D lattice with even sides, got {model!r}; "
                             "use layout='int8'")
        n_rows = np.shape(betas)[0]
        if n_rows % 64:
            raise ValueError(f"layout='multispin' needs n_chains (times the number of betas of a ladder) to be a "
                             f"multiple of 64, got {n_rows}")
        if model.n_spins > 2**33:
            raise ValueError(f"layout='multispin' supports up to 2**33 sites, got {model.n_spins}")
        from ebmphys.kernels import multispin_cpu

        super().__init__(model, betas, k0, k1, chain0)
        self.kernels = multispin_cpu
        self.rule = rule
        self.row_neighbors, self.row_parity = model.rows
        self.set_betas(self.betas)

    def set_betas(self, betas) -> None:
        self.betas = _row_betas(betas)
        m = self.model
        thresholds = lattice_cpu.update_thresholds(self.rule, m.J, m.h, m.coordination, self.betas)
        self.constants, self.planes = self.kernels.class_constants(thresholds, m.coordination)

    def to_kernel(self, states: np.ndarray) -> np.ndarray:
        return self.kernels.pack(np.ascontiguousarray(states, dtype=np.int8), self.model.shape[-1])

    def from_kernel(self, words: np.ndarray) -> np.ndarray:
        return self.kernels.unpack(words, self.model.shape[-1])

    def updates_per_sweep(self, n_rows: int) -> int:
        return self.model.n_spins * (n_rows // 64) * self.WORD_WORK

    def observe(self, words, out, column):
        e, m = _outputs(out, 64 * words.shape[0])
        model = self.model
        self.kernels.observables(words, self.row_neighbors, model.shape[-1], model.J, model.h, e, m, column)

    def run(self, words, sweep0, n_sweeps, record_every, out, column0, tune=False):
        e, mag = _outputs(out, 64 * words.shape[0])
        m = self.model
        k = self.kernels
        sweeps = _driver(k.sweeps_serial, k.sweeps_group_parallel, k.sweeps_row_parallel, words.shape[0])
        sweeps(words, self.row_neighbors, self.row_parity, m.shape[-1], self.constants, self.planes, self.k0, self.k1,
               self.chain0, sweep0, n_sweeps, record_every if out else 0, m.J, m.h, e, mag, column0)

    def swap(self, words: np.ndarray, rows_a: np.ndarray, rows_b: np.ndarray) -> None:
        self.kernels.swap_replicas(words, np.asarray(rows_a, dtype=np.int64), np.asarray(rows_b, dtype=np.int64))

    def anneal(self, words, betas, step0, log_w, energy_sum):
        raise ValueError("layout='multispin' has no annealing kernel; anneal with layout='int8' (the default)")


class GraphLocalBackend(_IsingBackend):
    """Colour-class Metropolis or heat-bath sweeps on a ``GraphIsing``."""

    def __init__(self, model, rule: int, betas, k0, k1, chain0):
        from ebmphys.kernels import graph_cpu

        super().__init__(model, betas, k0, k1, chain0)
        self.kernels = graph_cpu
        self.rule = rule
        self.sites, self.offsets = model.coloring()
        J = model.couplings
        self.csr = (J.indptr.astype(np.int64), J.indices.astype(np.int64), J.data.astype(np.float64))

    def set_betas(self, betas) -> None:
        self.betas = _row_betas(betas)

    def to_kernel(self, states: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(states, dtype=np.int8)

    def from_kernel(self, spins: np.ndarray) -> np.ndarray:
        return spins.copy()

    def state_rows(self, spins: np.ndarray) -> np.ndarray:
        return spins

    def observe(self, spins, out, column):
        e, m = _outputs(out, spins.shape[0])
        self.kernels.graph_observables(spins, *self.csr, self.model.fields, e, m, column)

    def run(self, spins, sweep0, n_sweeps, record_every, out, column0, tune=False):
        e, m = _outputs(out, spins.shape[0])
        self.kernels.graph_sweeps(
            spins, *self.csr, self.model.fields, self.sites, self.offsets, self.betas, self.rule, self.k0, self.k1,
            self.chain0, sweep0, n_sweeps, record_every if out else 0, e, m, column0,
        )

    def anneal(self, spins, betas, step0, log_w, energy_sum):
        from ebmphys.kernels import ais_cpu

        energy = np.empty(spins.shape[0])
        ais_cpu.graph_anneal(spins, *self.csr, self.model.fields, self.sites, self.offsets, self.rule, betas, step0,
                             self.k0, self.k1, self.chain0, log_w, energy, energy_sum)
        return energy


LOCAL_ALGORITHMS = ("heatbath", "metropolis")


class LatticeClusterBackend(_LatticeLayout):
    """Wolff or Swendsen-Wang cluster updates on a ferromagnetic, zero-field ``LatticeIsing``.

    Any dimension, periodic or open boundaries, odd sides allowed.  One step of
    the sweep counter is one cluster update (see the module docstring).
    """

    def __init__(self, model, algorithm: str, betas, k0, k1, chain0):
        if not (model.J > 0 and model.h == 0):
            raise ValueError(
                f"algorithm {algorithm!r} needs a ferromagnetic coupling J > 0 and zero field h = 0, "
                f"got J={model.J}, h={model.h}; use one of {list(LOCAL_ALGORITHMS)} for this model"
            )
        from ebmphys.kernels import cluster_cpu

        super().__init__(model, betas, k0, k1, chain0)
        self.kernels = cluster_cpu
        self.algorithm = algorithm
        self.set_betas(self.betas)
        n_rows, n = self.betas.shape[0], model.n_spins
        if algorithm == "wolff":
            self.stack = np.zeros((n_rows, n + 1), dtype=np.int64)
            self.flipped = np.zeros(n_rows, dtype=np.int64)
        else:
            self.parent = np.zeros((n_rows, n), dtype=np.int64)

    def set_betas(self, betas) -> None:
        self.betas = _row_betas(betas)
        self.thresholds = lattice_cpu.threshold_table(-np.expm1(-2.0 * self.betas * self.model.J))

    def run(self, spins, sweep0, n_sweeps, record_every, out, column0, tune=False):
        e, m = _outputs(out, spins.shape[0])
        model = self.model
        row_neighbors, _ = model.rows
        common = (spins, model.neighbors, row_neighbors, model.shape[-1], model.periodic, self.thresholds, self.k0,
                  self.k1, self.chain0, sweep0, n_sweeps, record_every if out else 0, model.J, e, m, column0, CLUSTER)
        parallel = numba.get_num_threads() > 1 and spins.shape[0] > 1
        k = self.kernels
        if self.algorithm == "wolff":
            (k.wolff_steps_parallel if parallel else k.wolff_steps)(*common, self.stack, self.flipped)
        else:
            (k.swendsen_wang_steps_parallel if parallel else k.swendsen_wang_steps)(*common, self.parent)


class BlockGibbsBackend:
    """What the block-Gibbs backends of RBMs with uint8 visible units share (binary here, Potts in :mod:`potts`).

    The user configurations are the visible rows v (uint8); sweep counter t means
    "after Gibbs step t" (step 0 draws h_0 from the initial v_0), and since h_t is a
    pure function of (v_t, t) it is redrawn (:meth:`latent`) at the start of every
    ``run``, so runs continue exactly.  At inverse temperature beta the chains
    sample exp(-beta E); all rows share one beta.  A subclass sets ``kernels`` (a
    kernel module with ``block_gibbs``), ``set_betas`` (scaled parameters W, WT, b,
    c), ``initial_states``, ``latent``, ``updates_per_sweep`` and ``anneal``.
    """

    observables = ()
    flipped = None

    def __init__(self, rbm, betas, k0, k1, chain0):
        self.rbm = rbm
        self.k0, self.k1, self.chain0 = k0, k1, chain0
        self.n_sites = rbm.n_visible
        self.set_betas(betas)

    def check_states(self, states, name: str) -> np.ndarray:
        return self.rbm.check_visible(states, name)

    def to_kernel(self, states: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(states, dtype=np.uint8)

    def from_kernel(self, v: np.ndarray) -> np.ndarray:
        return v.copy()

    def run(self, v, sweep0, n_sweeps, record_every, out, column0, tune=False):
        h = self.latent(v, sweep0)
        self.kernels.block_gibbs(self.W, self.WT, self.b, self.c, h, v, sweep0 + 1, n_sweeps, self.chain0, self.k0,
                                 self.k1)

    def observe(self, v, out, column):
        pass

    def swap(self, v, rows_a, rows_b) -> None:
        v[np.concatenate([rows_a, rows_b])] = v[np.concatenate([rows_b, rows_a])]


class RBMGibbsBackend(BlockGibbsBackend):
    """Block-Gibbs sampling of a binary RBM (E(v, h) = -b.v - c.h - v.W.h, units in {0, 1}; :mod:`rbm_cpu`)."""

    def __init__(self, rbm, betas, k0, k1, chain0):
        from ebmphys.kernels import rbm_cpu

        self.kernels = rbm_cpu
        super().__init__(rbm, betas, k0, k1, chain0)

    def set_betas(self, betas) -> None:
        self.betas, beta = single_beta(betas, "RBM block Gibbs")
        r = self.rbm
        self.W, self.b, self.c = beta * r.W, beta * r.b, beta * r.c
        self.WT = np.ascontiguousarray(self.W.T)

    def initial_states(self, n_rows: int) -> np.ndarray:
        """v ~ prod_i Bernoulli(sigmoid(beta b_i)) (stream ``rng.INIT_RBM_VISIBLE``)."""
        return self.kernels.initial_visible(self.b, n_rows, self.chain0, self.k0, self.k1)

    def latent(self, v: np.ndarray, sweep: int) -> np.ndarray:
        """The hidden states h_t that belong to visible rows ``v`` at sweep counter t = ``sweep``."""
        h = np.empty((v.shape[0], self.rbm.n_hidden), dtype=np.uint8)
        self.kernels.start_chains(self.W, self.b, self.c, v, h, sweep, self.chain0, self.k0, self.k1)
        return h

    def updates_per_sweep(self, n_rows: int) -> int:
        return (self.rbm.n_visible + self.rbm.n_hidden) * n_rows

    def anneal(self, v, betas, step0, log_w, energy_sum, *, base_bias, base_weights):
        """Base-rate annealing (:func:`ebmphys.kernels.ais_cpu.rbm_anneal`; the parameters at beta = 1)."""
        from ebmphys.kernels import ais_cpu

        r = self.rbm
        ais_cpu.rbm_anneal(r.W, np.ascontiguousarray(r.W.T), r.b, r.c, base_bias, betas, base_weights, v, log_w,
                           step0, self.k0, self.k1, self.chain0)
        return None


#: layouts of the lattice Metropolis and heat-bath kernels (option ``layout``)
LATTICE_LAYOUTS = ("int8", "multispin")


def _lattice_local(rule: int):
    def factory(model, betas, k0, k1, chain0, layout="int8", **options):
        _no_options(options)
        if layout == "int8":
            return LatticeLocalBackend(model, rule, betas, k0, k1, chain0)
        if layout == "multispin":
            return MultispinBackend(model, rule, betas, k0, k1, chain0)
        raise ValueError(f"layout must be one of {', '.join(map(repr, LATTICE_LAYOUTS))}, got {layout!r}")

    return factory


def plain_factory(backend, *args):
    """A registry factory that takes no options and returns ``backend(model, *args, betas, k0, k1, chain0)``."""
    def factory(model, betas, k0, k1, chain0, **options):
        _no_options(options)
        return backend(model, *args, betas, k0, k1, chain0)

    return factory


def _no_options(options: dict) -> None:
    if options:
        raise TypeError(f"unexpected keyword argument(s) {', '.join(sorted(options))} for this algorithm")


for _rule, _name in ((METROPOLIS, "metropolis"), (HEATBATH, "heatbath")):
    register("lattice-ising", _name, "cpu", _lattice_local(_rule))
    register("graph-ising", _name, "cpu", plain_factory(GraphLocalBackend, _rule))
for _name in ("wolff", "swendsen-wang"):
    register("lattice-ising", _name, "cpu", plain_factory(LatticeClusterBackend, _name))
register("rbm", "gibbs", "cpu", plain_factory(RBMGibbsBackend))
