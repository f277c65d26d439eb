"""Block-Gibbs sampling and annealing of Potts-Bernoulli RBMs (CPU, Numba).

Convention: E(v, h) = -sum_i b_i(v_i) - c.h - sum_ij W_ij(v_i) h_j, visible states
uint8 in 0..q-1, hidden units uint8 in {0, 1}; ``W`` float64 (n_visible, q, n_hidden),
``WT`` its contiguous transpose (n_hidden, n_visible, q), ``b`` (n_visible, q), ``c`` (n_hidden,).

A chain follows the layout of :mod:`ebmphys.kernels.rbm_cpu`: step 0 draws h_0 ~
p(h | v_0); step t >= 1 draws v_t ~ p(v | h_{t-1}), then h_t ~ p(h | v_t); h_t is a
pure function of (v_t, t), so a chain continues exactly from (v_t, t).

Random words: unit u of a layer at step t of chain index c uses word u % 4 of
``philox4x32(u // 4, t, c, stream)`` with stream ``rng.RBM_HIDDEN`` / ``rng.RBM_VISIBLE``
(annealing: ``rng.AIS_HIDDEN`` / ``rng.AIS_VISIBLE``; initial visible rows:
``rng.INIT_RBM_VISIBLE`` at t = 0).  A hidden unit fires iff its word is below
``rng.threshold(sigmoid(x_j))``; a visible unit takes the state chosen by the
categorical rule of :func:`ebmphys.kernels.potts_updates.categorical` from the
weights exp(x_a - max_b x_b) of its inputs x_a.
"""


import numpy as np
from numba import njit, prange

from ebmphys.kernels.detmath import exp, sigmoid, softplus
from ebmphys.kernels.potts_updates import categorical
from ebmphys.kernels.rng import AIS_HIDDEN, AIS_VISIBLE, RBM_HIDDEN, RBM_VISIBLE, philox4x32, threshold

_MASK32 = 0xFFFFFFFF


@njit(cache=True)
def hidden_input(v, W, c, scale, out):
    """out_j = scale * (c_j + sum_i W_ij(v_i)) for one visible row ``v``."""
    nv, _, nh = W.shape
    for j in range(nh):
        out[j] = c[j]
    for i in range(nv):
        a = v[i]
        for j in range(nh):
            out[j] += W[i, a, j]
    for j in range(nh):
        out[j] *= scale


@njit(cache=True)
def sample_hidden(x, h, step, chain, stream, k0, k1):
    """h_j ~ Bernoulli(sigmoid(x_j)), words by unit as in the module docstring."""
    for block in range((h.shape[0] + 3) // 4):
        r = philox4x32(block, step, chain, stream, k0, k1)
        for lane in range(4):
            j = 4 * block + lane
            if j < h.shape[0]:
                h[j] = np.uint8(r[lane] < threshold(sigmoid(x[j])))


@njit(cache=True)
def sample_visible(h, WT, b, base, base_weight, scale, v, x, weights, step, chain, stream, k0, k1):
    """v_i ~ softmax_a(base_weight * base_i(a) + scale * (b_i(a) + sum_j W_ij(a) h_j)), in place in ``v``.

    ``x`` (n_visible, q) and ``weights`` (q,) are scratch.  ``base`` / ``base_weight``
    serve annealing (base_weight = 0 samples the RBM at inverse temperature ``scale``).
    """
    nv, q = b.shape
    for i in range(nv):
        for a in range(q):
            x[i, a] = b[i, a]
    for j in range(h.shape[0]):
        if h[j]:
            for i in range(nv):
                for a in range(q):
                    x[i, a] += WT[j, i, a]
    for block in range((nv + 3) // 4):
        r = philox4x32(block, step, chain, stream, k0, k1)
        for lane in range(4):
            i = 4 * block + lane
            if i < nv:
                top = -np.inf
                for a in range(q):
                    x[i, a] = base_weight * base[i, a] + scale * x[i, a]
                    top = max(top, x[i, a])
                for a in range(q):
                    weights[a] = exp(x[i, a] - top)
                v[i] = categorical(weights, q, r[lane])


@njit(cache=True)
def start_chains(W, c, v, h, step, chain0, k0, k1):
    """The hidden half of step ``step`` for every row: h ~ p(h | v), in place (row m: chain ``chain0 + m``)."""
    x = np.empty(W.shape[2])
    for m in range(v.shape[0]):
        hidden_input(v[m], W, c, 1.0, x)
        sample_hidden(x, h[m], step, (chain0 + m) & _MASK32, RBM_HIDDEN, k0, k1)


@njit(cache=True, parallel=True)
def block_gibbs(W, WT, b, c, h, v, step0, n_steps, chain0, k0, k1):
    """Steps step0 .. step0 + n_steps - 1 (step0 >= 1) of every row, in place; ``h`` holds h_{step0 - 1}."""
    nv, q, nh = W.shape
    for m in prange(v.shape[0]):
        x = np.empty(nh)
        xv = np.empty((nv, q))
        weights = np.empty(q)
        chain = (chain0 + m) & _MASK32
        for t in range(n_steps):
            step = (step0 + t) & _MASK32
            sample_visible(h[m], WT, b, b, 0.0, 1.0, v[m], xv, weights, step, chain, RBM_VISIBLE, k0, k1)
            hidden_input(v[m], W, c, 1.0, x)
            sample_hidden(x, h[m], step, chain, RBM_HIDDEN, k0, k1)


@njit(cache=True, parallel=True)
def anneal(W, WT, b, c, a, betas, base_weights, v, log_w, step0, k0, k1, chain0):
    """Anneal rows of ``v`` along ``betas`` on the base-rate path; adds the log weights to ``log_w``.

    f_k(v) = exp(g_k a(v) + t_k b(v)) prod_j (1 + exp(t_k (c_j + sum_i W_ij(v_i)))), with
    t_k = ``betas[k]``, g_k = ``base_weights[k]`` and a(v) = sum_i a_i(v_i) the base
    bias.  For k = 1 .. K: log_w += log f_k(v) - log f_{k-1}(v), then (k < K) h ~ p_k(h | v)
    (stream ``AIS_HIDDEN``), v ~ p_k(v | h) (``AIS_VISIBLE``) at step ``step0 + k``.
    """
    nv, q, nh = W.shape
    n_steps = betas.shape[0] - 1
    for m in prange(v.shape[0]):
        x = np.empty(nh)
        hid = np.empty(nh, dtype=np.uint8)
        xv = np.empty((nv, q))
        weights = np.empty(q)
        vm = v[m]
        chain = (chain0 + m) & _MASK32
        for k in range(1, n_steps + 1):
            hidden_input(vm, W, c, 1.0, x)
            av = 0.0
            bv = 0.0
            for i in range(nv):
                av += a[i, vm[i]]
                bv += b[i, vm[i]]
            t_new = betas[k]
            t_old = betas[k - 1]
            inc = (base_weights[k] - base_weights[k - 1]) * av + (t_new - t_old) * bv
            for j in range(nh):
                inc += softplus(t_new * x[j]) - softplus(t_old * x[j])
            log_w[m] += inc
            if k < n_steps:
                step = (step0 + k) & _MASK32
                for j in range(nh):
                    x[j] *= t_new
                sample_hidden(x, hid, step, chain, AIS_HIDDEN, k0, k1)
                sample_visible(hid, WT, b, a, base_weights[k], t_new, vm, xv, weights, step, chain, AIS_VISIBLE, k0,
                               k1)


@njit(cache=True)
def independent_visible(a, n_rows, k0, k1, chain0, stream):
    """Draws v_i ~ softmax(a_i) for ``n_rows`` rows at step 0 of ``stream`` (row m: chain ``chain0 + m``).

    Initial states of Gibbs chains (bias-only model, ``rng.INIT_RBM_VISIBLE``) and of annealing (``rng.AIS_INIT``).
    """
    nv, q = a.shape
    v = np.empty((n_rows, nv), dtype=np.uint8)
    no_hidden = np.zeros(0, dtype=np.uint8)
    WT = np.zeros((0, nv, q))
    xv = np.empty((nv, q))
    weights = np.empty(q)
    for m in range(n_rows):
        sample_visible(no_hidden, WT, a, a, 0.0, 1.0, v[m], xv, weights, 0, (chain0 + m) & _MASK32, stream, k0, k1)
    return v
