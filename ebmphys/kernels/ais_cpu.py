"""Annealed importance sampling: weights and transitions along a schedule (CPU, Numba).

Every kernel anneals a batch of chains along a schedule ``betas[0], ..., betas[K]``
of the path of unnormalised densities f_b: for k = 1 .. K it adds the
incremental log weight ``log f_{betas[k]}(x) - log f_{betas[k-1]}(x)`` of the
current state x to ``log_w`` and then, for k < K, applies one transition that
leaves p_{betas[k]} invariant.  A constant schedule therefore runs plain MCMC,
and a decreasing one runs reverse AIS; the kernels do not care.

Paths:

* Ising (lattice or graph): f_b(s) = exp(-b E(s)), E(s) = -sum_<ij> J_ij s_i s_j
  - sum_i h_i s_i, so the increment is -(b_k - b_{k-1}) E(s).  Transitions are
  heat-bath or Metropolis sweeps (:mod:`ebmphys.kernels.spin_updates`): on
  lattices the checkerboard sweep of :mod:`ebmphys.kernels.lattice_cpu` with a
  threshold table per step, on graphs colour class by colour class.  Unlike the
  sampling kernels, each chain runs its whole schedule in one thread, so there
  is no barrier per step (annealing makes thousands of short steps).
* RBM (E(v, h) = -b.v - c.h - v.W.h, units in {0, 1}) with a base-rate visible
  bias ``a`` (Salakhutdinov and Murray 2008), hidden units summed out:
  f_k(v) = exp(g_k a.v + b_k b.v) prod_j (1 + exp(b_k (c_j + (v.W)_j))), with
  ``g = base_weights`` (1 at the start, 0 at the target).  The transition draws
  h ~ p_k(h | v), then v ~ p_k(v | h) with p_k(v_i = 1 | h) = sigmoid(g_k a_i +
  b_k (b_i + (W.h)_i)).

Random words of the RBM kernels and of the initial states come from
:func:`ebmphys.kernels.rng.philox4x32` with counter ``(unit // 4, step, chain0 + m,
stream)`` for kernel row m, the step of transition k being ``(step0 + k) mod 2**32`` (initial
states: step 0); streams (registered in
:mod:`ebmphys.kernels.rng`): ``AIS_HIDDEN`` and ``AIS_VISIBLE`` for the RBM layers,
``AIS_INIT`` for initial states, ``AIS_SPIN + colour`` for spin sweeps (on lattices
``unit // 4`` is replaced by the block index of :mod:`lattice_cpu`).  Decisions
compare the word with ``rng.threshold(p)``.
"""

import numpy as np
from numba import njit, prange

from ebmphys.kernels.detmath import sigmoid, softplus
from ebmphys.kernels.lattice_cpu import bond_sum_and_magnetization, update_row, update_thresholds
from ebmphys.kernels.rbm_cpu import sample_layer
from ebmphys.kernels.rng import AIS_HIDDEN, AIS_INIT, AIS_SPIN, AIS_VISIBLE, philox4x32, threshold
from ebmphys.kernels.spin_updates import p_up

_MASK32 = 0xFFFFFFFF


@njit(cache=True)
def _lattice_energy(sp, neighbors, J, h):
    bonds, mag = bond_sum_and_magnetization(sp, neighbors)
    return -J * bonds - h * mag


@njit(cache=True)
def _lattice_chain_sweep(sp, row_nbrs, row_parity, side, periodic, table, step, chain, k0, k1, words):
    """One checkerboard sweep of one chain (layout and word addressing of :mod:`lattice_cpu`, stream AIS_SPIN + colour)."""
    for color in range(2):
        for r in range(row_nbrs.shape[0]):
            update_row(sp, table, row_nbrs, row_parity, side, periodic, r, color, chain, step, AIS_SPIN + color,
                       k0, k1, words)


@njit(cache=True, parallel=True)
def lattice_anneal(spins, neighbors, row_nbrs, row_parity, side, periodic, J, h, rule, betas, step0, k0, k1,
                   chain0, log_w, energy, energy_sum):
    """Anneal lattice chains (layout of :mod:`lattice_cpu`; row m is chain ``chain0 + m``) along ``betas``.

    Adds the log weights to ``log_w`` in place.

    Each chain runs its whole schedule in one thread (no barrier per step).  The
    energies E(x_0), ..., E(x_{K-1}) used by the weights are added to
    ``energy_sum[m]`` (with a constant schedule: a sum over K states of an MCMC
    run); on return ``energy[m]`` is E of chain m's final state.
    """
    z = neighbors.shape[1]
    tables = update_thresholds(rule, J, h, z, betas)
    n_steps = betas.shape[0] - 1
    blocks_per_row = ((side + 1) // 2 + 3) // 4
    for m in prange(spins.shape[0]):
        sp = spins[m]
        words = np.empty(4 * blocks_per_row, np.uint32)
        for k in range(1, n_steps + 1):
            e = _lattice_energy(sp, neighbors, J, h)
            energy_sum[m] += e
            log_w[m] -= (betas[k] - betas[k - 1]) * e
            if k < n_steps:
                _lattice_chain_sweep(sp, row_nbrs, row_parity, side, periodic, tables[k].ravel(),
                                     (step0 + k) & _MASK32, (chain0 + m) & _MASK32, k0, k1, words)
        energy[m] = _lattice_energy(sp, neighbors, J, h)


@njit(cache=True)
def _graph_energy(sp, indptr, indices, data, h):
    pair = 0.0
    field = 0.0
    for i in range(h.shape[0]):
        acc = 0.0
        for q in range(indptr[i], indptr[i + 1]):
            acc += data[q] * sp[indices[q]]
        pair += sp[i] * acc
        field += sp[i] * h[i]
    return -0.5 * pair - field


@njit(cache=True, parallel=True)
def graph_anneal(spins, indptr, indices, data, h, sites, offsets, rule, betas, step0, k0, k1, chain0, log_w,
                 energy, energy_sum):
    """Anneal graph chains (spins (n_chains, n_spins)) along ``betas``, colour class by colour class.

    ``log_w``, ``energy`` and ``energy_sum`` as in :func:`lattice_anneal`.

    Site at position p of colour class c of row m uses word p % 4 of
    ``philox4x32(p // 4, step, chain0 + m, AIS_SPIN + c)``.
    """
    n_steps = betas.shape[0] - 1
    for m in prange(spins.shape[0]):
        sp = spins[m]
        words = np.empty(4, np.uint32)
        for k in range(1, n_steps + 1):
            e = _graph_energy(sp, indptr, indices, data, h)
            energy_sum[m] += e
            log_w[m] -= (betas[k] - betas[k - 1]) * e
            if k < n_steps:
                step = (step0 + k) & _MASK32
                for color in range(offsets.shape[0] - 1):
                    for pos in range(offsets[color], offsets[color + 1]):
                        q = pos - offsets[color]
                        if q % 4 == 0:
                            w0, w1, w2, w3 = philox4x32(q // 4, step, (chain0 + m) & _MASK32, AIS_SPIN + color, k0,
                                                        k1)
                            words[0] = w0
                            words[1] = w1
                            words[2] = w2
                            words[3] = w3
                        site = sites[pos]
                        f = h[site]
                        for e in range(indptr[site], indptr[site + 1]):
                            f += data[e] * sp[indices[e]]
                        sp[site] = 1 if words[q % 4] < threshold(p_up(rule, sp[site], f, betas[k])) else -1
        energy[m] = _graph_energy(sp, indptr, indices, data, h)


@njit(cache=True, parallel=True)
def rbm_anneal(W, WT, b, c, a, betas, base_weights, v, log_w, step0, k0, k1, chain0):
    """Anneal RBM chains (visible rows ``v``, uint8, updated in place) along ``betas``; adds to ``log_w``.

    Row m uses chain index ``chain0 + m``; step k uses counter word ``step0 + k``.
    """
    nv, nh = W.shape
    n_steps = betas.shape[0] - 1
    for m in prange(v.shape[0]):
        x = np.empty(nh)
        p = np.empty(nh)
        hid = np.empty(nh, dtype=np.uint8)
        in_v = np.empty(nv)
        vm = v[m]
        for k in range(1, n_steps + 1):
            # x = c + v.W, a.v and b.v, summing the rows of the active visible units
            x[:] = c
            av = 0.0
            bv = 0.0
            for i in range(nv):
                if vm[i]:
                    av += a[i]
                    bv += b[i]
                    for j in range(nh):
                        x[j] += W[i, j]
            b_new = betas[k]
            b_old = betas[k - 1]
            inc = (base_weights[k] - base_weights[k - 1]) * av + (b_new - b_old) * bv
            for j in range(nh):
                inc += softplus(b_new * x[j]) - softplus(b_old * x[j])
            log_w[m] += inc
            if k < n_steps:
                step = (step0 + k) & _MASK32
                for j in range(nh):
                    p[j] = sigmoid(b_new * x[j])
                sample_layer(p, hid, step, (chain0 + m) & _MASK32, AIS_HIDDEN, k0, k1)
                in_v[:] = b
                for j in range(nh):
                    if hid[j]:
                        for i in range(nv):
                            in_v[i] += WT[j, i]
                g = base_weights[k]
                for i in range(nv):
                    in_v[i] = sigmoid(g * a[i] + b_new * in_v[i])
                sample_layer(in_v, vm, step, (chain0 + m) & _MASK32, AIS_VISIBLE, k0, k1)


@njit(cache=True)
def independent_units(prob, n_chains, k0, k1, chain0):
    """Draws x_i ~ Bernoulli(prob[i]) for ``n_chains`` chains, uint8 (n_chains, len(prob)).

    Row m uses counter ``(i // 4, 0, chain0 + m, AIS_INIT)``.
    """
    out = np.empty((n_chains, prob.shape[0]), dtype=np.uint8)
    for m in range(n_chains):
        sample_layer(prob, out[m], 0, (chain0 + m) & _MASK32, AIS_INIT, k0, k1)
    return out
