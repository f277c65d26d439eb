"""Replica-exchange decisions of parallel tempering, shared by the CPU and CUDA kernels.

One exchange round of one ensemble (the replicas of chain c at the ladder
``b_0 < b_1 < ... < b_{n-1}``): for the pairs ``(i, i + 1)``, ``i = first,
first + 2, ...``, decide the exchange, update the replica labels, count the
accepted exchanges, and track round trips.  The configurations themselves are
swapped by the caller (rows ``c n + i`` and ``c n + i + 1`` of the kernel state,
whose layout only the backend knows).

The rule (see :mod:`ebmphys.sampling.chains`): pair i exchanges iff word ``i % 4``
of ``philox4x32(i // 4, sweep, chain0 + c, rng.EXCHANGE)`` is below
``rng.threshold(p)`` with

    p = min(1, exp((b_{i+1} - b_i) (E_{i+1} - E_i)))

(k_B = 1, weights exp(-b E)); :func:`exchange_word` and :func:`exchange_accepted`
compute it.  The exponential is :func:`ebmphys.kernels.detmath.exp`
and the product :func:`~ebmphys.kernels.detmath.mul`, so the CPU kernel
(:mod:`exchange_cpu`) and the GPU kernel (:mod:`exchange_cuda`) take the same
decisions bit for bit from the same energies.  A NaN or -inf log ratio (a
diverged energy) rejects.

Round trips: ``phase[c, k]`` of replica k is 0 until it first visits b_0, then 1
while heading for b_{n-1} and 2 on its way back; a replica reaching b_0 in phase
2 completes a round trip.
"""

from numba import njit

from ebmphys.kernels.detmath import exp, mul
from ebmphys.kernels.rng import EXCHANGE, philox4x32, threshold

#: log ratios at or below this reject outright (exp underflows to 0 below about -745)
_LOG_RATIO_FLOOR = -746.0


@njit(cache=True, inline="always")
def exchange_word(i, sweep, chain, k0, k1):
    """The uint32 word (as uint64) deciding pair i of ensemble ``chain`` after sweep counter ``sweep``."""
    w0, w1, w2, w3 = philox4x32(i // 4, sweep, chain, EXCHANGE, k0, k1)
    lane = i % 4
    if lane == 0:
        return w0
    if lane == 1:
        return w1
    if lane == 2:
        return w2
    return w3


@njit(cache=True, inline="always")
def exchange_accepted(word, beta_lo, beta_hi, energy_lo, energy_hi) -> bool:
    """True iff the replicas at ``beta_lo < beta_hi`` with energies ``energy_lo``, ``energy_hi`` exchange."""
    log_ratio = mul(beta_hi - beta_lo, energy_hi - energy_lo)
    if log_ratio >= 0.0:
        return True
    if not log_ratio > _LOG_RATIO_FLOOR:
        return False
    return word < threshold(exp(log_ratio))


def exchange_round_chain(c, energy, betas, first, sweep, k0, k1, chain0, accept, replicas, phase, round_trips,
                         accepted):
    """One exchange round of ensemble c, everything but the swap of configurations.

    A plain Python function that each target compiles (``numba.njit`` in
    :mod:`exchange_cpu`, ``numba.cuda.jit(device=True)`` in :mod:`exchange_cuda`, which
    numba-cuda's simulator also runs as Python); it calls only the ``@njit`` scalar
    functions above.

    Parameters
    ----------
    c : int
        Ensemble (row of ``replicas``); its kernel rows are ``c n .. c n + n - 1``.
    energy : float64 (n_chains n,)
        Total energy of every kernel row before the round.
    betas : float64 (n,)
        The ladder, increasing.
    first : int
        0 (pairs (0,1), (2,3), ...) or 1 (pairs (1,2), (3,4), ...).
    sweep, k0, k1, chain0 : int
        Sweep counter after which the round happens, Philox key, ensemble index of row 0.
    accept : uint8 (n_chains, n - 1)
        Out: 1 where pair i of this round exchanged, else 0 (pairs of the other parity untouched).
    replicas : int64 (n_chains, n)
        Label of the replica at each beta; swapped where accepted.
    phase : int8 (n_chains, n)
        Round-trip phase of every replica label.
    round_trips : int64 (n_chains,)
        Incremented when a replica completes a round trip.
    accepted : int64 (n_chains, n - 1)
        Incremented where pair i exchanged.
    """
    n = betas.shape[0]
    row = c * n
    for i in range(first, n - 1, 2):
        word = exchange_word(i, sweep, chain0 + c, k0, k1)
        if exchange_accepted(word, betas[i], betas[i + 1], energy[row + i], energy[row + i + 1]):
            accept[c, i] = 1
            label = replicas[c, i]
            replicas[c, i] = replicas[c, i + 1]
            replicas[c, i + 1] = label
            accepted[c, i] += 1
        else:
            accept[c, i] = 0
    coldest = replicas[c, n - 1]
    if phase[c, coldest] == 1:
        phase[c, coldest] = 2
    hottest = replicas[c, 0]
    if phase[c, hottest] == 2:
        round_trips[c] += 1
    phase[c, hottest] = 1
