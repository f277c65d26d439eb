"""``ebmphys.sample``: many independent Markov chains at one temperature, or parallel tempering over a ladder.

A thin wrapper over :class:`ebmphys.sampling.Chains`: build the chains, run the
burn-in without recording, run the production sweeps with recording, and return
the records with the run's parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ebmphys.models._validate import positive_int
from ebmphys.progress import Progress
from ebmphys.sampling.chains import Chains


@dataclass
class SampleResult:
    """Time series of a batch of chains.

    Attributes
    ----------
    energy, magnetization : float64 arrays (n_chains, n_records) or None
        Total (extensive) energy E(s) and magnetisation M = sum_i s_i (Potts models: the
        order parameter M = (q max_a n_a - N) / (q - 1)), recorded after each of the
        sweeps listed in ``sweeps``; None when not recorded.
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
    record=None,
    return_states: bool = False,
    initial_states: np.ndarray | None = None,
    sweep_offset: int = 0,
    device: str = "cpu",
    progress: bool = False,
    exchange_every: int | None = None,
    **options,
):
    """Run ``n_chains`` independent Markov chains of ``model`` at inverse temperature ``beta``.

    With a ladder ``beta=[b1 < b2 < ...]`` this runs parallel tempering instead and
    returns a :class:`ebmphys.sampling.TemperingResult` (see
    :func:`ebmphys.sampling.parallel_tempering`).

    Parameters
    ----------
    model : any model with a registered kernel
        Ising (``LatticeIsing``, ``GraphIsing``), Potts (``LatticePotts``, ``GraphPotts``,
        ``PairwisePotts``), RBMs and continuous models; ``ebmphys.sampling.algorithms(model.kind)``
        lists the algorithms available for it.
    beta : float or sequence of float
        Inverse temperature 1/T (k_B = 1), finite and >= 0; a strictly increasing
        sequence of at least two values runs parallel tempering.
    n_sweeps : int
        Sweeps after burn-in; one sweep attempts one update of every spin (N attempts)
        for the local rules, and is one cluster update for the cluster algorithms.
    n_chains : int
        Independent chains run at once (chain c uses the random streams of chain index c).
    algorithm : str
        For Ising models {"metropolis", "heatbath", "wolff", "swendsen-wang"} (Potts models
        the same; continuous models "rwmh", "langevin", "mala", "hmc", and model-specific
        ones: see the model's documentation).
        "metropolis" and "heatbath": single-spin rules, applied as checkerboard sweeps
        on lattices and by colour classes of a greedy colouring on graphs.  A caveat of
        checkerboard Metropolis (a property of the algorithm, not of this code): a
        configuration in which every spin has a zero local field flips one colour with
        probability 1, then the other, for ever (a period-2 orbit the chain cannot leave);
        random starts reach one with a small probability on very small lattices (about
        one chain in 2000 on a 4x4 torus at beta = 1), never in practice on larger ones.
        Heat bath has no such orbit.
        "wolff" and "swendsen-wang": cluster updates of a ferromagnetic (J > 0)
        zero-field ``LatticeIsing`` (any dimension, periodic or open, odd sides
        allowed).  One Swendsen-Wang step (every spin updated) counts as one
        sweep; one Wolff step flips one cluster and counts as one sweep of the
        counter, so ``n_sweeps`` is the number of cluster flips and
        ``result.mean_cluster_size / N`` converts steps to sweeps of N flips.
    seed : int in [0, 2**64), optional
        Key of the counter-based generator; None draws one (stored in the result).
    burn_in : int
        Sweeps discarded before recording (algorithms with adaptive settings adapt them then).
    thin : int
        Record every ``thin``-th sweep; ``n_sweeps`` must be a multiple of ``thin``.
    record : sequence of {"energy", "magnetization"}, optional
        Observables to record (default: all the model has).
    return_states : bool
        Keep the final configurations in ``result.states``.
    initial_states : int8 array (n_chains, *model.shape), optional
        Starting configurations; default independent uniform random spins.
    sweep_offset : int
        Sweep counter of ``initial_states`` (use ``result.final_sweep`` to continue a run).
    device : {"cpu", "cuda", "auto"}
        Where the kernels run (``ebmphys.sampling.registry.check_device``).
    progress : bool
        Show progress on stderr (a bar on a terminal or in Jupyter, periodic lines otherwise).
    exchange_every : int, optional
        Parallel tempering only: sweeps between replica-exchange rounds (default 1).
    **options
        Algorithm-specific settings (see the algorithm's documentation); lattice
        "metropolis" and "heatbath" take ``layout="int8"`` (default) or
        ``layout="multispin"`` (64 chains per machine word, several times faster,
        for n_chains a multiple of 64 on periodic 2D/3D lattices with even sides;
        see ``ebmphys.sampling.backends.MultispinBackend``).

    Returns
    -------
    SampleResult, or TemperingResult for a ladder of betas
    """
    n_sweeps = positive_int("n_sweeps", n_sweeps)
    burn_in = positive_int("burn_in", burn_in, minimum=0)
    thin = positive_int("thin", thin)
    if n_sweeps % thin:
        raise ValueError(f"n_sweeps must be a multiple of thin={thin}, got {n_sweeps}")
    chains = Chains(model, algorithm=algorithm, beta=beta, n_chains=n_chains, seed=seed, device=device,
                    initial_states=initial_states, exchange_every=exchange_every, sweep=sweep_offset, **options)
    if chains.sweep + burn_in + n_sweeps >= 2**32:
        raise ValueError("sweep_offset + burn_in + n_sweeps must be below 2**32 (the RNG's sweep counter)")
    record = chains.check_record(record)
    with Progress(burn_in + n_sweeps, enabled=progress, desc="sample", unit="sweep") as bar:
        chains.run(burn_in, record=(), progress=bar, tune=True)
        records = chains.run(n_sweeps, thin=thin, record=record, progress=bar)
    common = dict(model=model, algorithm=algorithm, seed=chains.seed, n_chains=chains.n_chains, burn_in=burn_in,
                  thin=thin, sweeps=records.sweeps, final_sweep=chains.sweep,
                  energy=records.values.get("energy"), magnetization=records.values.get("magnetization"),
                  states=chains.states if return_states else None)
    if chains.ladder:
        return TemperingResult(betas=chains.betas, exchange_every=chains.exchange_every,
                               exchange_attempts=records.exchange_attempts,
                               exchange_accepted=records.exchange_accepted, round_trips=records.round_trips,
                               replicas=chains.replicas, **common)
    return SampleResult(beta=float(chains.betas[0]),
                        mean_cluster_size=None if records.flipped is None else records.flipped / n_sweeps, **common)
