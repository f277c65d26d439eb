"""``ebmphys.sample``: many independent Markov chains of an Ising model at one temperature, or parallel tempering over a ladder."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np

from ebmphys.kernels.rng import STREAM_INIT, resolve_seed, split_seed
from ebmphys.kernels.spin_updates import random_spins
from ebmphys.models._validate import finite_real, positive_int
from ebmphys.sampling.backends import ALGORITHMS, threads_for

RECORDABLE = ("energy", "magnetization")
_WORK_PER_CALL = 2**24  # spin updates per kernel call between progress updates


@dataclass
class SampleResult:
    """Time series of a batch of chains.

    Attributes
    ----------
    energy, magnetization : float64 arrays (n_chains, n_records) or None
        Total (extensive) energy E(s) and magnetisation M = sum_i s_i, recorded after
        each of the sweeps listed in ``sweeps``; None when not recorded.
    sweeps : int64 array (n_records,)
        Sweep counter (counted from the chain start, burn-in included) after which each record was taken.
    states : int8 array (n_chains, *model.shape) or None
        Final configurations, when ``return_states=True``.
    final_sweep : int
        Sweep counter at the end; pass ``initial_states=states, sweep_offset=final_sweep``
        with the same seed to continue the chains bit for bit.
    mean_cluster_size : float64 array (n_chains,) or None
        Wolff only: mean number of spins per flipped cluster over the recorded
        steps (burn-in excluded).  A Wolff "sweep" is one cluster flip, so an
        autocorrelation time measured in steps converts to sweeps (N flips) as
        ``tau_steps * mean_cluster_size / n_spins``.
    """

    model: object
    beta: float
    algorithm: str
    seed: int
    n_chains: int
    burn_in: int
    thin: int
    sweeps: np.ndarray
    final_sweep: int
    energy: np.ndarray | None = None
    magnetization: np.ndarray | None = None
    states: np.ndarray | None = field(default=None, repr=False)
    mean_cluster_size: np.ndarray | None = None

    @property
    def n_spins(self) -> int:
        return self.model.n_spins

    @property
    def energy_per_spin(self) -> np.ndarray:
        """E / N for every record, shape (n_chains, n_records)."""
        return self.energy / self.n_spins

    @property
    def abs_magnetization_per_spin(self) -> np.ndarray:
        """|M| / N for every record, shape (n_chains, n_records)."""
        return np.abs(self.magnetization) / self.n_spins


def _check_beta(beta) -> float:
    beta = finite_real("beta", beta)
    if beta < 0:
        raise ValueError(f"beta must be finite and >= 0, got {beta}")
    return beta


def _check_record(record) -> tuple[str, ...]:
    if isinstance(record, str):
        record = (record,)
    record = tuple(record)
    for name in record:
        if name not in RECORDABLE:
            raise ValueError(f"record must name observables among {RECORDABLE}, got {name!r}")
    return record


@dataclass(frozen=True)
class RunArguments:
    """Validated run-length, recording and seed arguments shared by ``sample`` and ``parallel_tempering``."""

    n_sweeps: int
    n_chains: int
    burn_in: int
    thin: int
    sweep_offset: int
    record: tuple[str, ...]
    seed: int


def check_run_arguments(*, algorithm, device, n_sweeps, n_chains, burn_in, thin, sweep_offset, record,
                        seed) -> RunArguments:
    """Validate the arguments every sampler shares; errors name the parameter and the allowed values."""
    if not isinstance(algorithm, str) or algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {sorted(ALGORITHMS)}, got {algorithm!r}")
    if device != "cpu":
        raise ValueError(f"device must be 'cpu' (no CUDA support in this version), got {device!r}")
    run = RunArguments(
        n_sweeps=positive_int("n_sweeps", n_sweeps),
        n_chains=positive_int("n_chains", n_chains),
        burn_in=positive_int("burn_in", burn_in, minimum=0),
        thin=positive_int("thin", thin),
        sweep_offset=positive_int("sweep_offset", sweep_offset, minimum=0),
        record=_check_record(record),
        seed=resolve_seed(seed),
    )
    if run.n_sweeps % run.thin:
        raise ValueError(f"n_sweeps must be a multiple of thin={run.thin}, got {run.n_sweeps}")
    if run.sweep_offset + run.burn_in + run.n_sweeps >= 2**32:
        raise ValueError("sweep_offset + burn_in + n_sweeps must be below 2**32 (the RNG's sweep counter)")
    return run


def sample(
    model,
    *,
    beta,
    n_sweeps: int,
    n_chains: int = 1,
    algorithm: str = "metropolis",
    seed: int | None = None,
    burn_in: int = 0,
    thin: int = 1,
    record=RECORDABLE,
    return_states: bool = False,
    initial_states: np.ndarray | None = None,
    sweep_offset: int = 0,
    device: str = "cpu",
    progress: bool = False,
    exchange_every: int | None = None,
):
    """Run ``n_chains`` independent Markov chains of ``model`` at inverse temperature ``beta``.

    With a ladder ``beta=[b1 < b2 < ...]`` this runs parallel tempering instead
    (``ebmphys.sampling.tempering.parallel_tempering``, which documents the
    extra arguments and its ``TemperingResult``).

    Parameters
    ----------
    model : LatticeIsing or GraphIsing
    beta : float or sequence of float
        Inverse temperature 1/T (k_B = 1), finite and >= 0; a strictly increasing
        sequence of at least two values runs parallel tempering.
    n_sweeps : int
        Sweeps after burn-in; one sweep attempts one update of every spin (N attempts)
        for the local rules, and is one cluster update for the cluster algorithms.
    n_chains : int
        Independent chains run at once (chain c uses the random stream of chain index c).
    algorithm : {"metropolis", "heatbath", "wolff", "swendsen-wang"}
        "metropolis" and "heatbath": single-spin rules, applied as checkerboard sweeps
        on lattices and by colour classes of a greedy colouring on graphs.
        "wolff" and "swendsen-wang": cluster updates of a ferromagnetic (J > 0)
        zero-field ``LatticeIsing`` (any dimension, periodic or open, odd sides
        allowed).  One Swendsen-Wang step (every spin updated) counts as one
        sweep; one Wolff step flips one cluster and counts as one sweep of the
        counter, so ``n_sweeps`` is the number of cluster flips and
        ``result.mean_cluster_size / N`` converts steps to sweeps of N flips.
    seed : int in [0, 2**64), optional
        Key of the counter-based generator; None draws one (stored in the result).
    burn_in : int
        Sweeps discarded before recording.
    thin : int
        Record every ``thin``-th sweep; ``n_sweeps`` must be a multiple of ``thin``.
    record : sequence of {"energy", "magnetization"}
    return_states : bool
        Keep the final configurations in ``result.states``.
    initial_states : int8 array (n_chains, *model.shape), optional
        Starting configurations; default independent uniform random spins.
    sweep_offset : int
        Sweep counter of ``initial_states`` (use ``result.final_sweep`` to continue a run).
    device : {"cpu"}
        Only the CPU is available in this version.
    progress : bool
        Show a tqdm progress bar on stderr.
    exchange_every : int, optional
        Parallel tempering only: sweeps between replica-exchange rounds (default 1).

    Returns
    -------
    SampleResult, or TemperingResult for a ladder of betas
    """
    if np.ndim(beta) > 0:
        from ebmphys.sampling.tempering import parallel_tempering  # tempering builds on this module

        return parallel_tempering(
            model, beta=beta, n_sweeps=n_sweeps, n_chains=n_chains, algorithm=algorithm,
            exchange_every=1 if exchange_every is None else exchange_every, seed=seed, burn_in=burn_in,
            thin=thin, record=record, return_states=return_states, initial_states=initial_states,
            sweep_offset=sweep_offset, device=device, progress=progress,
        )
    if exchange_every is not None:
        raise ValueError("exchange_every applies to parallel tempering only: pass a ladder beta=[b1 < b2 < ...]")
    run = check_run_arguments(algorithm=algorithm, device=device, n_sweeps=n_sweeps, n_chains=n_chains,
                              burn_in=burn_in, thin=thin, sweep_offset=sweep_offset, record=record, seed=seed)
    beta = _check_beta(beta)
    n_sweeps, n_chains, burn_in, thin = run.n_sweeps, run.n_chains, run.burn_in, run.thin
    sweep_offset, record, seed = run.sweep_offset, run.record, run.seed
    k0, k1 = split_seed(seed)

    backend = ALGORITHMS[algorithm](model, np.full(n_chains, beta))
    if initial_states is None:
        states = random_spins(n_chains, model.n_spins, k0, k1, 256 * STREAM_INIT)
    else:
        states = model.check_states(initial_states, "initial_states")
        if states.shape[0] != n_chains:
            raise ValueError(f"initial_states must hold n_chains={n_chains} configurations, got {states.shape[0]}")
    spins = backend.to_kernel(states)

    n_records = n_sweeps // thin
    record_every = thin if record else 0  # with nothing to record the kernels skip the measurement
    out_energy = np.zeros((n_chains, n_records if record else 0))
    out_magnetization = np.zeros_like(out_energy)
    no_record = np.zeros((n_chains, 0))
    sweep = sweep_offset
    chunk = max(1, _WORK_PER_CALL // (model.n_spins * n_chains))
    bar = _progress_bar(burn_in + n_sweeps, progress)
    with threads_for(model.n_spins * n_chains):
        while sweep < sweep_offset + burn_in:
            n = min(chunk, sweep_offset + burn_in - sweep)
            backend.run(spins, k0, k1, sweep, n, 0, no_record, no_record, 0)
            sweep += n
            bar.update(n)
        if backend.flipped is not None:
            backend.flipped[:] = 0
        records_per_call = max(1, chunk // thin)
        for column in range(0, n_records, records_per_call):
            n = min(records_per_call, n_records - column) * thin
            backend.run(spins, k0, k1, sweep, n, record_every, out_energy, out_magnetization, column)
            sweep += n
            bar.update(n)
    bar.close()

    return SampleResult(
        model=model,
        beta=beta,
        algorithm=algorithm,
        seed=seed,
        n_chains=n_chains,
        burn_in=burn_in,
        thin=thin,
        sweeps=sweep_offset + burn_in + thin * np.arange(1, n_records + 1, dtype=np.int64),
        final_sweep=sweep,
        energy=out_energy if "energy" in record else None,
        magnetization=out_magnetization if "magnetization" in record else None,
        states=backend.from_kernel(spins).reshape((n_chains,) + tuple(model.shape)) if return_states else None,
        mean_cluster_size=None if backend.flipped is None else backend.flipped / n_sweeps,
    )


def _progress_bar(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="sweep", disable=not enabled, file=sys.stderr, leave=False)
