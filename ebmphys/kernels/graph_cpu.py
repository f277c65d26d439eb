"""Colour-class single-spin updates on arbitrary sparse graphs (CPU, Numba).

Couplings in CSR form (``indptr``, ``indices``, ``data``), fields ``h``; spins
int8 (n_chains, n_spins); sites grouped by colour of a proper colouring
(``sites``, ``offsets``) so that each colour class updates in parallel; a sweep
updates colour class 0, then 1, 2, ...; one inverse temperature per chain
(``betas``); local field f = h_i + sum_j J_ij s_j, summed from h_i over the CSR row in
order.  Random words:
``philox4x32(block, sweep, chain0 + m, LOCAL + colour)`` for kernel row m, block b
serving positions 4b..4b+3 of the colour class, exactly as on lattices; the new spin
is +1 iff the word is below ``rng.threshold(p_up)``.
"""

from numba import njit, prange

from ebmphys.kernels.rng import LOCAL, philox4x32, threshold
from ebmphys.kernels.spin_updates import p_up


@njit(cache=True, inline="always")
def _local_field(spins, chain, site, indptr, indices, data, h):
    f = h[site]
    for k in range(indptr[site], indptr[site + 1]):
        f += data[k] * spins[chain, indices[k]]
    return f


@njit(cache=True, inline="always")
def _update_site(spins, chain, site, indptr, indices, data, h, beta, rule, word):
    f = _local_field(spins, chain, site, indptr, indices, data, h)
    spins[chain, site] = 1 if word < threshold(p_up(rule, spins[chain, site], f, beta)) else -1


@njit(cache=True, parallel=True)
def _sweep_colors(spins, indptr, indices, data, h, sites, offsets, betas, rule, k0, k1, chain0, sweep):
    n_chains = spins.shape[0]
    for color in range(offsets.shape[0] - 1):
        start = offsets[color]
        n_c = offsets[color + 1] - start
        n_blocks = (n_c + 3) // 4
        for job in prange(n_chains * n_blocks):
            chain = job // n_blocks
            block = job - chain * n_blocks
            beta = betas[chain]
            w0, w1, w2, w3 = philox4x32(block, sweep, chain0 + chain, LOCAL + color, k0, k1)
            pos = start + 4 * block
            end = start + n_c
            _update_site(spins, chain, sites[pos], indptr, indices, data, h, beta, rule, w0)
            if pos + 1 < end:
                _update_site(spins, chain, sites[pos + 1], indptr, indices, data, h, beta, rule, w1)
            if pos + 2 < end:
                _update_site(spins, chain, sites[pos + 2], indptr, indices, data, h, beta, rule, w2)
            if pos + 3 < end:
                _update_site(spins, chain, sites[pos + 3], indptr, indices, data, h, beta, rule, w3)


@njit(cache=True, parallel=True)
def graph_observables(spins, indptr, indices, data, h, out_energy, out_magnetization, column):
    """Write total energy -1/2 s.J.s - h.s and magnetisation into ``out_*[:, column]``."""
    n_spins = h.shape[0]
    for chain in prange(spins.shape[0]):
        pair = 0.0
        field = 0.0
        mag = 0
        for i in range(n_spins):
            s = spins[chain, i]
            acc = 0.0
            for k in range(indptr[i], indptr[i + 1]):
                acc += data[k] * spins[chain, indices[k]]
            pair += s * acc
            field += s * h[i]
            mag += s
        out_energy[chain, column] = -0.5 * pair - field
        out_magnetization[chain, column] = mag


@njit(cache=True)
def graph_sweeps(spins, indptr, indices, data, h, sites, offsets, betas, rule, k0, k1, chain0, sweep0,
                 n_sweeps, record_every, out_energy, out_magnetization, column0):
    """Run ``n_sweeps`` colour-class sweeps (row m is chain ``chain0 + m``); record every ``record_every``-th (0: never)."""
    column = column0
    for t in range(n_sweeps):
        _sweep_colors(spins, indptr, indices, data, h, sites, offsets, betas, rule, k0, k1, chain0, sweep0 + t)
        if record_every > 0 and (t + 1) % record_every == 0:
            graph_observables(spins, indptr, indices, data, h, out_energy, out_magnetization, column)
            column += 1
