"""Sweep expansion: a study becomes independent tasks, a task becomes units of work.

A :class:`Task` is one batch of ``n_chains`` chains at one lattice size,
temperature and seed.  Its random-number key is derived from the study seed and
the (size, temperature) indices, so every task has its own Philox streams and a
task's trajectory depends on nothing else.

A task advances in :class:`Job` s: "run the chains from sweep ``start`` to
``stop`` starting from these configurations".  :func:`run_job` is a pure
function of its job (the counter-based generator is addressed by sweep), so a
task cut into jobs of any length, run anywhere, gives the same bits as one
uninterrupted chain; this is what makes checkpoint and resume exact.

A phi^4 study (``model.type = "phi4"``) has one :class:`Phi4Task` per (size,
(lam, kappa) grid point, seed); its ``temperature_index`` indexes the grid points
and its configurations are float64 fields.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ebmphys.kernels.rng import derive_seed
from ebmphys.models import LatticeIsing, LatticePotts, Phi4Lattice
from ebmphys.sampling.chains import Chains
from ebmphys.storage.layout import configuration_bytes, pack_rows_into
from ebmphys.study.spec import StudySpec


@dataclass(frozen=True)
class Task:
    """One (size, temperature, seed) point of a study.

    Attributes
    ----------
    index : int
        Position in :func:`expand` order.
    size_index, temperature_index, seed_index : int
        Indices into the spec's sizes, temperatures and seeds.
    L, dimension : int
        Lattice side and dimension (periodic L^d lattice).
    J, h, beta : float
        Coupling, field and inverse temperature (k_B = 1).
    algorithm : str
    device : str
        Where the chains run (the spec's ``sampling.device``; bits do not depend on it).
    n_chains : int
    key : int
        Philox key in [0, 2**64) of this task.
    burn_in, n_sweeps, thin, configurations_every : int
        As in the spec (``thin`` = ``record.observables_every``).
    q : int
        0 for the Ising model, else the number of states of a Potts model (then h = 0).
    """

    index: int
    size_index: int
    temperature_index: int
    seed_index: int
    L: int
    dimension: int
    J: float
    h: float
    beta: float
    algorithm: str
    device: str
    n_chains: int
    key: int
    burn_in: int
    n_sweeps: int
    thin: int
    configurations_every: int
    q: int = 0

    @property
    def total_sweeps(self) -> int:
        return self.burn_in + self.n_sweeps

    @property
    def n_spins(self) -> int:
        return self.L**self.dimension

    def record_sweeps(self) -> np.ndarray:
        """Sweep counters after which observables are recorded."""
        return self.burn_in + self.thin * np.arange(1, self.n_sweeps // self.thin + 1, dtype=np.int64)

    def configuration_sweeps(self) -> np.ndarray:
        """Sweep counters after which configurations are stored (empty when not recorded)."""
        if not self.configurations_every:
            return np.zeros(0, dtype=np.int64)
        m = self.configurations_every
        return self.burn_in + m * np.arange(1, self.n_sweeps // m + 1, dtype=np.int64)

    def job_stops(self, job_sweeps: int) -> list[int]:
        """Sweep counters at which the jobs of this task end.

        ``job_sweeps`` is rounded up to a multiple of the recording periods; burn-in
        and production are cut separately so every job records whole periods.
        """
        period = math.lcm(self.thin, self.configurations_every or 1)
        step = max(period, -(-job_sweeps // period) * period)
        stops = list(range(min(step, self.burn_in), self.burn_in, step)) + ([self.burn_in] if self.burn_in else [])
        stops += list(range(self.burn_in + step, self.total_sweeps, step)) + [self.total_sweeps]
        return sorted(set(stops))


@dataclass(frozen=True)
class Phi4Task(Task):
    """One (size, (lam, kappa), seed) point of a phi^4 study (weights exp(-S), so ``beta`` = 1; J = h = 0 unused).

    Attributes (besides those of :class:`Task`)
    ----------
    kappa, lam : float
        Hopping parameter and quartic coupling of :class:`ebmphys.models.Phi4Lattice`.
    step_size : float
        Half-width of the single-site proposal.
    n_clusters : int
        Wolff clusters per sweep (algorithm "wolff").
    """

    kappa: float = 0.0
    lam: float = 0.0
    step_size: float = 1.0
    n_clusters: int = 1


def task_key(seed: int, size_index: int, temperature_index: int) -> int:
    """Philox key of a task: a 64-bit hash of (study seed, size index, temperature index)."""
    return derive_seed(seed, size_index, temperature_index)


def expand(spec: StudySpec) -> list[Task]:
    """All tasks of a study, ordered by size, then temperature (or coupling), then seed."""
    if spec.model_type == "phi4":
        return _expand_phi4(spec)
    d = spec.data
    tasks = []
    for i, L in enumerate(spec.sizes):
        for j, T in enumerate(spec.temperatures):
            for k, seed in enumerate(spec.seeds):
                tasks.append(Task(
                    index=len(tasks), size_index=i, temperature_index=j, seed_index=k, L=L,
                    dimension=spec.dimension, J=d["model"]["J"], h=d["model"].get("h", 0.0), beta=1.0 / float(T),
                    algorithm=d["sampling"]["algorithm"], device=d["sampling"]["device"],
                    n_chains=d["sampling"]["n_chains"],
                    key=task_key(seed, i, j), burn_in=d["sampling"]["burn_in"], n_sweeps=d["sampling"]["n_sweeps"],
                    thin=d["record"]["observables_every"], configurations_every=d["record"]["configurations_every"],
                    q=spec.q,
                ))
    return tasks


def _expand_phi4(spec: StudySpec) -> list[Phi4Task]:
    d = spec.data
    s = d["sampling"]
    lams, kappas = spec.couplings
    steps = spec.step_sizes
    tasks = []
    for i, L in enumerate(spec.sizes):
        for j, (lam, kappa, step) in enumerate(zip(lams, kappas, steps)):
            for k, seed in enumerate(spec.seeds):
                tasks.append(Phi4Task(
                    index=len(tasks), size_index=i, temperature_index=j, seed_index=k, L=L,
                    dimension=spec.dimension, J=0.0, h=0.0, beta=1.0, algorithm=s["algorithm"], device=s["device"],
                    n_chains=s["n_chains"], key=task_key(seed, i, j), burn_in=s["burn_in"], n_sweeps=s["n_sweeps"],
                    thin=d["record"]["observables_every"], configurations_every=0, kappa=float(kappa),
                    lam=float(lam), step_size=float(step), n_clusters=s["n_clusters"],
                ))
    return tasks


@dataclass(frozen=True)
class Job:
    """Advance ``task`` from sweep ``start`` to ``stop``; ``states`` is None only at sweep 0."""

    task: Task
    start: int
    stop: int
    states: np.ndarray | None


@dataclass
class JobResult:
    """What a job sends back to the process that writes the file.

    Attributes
    ----------
    task_index, start, stop : int
    energy, magnetization : float64 (n_chains, n_records)
        Totals recorded in (start, stop] after burn-in (n_records may be 0).
    configurations : uint8 (n_chains, n_configurations, n_bytes)
        Bit-packed configurations (:func:`ebmphys.storage.layout.pack_states`) stored in (start, stop].
    states : int8 (n_chains, n_spins)
        Configurations at sweep ``stop`` (uint8 states for Potts tasks, float64 fields for phi^4).
    """

    task_index: int
    start: int
    stop: int
    energy: np.ndarray
    magnetization: np.ndarray
    configurations: np.ndarray
    states: np.ndarray


@functools.lru_cache(maxsize=16)
def _model(dimension: int, L: int, J: float, h: float, q: int) -> LatticeIsing | LatticePotts:
    if q:
        return LatticePotts((L,) * dimension, q, J=J)
    return LatticeIsing((L,) * dimension, J=J, h=h)


@functools.lru_cache(maxsize=16)
def _phi4_model(dimension: int, L: int, kappa: float, lam: float) -> Phi4Lattice:
    return Phi4Lattice((L,) * dimension, kappa=kappa, lam=lam)


def _chains(job: Job) -> Chains:
    t = job.task
    if isinstance(t, Phi4Task):
        model = _phi4_model(t.dimension, t.L, t.kappa, t.lam)
        options = {"step_size": t.step_size}
        if t.algorithm == "wolff":
            options["n_clusters"] = t.n_clusters
    else:
        model, options = _model(t.dimension, t.L, t.J, t.h, t.q), {}
    return Chains(model, algorithm=t.algorithm, beta=t.beta, n_chains=t.n_chains, seed=t.key, device=t.device,
                  initial_states=job.states, sweep=job.start, **options)


def run_job(job: Job) -> JobResult:
    """Run one job on :class:`ebmphys.sampling.Chains`: one ``run`` call, configurations packed as they come.

    The chains are built once per job (from the job's states and sweep counter).
    After every configuration-recording sweep the chains' rows are bit-packed in
    place (:meth:`Chains.state_rows`, :func:`ebmphys.storage.layout.pack_rows_into`)
    into one buffer held in file order (configuration, chain, byte), so the file's
    writer stores a job's configurations in one contiguous write.
    """
    t = job.task
    chains = _chains(job)
    n = job.stop - job.start
    n_bytes = configuration_bytes(t.n_spins, t.q)
    if job.stop <= t.burn_in:  # job_stops never lets a job straddle the end of burn-in
        chains.run(n, record=())
        empty = np.zeros((t.n_chains, 0))
        return JobResult(task_index=t.index, start=job.start, stop=job.stop, energy=empty, magnetization=empty,
                         configurations=np.zeros((t.n_chains, 0, n_bytes), dtype=np.uint8),
                         states=chains.states.reshape(t.n_chains, -1))

    every = t.configurations_every
    if not every:
        records = chains.run(n, thin=t.thin)
        return JobResult(task_index=t.index, start=job.start, stop=job.stop, energy=records["energy"],
                         magnetization=records["magnetization"],
                         configurations=np.zeros((t.n_chains, 0, n_bytes), dtype=np.uint8),
                         states=chains.states.reshape(t.n_chains, -1))
    # configurations after sweeps burn_in + k * every: the first one in (start, stop] is at sweep `first`
    done = (job.start - t.burn_in) // every
    first = t.burn_in + every * (done + 1)
    stored = np.zeros(((job.stop - t.burn_in) // every - done, t.n_chains, n_bytes), dtype=np.uint8)

    def store(c: Chains) -> None:
        pack_rows_into(c.state_rows(), t.n_spins, t.q, stored[(c.sweep - first) // every])

    parts = []
    if (job.start - t.burn_in) % every and first <= job.stop:  # a job that starts between two configurations
        parts.append(chains.run(first - job.start, thin=t.thin))
        store(chains)
    parts.append(chains.run(job.stop - chains.sweep, thin=t.thin, every=every, call=store))
    return JobResult(task_index=t.index, start=job.start, stop=job.stop,
                     energy=np.concatenate([p["energy"] for p in parts], axis=1),
                     magnetization=np.concatenate([p["magnetization"] for p in parts], axis=1),
                     configurations=stored.transpose(1, 0, 2), states=chains.states.reshape(t.n_chains, -1))
