"""Block Gibbs sampling and CD-k / PCD-k training epochs for binary RBMs (CUDA twin of :mod:`ebmphys.kernels.rbm_cpu`).

Convention E(v, h) = -b.v - c.h - v.W.h, units in {0, 1} (uint8), ``W`` float64
(n_visible, n_hidden), ``WT`` a contiguous copy of W.T.  The counter layout is
the CPU's: unit u of a layer of chain index ``chain`` at Gibbs step t uses word
u % 4 of ``philox4x32(u // 4, t, chain, stream)`` (``rng.RBM_HIDDEN`` /
``rng.RBM_VISIBLE``), and fires iff the word is below ``rng.threshold(p)``
(:func:`ebmphys.kernels.rbm_cpu.bernoulli`).

One thread computes four units of one layer of one chain (one Philox block):
the total input ``c_j + sum_i v_i W_ij`` adds the rows of ``W`` picked by the
active units in increasing order, exactly as the CPU does, and the probability is
:func:`ebmphys.kernels.detmath.sigmoid`, the function ``rbm_cpu.layer_probabilities``
calls, so probabilities and draws have the CPU's bits.  The products with binary
units are written as sums of the selected rows, which is what a matrix product
with a 0/1 operand is; a device BLAS (cuBLAS through CuPy) would sum in its own
order and lose the bits, so it is not used.

The training epoch (:func:`train_epoch`) takes the arguments of
``rbm_cpu.train_epoch`` and makes every minibatch update on the device; each
gradient entry is accumulated by one thread over the examples and chains in the
CPU's order, with products through :func:`ebmphys.kernels.detmath.mul`, so the
parameters after an epoch have the CPU's bits.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from ebmphys.kernels.common_cuda import launch
from ebmphys.kernels.detmath import mul, sigmoid
from ebmphys.kernels.rbm_cpu import bernoulli
from ebmphys.kernels.rng import RBM_HIDDEN, RBM_VISIBLE, philox4x32

_MASK32 = 0xFFFFFFFF


@cuda.jit(cache=True)
def _layer(x, weights, bias, y, prob, sample, step, chain0, stream, k0, k1):
    """Units of y from x through ``weights`` (x.shape[1] x y.shape[1]): prob = sigmoid(bias + sum_{x_i=1} weights[i]).

    Thread (m, q) handles units 4q .. 4q+3 of row m; writes prob[m, u] and, when
    ``sample``, draws y[m, u] with word u % 4 of philox(q, step, (chain0 + m) mod 2**32, stream).
    """
    g = cuda.grid(1)
    n_in = x.shape[1]
    n_out = y.shape[1]
    n_blocks = (n_out + 3) // 4
    if g >= x.shape[0] * n_blocks:
        return
    m = g // n_blocks
    q = g - m * n_blocks
    words = philox4x32(q, step, (chain0 + m) & _MASK32, stream, k0, k1)
    for lane in range(4):
        u = 4 * q + lane
        if u < n_out:
            acc = bias[u]
            for i in range(n_in):
                if x[m, i]:
                    acc += weights[i, u]
            p = sigmoid(acc)
            prob[m, u] = p
            if sample:
                y[m, u] = bernoulli(p, words[lane])


def layer(x, weights, bias, y, prob, sample: bool, step: int, chain0: int, stream: int, k0: int, k1: int) -> None:
    """Launch :func:`_layer` over every row of ``x`` (device arrays)."""
    blocks, threads = launch(x.shape[0] * ((y.shape[1] + 3) // 4))
    _layer[blocks, threads](x, weights, bias, y, prob, sample, step & _MASK32, chain0, stream, k0, k1)


def gibbs_steps(h, v, ph, pv, W, WT, b, c, step0: int, n_steps: int, chain0: int, k0: int, k1: int) -> None:
    """Steps step0 .. step0+n_steps-1 of every chain (rows of ``h``, ``v``; row m is chain chain0 + m), in place.

    Each step draws v ~ p(v | h) and then h ~ p(h | v) (``rbm_cpu.gibbs_steps``);
    on return ``ph`` holds p(h | v) of the last step.  ``pv`` is a work array like ``v`` (float64).
    """
    for t in range(n_steps):
        layer(h, WT, b, v, pv, True, step0 + t, chain0, RBM_VISIBLE, k0, k1)
        layer(v, W, c, h, ph, True, step0 + t, chain0, RBM_HIDDEN, k0, k1)


def start_chains(W, c, v, h, ph, step: int, chain0: int, k0: int, k1: int) -> None:
    """The hidden half of step ``step``: h ~ p(h | v) for every row (``rbm_cpu.start_chains``)."""
    layer(v, W, c, h, ph, True, step, chain0, RBM_HIDDEN, k0, k1)


# ---------------------------------------------------------------------- training


@cuda.jit(cache=True)
def _gather(data, order, start, out):
    g = cuda.grid(1)
    nv = out.shape[1]
    if g < out.shape[0] * nv:
        r = g // nv
        i = g - r * nv
        out[r, i] = data[order[start + r], i]


@cuda.jit(cache=True)
def _weight_gradient(vpos, ph_pos, n_pos, w_pos, vneg, ph_neg, n_neg, w_neg, interleaved, gW):
    """gW[i, j] = sum of +w_pos v_i ph_j (data) and -w_neg v_i ph_j (chains), in the CPU's order.

    CD (``interleaved``): example r's positive then its negative term, r = 0, 1, ...;
    PCD: all positive terms, then the chains' negative terms.
    """
    g = cuda.grid(1)
    nh = gW.shape[1]
    if g >= gW.shape[0] * nh:
        return
    i = g // nh
    j = g - i * nh
    acc = 0.0
    if interleaved:
        for r in range(n_pos):
            if vpos[r, i]:
                acc += mul(w_pos, ph_pos[r, j])
            if vneg[r, i]:
                acc += mul(-w_neg, ph_neg[r, j])
    else:
        for r in range(n_pos):
            if vpos[r, i]:
                acc += mul(w_pos, ph_pos[r, j])
        for r in range(n_neg):
            if vneg[r, i]:
                acc += mul(-w_neg, ph_neg[r, j])
    gW[i, j] = acc


@cuda.jit(cache=True)
def _bias_gradients(vpos, ph_pos, n_pos, w_pos, vneg, ph_neg, n_neg, w_neg, interleaved, gb, gc, mean_ph):
    """gb, gc and the batch mean of p(h | v_data), one thread per visible unit, then one per hidden unit."""
    g = cuda.grid(1)
    nv = gb.shape[0]
    if g < nv:
        i = g
        acc = 0.0
        if interleaved:
            for r in range(n_pos):
                if vpos[r, i]:
                    acc += w_pos
                if vneg[r, i]:
                    acc += -w_neg
        else:
            for r in range(n_pos):
                if vpos[r, i]:
                    acc += w_pos
            for r in range(n_neg):
                if vneg[r, i]:
                    acc += -w_neg
        gb[i] = acc
    elif g < nv + gc.shape[0]:
        j = g - nv
        acc = 0.0
        mean = 0.0
        if interleaved:
            for r in range(n_pos):
                mean += mul(w_pos, ph_pos[r, j])
                acc += mul(w_pos, ph_pos[r, j])
                acc += mul(-w_neg, ph_neg[r, j])
        else:
            for r in range(n_pos):
                mean += mul(w_pos, ph_pos[r, j])
                acc += mul(w_pos, ph_pos[r, j])
            for r in range(n_neg):
                acc += mul(-w_neg, ph_neg[r, j])
        gc[j] = acc
        mean_ph[j] = mean


@cuda.jit(cache=True)
def _center_weights(gW, mu, gc, gb, lam):
    g = cuda.grid(1)
    nh = gW.shape[1]
    if g < gW.shape[0] * nh:
        i = g // nh
        j = g - i * nh
        gW[i, j] -= mul(mu[i], gc[j]) + mul(gb[i], lam[j])


@cuda.jit(cache=True)
def _center_biases(gW, mu, lam, gb, gc):
    """gb[i] -= sum_j gW[i, j] lam[j] (j in order), gc[j] -= sum_i mu[i] gW[i, j] (i in order)."""
    g = cuda.grid(1)
    nv, nh = gW.shape
    if g < nv:
        acc = gb[g]
        for j in range(nh):
            acc -= mul(gW[g, j], lam[j])
        gb[g] = acc
    elif g < nv + nh:
        j = g - nv
        acc = gc[j]
        for i in range(nv):
            acc -= mul(mu[i], gW[i, j])
        gc[j] = acc


@cuda.jit(cache=True)
def _move_offsets(lam, mean_ph, offset_rate):
    """lam += offset_rate (mean_ph - lam): hidden offsets follow the batch mean of p(h | v_data)."""
    j = cuda.grid(1)
    if j < lam.shape[0]:
        lam[j] += mul(offset_rate, mean_ph[j] - lam[j])


@cuda.jit(cache=True)
def _update(W, WT, vel_W, gW, b, vel_b, gb, c, vel_c, gc, learning_rate, momentum, weight_decay):
    """vel = momentum vel + learning_rate (gradient - weight_decay W for W); theta += vel; WT = W.T."""
    g = cuda.grid(1)
    nv, nh = W.shape
    if g < nv * nh:
        i = g // nh
        j = g - i * nh
        vel = mul(momentum, vel_W[i, j]) + mul(learning_rate, gW[i, j] - mul(weight_decay, W[i, j]))
        vel_W[i, j] = vel
        w = W[i, j] + vel
        W[i, j] = w
        WT[j, i] = w
    elif g < nv * nh + nv:
        i = g - nv * nh
        vel = mul(momentum, vel_b[i]) + mul(learning_rate, gb[i])
        vel_b[i] = vel
        b[i] += vel
    elif g < nv * nh + nv + nh:
        j = g - nv * nh - nv
        vel = mul(momentum, vel_c[j]) + mul(learning_rate, gc[j])
        vel_c[j] = vel
        c[j] += vel


def _device(x):
    """(device array, host array to copy back into or None): device arrays pass through untouched."""
    if not isinstance(x, np.ndarray):
        return x, None
    return cuda.to_device(np.ascontiguousarray(x)), x


def train_epoch(
    data, order, batch_size, W, WT, b, c, vel_W, vel_b, vel_c, chains, persistent, k, chain_step, example0,
    learning_rate, momentum, weight_decay, centered, mu, lam, offset_rate, k0, k1,
):
    """One pass of CD-k or PCD-k over ``data[order]`` on the GPU: the twin of ``rbm_cpu.train_epoch``.

    Same arguments, same meaning, same result bits.  Arrays may be numpy arrays
    (copied to the device, updated there and copied back in place: ``W``, ``WT``,
    ``b``, ``c``, the velocities, ``chains`` and ``lam``) or device arrays (used and
    updated in place on the device, nothing copied: keep the data and parameters on
    the GPU across epochs that way).

    Returns
    -------
    int : the persistent chains' next step index after the epoch.
    """
    dev = {name: _device(x) for name, x in (
        ("data", data), ("order", order), ("W", W), ("WT", WT), ("b", b), ("c", c), ("vel_W", vel_W),
        ("vel_b", vel_b), ("vel_c", vel_c), ("chains", chains), ("mu", mu), ("lam", lam))}
    d = {name: pair[0] for name, pair in dev.items()}
    n, nv = d["data"].shape
    nh = d["W"].shape[1]
    n_chains = d["chains"].shape[0]
    rows = min(batch_size, n)
    vpos = cuda.device_array((rows, nv), dtype=np.uint8)
    ph_pos = cuda.device_array((rows, nh))
    h_cd = cuda.device_array((rows, nh), dtype=np.uint8)
    n_neg_rows = n_chains if persistent else rows
    vneg = cuda.device_array((n_neg_rows, nv), dtype=np.uint8)
    pv = cuda.device_array((n_neg_rows, nv))
    ph_neg = cuda.device_array((n_neg_rows, nh))
    gW = cuda.device_array((nv, nh))
    gb = cuda.device_array(nv)
    gc = cuda.device_array(nh)
    mean_ph = cuda.device_array(nh)
    W_, WT_, b_, c_ = d["W"], d["WT"], d["b"], d["c"]
    for start in range(0, n, batch_size):
        n_pos = min(batch_size, n - start)
        w_pos = 1.0 / n_pos
        vp, hp, pp = vpos[:n_pos], h_cd[:n_pos], ph_pos[:n_pos]
        blocks, threads = launch(n_pos * nv)
        _gather[blocks, threads](d["data"], d["order"], start, vp)
        if persistent:
            layer(vp, W_, c_, hp, pp, False, 0, 0, RBM_HIDDEN, k0, k1)
            gibbs_steps(d["chains"], vneg, ph_neg, pv, W_, WT_, b_, c_, chain_step, k, 0, k0, k1)
            chain_step += k
            n_neg, w_neg = n_chains, 1.0 / n_chains
        else:
            chain0 = example0 + start
            start_chains(W_, c_, vp, hp, pp, 0, chain0, k0, k1)
            gibbs_steps(hp, vneg[:n_pos], ph_neg[:n_pos], pv[:n_pos], W_, WT_, b_, c_, 1, k, chain0, k0, k1)
            n_neg, w_neg = n_pos, w_pos
        blocks, threads = launch(nv * nh)
        _weight_gradient[blocks, threads](vpos, ph_pos, n_pos, w_pos, vneg, ph_neg, n_neg, w_neg, not persistent, gW)
        blocks, threads = launch(nv + nh)
        _bias_gradients[blocks, threads](vpos, ph_pos, n_pos, w_pos, vneg, ph_neg, n_neg, w_neg, not persistent, gb,
                                         gc, mean_ph)
        if centered:
            blocks, threads = launch(nv * nh)
            _center_weights[blocks, threads](gW, d["mu"], gc, gb, d["lam"])
            blocks, threads = launch(nv + nh)
            _center_biases[blocks, threads](gW, d["mu"], d["lam"], gb, gc)
            blocks, threads = launch(nh)
            _move_offsets[blocks, threads](d["lam"], mean_ph, offset_rate)
        blocks, threads = launch(nv * nh + nv + nh)
        _update[blocks, threads](W_, WT_, d["vel_W"], gW, b_, d["vel_b"], gb, c_, d["vel_c"], gc, learning_rate,
                                 momentum, weight_decay)
    for name in ("W", "WT", "b", "c", "vel_W", "vel_b", "vel_c", "chains", "lam"):
        device_array, host = dev[name]
        if host is not None:
            device_array.copy_to_host(host)
    return chain_step
