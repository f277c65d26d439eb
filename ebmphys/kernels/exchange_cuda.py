"""Replica-exchange rounds of parallel tempering on the GPU (CUDA twin of :mod:`ebmphys.kernels.exchange_cpu`).

The decisions, the replica bookkeeping and the swaps all run on the device, from
energies reduced on the device, so an exchange round sends nothing to the host
and waits for nothing: one thread per ensemble runs
:func:`ebmphys.kernels.exchange.exchange_round_chain` (the CPU kernel's code, so
the same decisions bit for bit), then one launch swaps the configurations of the
accepted pairs (rows ``c n + i`` and ``c n + i + 1``).
"""

from __future__ import annotations

from numba import cuda

from ebmphys.kernels.common_cuda import launch, launch_rows
from ebmphys.kernels import exchange

_round_chain = cuda.jit(device=True)(exchange.exchange_round_chain)


@cuda.jit(cache=True)
def _decide(energy, betas, first, sweep, k0, k1, chain0, accept, replicas, phase, round_trips, accepted):
    c = cuda.grid(1)
    if c < replicas.shape[0]:
        _round_chain(c, energy, betas, first, sweep, k0, k1, chain0, accept, replicas, phase, round_trips,
                             accepted)


@cuda.jit(cache=True)
def _swap_accepted(state, accept, first):
    n_chains, n_pairs_all = accept.shape
    n_betas = n_pairs_all + 1
    per_chain = (n_betas - first) // 2
    n_cols = state.shape[1]
    stride = cuda.gridDim.x * cuda.blockDim.x
    for p in range(cuda.blockIdx.y, n_chains * per_chain, cuda.gridDim.y):
        c = p // per_chain
        i = first + 2 * (p - c * per_chain)
        if accept[c, i]:
            a = c * n_betas + i
            for j in range(cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x, n_cols, stride):
                x = state[a, j]
                state[a, j] = state[a + 1, j]
                state[a + 1, j] = x


def exchange_round(state, energy, betas, first: int, sweep: int, k0: int, k1: int, chain0: int, accept, replicas,
                   phase, round_trips, accepted) -> None:
    """One exchange round of every ensemble on the device, swaps included.

    ``state``: the kernel state, device array (n_chains n, n_columns) whose rows are
    configurations; every other argument as in ``exchange.exchange_round_chain``, as
    device arrays.
    """
    n_chains = replicas.shape[0]
    blocks, threads = launch(n_chains)
    _decide[blocks, threads](energy, betas, first, sweep, k0, k1, chain0, accept, replicas, phase, round_trips,
                             accepted)
    per_chain = (betas.shape[0] - first) // 2
    blocks, threads = launch_rows(n_chains * per_chain, state.shape[1])
    _swap_accepted[blocks, threads](state, accept, first)
