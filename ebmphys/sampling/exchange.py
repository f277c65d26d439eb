"""Replica exchanges of a parallel-tempering ladder: rounds, replica labels, acceptance and round trips.

:class:`ReplicaExchange` runs the rounds of :class:`ebmphys.sampling.Chains` on
the host: the backend's ``observe`` gives the energies, the CPU kernel
:func:`ebmphys.kernels.exchange_cpu.exchange_round` decides (the rule:
:mod:`ebmphys.kernels.exchange`), and the backend's ``swap`` exchanges the
configurations.  A backend whose state lives on a GPU names its own subclass in
a ``replica_exchange`` attribute, which runs the same rounds on the device
(:class:`ebmphys.sampling.cuda_backends.DeviceReplicaExchange`).
"""

from __future__ import annotations

import numpy as np

from ebmphys.kernels.exchange_cpu import exchange_round


class ReplicaExchange:
    """Exchange rounds and their bookkeeping for ``n_chains`` ensembles on the ladder ``betas``.

    Parameters
    ----------
    backend
        The chains' backend (its rows ``c n + i`` hold ensemble c at ``betas[i]``).
    n_chains : int
    betas : float64 (n,)
        The ladder, strictly increasing.
    exchange_every : int
        Sweeps between rounds; round ``r = sweep // exchange_every`` tries the pairs
        starting at ``r % 2``.
    k0, k1 : int
        Philox key.
    chain0 : int
        Ensemble index of the first ensemble (its random words use ``chain0 + c``).

    Raises
    ------
    ValueError
        If the backend records no ``"energy"``.

    Attributes
    ----------
    replicas : int64 (n_chains, n)
        Label of the replica held at each beta (replica k started at ``betas[k]``).
    """

    def __init__(self, backend, n_chains: int, betas: np.ndarray, exchange_every: int, k0: int, k1: int,
                 chain0: int):
        if "energy" not in backend.observables:
            raise ValueError(f"parallel tempering needs the chains' energies, which this backend "
                             f"({type(backend).__name__}) does not record; use a single beta")
        self.backend = backend
        self.betas = np.ascontiguousarray(betas, dtype=np.float64)
        self.every = exchange_every
        self.key = (k0, k1)
        self.chain0 = chain0
        n = self.betas.shape[0]
        self.replicas = np.tile(np.arange(n, dtype=np.int64), (n_chains, 1))
        self.phase = np.zeros((n_chains, n), dtype=np.int8)
        self.phase[:, 0] = 1
        self.accept = np.zeros((n_chains, n - 1), dtype=np.uint8)
        self._energy = {name: np.zeros((n_chains * n, 1)) for name in backend.observables}
        self.begin()

    @property
    def n_chains(self) -> int:
        return self.replicas.shape[0]

    def begin(self) -> None:
        """Zero the counters of one ``Chains.run`` call."""
        n_pairs = self.betas.shape[0] - 1
        self.attempts = np.zeros(n_pairs, dtype=np.int64)
        self.accepted = np.zeros((self.n_chains, n_pairs), dtype=np.int64)
        self.round_trips = np.zeros(self.n_chains, dtype=np.int64)

    def round(self, kstate, sweep: int) -> None:
        """The exchange round after sweep counter ``sweep`` (a multiple of ``exchange_every``)."""
        first = (sweep // self.every) % 2
        if first >= self.betas.shape[0] - 1:
            return
        self.attempts[first::2] += self.n_chains
        self._round(kstate, sweep, first)

    def _round(self, kstate, sweep: int, first: int) -> None:
        self.backend.observe(kstate, self._energy, 0)
        exchange_round(self._energy["energy"][:, 0], self.betas, first, sweep, *self.key, self.chain0, self.accept,
                       self.replicas, self.phase, self.round_trips, self.accepted)
        chain, pair = np.nonzero(self.accept[:, first::2])
        lower = chain * self.betas.shape[0] + first + 2 * pair
        if lower.size:
            self.backend.swap(kstate, lower, lower + 1)

    def end(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(attempts, accepted, round_trips) of the call: int64 (n - 1,), (n - 1,) summed over ensembles, (n_chains,)."""
        return self.attempts, self.accepted.sum(axis=0), self.round_trips
