"""Block-Gibbs sampling and CD-k / PCD training epochs for binary RBMs (CPU, Numba).

Convention: E(v, h) = -b.v - c.h - v.W.h, units in {0, 1} stored as uint8,
``W`` float64 of shape (n_visible, n_hidden).

Random numbers come from :func:`ebmphys.kernels.rng.philox4x32` keyed by the seed
``(k0, k1)`` with counter

===========  ===============================================================
``c0``       unit // 4 (the four output words serve units 4*c0 .. 4*c0+3)
``c1``       Gibbs step, counted from the start of the chain
``c2``       chain index
``c3``       layer (0 hidden, 1 visible) + 256 * STREAM_RBM
===========  ===============================================================

One Gibbs step ``t`` draws h ~ p(h | v) (layer 0) and then v ~ p(v | h)
(layer 1), both with ``c1 = t``.  Initial visible states drawn from the bias-only
distribution use the same layout with ``c3 = 1 + 256 * STREAM_INIT``.

Because units are binary, the inputs ``c + v.W`` are sums of the rows of ``W``
selected by the active visible units, which beats a dense product on the sparse
binary data typical of RBMs and keeps each chain's work in one thread.  The
per-unit physics (``sigmoid``, ``bernoulli``) are plain functions a CUDA twin can
share.
"""

import numpy as np
from numba import njit, prange

from ebmphys.kernels.rng import STREAM_INIT, STREAM_RBM, philox4x32, to_unit

_HIDDEN_STREAM = 0 + 256 * STREAM_RBM
_VISIBLE_STREAM = 1 + 256 * STREAM_RBM
_INIT_STREAM = 1 + 256 * STREAM_INIT
_MASK32 = 0xFFFFFFFF


@njit(cache=True, inline="always")
def sigmoid(x):
    """Logistic function 1 / (1 + exp(-x)), without overflow for large |x|."""
    if x >= 0.0:
        return 1.0 / (1.0 + np.exp(-x))
    e = np.exp(x)
    return e / (1.0 + e)


@njit(cache=True, inline="always")
def bernoulli(p, word):
    """1 with probability ``p`` given one uint32 random word, else 0 (uint8)."""
    return np.uint8(1) if to_unit(word) < p else np.uint8(0)


@njit(cache=True)
def sample_layer(total_input, out, step, chain, stream, k0, k1):
    """Draw out[u] ~ Bernoulli(sigmoid(total_input[u])) with counter (u // 4, step, chain, stream)."""
    n = total_input.shape[0]
    for block in range((n + 3) // 4):
        r = philox4x32(block, step, chain, stream, k0, k1)
        for w in range(4):
            u = 4 * block + w
            if u < n:
                out[u] = bernoulli(sigmoid(total_input[u]), r[w])


@njit(cache=True)
def hidden_input_row(v, W, c, out):
    """out = c + v.W for one binary visible row ``v``."""
    out[:] = c
    for i in range(W.shape[0]):
        if v[i]:
            out += W[i]


@njit(cache=True)
def visible_input_row(h, W, b, hf, out):
    """out = b + W.h for one binary hidden row ``h`` (``hf`` is a float64 work row)."""
    for j in range(h.shape[0]):
        hf[j] = h[j]
    for i in range(W.shape[0]):
        out[i] = b[i] + np.dot(W[i], hf)


@njit(cache=True)
def gibbs_steps(v, h, W, b, c, step0, n_steps, chain, k0, k1, in_h, in_v, hf):
    """Advance one chain by ``n_steps`` block-Gibbs steps in place (v, h uint8 rows)."""
    for t in range(n_steps):
        step = (step0 + t) & _MASK32
        hidden_input_row(v, W, c, in_h)
        sample_layer(in_h, h, step, chain, _HIDDEN_STREAM, k0, k1)
        visible_input_row(h, W, b, hf, in_v)
        sample_layer(in_v, v, step, chain, _VISIBLE_STREAM, k0, k1)


@njit(cache=True, parallel=True)
def block_gibbs(W, b, c, v, h, step0, n_steps, chain0, k0, k1):
    """Run ``n_steps`` block-Gibbs steps on every chain (rows of ``v`` and ``h``) in place.

    Chain ``m`` uses chain index ``chain0 + m`` and steps ``step0 .. step0 + n_steps - 1``.
    """
    nv, nh = W.shape
    for m in prange(v.shape[0]):
        in_h = np.empty(nh)
        in_v = np.empty(nv)
        hf = np.empty(nh)
        gibbs_steps(v[m], h[m], W, b, c, step0, n_steps, (chain0 + m) & _MASK32, k0, k1, in_h, in_v, hf)


@njit(cache=True)
def initial_visible(b, n_chains, chain0, k0, k1):
    """Independent draws v ~ prod_i Bernoulli(sigmoid(b_i)) for ``n_chains`` chains (uint8)."""
    v = np.empty((n_chains, b.shape[0]), dtype=np.uint8)
    for m in range(n_chains):
        sample_layer(b, v[m], 0, (chain0 + m) & _MASK32, _INIT_STREAM, k0, k1)
    return v


@njit(cache=True)
def _accumulate(v, ph, weight, gW, gb, gc):
    """gW += weight * outer(v, ph), gb += weight * v, gc += weight * ph for one binary row v."""
    for i in range(v.shape[0]):
        if v[i]:
            gW[i] += weight * ph
            gb[i] += weight
    gc += weight * ph


@njit(cache=True)
def train_epoch(
    data, order, batch_size, W, b, c, vel_W, vel_b, vel_c, chains, persistent, k, chain_step, example0,
    learning_rate, momentum, weight_decay, centered, mu, lam, offset_rate, k0, k1,
):
    """One pass of CD-k or PCD-k over ``data[order]`` in minibatches; parameters updated in place.

    Parameters
    ----------
    data : uint8 (n_samples, n_visible)
    order : int64 (n_samples,), the presentation order of this epoch
    W, b, c : model parameters (updated)
    vel_W, vel_b, vel_c : momentum buffers (updated)
    chains : uint8 (n_chains, n_visible), persistent negative chains (PCD only; updated)
    persistent : True for PCD, False for CD-k
    k : Gibbs steps per update
    chain_step : steps already taken by the persistent chains
    example0 : global index of the first example of this epoch; CD chain of the example
        at position p uses chain index (example0 + p) mod 2**32 and steps 0 .. k-1
    learning_rate, momentum, weight_decay : optimiser settings (velocity form:
        vel = momentum * vel + learning_rate * gradient; theta += vel; weight decay
        adds -weight_decay * W to the weight gradient)
    centered : use the centred gradient with visible offsets ``mu`` and hidden offsets ``lam``
    lam : hidden offsets, moved towards the batch mean of p(h | v_data) at ``offset_rate`` (updated)

    Returns
    -------
    int : the persistent chains' step counter after the epoch.
    """
    n, nv = data.shape
    nh = W.shape[1]
    gW = np.empty((nv, nh))
    gb = np.empty(nv)
    gc = np.empty(nh)
    in_h = np.empty(nh)
    in_v = np.empty(nv)
    hf = np.empty(nh)
    ph = np.empty(nh)
    mean_ph = np.empty(nh)
    hs = np.empty(nh, dtype=np.uint8)
    vneg = np.empty(nv, dtype=np.uint8)
    n_chains = chains.shape[0]
    for start in range(0, n, batch_size):
        n_pos = min(batch_size, n - start)
        gW[:] = 0.0
        gb[:] = 0.0
        gc[:] = 0.0
        mean_ph[:] = 0.0
        w_pos = 1.0 / n_pos
        for r in range(n_pos):
            v = data[order[start + r]]
            hidden_input_row(v, W, c, in_h)
            for j in range(nh):
                ph[j] = sigmoid(in_h[j])
            mean_ph += w_pos * ph
            _accumulate(v, ph, w_pos, gW, gb, gc)
            if not persistent:
                vneg[:] = v
                chain = (example0 + start + r) & _MASK32
                gibbs_steps(vneg, hs, W, b, c, 0, k, chain, k0, k1, in_h, in_v, hf)
                hidden_input_row(vneg, W, c, in_h)
                for j in range(nh):
                    ph[j] = sigmoid(in_h[j])
                _accumulate(vneg, ph, -w_pos, gW, gb, gc)
        if persistent:
            w_neg = 1.0 / n_chains
            for m in range(n_chains):
                gibbs_steps(chains[m], hs, W, b, c, chain_step, k, m, k0, k1, in_h, in_v, hf)
                hidden_input_row(chains[m], W, c, in_h)
                for j in range(nh):
                    ph[j] = sigmoid(in_h[j])
                _accumulate(chains[m], ph, -w_neg, gW, gb, gc)
            chain_step += k
        if centered:
            for i in range(nv):
                gW[i] -= mu[i] * gc + gb[i] * lam
            for i in range(nv):
                gb[i] -= np.dot(gW[i], lam)
            for i in range(nv):
                gc -= mu[i] * gW[i]
            lam *= 1.0 - offset_rate
            lam += offset_rate * mean_ph
        for i in range(nv):
            for j in range(nh):
                vel_W[i, j] = momentum * vel_W[i, j] + learning_rate * (gW[i, j] - weight_decay * W[i, j])
                W[i, j] += vel_W[i, j]
            vel_b[i] = momentum * vel_b[i] + learning_rate * gb[i]
            b[i] += vel_b[i]
        for j in range(nh):
            vel_c[j] = momentum * vel_c[j] + learning_rate * gc[j]
            c[j] += vel_c[j]
    return chain_step
