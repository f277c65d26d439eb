"""``Chains``: stateful Markov chains of any model, on any registered kernel.

A :class:`Chains` object holds a batch of configurations, their sweep counter and
the kernel layout (built once), so repeated short runs cost no set-up.  Every
random number is a pure function of (seed, chain index, sweep counter, site), so

* ``chains.run(100); chains.run(100)`` gives the same bits as ``chains.run(200)``;
* chains rebuilt from ``initial_states=chains.states, sweep=chains.sweep`` (same seed)
  continue bit for bit (this is how checkpoints resume);
* a batch split into parts with ``chain0`` offsets equals the unsplit batch.

A ladder ``beta=[b_0 < b_1 < ...]`` runs parallel tempering: each of the
``n_chains`` ensembles has one replica per beta; kernel row ``c * n_betas + i``
always runs at ``b_i`` as an ordinary chain of the backend with its own beta and
the random streams of chain index ``(chain0 + c) * n_betas + i`` (so ensembles
split with ``chain0`` keep their bits).  Every ``exchange_every`` sweeps, neighbouring
temperatures exchange configurations with the Metropolis probability

    min(1, exp((b_i - b_{i+1}) (E_i - E_{i+1}))),

which leaves the product of the Boltzmann distributions invariant.  Rounds
alternate between the even pairs (0,1), (2,3), ... and the odd pairs (1,2),
(3,4), ...: round ``r = sweep // exchange_every`` uses pairs starting at ``r % 2``.
Pair (i, i+1) of ensemble c after sweep counter ``sweep`` exchanges iff word ``i % 4``
of ``philox4x32(i // 4, sweep, chain0 + c, rng.EXCHANGE)`` is below ``rng.threshold`` of
that probability (:mod:`ebmphys.kernels.exchange`: the exponential and product of
:mod:`ebmphys.kernels.detmath`, so the CPU and the GPU decide alike).  At a sweep
where both are due, the exchange comes first and the observables are recorded
after it (so the last record describes the final states).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ebmphys.kernels.rng import resolve_seed, split_seed
from ebmphys.limits import require_memory
from ebmphys.models._validate import finite_real, positive_int
from ebmphys.progress import Progress
from ebmphys.sampling.backends import threads_for
from ebmphys.sampling.exchange import ReplicaExchange
from ebmphys.sampling.registry import resolve

#: the sweep counter is a 32-bit word of the random-number counter
MAX_SWEEP = 2**32 - 1
#: spin updates per kernel call between progress updates (when a progress display is on)
_WORK_PER_CALL = 2**24
#: memory estimate per variable of every chain: configurations in the user and kernel layouts, and
#: per-chain work arrays (cluster stacks, gradients, hidden layers), generously
BYTES_PER_VARIABLE = 64


def n_variables(model) -> int:
    """Number of variables of one configuration of ``model`` (spins, units or coordinates), for size checks."""
    for names in (("n_sites",), ("n_spins",), ("n_visible", "n_hidden"), ("dim",)):
        if all(hasattr(model, name) for name in names):
            return sum(int(getattr(model, name)) for name in names)
    return 1


@dataclass
class ChainRecords:
    """What one :meth:`Chains.run` call recorded.

    Attributes
    ----------
    sweeps : int64 array (n_records,)
        Sweep counter after which each record was taken.
    values : dict of str -> float64 array
        Each recorded observable, shape (n_chains, n_records), or (n_chains, n_betas,
        n_records) for a ladder; read them as ``records["energy"]``.
    flipped : int64 array or None
        Wolff only: spins flipped by each chain during the call, shape (n_chains,)
        (or (n_chains, n_betas)).
    exchange_attempts, exchange_accepted : int64 arrays (n_betas - 1,) or None
        Ladder only: exchanges attempted and accepted per neighbouring pair during the call,
        summed over the ensembles.
    round_trips : int64 array (n_chains,) or None
        Ladder only: replica round trips completed during the call (a replica completes
        one when it returns to the smallest beta after reaching the largest since its
        previous visit to the smallest; replicas are tracked from the construction of
        the chains).
    """

    sweeps: np.ndarray
    values: dict = field(repr=False)
    flipped: np.ndarray | None = None
    exchange_attempts: np.ndarray | None = None
    exchange_accepted: np.ndarray | None = None
    round_trips: np.ndarray | None = None

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.values[name]
        except KeyError:
            raise KeyError(f"{name!r} was not recorded; recorded: {sorted(self.values)}") from None


@dataclass
class AnnealResult:
    """What :meth:`Chains.anneal` returns (arrays over chains, shape (n_chains,)).

    Attributes
    ----------
    log_weights : float64
        Sum over steps k of log f_{beta_k}(x_{k-1}) - log f_{beta_{k-1}}(x_{k-1}).
    energy_sum : float64 or None
        Sum of the energies E(x_0), ..., E(x_{K-1}) used by the weights (Ising paths).
    energy : float64 or None
        Energy of the final states (Ising paths).
    """

    log_weights: np.ndarray
    energy_sum: np.ndarray | None
    energy: np.ndarray | None


def check_beta(beta, name: str = "beta") -> float:
    """A single inverse temperature: finite and >= 0."""
    beta = finite_real(name, beta)
    if beta < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {beta}")
    return beta


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


class Chains:
    """A batch of Markov chains of ``model``: configurations, sweep counter and kernel layout.

    Parameters
    ----------
    model : LatticeIsing, GraphIsing, RBM or any model with a registered kernel
    algorithm : str
        Update algorithm; :func:`ebmphys.sampling.registry.algorithms` lists those
        available for a model kind and device ("metropolis", "heatbath", "wolff",
        "swendsen-wang" for Ising lattices; "metropolis", "heatbath" for graphs;
        "gibbs" for RBMs).
    n_chains : int >= 1
        Independent chains (ensembles, for a ladder).
    beta : float or sequence of float
        Inverse temperature 1/T (k_B = 1), finite and >= 0, or a strictly increasing
        ladder of at least two values (parallel tempering).
    seed : int in [0, 2**64), optional
        Key of the counter-based generator; None draws one (``chains.seed``).
    device : {"cpu", "cuda", "auto"}
        Where the kernels run (see :func:`ebmphys.sampling.registry.check_device`; with
        "auto", an algorithm without GPU kernels runs on the CPU).
    initial_states : array, optional
        Starting configurations, shape (n_chains, *site_shape) or, for a ladder,
        (n_chains, n_betas, *site_shape), in the model's dtype (int8 spins in {-1, +1},
        uint8 RBM visible units in {0, 1}); default: the backend's random start.
    exchange_every : int, optional
        Ladder only: sweeps between replica-exchange rounds (default 1).
    sweep : int >= 0
        Sweep counter of ``initial_states`` (``chains.sweep`` of the run they came from).
    chain0 : int >= 0
        Chain index of the first chain: chain c uses the random streams of index
        ``chain0 + c`` (a batch split into parts keeps its bits).
    **options
        Algorithm-specific settings, checked by the backend.

    Attributes
    ----------
    states : ndarray
        Current configurations (a copy), shaped like ``initial_states``.
    sweep : int
        Sweep counter: sweeps done since the chains' start (burn-in included).
    seed, n_chains, betas, algorithm, device
    """

    def __init__(self, model, *, algorithm: str, beta, n_chains: int = 1, seed: int | None = None,
                 device: str = "cpu", initial_states=None, exchange_every: int | None = None, sweep: int = 0,
                 chain0: int = 0, **options):
        self.device, factory = resolve(model, algorithm, device)
        self.model = model
        self.algorithm = algorithm
        self.n_chains = positive_int("n_chains", n_chains)
        self.seed = resolve_seed(seed)
        self.chain0 = positive_int("chain0", chain0, minimum=0)
        self._sweep = positive_int("sweep", sweep, minimum=0)
        if self._sweep > MAX_SWEEP:
            raise ValueError(f"sweep must be below 2**32 (the random-number counter), got {self._sweep}")
        if np.ndim(beta) > 0:
            self.betas = check_ladder(beta)
            self.exchange_every = positive_int("exchange_every", 1 if exchange_every is None else exchange_every)
            self.ladder = True
        else:
            if exchange_every is not None:
                raise ValueError("exchange_every applies to parallel tempering only: pass a ladder beta=[b1 < b2 < ...]")
            self.betas = np.array([check_beta(beta)])
            self.exchange_every = None
            self.ladder = False
        n_betas = self.betas.shape[0]
        self.n_rows = self.n_chains * n_betas
        require_memory(self.n_rows * n_variables(model) * BYTES_PER_VARIABLE,
                       f"Chains: {self.n_chains} chain(s) x {n_betas} beta(s) x {n_variables(model)} variables "
                       f"(n_chains, beta, the model size)")
        if (self.chain0 + self.n_chains) * n_betas > 2**32:
            raise ValueError("(chain0 + n_chains) x (number of betas) must not exceed 2**32 (the counter's chain word)")
        k0, k1 = split_seed(self.seed)
        self._backend = factory(model, np.tile(self.betas, self.n_chains), k0, k1, self.chain0 * n_betas, **options)
        self.site_shape = tuple(getattr(model, "shape", (self._backend.n_sites,)))
        self._batch = (self.n_chains, n_betas) if self.ladder else (self.n_chains,)
        if initial_states is None:
            states = self._backend.initial_states(self.n_rows)
        else:
            states = self._backend.check_states(initial_states, "initial_states")
            if states.shape[:-1] != self._batch:
                expected = "(n_chains, n_betas, ...)" if self.ladder else "(n_chains, ...)"
                raise ValueError(f"initial_states must have shape {expected} = {self._batch + self.site_shape}, "
                                 f"got {np.shape(initial_states)}")
            states = states.reshape(self.n_rows, -1)
        self._kstate = self._backend.to_kernel(states)
        if self.ladder:
            exchange = getattr(self._backend, "replica_exchange", ReplicaExchange)
            self._exchange = exchange(self._backend, self.n_chains, self.betas, self.exchange_every, k0, k1,
                                      self.chain0)

    # ------------------------------------------------------------------ state
    @property
    def sweep(self) -> int:
        return self._sweep

    @property
    def states(self) -> np.ndarray:
        return self._backend.from_kernel(self._kstate).reshape(self._batch + self.site_shape)

    def state_rows(self) -> np.ndarray:
        """The current configurations as read-only rows (n_chains * n_betas, >= n_sites), valid until the next run.

        The first ``n_sites`` entries of row m are the configuration of kernel row m (in
        the user layout's order); where the backend's kernel layout holds them so
        (``backend.state_rows``: lattices and graphs on the CPU) this is a view of it,
        without a copy, else a copy of :attr:`states`.
        """
        rows = getattr(self._backend, "state_rows", None)
        view = rows(self._kstate) if rows is not None else self._backend.from_kernel(self._kstate)
        view = view.view()
        view.flags.writeable = False
        return view

    @property
    def latent_states(self) -> np.ndarray:
        """States of the latent units that belong to :attr:`states` (RBMs: the hidden layer h_t, uint8)."""
        latent = getattr(self._backend, "latent", None)
        if latent is None:
            raise AttributeError(f"a {type(self.model).__name__} has no latent units")
        return latent(self._kstate, self._sweep).reshape(self._batch + (-1,))

    @property
    def observables(self) -> tuple[str, ...]:
        """Names of the observables :meth:`run` can record."""
        return tuple(self._backend.observables)

    @property
    def replicas(self) -> np.ndarray:
        """Ladder only: label of the replica held at each beta, int64 (n_chains, n_betas) (replica k started at b_k)."""
        if not self.ladder:
            raise AttributeError("replicas exist only for a ladder of betas (parallel tempering)")
        return self._exchange.replicas.copy()

    def __repr__(self) -> str:
        beta = self.betas.tolist() if self.ladder else float(self.betas[0])
        return (f"Chains({self.model!r}, algorithm={self.algorithm!r}, n_chains={self.n_chains}, beta={beta}, "
                f"sweep={self._sweep}, device={self.device!r})")

    def check_record(self, record) -> tuple[str, ...]:
        """Validate ``record`` (None: every observable) against :attr:`observables`."""
        if record is None:
            return self.observables
        if isinstance(record, str):
            record = (record,)
        record = tuple(record)
        for name in record:
            if name not in self.observables:
                raise ValueError(f"record must name observables among {self.observables}, got {name!r}")
        return record

    # ------------------------------------------------------------------ running
    def run(self, n_sweeps: int, *, thin: int = 1, record=None, progress=False, tune: bool = False,
            every: int = 0, call=None) -> ChainRecords:
        """Advance every chain by ``n_sweeps`` sweeps and return what was recorded during them.

        Parameters
        ----------
        n_sweeps : int >= 0
            Sweeps to make (see ``ebmphys.sample`` for what a sweep is for each algorithm).
        thin : int >= 1
            Record after every ``thin``-th sweep of this call; ``n_sweeps`` must be a multiple.
        record : sequence of str, optional
            Observables to record (default: all of ``chains.observables``; ``()`` records nothing).
        progress : bool or ebmphys.progress.Progress
            Show progress (a bar on a terminal, periodic lines otherwise), or report into
            the given reporter.
        tune : bool
            Let algorithms with adaptive settings (step sizes of gradient samplers) adapt
            them during this call, as ``sample`` does during burn-in; a tuned call is not
            a stationary Markov chain, so record nothing you analyse from it.
        every : int >= 0, a multiple of ``thin``
            With ``call``: call ``call(chains)`` after every ``every``-th sweep of this call
            (0: never), e.g. to store configurations (:meth:`state_rows`) without one
            short ``run`` per configuration.  Single beta only.
        call : callable(Chains), optional
            The function ``every`` calls (it may read the chains, not run them).

        Returns
        -------
        ChainRecords
        """
        n_sweeps = positive_int("n_sweeps", n_sweeps, minimum=0)
        thin = positive_int("thin", thin)
        if n_sweeps % thin:
            raise ValueError(f"n_sweeps must be a multiple of thin={thin}, got {n_sweeps}")
        if self._sweep + n_sweeps > MAX_SWEEP:
            raise ValueError(f"the sweep counter would pass 2**32 - 1 (the random-number counter): at sweep "
                             f"{self._sweep}, n_sweeps may be at most {MAX_SWEEP - self._sweep}, got {n_sweeps}")
        every = positive_int("every", every, minimum=0) if call is not None else 0
        if every % thin or (every and self.ladder):
            raise ValueError(f"every must be a multiple of thin={thin} (single beta only), got {every}")
        record = self.check_record(record)
        n_records = n_sweeps // thin if record else 0
        if record:
            require_memory(8 * self.n_rows * n_records * len(self.observables),
                           f"run: {n_records} records x {self.n_rows} chain(s) x {len(self.observables)} "
                           f"observables (n_sweeps / thin, n_chains, record)")
        out = {name: np.zeros((self.n_rows, n_records)) for name in self.observables} if record else {}
        backend = self._backend
        flipped0 = None if backend.flipped is None else backend.flipped.copy()
        own_bar = not isinstance(progress, Progress)
        bar = Progress(n_sweeps, enabled=bool(progress), desc="sampling", unit="sweep") if own_bar else progress
        start = self._sweep
        stats = None
        with threads_for(backend.updates_per_sweep(self.n_rows)):
            if self.ladder:
                stats = self._run_ladder(n_sweeps, thin, out, bar, tune)
            else:
                chunk = n_sweeps
                if bar.enabled:
                    chunk = max(thin, _WORK_PER_CALL // max(1, backend.updates_per_sweep(self.n_rows)) // thin * thin)
                column = 0
                while self._sweep < start + n_sweeps:
                    n = min(chunk, start + n_sweeps - self._sweep)
                    if every:
                        n = min(n, every - (self._sweep - start) % every)
                    backend.run(self._kstate, self._sweep, n, thin, out, column, tune)
                    self._sweep += n
                    column += n // thin
                    bar.update(n)
                    if every and (self._sweep - start) % every == 0:
                        call(self)
        if own_bar:
            bar.close()
        values = {name: out[name].reshape(self._batch + (n_records,)) for name in record}
        flipped = None if flipped0 is None else (backend.flipped - flipped0).reshape(self._batch)
        return ChainRecords(
            sweeps=start + thin * np.arange(1, n_records + 1, dtype=np.int64), values=values, flipped=flipped,
            exchange_attempts=None if stats is None else stats[0], exchange_accepted=None if stats is None else stats[1],
            round_trips=None if stats is None else stats[2],
        )

    def _run_ladder(self, n_sweeps, thin, out, bar, tune):
        backend = self._backend
        exchange = self._exchange
        exchange.begin()
        start, end = self._sweep, self._sweep + n_sweeps
        every = self.exchange_every
        chunk = max(1, _WORK_PER_CALL // max(1, backend.updates_per_sweep(self.n_rows)))
        try:
            while self._sweep < end:
                sweep = self._sweep
                next_exchange = (sweep // every + 1) * every
                next_record = start + thin * ((sweep - start) // thin + 1)
                n = min(next_exchange, next_record, end, sweep + chunk) - sweep
                backend.run(self._kstate, sweep, n, 0, {}, 0, tune)
                self._sweep = sweep = sweep + n
                bar.update(n)
                if sweep % every == 0:
                    exchange.round(self._kstate, sweep)
                if out and (sweep - start) % thin == 0:
                    backend.observe(self._kstate, out, (sweep - start) // thin - 1)
        finally:  # an interrupted run keeps replica labels that match its states (on a GPU they live there)
            stats = exchange.end()
        return stats

    def anneal(self, betas, **path) -> AnnealResult:
        """Anneal every chain along the schedule ``betas[0], ..., betas[K]`` (annealed importance sampling).

        For k = 1 .. K the chains add the incremental log weight log f_{beta_k}(x) -
        log f_{beta_{k-1}}(x) of their current state x, then (k < K) make one transition
        that leaves p_{beta_k} invariant (the backend's annealing kernel: for Ising
        models f_b = exp(-b E) and the algorithm's single-spin sweep; for RBMs the
        base-rate path, which needs ``base_bias`` and ``base_weights``; see
        :mod:`ebmphys.kernels.ais_cpu`).  A constant schedule runs plain MCMC, a
        decreasing one reverse AIS.  Transitions use the annealing streams
        (``rng.AIS_*``) with counters ``sweep + 1 .. sweep + K - 1``; afterwards the
        sweep counter has advanced by K.  Each chain runs its whole schedule in one
        thread (no barrier per step).

        Parameters
        ----------
        betas : array_like of float, at least 2 values
        **path : model-specific path parameters

        Returns
        -------
        AnnealResult
        """
        if self.ladder:
            raise ValueError("anneal needs chains at a single beta, not a ladder")
        betas = np.ascontiguousarray(betas, dtype=np.float64)
        if betas.ndim != 1 or betas.shape[0] < 2 or not np.all(np.isfinite(betas)):
            raise ValueError(f"betas must be a 1-D array of at least 2 finite inverse temperatures, got {betas!r}")
        if not hasattr(self._backend, "anneal"):
            raise ValueError(f"algorithm {self.algorithm!r} has no annealing kernel for a {type(self.model).__name__}")
        n_steps = betas.shape[0] - 1
        if self._sweep + n_steps > MAX_SWEEP:
            raise ValueError(f"the sweep counter would pass 2**32 - 1: at sweep {self._sweep}, a schedule may have "
                             f"at most {MAX_SWEEP - self._sweep} steps, got {n_steps}")
        log_w = np.zeros(self.n_rows)
        energy_sum = np.zeros(self.n_rows)
        energy = self._backend.anneal(self._kstate, betas, self._sweep, log_w, energy_sum, **path)
        self._sweep += n_steps
        if energy is None:
            return AnnealResult(log_weights=log_w, energy_sum=None, energy=None)
        return AnnealResult(log_weights=log_w, energy_sum=energy_sum, energy=energy)
