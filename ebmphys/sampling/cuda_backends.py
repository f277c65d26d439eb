"""CUDA backends of the binary models: Ising lattices (Metropolis, heat bath, Swendsen-Wang), graphs, RBMs.

Each backend is the GPU twin of the CPU backend of the same (kind, algorithm) in
:mod:`ebmphys.sampling.backends`: same initial states, same kernel counters, same
records, bit for bit (see :mod:`ebmphys.kernels.lattice_cuda` and its siblings).
The kernel state (``kstate``) is a device array that stays on the GPU between
``run`` calls; ``from_kernel`` copies it back, ``run`` and ``observe`` bring back only
the records (energies and magnetisations, reduced on the device as integer sums on
lattices).

Parallel tempering runs entirely on the GPU (:class:`DeviceReplicaExchange`): the
energies of an exchange round are reduced on the device, the decisions and the
replica bookkeeping run there with the CPU kernel's code
(:mod:`ebmphys.kernels.exchange`, so they keep the CPU's bits), and the accepted
swaps too; the replica labels and the acceptance counts come back once per ``run``.

Nothing here imports ``numba.cuda`` until a backend is built, which happens only
after :func:`ebmphys.sampling.registry.check_device` found CUDA usable.

:func:`rbm_train_epoch` picks the CD-k / PCD-k epoch kernel of a device for
:class:`ebmphys.RBMTrainer`.
"""

from __future__ import annotations

import importlib

import numpy as np

from ebmphys.kernels import lattice_cpu, rbm_cpu
from ebmphys.kernels.rng import CLUSTER, INIT, LOCAL
from ebmphys.kernels.spin_updates import HEATBATH, METROPOLIS, random_spins
from ebmphys.sampling.backends import _row_betas, plain_factory, single_beta
from ebmphys.sampling.exchange import ReplicaExchange
from ebmphys.sampling.registry import check_device, register


def _kernels(name: str):
    """The CUDA kernel module ``ebmphys.kernels.<name>`` (imports numba.cuda)."""
    return importlib.import_module(f"ebmphys.kernels.{name}")


def _cuda():
    from numba import cuda

    return cuda


class DeviceReplicaExchange(ReplicaExchange):
    """The exchange rounds of :class:`~ebmphys.sampling.exchange.ReplicaExchange`, run on the GPU.

    Energies (the backend's ``exchange_energies``), decisions, bookkeeping and swaps
    stay on the device (:func:`ebmphys.kernels.exchange_cuda.exchange_round`); the
    replica labels, phases and counters are copied there at the start of every
    ``Chains.run`` call and back at its end.
    """

    def __init__(self, backend, n_chains, betas, exchange_every, k0, k1, chain0):
        self.cuda = _cuda()
        self.kernels = _kernels("exchange_cuda")
        super().__init__(backend, n_chains, betas, exchange_every, k0, k1, chain0)
        self.d_betas = self.cuda.to_device(self.betas)
        self.d_accept = self.cuda.to_device(self.accept)
        self.d_energy = self.cuda.device_array(n_chains * self.betas.shape[0])

    def begin(self) -> None:
        super().begin()
        to = self.cuda.to_device
        self.device = [to(x) for x in (self.replicas, self.phase, self.round_trips, self.accepted)]

    def _round(self, kstate, sweep: int, first: int) -> None:
        self.backend.exchange_energies(kstate, self.d_energy)
        self.kernels.exchange_round(kstate, self.d_energy, self.d_betas, first, sweep, *self.key, self.chain0,
                                    self.d_accept, *self.device)

    def end(self):
        for d, host in zip(self.device, (self.replicas, self.phase, self.round_trips, self.accepted)):
            d.copy_to_host(host)
        return super().end()


class _CudaIsing:
    """What every CUDA Ising backend shares: host-drawn initial spins, state checks, exchanges on the device."""

    observables = ("energy", "magnetization")
    flipped = None
    replica_exchange = DeviceReplicaExchange

    def __init__(self, model, betas, k0: int, k1: int, chain0: int):
        self.model = model
        self.k0, self.k1, self.chain0 = k0, k1, chain0
        self.n_sites = model.n_spins
        self.cuda = _cuda()
        self.common = _kernels("common_cuda")
        self.betas = _row_betas(betas)

    def initial_states(self, n_rows: int) -> np.ndarray:
        """Independent uniform random spins (stream ``rng.INIT``, sweep word 0), as on the CPU."""
        return random_spins(n_rows, self.model.n_spins, self.k0, self.k1, INIT, self.chain0)

    def check_states(self, states, name: str) -> np.ndarray:
        return self.model.check_states(states, name)

    def updates_per_sweep(self, n_rows: int) -> int:
        return self.model.n_spins * n_rows


class _CudaLatticeLayout(_CudaIsing):
    """Lattice chains on the device: spins followed by a ghost row of zeros (``lattice_cpu``'s layout)."""

    def __init__(self, model, betas, k0, k1, chain0):
        super().__init__(model, betas, k0, k1, chain0)
        self.lattice = _kernels("lattice_cuda")
        self.neighbors = self.cuda.to_device(model.neighbors)
        self._exchange_sums = None

    def to_kernel(self, states: np.ndarray):
        n = self.model.n_spins
        padded = np.zeros((states.shape[0], n + self.model.shape[-1]), dtype=np.int8)
        padded[:, :n] = states
        return self.cuda.to_device(padded)

    def from_kernel(self, spins) -> np.ndarray:
        return spins.copy_to_host()[:, : self.model.n_spins].copy()

    def _integer_records(self, spins, n_records: int):
        """Device int64 arrays (n_rows, n_records) of zeros for bond sums and magnetisations."""
        bonds = self.cuda.device_array((spins.shape[0], n_records), dtype=np.int64)
        mags = self.cuda.device_array((spins.shape[0], n_records), dtype=np.int64)
        self.common.zero(bonds, mags)
        return bonds, mags

    def exchange_energies(self, spins, energy) -> None:
        """Write E = -J B - h M of every row into the float64 device array ``energy`` (n_rows,)."""
        if self._exchange_sums is None:
            self._exchange_sums = self._integer_records(spins, 1)
        bonds, mags = self._exchange_sums
        self.common.zero(bonds, mags)
        self.lattice.bond_sums(spins, self.neighbors, bonds, mags, 0)
        self.lattice.device_energies(self.model.J, self.model.h, bonds, mags, energy)

    def observe(self, spins, out, column):
        bonds, mags = self._integer_records(spins, 1)
        self.lattice.bond_sums(spins, self.neighbors, bonds, mags, 0)
        b, m = bonds.copy_to_host(), mags.copy_to_host()
        out["energy"][:, column] = self.lattice.energies(self.model.J, self.model.h, b, m)[:, 0]
        out["magnetization"][:, column] = m[:, 0]

    def _recorder(self, spins, n_sweeps: int, record_every: int, out: dict):
        """(after-sweep callback, finish(column0)) that record bond sums on the device every ``record_every`` sweeps."""
        if not out:
            return None, lambda column0: None
        n_records = n_sweeps // record_every
        bonds, mags = self._integer_records(spins, n_records)

        def after(t):
            if (t + 1) % record_every == 0:
                self.lattice.bond_sums(spins, self.neighbors, bonds, mags, (t + 1) // record_every - 1)

        def finish(column0):
            b, m = bonds.copy_to_host(), mags.copy_to_host()
            out["energy"][:, column0:column0 + n_records] = self._record_energies(b, m)
            out["magnetization"][:, column0:column0 + n_records] = m

        return after, finish

    def _record_energies(self, bonds, mags):
        return self.lattice.energies(self.model.J, self.model.h, bonds, mags)


class CudaLatticeLocalBackend(_CudaLatticeLayout):
    """Checkerboard Metropolis or heat-bath sweeps of a ``LatticeIsing`` on the GPU (twin of ``LatticeLocalBackend``)."""

    def __init__(self, model, rule: int, betas, k0, k1, chain0):
        model.require_bipartite()
        super().__init__(model, betas, k0, k1, chain0)
        self.rule = rule
        row_neighbors, row_parity = model.rows
        self.row_neighbors = self.cuda.to_device(row_neighbors)
        self.row_parity = self.cuda.to_device(row_parity)
        self.set_betas(self.betas)

    def set_betas(self, betas) -> None:
        self.betas = _row_betas(betas)
        m = self.model
        tables = lattice_cpu.update_thresholds(self.rule, m.J, m.h, m.coordination, self.betas)
        self.tables = self.cuda.to_device(tables.reshape(tables.shape[0], -1))

    def run(self, spins, sweep0, n_sweeps, record_every, out, column0, tune=False):
        after, finish = self._recorder(spins, n_sweeps, record_every, out)
        m = self.model
        self.lattice.sweeps(spins, self.row_neighbors, self.row_parity, m.shape[-1], m.periodic, self.tables, self.k0,
                            self.k1, self.chain0, sweep0, n_sweeps, LOCAL, after)
        finish(column0)

    def anneal(self, spins, betas, step0, log_w, energy_sum):
        m = self.model
        tables = lattice_cpu.update_thresholds(self.rule, m.J, m.h, m.coordination, betas)
        d_log_w, d_sum = self.cuda.to_device(log_w), self.cuda.to_device(energy_sum)
        bonds, mags = _kernels("ais_cuda").lattice_anneal(
            spins, self.neighbors, self.row_neighbors, self.row_parity, m.shape[-1], m.periodic, m.J, m.h,
            self.cuda.to_device(tables.reshape(tables.shape[0], -1)), self.cuda.to_device(betas), step0, self.k0,
            self.k1, self.chain0, d_log_w, d_sum)
        d_log_w.copy_to_host(log_w)
        d_sum.copy_to_host(energy_sum)
        return self.lattice.energies(m.J, m.h, bonds, mags)


class CudaSwendsenWangBackend(_CudaLatticeLayout):
    """Swendsen-Wang updates of a ferromagnetic zero-field ``LatticeIsing`` on the GPU (twin of the CPU's)."""

    def __init__(self, model, betas, k0, k1, chain0):
        if not (model.J > 0 and model.h == 0):
            raise ValueError(
                f"algorithm 'swendsen-wang' needs a ferromagnetic coupling J > 0 and zero field h = 0, "
                f"got J={model.J}, h={model.h}; use 'metropolis' or 'heatbath' for this model"
            )
        super().__init__(model, betas, k0, k1, chain0)
        self.clusters = _kernels("cluster_cuda")
        self.labels = self.cuda.device_array((self.betas.shape[0], model.n_spins), dtype=np.int32)
        self.set_betas(self.betas)

    def set_betas(self, betas) -> None:
        self.betas = _row_betas(betas)
        self.thresholds = self.cuda.to_device(lattice_cpu.threshold_table(-np.expm1(-2.0 * self.betas * self.model.J)))

    def _record_energies(self, bonds, mags):
        return -self.model.J * bonds.astype(np.float64)  # cluster_cpu records E = -J B (h = 0)

    def run(self, spins, sweep0, n_sweeps, record_every, out, column0, tune=False):
        after, finish = self._recorder(spins, n_sweeps, record_every, out)
        self.clusters.swendsen_wang_steps(spins, self.neighbors, self.thresholds, self.labels, self.k0, self.k1,
                                          self.chain0, sweep0, n_sweeps, CLUSTER, after)
        finish(column0)


class CudaGraphLocalBackend(_CudaIsing):
    """Colour-class Metropolis or heat-bath sweeps of a ``GraphIsing`` on the GPU (twin of ``GraphLocalBackend``)."""

    def __init__(self, model, rule: int, betas, k0, k1, chain0):
        super().__init__(model, betas, k0, k1, chain0)
        self.graph = _kernels("graph_cuda")
        self.rule = rule
        self._exchange_mags = None
        sites, self.offsets = model.coloring()
        self.sites = self.cuda.to_device(np.ascontiguousarray(sites, dtype=np.int64))
        J = model.couplings
        self.csr = tuple(self.cuda.to_device(np.ascontiguousarray(x, dtype=t)) for x, t in (
            (J.indptr, np.int64), (J.indices, np.int64), (J.data, np.float64)))
        self.fields = self.cuda.to_device(np.ascontiguousarray(model.fields, dtype=np.float64))
        self.set_betas(self.betas)

    def set_betas(self, betas) -> None:
        self.betas = _row_betas(betas)
        self.d_betas = self.cuda.to_device(self.betas)

    def to_kernel(self, states: np.ndarray):
        return self.cuda.to_device(np.ascontiguousarray(states, dtype=np.int8))

    def from_kernel(self, spins) -> np.ndarray:
        return spins.copy_to_host()

    def _records(self, spins, n_records: int):
        energy = self.cuda.device_array((spins.shape[0], n_records))
        mags = self.cuda.device_array((spins.shape[0], n_records), dtype=np.int64)
        return energy, mags

    def exchange_energies(self, spins, energy) -> None:
        """Write the energy of every row into the float64 device array ``energy`` (n_rows,)."""
        if self._exchange_mags is None:
            self._exchange_mags = self._records(spins, 1)[1]
        self.graph.observables(spins, *self.csr, self.fields, energy.reshape(energy.shape[0], 1), self._exchange_mags,
                               0)

    def observe(self, spins, out, column):
        energy, mags = self._records(spins, 1)
        self.graph.observables(spins, *self.csr, self.fields, energy, mags, 0)
        out["energy"][:, column] = energy.copy_to_host()[:, 0]
        out["magnetization"][:, column] = mags.copy_to_host()[:, 0]

    def _recorder(self, spins, n_sweeps: int, record_every: int, out: dict):
        """(after-sweep callback, finish(column0)) that record on the device every ``record_every`` sweeps."""
        if not out:
            return None, lambda column0: None
        n_records = n_sweeps // record_every
        energy, mags = self._records(spins, n_records)

        def after(t):
            if (t + 1) % record_every == 0:
                self.graph.observables(spins, *self.csr, self.fields, energy, mags, (t + 1) // record_every - 1)

        def finish(column0):
            out["energy"][:, column0:column0 + n_records] = energy.copy_to_host()
            out["magnetization"][:, column0:column0 + n_records] = mags.copy_to_host()

        return after, finish

    def run(self, spins, sweep0, n_sweeps, record_every, out, column0, tune=False):
        after, finish = self._recorder(spins, n_sweeps, record_every, out)
        self.graph.sweeps(spins, *self.csr, self.fields, self.sites, self.offsets, self.d_betas, self.rule, self.k0,
                          self.k1, self.chain0, sweep0, n_sweeps, LOCAL, after)
        finish(column0)

    def anneal(self, spins, betas, step0, log_w, energy_sum):
        d_log_w, d_sum = self.cuda.to_device(log_w), self.cuda.to_device(energy_sum)
        energy = _kernels("ais_cuda").graph_anneal(
            spins, *self.csr, self.fields, self.sites, self.offsets, self.rule, self.cuda.to_device(betas), step0,
            self.k0, self.k1, self.chain0, d_log_w, d_sum)
        d_log_w.copy_to_host(log_w)
        d_sum.copy_to_host(energy_sum)
        return energy


class CudaRBMGibbsBackend:
    """Block-Gibbs sampling of a binary RBM on the GPU (twin of ``backends.RBMGibbsBackend``).

    The kernel state is the visible layer on the device; h_t is redrawn from (v_t, t)
    at the start of every ``run``, as on the CPU.
    """

    observables = ()
    flipped = None

    def __init__(self, rbm, betas, k0, k1, chain0):
        self.rbm = rbm
        self.k0, self.k1, self.chain0 = k0, k1, chain0
        self.n_sites = rbm.n_visible
        self.cuda = _cuda()
        self.kernels = _kernels("rbm_cuda")
        self.set_betas(betas)

    def set_betas(self, betas) -> None:
        self.betas, beta = single_beta(betas, "RBM block Gibbs")
        r = self.rbm
        self.b_host = beta * r.b
        to = self.cuda.to_device
        self.W, self.b, self.c = to(beta * r.W), to(self.b_host), to(beta * r.c)
        self.WT = to(np.ascontiguousarray((beta * r.W).T))

    def initial_states(self, n_rows: int) -> np.ndarray:
        """v ~ prod_i Bernoulli(sigmoid(beta b_i)) (stream ``rng.INIT_RBM_VISIBLE``), as on the CPU."""
        return rbm_cpu.initial_visible(self.b_host, n_rows, self.chain0, self.k0, self.k1)

    def check_states(self, states, name: str) -> np.ndarray:
        return self.rbm.check_visible(states, name)

    def to_kernel(self, states: np.ndarray):
        return self.cuda.to_device(np.ascontiguousarray(states, dtype=np.uint8))

    def from_kernel(self, v) -> np.ndarray:
        return v.copy_to_host()

    def _hidden(self, v, sweep: int):
        h = self.cuda.device_array((v.shape[0], self.rbm.n_hidden), dtype=np.uint8)
        ph = self.cuda.device_array((v.shape[0], self.rbm.n_hidden))
        self.kernels.start_chains(self.W, self.c, v, h, ph, sweep, self.chain0, self.k0, self.k1)
        return h, ph

    def latent(self, v, sweep: int) -> np.ndarray:
        """The hidden states h_t that belong to visible rows ``v`` at sweep counter t = ``sweep``."""
        return self._hidden(v, sweep)[0].copy_to_host()

    def run(self, v, sweep0, n_sweeps, record_every, out, column0, tune=False):
        h, ph = self._hidden(v, sweep0)
        pv = self.cuda.device_array(v.shape)
        self.kernels.gibbs_steps(h, v, ph, pv, self.W, self.WT, self.b, self.c, sweep0 + 1, n_sweeps, self.chain0,
                                 self.k0, self.k1)

    def observe(self, v, out, column):
        pass

    def updates_per_sweep(self, n_rows: int) -> int:
        return (self.rbm.n_visible + self.rbm.n_hidden) * n_rows

    def anneal(self, v, betas, step0, log_w, energy_sum, *, base_bias, base_weights):
        """Base-rate annealing on the GPU (twin of ``ais_cpu.rbm_anneal``; the parameters at beta = 1)."""
        r, to = self.rbm, self.cuda.to_device
        d_log_w = to(log_w)
        _kernels("ais_cuda").rbm_anneal(to(r.W), to(np.ascontiguousarray(r.W.T)), to(r.b), to(r.c),
                                        to(np.ascontiguousarray(base_bias, dtype=np.float64)),
                                        np.ascontiguousarray(betas, dtype=np.float64),
                                        np.ascontiguousarray(base_weights, dtype=np.float64), v, d_log_w, step0,
                                        self.k0, self.k1, self.chain0)
        d_log_w.copy_to_host(log_w)
        return None


def rbm_train_epoch(device: str):
    """The CD-k / PCD-k epoch kernel for ``device`` (resolved by ``check_device``).

    ``rbm_cpu.train_epoch`` or its GPU twin ``rbm_cuda.train_epoch``: same arguments,
    same result bits; the trainer calls whichever this returns.
    """
    if check_device(device) == "cuda":
        return _kernels("rbm_cuda").train_epoch
    return rbm_cpu.train_epoch


for _rule, _name in ((METROPOLIS, "metropolis"), (HEATBATH, "heatbath")):
    register("lattice-ising", _name, "cuda", plain_factory(CudaLatticeLocalBackend, _rule))
    register("graph-ising", _name, "cuda", plain_factory(CudaGraphLocalBackend, _rule))
register("lattice-ising", "swendsen-wang", "cuda", plain_factory(CudaSwendsenWangBackend))
register("rbm", "gibbs", "cuda", plain_factory(CudaRBMGibbsBackend))
