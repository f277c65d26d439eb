"""Replica-exchange rounds of parallel tempering on the CPU (the rule: :mod:`ebmphys.kernels.exchange`)."""

from numba import njit

from ebmphys.kernels import exchange

_round_chain = njit(cache=True, inline="always")(exchange.exchange_round_chain)


@njit(cache=True)
def exchange_round(energy, betas, first, sweep, k0, k1, chain0, accept, replicas, phase, round_trips, accepted):
    """One exchange round of every ensemble (arguments as in ``exchange.exchange_round_chain``).

    Decides the exchanges and updates the bookkeeping; the caller swaps the
    configurations of the pairs with ``accept[c, i] == 1``.
    """
    for c in range(replicas.shape[0]):
        _round_chain(c, energy, betas, first, sweep, k0, k1, chain0, accept, replicas, phase, round_trips,
                             accepted)
