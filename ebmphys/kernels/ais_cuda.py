"""Annealed importance sampling on the GPU: weights and transitions along a schedule (CUDA twin of :mod:`ebmphys.kernels.ais_cpu`).

The paths, the counter layout (``philox4x32(block, step0 + k, chain0 + m, stream)``,
streams ``rng.AIS_SPIN + colour``, ``rng.AIS_HIDDEN``, ``rng.AIS_VISIBLE``) and the
order of every floating-point operation are those of :mod:`ebmphys.kernels.ais_cpu`,
so log weights agree bit for bit: for k = 1 .. K the chains add the incremental
log weight of their current state, then (k < K) make one transition at
``betas[k]``.

Where the CPU runs each chain's whole schedule in one thread, the GPU runs the
schedule step by step over all chains and sites (a few launches per step): spin
sweeps reuse the sampling kernels of :mod:`lattice_cuda` and :mod:`graph_cuda`
(with a table or beta per step instead of per chain), and the weight of a chain is
summed by one thread in the CPU's order.  Products that feed sums go through
:func:`ebmphys.kernels.detmath.mul`, softplus and sigmoid are :mod:`ebmphys.kernels.detmath`'s.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from ebmphys.kernels import graph_cuda, lattice_cuda
from ebmphys.kernels.common_cuda import launch, zero
from ebmphys.kernels.detmath import mul, sigmoid, softplus
from ebmphys.kernels.rbm_cpu import bernoulli
from ebmphys.kernels.rng import AIS_HIDDEN, AIS_SPIN, AIS_VISIBLE, philox4x32

_MASK32 = 0xFFFFFFFF


@cuda.jit(cache=True)
def _lattice_weights(bonds, mags, J, h, betas, k, log_w, energy_sum):
    """Chain m: E = -J B - h M; energy_sum += E; log_w -= (betas[k] - betas[k-1]) E."""
    m = cuda.grid(1)
    if m < log_w.shape[0]:
        e = mul(-J, bonds[m, 0]) - mul(h, mags[m, 0])
        energy_sum[m] += e
        log_w[m] -= mul(betas[k] - betas[k - 1], e)


def lattice_anneal(spins, neighbors, row_nbrs, row_parity, side: int, periodic: bool, J: float, h: float, tables,
                   betas, step0: int, k0: int, k1: int, chain0: int, log_w, energy_sum):
    """Anneal lattice chains along ``betas`` (twin of ``ais_cpu.lattice_anneal``; device arrays).

    ``tables``: uint64 (K+1, 2 (2z+1)), ``lattice_cpu.update_thresholds`` of the
    schedule; ``log_w`` and ``energy_sum`` float64 (n_chains,), added to in place.
    Returns (bonds, mags) of the final states, int64 host arrays.
    """
    n_rows = spins.shape[0]
    n_steps = betas.shape[0] - 1
    bonds = cuda.device_array((n_rows, 1), dtype=np.int64)
    mags = cuda.device_array((n_rows, 1), dtype=np.int64)
    blocks, threads = launch(n_rows)
    for k in range(1, n_steps + 1):
        zero(bonds, mags)
        lattice_cuda.bond_sums(spins, neighbors, bonds, mags, 0)
        _lattice_weights[blocks, threads](bonds, mags, J, h, betas, k, log_w, energy_sum)
        if k < n_steps:
            lattice_cuda.sweeps(spins, row_nbrs, row_parity, side, periodic, tables, k0, k1, chain0,
                                (step0 + k) & _MASK32, 1, AIS_SPIN, table_row=k)
    zero(bonds, mags)
    lattice_cuda.bond_sums(spins, neighbors, bonds, mags, 0)
    return bonds.copy_to_host()[:, 0], mags.copy_to_host()[:, 0]


@cuda.jit(cache=True)
def _graph_weights(energy, betas, k, log_w, energy_sum):
    m = cuda.grid(1)
    if m < log_w.shape[0]:
        e = energy[m, 0]
        energy_sum[m] += e
        log_w[m] -= mul(betas[k] - betas[k - 1], e)


def graph_anneal(spins, indptr, indices, data, h, sites, offsets: np.ndarray, rule: int, betas, step0: int, k0: int,
                 k1: int, chain0: int, log_w, energy_sum):
    """Anneal graph chains along ``betas`` (twin of ``ais_cpu.graph_anneal``; device arrays, ``offsets`` on the host).

    Returns the energies of the final states (float64 host array).
    """
    n_rows = spins.shape[0]
    n_steps = betas.shape[0] - 1
    energy = cuda.device_array((n_rows, 1))
    mags = cuda.device_array((n_rows, 1), dtype=np.int64)
    blocks, threads = launch(n_rows)
    for k in range(1, n_steps + 1):
        graph_cuda.observables(spins, indptr, indices, data, h, energy, mags, 0)
        _graph_weights[blocks, threads](energy, betas, k, log_w, energy_sum)
        if k < n_steps:
            graph_cuda.sweeps(spins, indptr, indices, data, h, sites, offsets, betas, rule, k0, k1, chain0,
                              (step0 + k) & _MASK32, 1, AIS_SPIN, beta_row=k)
    graph_cuda.observables(spins, indptr, indices, data, h, energy, mags, 0)
    return energy.copy_to_host()[:, 0]


@cuda.jit(cache=True)
def _rbm_hidden_input(v, W, c, x):
    """x[m, j] = c_j + sum_{i: v_i = 1} W_ij, rows of W added in increasing i."""
    g = cuda.grid(1)
    nh = x.shape[1]
    if g < x.shape[0] * nh:
        m = g // nh
        j = g - m * nh
        acc = c[j]
        for i in range(v.shape[1]):
            if v[m, i]:
                acc += W[i, j]
        x[m, j] = acc


@cuda.jit(cache=True)
def _rbm_weights(v, x, a, b, betas, base_weights, k, log_w):
    """log_w[m] += (g_k - g_{k-1}) a.v + (b_k - b_{k-1}) b.v + sum_j softplus(b_k x_j) - softplus(b_{k-1} x_j)."""
    m = cuda.grid(1)
    if m >= log_w.shape[0]:
        return
    av = 0.0
    bv = 0.0
    for i in range(v.shape[1]):
        if v[m, i]:
            av += a[i]
            bv += b[i]
    b_new = betas[k]
    b_old = betas[k - 1]
    inc = mul(base_weights[k] - base_weights[k - 1], av) + mul(b_new - b_old, bv)
    for j in range(x.shape[1]):
        inc += softplus(mul(b_new, x[m, j])) - softplus(mul(b_old, x[m, j]))
    log_w[m] += inc


@cuda.jit(cache=True)
def _rbm_hidden(x, beta, hid, step, chain0, k0, k1):
    """hid[m, j] ~ Bernoulli(sigmoid(beta x[m, j])), words of philox(j // 4, step, chain0 + m, AIS_HIDDEN)."""
    g = cuda.grid(1)
    nh = x.shape[1]
    n_blocks = (nh + 3) // 4
    if g >= x.shape[0] * n_blocks:
        return
    m = g // n_blocks
    q = g - m * n_blocks
    words = philox4x32(q, step, (chain0 + m) & _MASK32, AIS_HIDDEN, k0, k1)
    for lane in range(4):
        j = 4 * q + lane
        if j < nh:
            hid[m, j] = bernoulli(sigmoid(mul(beta, x[m, j])), words[lane])


@cuda.jit(cache=True)
def _rbm_visible(hid, WT, b, a, beta, base_weight, v, step, chain0, k0, k1):
    """v[m, i] ~ Bernoulli(sigmoid(g a_i + beta (b_i + sum_{j: h_j = 1} WT_ji))), words of AIS_VISIBLE."""
    g = cuda.grid(1)
    nv = v.shape[1]
    n_blocks = (nv + 3) // 4
    if g >= v.shape[0] * n_blocks:
        return
    m = g // n_blocks
    q = g - m * n_blocks
    words = philox4x32(q, step, (chain0 + m) & _MASK32, AIS_VISIBLE, k0, k1)
    for lane in range(4):
        i = 4 * q + lane
        if i < nv:
            acc = b[i]
            for j in range(hid.shape[1]):
                if hid[m, j]:
                    acc += WT[j, i]
            v[m, i] = bernoulli(sigmoid(mul(base_weight, a[i]) + mul(beta, acc)), words[lane])


def rbm_anneal(W, WT, b, c, a, betas: np.ndarray, base_weights: np.ndarray, v, log_w, step0: int, k0: int, k1: int,
               chain0: int) -> None:
    """Anneal RBM chains (visible rows ``v``, uint8 device array, updated in place) along ``betas``.

    Twin of ``ais_cpu.rbm_anneal``: ``W``, ``WT``, ``b``, ``c``, ``a`` (base-rate
    visible bias) and ``log_w`` are device arrays, ``betas`` and ``base_weights``
    host arrays (their entries pass to the kernels as scalars).
    """
    n_rows, nv = v.shape
    nh = W.shape[1]
    n_steps = betas.shape[0] - 1
    x = cuda.device_array((n_rows, nh))
    hid = cuda.device_array((n_rows, nh), dtype=np.uint8)
    d_betas = cuda.to_device(betas)
    d_base = cuda.to_device(base_weights)
    per_unit = launch(n_rows * nh)
    per_chain = launch(n_rows)
    hidden_blocks = launch(n_rows * ((nh + 3) // 4))
    visible_blocks = launch(n_rows * ((nv + 3) // 4))
    for k in range(1, n_steps + 1):
        _rbm_hidden_input[per_unit](v, W, c, x)
        _rbm_weights[per_chain](v, x, a, b, d_betas, d_base, k, log_w)
        if k < n_steps:
            step = (step0 + k) & _MASK32
            _rbm_hidden[hidden_blocks](x, float(betas[k]), hid, step, chain0, k0, k1)
            _rbm_visible[visible_blocks](hid, WT, b, a, float(betas[k]), float(base_weights[k]), v, step, chain0, k0,
                                         k1)
