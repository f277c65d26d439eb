"""Colour-class single-spin updates on sparse graphs (CUDA twin of :mod:`ebmphys.kernels.graph_cpu`).

Same layout and random words as the CPU kernel: couplings in CSR form
(``indptr``, ``indices``, ``data``), fields ``h``, spins int8 device array
(n_chains, n_spins), sites grouped by colour (``sites``, ``offsets``); the site at
position p of colour class c of kernel row m uses word p % 4 of
``philox4x32(p // 4, sweep, chain0 + m, stream + c)`` and becomes +1 iff the word is
below ``rng.threshold(spin_updates.p_up(rule, s, f, beta))``: the same per-site
function as the CPU, with the same bits because ``p_up`` uses
:func:`ebmphys.kernels.detmath.exp`.  The local field ``f = h_i + sum_j J_ij s_j``
adds products in CSR order as the CPU does; the products (a coupling times a spin
of +-1) are exact, and written with :func:`ebmphys.kernels.detmath.mul` all the
same, so that no fused multiply-add appears in the compiled kernel at all.

One thread serves the up to four sites of one Philox block of one chain; colour
classes are successive launches.  Energies ``-1/2 s.J.s - h.s`` are float sums,
so each chain's energy is summed by one thread in the CPU's order (sites in
index order), which keeps the bits; magnetisations are int64.
"""

from __future__ import annotations

import numpy as np
from numba import cuda, int64

from ebmphys.kernels.common_cuda import launch
from ebmphys.kernels.detmath import mul
from ebmphys.kernels.rng import philox4x32, threshold
from ebmphys.kernels.spin_updates import p_up


@cuda.jit(cache=True)
def _color_class(spins, indptr, indices, data, h, sites, start, n_c, betas, beta_row, rule, k0, k1, chain0, sweep,
                 stream):
    g = cuda.grid(1)
    n_blocks = (n_c + 3) // 4
    if g >= spins.shape[0] * n_blocks:
        return
    m = g // n_blocks
    block = g - m * n_blocks
    beta = betas[m] if beta_row < 0 else betas[beta_row]
    words = philox4x32(block, sweep, chain0 + m, stream, k0, k1)
    for lane in range(4):
        pos = 4 * block + lane
        if pos < n_c:
            site = sites[start + pos]
            f = h[site]
            for q in range(indptr[site], indptr[site + 1]):
                f += mul(data[q], spins[m, indices[q]])
            spins[m, site] = 1 if words[lane] < threshold(p_up(rule, spins[m, site], f, beta)) else -1


def sweeps(spins, indptr, indices, data, h, sites, offsets: np.ndarray, betas, rule: int, k0: int, k1: int,
           chain0: int, sweep0: int, n_sweeps: int, stream: int, after_sweep=None, beta_row: int = -1) -> None:
    """Run sweeps ``sweep0 .. sweep0 + n_sweeps - 1`` (row m is chain ``chain0 + m``, at ``betas[m]``).

    ``offsets`` is a host array; with ``beta_row >= 0`` every chain runs at ``betas[beta_row]``.
    ``after_sweep(t)`` is called after sweep t (0-based within the call) if given.
    """
    for t in range(n_sweeps):
        for color in range(offsets.shape[0] - 1):
            start, n_c = int(offsets[color]), int(offsets[color + 1] - offsets[color])
            blocks, threads = launch(spins.shape[0] * ((n_c + 3) // 4))
            _color_class[blocks, threads](spins, indptr, indices, data, h, sites, start, n_c, betas, beta_row, rule,
                                          k0, k1, chain0, sweep0 + t, stream + color)
        if after_sweep is not None:
            after_sweep(t)


@cuda.jit(cache=True)
def _observables(spins, indptr, indices, data, h, energy, mags, column):
    m = cuda.grid(1)
    if m >= spins.shape[0]:
        return
    pair = 0.0
    field = 0.0
    mag = int64(0)
    for i in range(h.shape[0]):
        s = spins[m, i]
        acc = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            acc += mul(data[k], spins[m, indices[k]])
        pair += mul(s, acc)
        field += mul(s, h[i])
        mag += int64(s)
    energy[m, column] = mul(-0.5, pair) - field
    mags[m, column] = mag


def observables(spins, indptr, indices, data, h, energy, mags, column: int) -> None:
    """energy[:, column] = -1/2 s.J.s - h.s (float64), mags[:, column] = sum_i s_i (int64), on the device."""
    blocks, threads = launch(spins.shape[0])
    _observables[blocks, threads](spins, indptr, indices, data, h, energy, mags, column)
