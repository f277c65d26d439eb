"""Slow reference twin of :func:`ebmphys.kernels.rbm_cpu.train_epoch` (CD-k / PCD-k epochs), in plain Python.

Written from the kernel's documented conventions, not from its code: energy
E(v, h) = -b.v - c.h - v.W.h, counter layout (c0 = unit // 4, c1 = Gibbs step,
c2 = chain index, c3 = stream) of :mod:`ebmphys.kernels.rbm_cpu`, a CD chain per
example with chain index (example0 + position) mod 2**32, persistent chain m with
chain index m.  Binary and real-valued data rows take the same code: a sum over
the units with v_i != 0, in increasing i, of v_i * W[i] (for v_i = 1 that is the
row itself, exactly).

Two primitives are shared with the kernels rather than re-derived: the Philox
block :func:`ebmphys.kernels.rng.philox4x32` (checked against Random123's
known answers in tests/kernels/test_rng.py) and the logistic function
:func:`ebmphys.kernels.rbm_cpu.layer_probabilities` (checked against
``scipy.special.expit`` in tests/kernels/test_rbm_cpu.py), whose last bits depend
on whether the CPU fuses multiply-adds, which plain numpy cannot reproduce.

Every loop runs in the order the kernel's floating-point sums need (rows of the
minibatch in presentation order, units in increasing index), so the result is
equal bit for bit.  Slow: for small cases only.

Precision follows the parameters (float64, or float32 as the kernel's float32
option): every quantity is rounded to that dtype where the kernel stores it; the
logistic function is the kernel's for that dtype; a product of a real data value
with a weight is formed in float64 and rounded (data stay float64); the other
operations run in the parameters' dtype (numpy scalar rules).
"""

from __future__ import annotations

import math

import numpy as np

from ebmphys.kernels import rbm_cpu
from ebmphys.kernels.rng import RBM_HIDDEN, RBM_VISIBLE, philox4x32

MASK32 = 0xFFFFFFFF


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The kernel's logistic function in the dtype of ``x`` (float64, or the float32 option's own)."""
    x = np.ascontiguousarray(x)
    out = np.empty_like(x)
    rbm_cpu.layer_probabilities(x, out)
    return out


def bernoulli_layer(prob: np.ndarray, step: int, chain: int, stream: int, k0: int, k1: int) -> np.ndarray:
    """Unit u is 1 when its uint32 counter word is below floor(prob[u] * 2**32) (integers, the same on every device)."""
    out = np.zeros(len(prob), dtype=np.uint8)
    for u, p in enumerate(prob):
        word = int(philox4x32(u // 4, step & MASK32, chain & MASK32, stream, k0, k1)[u % 4])
        out[u] = 1 if word < min(math.floor(float(p) * 2**32), 2**32) else 0
    return out


def weighted_rows(bias: np.ndarray, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """bias + sum_i x_i rows[i] over the i with x_i != 0, added one row at a time in increasing i (dtype of rows)."""
    out = bias.copy()
    for i in range(len(x)):
        if x[i] != 0:
            out = out + rows.dtype.type(x[i]) * rows[i]
    return out


def add_statistics(v: np.ndarray, ph: np.ndarray, weight: float, gW, gb, gc) -> None:
    """gW += weight v ph^T, gb += weight v, gc += weight ph (the factor weight * v_i formed first, in float64)."""
    for i in range(len(v)):
        if v[i] != 0:
            wv = gW.dtype.type(float(weight) * float(v[i]))
            gW[i] += wv * ph
            gb[i] += wv
    gc += weight * ph


def gibbs(h: np.ndarray, W: np.ndarray, b: np.ndarray, c: np.ndarray, step0: int, k: int, chain: int, k0: int,
          k1: int):
    """k steps v ~ p(v | h), ph = p(h | v), h ~ Bernoulli(ph); returns the last (h, v, ph)."""
    v = ph = None
    for t in range(k):
        step = step0 + t
        v = bernoulli_layer(sigmoid(weighted_rows(b, h, W.T)), step, chain, RBM_VISIBLE, k0, k1)
        ph = sigmoid(weighted_rows(c, v, W))
        h = bernoulli_layer(ph, step, chain, RBM_HIDDEN, k0, k1)
    return h, v, ph


def train_epoch(data, order, batch_size, W, WT, b, c, vel_W, vel_b, vel_c, chains, persistent, k, chain_step,
                example0, learning_rate, momentum, weight_decay, centered, mu, lam, offset_rate, k0, k1):
    """Same arguments, in-place updates and return value as :func:`ebmphys.kernels.rbm_cpu.train_epoch`."""
    n, nv = data.shape
    nh = W.shape[1]
    real = W.dtype.type
    for start in range(0, n, batch_size):
        batch = [data[order[p]] for p in range(start, min(start + batch_size, n))]
        gW, gb, gc = np.zeros((nv, nh), W.dtype), np.zeros(nv, W.dtype), np.zeros(nh, W.dtype)
        mean_ph = np.zeros(nh, W.dtype)
        w_pos = real(1.0 / len(batch))
        for r, v in enumerate(batch):
            ph = sigmoid(weighted_rows(c, v, W))
            mean_ph += w_pos * ph
            add_statistics(v, ph, w_pos, gW, gb, gc)
            if not persistent:
                chain = (example0 + start + r) & MASK32
                h0 = bernoulli_layer(ph, 0, chain, RBM_HIDDEN, k0, k1)
                _, v_neg, ph_neg = gibbs(h0, W, b, c, 1, k, chain, k0, k1)
                add_statistics(v_neg, ph_neg, -w_pos, gW, gb, gc)
        if persistent:
            w_neg = real(1.0 / chains.shape[0])
            for m in range(chains.shape[0]):
                chains[m], v_neg, ph_neg = gibbs(chains[m], W, b, c, chain_step, k, m, k0, k1)
                add_statistics(v_neg, ph_neg, -w_neg, gW, gb, gc)
            chain_step += k
        if centered:
            # centred gradient (Melchior, Fischer and Wiskott 2016), offsets mu (visible) and lam (hidden)
            for i in range(nv):
                for j in range(nh):
                    gW[i, j] -= mu[i] * gc[j] + gb[i] * lam[j]
            for i in range(nv):
                for j in range(nh):
                    gb[i] -= gW[i, j] * lam[j]
                    gc[j] -= mu[i] * gW[i, j]
            lam += real(offset_rate) * (mean_ph - lam)
        momentum, learning_rate, weight_decay = real(momentum), real(learning_rate), real(weight_decay)
        vel_W[:] = momentum * vel_W + learning_rate * (gW - weight_decay * W)
        W += vel_W
        vel_b[:] = momentum * vel_b + learning_rate * gb
        b += vel_b
        vel_c[:] = momentum * vel_c + learning_rate * gc
        c += vel_c
        WT[:] = W.T
    return chain_step
