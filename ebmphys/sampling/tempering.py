"""Parallel tempering (replica exchange) over a ladder of inverse temperatures.

A run holds ``n_chains`` independent tempering ensembles; each has one replica
per beta of the ladder ``b_0 < b_1 < ... < b_{n-1}``.  Kernel row
``c * n_betas + i`` always runs at ``b_i``, so each row is a chain of the
sampler's backend with its own beta and random stream (row index = kernel
chain index).  Every ``exchange_every`` sweeps, neighbouring temperatures
exchange configurations with the Metropolis probability

    min(1, exp((b_i - b_{i+1}) (E_i - E_{i+1}))),

which leaves the product of the Boltzmann distributions invariant.  Rounds
alternate between the even pairs (0,1), (2,3), ... and the odd pairs (1,2),
(3,4), ...: round ``r = sweep // exchange_every`` uses pairs starting at
``r % 2``.  The uniform of pair (i, i+1) of ensemble c after sweep counter
``sweep`` is word ``i % 4`` of ``philox4x32(i // 4, sweep, c, 256 * STREAM_EXCHANGE)``,
so a run and its continuation are reproducible bit for bit.

At a sweep where both are due, the exchange comes first and the observables
are recorded after it (so the last record describes the final states).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import erfcinv

from ebmphys.kernels.rng import STREAM_EXCHANGE, STREAM_INIT, philox_block, resolve_seed, split_seed
from ebmphys.kernels.spin_updates import random_spins
from ebmphys.models._validate import finite_real, positive_int
from ebmphys.sampling.backends import ALGORITHMS, threads_for
from ebmphys.sampling.sample import _WORK_PER_CALL, _progress_bar, check_run_arguments


@dataclass
class TemperingResult:
    """Time series of a parallel-tempering run, indexed by temperature.

    Attributes
    ----------
    betas : float64 array (n_betas,)
        The ladder, strictly increasing.
    energy, magnetization : float64 arrays (n_chains, n_betas, n_records) or None
        Total energy and magnetisation of the configuration held at each beta,
        recorded after each sweep listed in ``sweeps``.
    sweeps : int64 array (n_records,)
        Sweep counter (burn-in included) of each record.
    final_sweep : int
        Sweep counter at the end; pass ``initial_states=states, sweep_offset=final_sweep``
        with the same seed to continue the run bit for bit (the exchange
        statistics and replica labels start afresh).
    states : int8 array (n_chains, n_betas, *model.shape) or None
        Final configuration at each beta, when ``return_states=True``.
    exchange_attempts, exchange_accepted : int64 arrays (n_betas - 1,)
        Exchange attempts and acceptances of each neighbouring pair (b_i, b_{i+1}),
        summed over the ensembles, after burn-in.
    round_trips : int64 array (n_chains,)
        Replica round trips completed after burn-in in each ensemble: a replica
        completes one when it returns to the smallest beta after reaching the
        largest beta since its previous visit to the smallest (replicas are
        tracked from the start of the call).
    replicas : int64 array (n_chains, n_betas)
        Label of the replica held at each beta at the end (replica k started at b_k).
    """

    model: object
    betas: np.ndarray
    algorithm: str
    seed: int
    n_chains: int
    exchange_every: int
    burn_in: int
    thin: int
    sweeps: np.ndarray
    final_sweep: int
    exchange_attempts: np.ndarray
    exchange_accepted: np.ndarray
    round_trips: np.ndarray
    replicas: np.ndarray
    energy: np.ndarray | None = None
    magnetization: np.ndarray | None = None
    states: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_betas(self) -> int:
        return len(self.betas)

    @property
    def acceptance_rates(self) -> np.ndarray:
        """Accepted fraction of exchanges of each neighbouring pair, shape (n_betas - 1,); NaN if none attempted."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.exchange_accepted / self.exchange_attempts


def check_ladder(beta) -> np.ndarray:
    """Validate a ladder of inverse temperatures: at least 2 finite values >= 0, strictly increasing."""
    try:
        betas = np.asarray(beta, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"beta ladder must be a sequence of real numbers, got {beta!r}") from None
    if betas.ndim != 1 or betas.size < 2:
        raise ValueError(f"beta ladder must be a 1-D sequence of at least 2 values, got shape {betas.shape}")
    if not np.all(np.isfinite(betas)) or np.any(betas < 0):
        raise ValueError(f"beta ladder values must be finite and >= 0, got {betas.tolist()}")
    if np.any(np.diff(betas) <= 0):
        raise ValueError(f"beta ladder must be strictly increasing (b1 < b2 < ...), got {betas.tolist()}")
    return betas


class _Exchanger:
    """Replica exchanges, replica labels and round-trip bookkeeping of ``n_chains`` ensembles."""

    def __init__(self, backend, betas: np.ndarray, n_chains: int, exchange_every: int, k0: int, k1: int):
        self.backend = backend
        self.exchange_every = exchange_every
        self.betas = betas
        self.n_chains = n_chains
        self.k0, self.k1 = k0, k1
        n_betas = len(betas)
        self.replicas = np.tile(np.arange(n_betas, dtype=np.int64), (n_chains, 1))
        # per replica: 0 not yet at the smallest beta, 1 heading to the largest, 2 heading back
        self.phase = np.zeros((n_chains, n_betas), dtype=np.int8)
        self.phase[:, 0] = 1
        self.attempts = np.zeros(n_betas - 1, dtype=np.int64)
        self.accepted = np.zeros(n_betas - 1, dtype=np.int64)
        self.round_trips = np.zeros(n_chains, dtype=np.int64)
        self._energy = np.zeros((n_chains * n_betas, 1))
        self._magnetization = np.zeros((n_chains * n_betas, 1))

    def exchange(self, spins: np.ndarray, sweep: int, count: bool) -> None:
        n_chains, n_betas = self.n_chains, len(self.betas)
        first = (sweep // self.exchange_every) % 2
        pairs = np.arange(first, n_betas - 1, 2)
        if pairs.size == 0:
            return
        self.backend.observe(spins, self._energy, self._magnetization, 0)
        energy = self._energy[:, 0].reshape(n_chains, n_betas)
        blocks = np.unique(pairs // 4)
        counters = np.zeros((n_chains * blocks.size, 4), dtype=np.uint64)
        counters[:, 0] = np.tile(blocks, n_chains)
        counters[:, 1] = sweep
        counters[:, 2] = np.repeat(np.arange(n_chains), blocks.size)
        counters[:, 3] = 256 * STREAM_EXCHANGE
        words = philox_block(counters, self.k0, self.k1).reshape(n_chains, blocks.size, 4)
        u = (words[:, np.searchsorted(blocks, pairs // 4), pairs % 4] + 0.5) * 2.0**-32
        log_ratio = (self.betas[pairs + 1] - self.betas[pairs]) * (energy[:, pairs + 1] - energy[:, pairs])
        accept = np.log(u) < log_ratio
        chain, which = np.nonzero(accept)
        lower = chain * n_betas + pairs[which]
        rows_a, rows_b = lower, lower + 1
        spins[np.concatenate([rows_a, rows_b])] = spins[np.concatenate([rows_b, rows_a])]
        slot = pairs[which]
        self.replicas[chain, slot], self.replicas[chain, slot + 1] = (
            self.replicas[chain, slot + 1].copy(), self.replicas[chain, slot].copy())
        self._track_round_trips(count)
        if count:
            self.attempts[pairs] += n_chains
            self.accepted[pairs] += accept.sum(axis=0)

    def _track_round_trips(self, count: bool) -> None:
        chains = np.arange(self.n_chains)
        coldest = self.replicas[:, -1]
        heading = self.phase[chains, coldest] == 1
        self.phase[chains[heading], coldest[heading]] = 2
        hottest = self.replicas[:, 0]
        returned = self.phase[chains, hottest] == 2
        if count:
            self.round_trips += returned
        self.phase[chains, hottest] = 1


def parallel_tempering(
    model,
    *,
    beta,
    n_sweeps: int,
    n_chains: int = 1,
    algorithm: str = "metropolis",
    exchange_every: int = 1,
    seed: int | None = None,
    burn_in: int = 0,
    thin: int = 1,
    record=("energy", "magnetization"),
    return_states: bool = False,
    initial_states: np.ndarray | None = None,
    sweep_offset: int = 0,
    device: str = "cpu",
    progress: bool = False,
) -> TemperingResult:
    """Run ``n_chains`` independent parallel-tempering ensembles of ``model`` over a ladder of betas.

    Parameters
    ----------
    model : LatticeIsing or GraphIsing
    beta : sequence of float
        Ladder of inverse temperatures 1/T (k_B = 1): at least 2 finite values
        >= 0, strictly increasing.
    n_sweeps : int
        Sweeps after burn-in (every replica makes one sweep per sweep; see
        ``ebmphys.sample`` for what a sweep is for each algorithm).
    n_chains : int
        Independent ensembles, each with one replica per beta.
    algorithm : str
        Update of each replica, any of ``ebmphys.sampling.ALGORITHMS`` that
        applies to the model ("metropolis" or "heatbath" for any model).
    exchange_every : int
        Sweeps between exchange rounds (rounds alternate even and odd pairs).
    seed, burn_in, thin, record, return_states, sweep_offset, device, progress
        As in ``ebmphys.sample``.
    initial_states : int8 array (n_chains, n_betas, *model.shape), optional
        Starting configuration at each beta; default independent uniform random spins.

    Returns
    -------
    TemperingResult
    """
    run = check_run_arguments(algorithm=algorithm, device=device, n_sweeps=n_sweeps, n_chains=n_chains,
                              burn_in=burn_in, thin=thin, sweep_offset=sweep_offset, record=record, seed=seed)
    betas = check_ladder(beta)
    exchange_every = positive_int("exchange_every", exchange_every)
    n_sweeps, n_chains, burn_in, thin = run.n_sweeps, run.n_chains, run.burn_in, run.thin
    sweep_offset, record, seed = run.sweep_offset, run.record, run.seed
    k0, k1 = split_seed(seed)
    n_betas = len(betas)
    n_rows = n_chains * n_betas

    backend = ALGORITHMS[algorithm](model, np.tile(betas, n_chains))
    if initial_states is None:
        states = random_spins(n_rows, model.n_spins, k0, k1, 256 * STREAM_INIT)
    else:
        states = model.check_states(initial_states, "initial_states")
        if states.shape[:-1] != (n_chains, n_betas):
            raise ValueError(
                f"initial_states must have shape (n_chains={n_chains}, n_betas={n_betas}, ...), "
                f"got batch shape {states.shape[:-1]}"
            )
        states = states.reshape(n_rows, model.n_spins)
    spins = backend.to_kernel(states)

    exchanger = _Exchanger(backend, betas, n_chains, exchange_every, k0, k1)
    n_records = n_sweeps // thin
    out_energy = np.zeros((n_rows, n_records if record else 0))
    out_magnetization = np.zeros_like(out_energy)
    no_record = np.zeros((n_rows, 0))
    start, end = sweep_offset + burn_in, sweep_offset + burn_in + n_sweeps
    chunk = max(1, _WORK_PER_CALL // (model.n_spins * n_rows))
    bar = _progress_bar(burn_in + n_sweeps, progress)
    sweep = sweep_offset
    with threads_for(model.n_spins * n_rows):
        while sweep < end:
            next_exchange = (sweep // exchange_every + 1) * exchange_every
            next_record = start + thin * (max(sweep - start, 0) // thin + 1)
            n = min(next_exchange, next_record, end, sweep + chunk) - sweep
            backend.run(spins, k0, k1, sweep, n, 0, no_record, no_record, 0)
            sweep += n
            bar.update(n)
            if sweep % exchange_every == 0:
                exchanger.exchange(spins, sweep, count=sweep > start)
            if record and sweep > start and (sweep - start) % thin == 0:
                backend.observe(spins, out_energy, out_magnetization, (sweep - start) // thin - 1)
    bar.close()

    def by_temperature(a):
        return a.reshape(n_chains, n_betas, -1)

    return TemperingResult(
        model=model,
        betas=betas,
        algorithm=algorithm,
        seed=seed,
        n_chains=n_chains,
        exchange_every=exchange_every,
        burn_in=burn_in,
        thin=thin,
        sweeps=start + thin * np.arange(1, n_records + 1, dtype=np.int64),
        final_sweep=sweep,
        exchange_attempts=exchanger.attempts,
        exchange_accepted=exchanger.accepted,
        round_trips=exchanger.round_trips,
        replicas=exchanger.replicas,
        energy=by_temperature(out_energy) if "energy" in record else None,
        magnetization=by_temperature(out_magnetization) if "magnetization" in record else None,
        states=(backend.from_kernel(spins).reshape((n_chains, n_betas) + tuple(model.shape))
                if return_states else None),
    )


def tune_ladder(
    model,
    *,
    beta_min: float,
    beta_max: float,
    n_betas: int,
    algorithm: str = "metropolis",
    n_chains: int = 8,
    n_sweeps: int = 500,
    burn_in: int = 100,
    exchange_every: int = 1,
    n_iterations: int = 4,
    seed: int | None = None,
) -> np.ndarray:
    """Place ``n_betas`` inverse temperatures in [beta_min, beta_max] for roughly equal exchange acceptance.

    Iterative feedback on short parallel-tempering runs.  For Gaussian energy
    distributions the acceptance of the pair (b, b + db) is ``erfc(db sigma / 2)``
    with sigma the energy's standard deviation, so each measured rate A_k gives
    the gap's thermodynamic length ``g_k = 2 erfcinv(A_k)`` and a density
    ``sigma_k = g_k / db_k`` on the gap.  The next ladder splits the total length
    into equal parts under that piecewise-constant density (endpoints fixed);
    each run starts afresh from random spins.

    Parameters
    ----------
    model : LatticeIsing or GraphIsing
    beta_min, beta_max : float
        Ends of the ladder, 0 <= beta_min < beta_max, finite.
    n_betas : int
        Number of temperatures, >= 2.
    algorithm, n_chains, n_sweeps, burn_in, exchange_every, seed
        Of each tuning run (``parallel_tempering``); iteration i uses seed + i.
    n_iterations : int
        Feedback rounds, >= 1.

    Returns
    -------
    float64 array (n_betas,), strictly increasing, from beta_min to beta_max.
    """
    beta_min = finite_real("beta_min", beta_min)
    beta_max = finite_real("beta_max", beta_max)
    if not 0 <= beta_min < beta_max:
        raise ValueError(f"beta_min and beta_max must satisfy 0 <= beta_min < beta_max, got {beta_min}, {beta_max}")
    n_betas = positive_int("n_betas", n_betas, minimum=2)
    n_iterations = positive_int("n_iterations", n_iterations)
    seed = resolve_seed(seed)
    betas = np.linspace(beta_min, beta_max, n_betas)
    for iteration in range(n_iterations):
        run = parallel_tempering(
            model, beta=betas, n_sweeps=n_sweeps, n_chains=n_chains, algorithm=algorithm, burn_in=burn_in,
            exchange_every=exchange_every, seed=(seed + iteration) % 2**64, record=(),
        )
        acceptance = np.clip(run.acceptance_rates, 1e-4, 1 - 1e-6)
        length = np.concatenate([[0.0], np.cumsum(2 * erfcinv(acceptance))])
        betas = np.interp(np.linspace(0, length[-1], n_betas), length, betas)
        betas[0], betas[-1] = beta_min, beta_max
    return betas
