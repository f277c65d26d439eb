"""Reference twin of :mod:`ebmphys.kernels.ais_cpu`: annealing along a schedule ``betas[0..K]``.

Re-derived from the module docstring: for k = 1 .. K every chain adds
log f_{beta_k}(x) - log f_{beta_{k-1}}(x) of its current state x to its log weight and,
for k < K, makes one transition at step (step0 + k) mod 2**32 that leaves p_{beta_k}
invariant:

* Ising lattices and graphs: f_b = exp(-b E), so the increment is -(b_k - b_{k-1}) E(x),
  and the transition is the sweep of :mod:`tests.reference.lattice` or
  :mod:`tests.reference.graph` at beta_k with streams ``AIS_SPIN + colour`` instead of
  ``LOCAL + colour``;
* RBMs with base-rate bias a and path weights g_k (``base_weights``):
  log f_k(v) = g_k a.v + b_k b.v + sum_j softplus(b_k (c_j + (v.W)_j)); the transition draws
  h ~ p_k(h | v) (p = sigmoid(b_k x_j), stream ``AIS_HIDDEN``), then v ~ p_k(v | h)
  (sigmoid(g_k a_i + b_k (b_i + (W.h)_i)), stream ``AIS_VISIBLE``), unit u using word u % 4
  of ``philox4x32(u // 4, step, chain, stream)``;
* initial states: unit i of row m fires iff word i of (step 0, chain chain0 + m, ``AIS_INIT``)
  is below threshold(prob_i).

Shared with the kernel: the order of the float sums (the increment of step k is
(g_k - g_{k-1}) a.v + (b_k - b_{k-1}) b.v, then softplus(b_k x_j) - softplus(b_{k-1} x_j)
added for j = 0, 1, ...; a.v, b.v and x = c + v.W summed over active units in increasing
order), so log weights agree to the last bit, and the scalar functions softplus and sigmoid
of :mod:`ebmphys.kernels.detmath` (plain arithmetic, the same bits on every target; their
accuracy against the C library is tested with detmath).
"""

import numpy as np

from ebmphys.kernels.detmath import sigmoid, softplus
from tests.reference import graph as graph_ref
from tests.reference import lattice as lattice_ref
from tests.reference.rng import AIS_HIDDEN, AIS_INIT, AIS_SPIN, AIS_VISIBLE, MASK32, bernoulli, word


def _steps(betas):
    return range(1, len(betas))


def lattice_anneal(lattice, spins, rule, J, h, betas, step0, key, chain0):
    """Returns (final spins, log_w, E of the final states, sum of E(x_0) .. E(x_{K-1}))."""
    spins = np.array(spins, dtype=np.int8)
    n = spins.shape[0]
    log_w, energy, energy_sum = np.zeros(n), np.zeros(n), np.zeros(n)
    K = len(betas) - 1
    for m in range(n):
        for k in _steps(betas):
            e = lattice.energy(spins[m], J, h)
            energy_sum[m] += e
            log_w[m] -= (betas[k] - betas[k - 1]) * e
            if k < K:
                lattice_ref.sweep(lattice, spins[m], rule, J, h, betas[k], key, chain0 + m, (step0 + k) & MASK32,
                                  stream_base=AIS_SPIN)
        energy[m] = lattice.energy(spins[m], J, h)
    return spins, log_w, energy, energy_sum


def graph_anneal(graph, spins, rule, betas, step0, key, chain0):
    """Returns (final spins, log_w, E of the final states, sum of E(x_0) .. E(x_{K-1}))."""
    spins = np.array(spins, dtype=np.int8)
    n = spins.shape[0]
    log_w, energy, energy_sum = np.zeros(n), np.zeros(n), np.zeros(n)
    K = len(betas) - 1
    for m in range(n):
        for k in _steps(betas):
            e = graph.energy(spins[m])
            energy_sum[m] += e
            log_w[m] -= (betas[k] - betas[k - 1]) * e
            if k < K:
                graph_ref.sweep(graph, spins[m], rule, betas[k], key, chain0 + m, (step0 + k) & MASK32,
                                stream_base=AIS_SPIN)
        energy[m] = graph.energy(spins[m])
    return spins, log_w, energy, energy_sum


def _draw(prob, step, chain, stream, key) -> np.ndarray:
    return np.array([bernoulli(p, word(u, step, chain, stream, key)) for u, p in enumerate(prob)], dtype=np.uint8)


def rbm_anneal(W, b, c, a, betas, base_weights, v, step0, key, chain0):
    """Returns (final visible rows, log_w)."""
    v = np.array(v, dtype=np.uint8)
    nv, nh = W.shape
    log_w = np.zeros(v.shape[0])
    K = len(betas) - 1
    for m in range(v.shape[0]):
        chain = (chain0 + m) & MASK32
        for k in _steps(betas):
            x = np.array(c, dtype=np.float64)
            av = bv = 0.0
            for i in range(nv):
                if v[m, i]:
                    av += a[i]
                    bv += b[i]
                    x = x + W[i]
            inc = (base_weights[k] - base_weights[k - 1]) * av + (betas[k] - betas[k - 1]) * bv
            for j in range(nh):
                inc += softplus(betas[k] * x[j]) - softplus(betas[k - 1] * x[j])
            log_w[m] += inc
            if k < K:
                step = (step0 + k) & MASK32
                hidden = _draw([sigmoid(betas[k] * x[j]) for j in range(nh)], step, chain, AIS_HIDDEN, key)
                total = np.array(b, dtype=np.float64)
                for j in range(nh):
                    if hidden[j]:
                        total = total + W[:, j]
                prob = [sigmoid(base_weights[k] * a[i] + betas[k] * total[i]) for i in range(nv)]
                v[m] = _draw(prob, step, chain, AIS_VISIBLE, key)
    return v, log_w


def independent_units(prob, n_chains, key, chain0) -> np.ndarray:
    return np.array([_draw(prob, 0, (chain0 + m) & MASK32, AIS_INIT, key) for m in range(n_chains)], dtype=np.uint8)
