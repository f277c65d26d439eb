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
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ebmphys.kernels.rng import derive_seed
from ebmphys.models import LatticeIsing, LatticePotts
from ebmphys.sampling.chains import Chains
from ebmphys.storage.layout import configuration_bytes, pack_states
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


def task_key(seed: int, size_index: int, temperature_index: int) -> int:
    """Philox key of a task: a 64-bit hash of (study seed, size index, temperature index)."""
    return derive_seed(seed, size_index, temperature_index)


def expand(spec: StudySpec) -> list[Task]:
    """All tasks of a study, ordered by size, then temperature, then seed."""
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
        Configurations at sweep ``stop`` (uint8 states for Potts tasks).
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


def run_job(job: Job) -> JobResult:
    """Run one job on :class:`ebmphys.sampling.Chains`, cut at the configuration-recording sweeps.

    The chains are built once per job (from the job's states and sweep counter), so
    storing a configuration after every sweep costs one short ``run`` call each.
    """
    t = job.task
    model = _model(t.dimension, t.L, t.J, t.h, t.q)
    chains = Chains(model, algorithm=t.algorithm, beta=t.beta, n_chains=t.n_chains, seed=t.key, device=t.device,
                    initial_states=job.states, sweep=job.start)
    n = job.stop - job.start
    if job.stop <= t.burn_in:  # job_stops never lets a job straddle the end of burn-in
        chains.run(n, record=())
        empty = np.zeros((t.n_chains, 0))
        return JobResult(task_index=t.index, start=job.start, stop=job.stop, energy=empty, magnetization=empty,
                         configurations=np.zeros((t.n_chains, 0, configuration_bytes(t.n_spins, t.q)),
                                                 dtype=np.uint8),
                         states=chains.states.reshape(t.n_chains, -1))

    conf_sweeps = [int(s) for s in t.configuration_sweeps() if job.start < s <= job.stop]
    cuts = [s for s in conf_sweeps if s < job.stop] + [job.stop]
    energy = np.zeros((t.n_chains, n // t.thin))
    magnetization = np.zeros_like(energy)
    configurations = np.zeros((t.n_chains, len(conf_sweeps), configuration_bytes(t.n_spins, t.q)), dtype=np.uint8)
    for stop in cuts:
        column = (chains.sweep - job.start) // t.thin
        records = chains.run(stop - chains.sweep, thin=t.thin)
        k = records.sweeps.shape[0]
        energy[:, column:column + k] = records["energy"]
        magnetization[:, column:column + k] = records["magnetization"]
        if stop in conf_sweeps:
            configurations[:, conf_sweeps.index(stop)] = pack_states(chains.states.reshape(t.n_chains, -1), t.q)
    return JobResult(task_index=t.index, start=job.start, stop=job.stop, energy=energy, magnetization=magnetization,
                     configurations=configurations, states=chains.states.reshape(t.n_chains, -1))
