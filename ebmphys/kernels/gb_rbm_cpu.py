"""Gaussian-Bernoulli RBM: free energy, gradients and block Gibbs sampling (CPU, Numba).

Energy (real visible v_i, binary hidden h_j in {0, 1}, sigma_i > 0):

    E(v, h) = sum_i (v_i - b_i)^2 / (2 sigma_i^2) - sum_j c_j h_j - sum_ij (v_i / sigma_i) W_ij h_j,

free energy (hidden units summed out) F(v) = sum_i (v_i - b_i)^2 / (2 sigma_i^2)
- sum_j softplus(a_j), a_j = c_j + sum_i (v_i / sigma_i) W_ij, and conditionals
p(h_j = 1 | v) = sigmoid(a_j), p(v_i | h) = N(b_i + sigma_i (W h)_i, sigma_i^2).

Parameters in the protocol of :mod:`ebmphys.models.continuous`: theta = [W
(nv*nh, row-major), b (nv), c (nh), sigma (nv)], index = [nv, nh].  The sums
a_j are accumulated over i = 0, 1, ... in order, (W h)_i over j = 0, 1, ...

Block Gibbs (beta = 1): the configuration is v; h_t, the hidden layer that
belongs to v_t at sweep counter t, has unit j on iff word j % 4 of
``philox4x32(j // 4, t, chain, GBRBM_HIDDEN)`` is below ``threshold(sigmoid(a_j))``;
sweep t + 1 draws v_{t+1} = b + sigma (W h_t) + sigma z with z the normals of
(t + 1, chain, ``GBRBM_VISIBLE``) (:func:`ebmphys.kernels.normals.fill_normals`),
then h_{t+1} from v_{t+1}.  Since h_t is a pure function of (v_t, t), the
configuration v and the sweep counter are the whole state.
"""

import math

import numpy as np
from numba import njit, prange

from ebmphys.kernels.normals import fill_normals
from ebmphys.kernels.rng import GBRBM_HIDDEN, GBRBM_VISIBLE, philox4x32, threshold


@njit(cache=True, inline="always")
def softplus(a):
    """log(1 + exp(a)) without overflow."""
    return max(a, 0.0) + math.log1p(math.exp(-abs(a)))


@njit(cache=True, inline="always")
def sigmoid(a):
    return 1.0 / (1.0 + math.exp(-a))


@njit(cache=True)
def hidden_input(v, theta, nv, nh, out):
    """a_j = c_j + sum_i (v_i / sigma_i) W_ij for one visible row ``v`` into ``out`` (nh,)."""
    c = nv * nh + nv
    s = c + nh
    w = theta[:nv * nh].reshape(nv, nh)
    for j in range(nh):
        out[j] = theta[c + j]
    for i in range(nv):
        vi = v[i] / theta[s + i]
        row = w[i]
        for j in range(nh):
            out[j] += vi * row[j]


@njit(cache=True)
def gb_rbm_free_energy(x, params):
    """F(v) of every row."""
    theta, index = params
    nv, nh = index[0], index[1]
    b, s = nv * nh, nv * nh + nv + nh
    out = np.empty(x.shape[0])
    a = np.empty(nh)
    for m in range(x.shape[0]):
        hidden_input(x[m], theta, nv, nh, a)
        quad = 0.0
        for i in range(nv):
            r = (x[m, i] - theta[b + i]) / theta[s + i]
            quad += r * r
        total = 0.5 * quad
        for j in range(nh):
            total -= softplus(a[j])
        out[m] = total
    return out


@njit(cache=True)
def gb_rbm_grad(x, params):
    """dF/dv_i = (v_i - b_i) / sigma_i^2 - (1 / sigma_i) sum_j sigmoid(a_j) W_ij."""
    theta, index = params
    nv, nh = index[0], index[1]
    b, s = nv * nh, nv * nh + nv + nh
    out = np.empty((x.shape[0], nv))
    a = np.empty(nh)
    for m in range(x.shape[0]):
        hidden_input(x[m], theta, nv, nh, a)
        for j in range(nh):
            a[j] = sigmoid(a[j])
        for i in range(nv):
            sig = theta[s + i]
            t = 0.0
            for j in range(nh):
                t += a[j] * theta[i * nh + j]
            out[m, i] = (x[m, i] - theta[b + i]) / (sig * sig) - t / sig
    return out


@njit(cache=True)
def gb_rbm_grad_params(x, params):
    """dF/dtheta: W_ij -> -sigmoid(a_j) v_i / sigma_i, b_i -> -(v_i - b_i) / sigma_i^2, c_j -> -sigmoid(a_j),
    sigma_i -> -(v_i - b_i)^2 / sigma_i^3 + (v_i / sigma_i^2) sum_j sigmoid(a_j) W_ij."""
    theta, index = params
    nv, nh = index[0], index[1]
    b, c, s = nv * nh, nv * nh + nv, nv * nh + nv + nh
    out = np.empty((x.shape[0], theta.shape[0]))
    a = np.empty(nh)
    for m in range(x.shape[0]):
        hidden_input(x[m], theta, nv, nh, a)
        for j in range(nh):
            a[j] = sigmoid(a[j])
            out[m, c + j] = -a[j]
        for i in range(nv):
            sig = theta[s + i]
            v = x[m, i]
            t = 0.0
            for j in range(nh):
                out[m, i * nh + j] = -a[j] * v / sig
                t += a[j] * theta[i * nh + j]
            r = v - theta[b + i]
            out[m, b + i] = -r / (sig * sig)
            out[m, s + i] = -r * r / (sig * sig * sig) + v * t / (sig * sig)
    return out


@njit(cache=True)
def sample_hidden(v, theta, nv, nh, sweep, chain, k0, k1, a, h):
    """h ~ p(h | v) at sweep counter ``sweep`` (uint8 ``h``, work array ``a``)."""
    hidden_input(v, theta, nv, nh, a)
    w0 = w1 = w2 = w3 = np.uint64(0)
    for j in range(nh):
        if j % 4 == 0:
            w0, w1, w2, w3 = philox4x32(j // 4, sweep, chain, GBRBM_HIDDEN, k0, k1)
        word = w0 if j % 4 == 0 else w1 if j % 4 == 1 else w2 if j % 4 == 2 else w3
        h[j] = 1 if word < threshold(sigmoid(a[j])) else 0


@njit(cache=True)
def sample_visible(h, theta, nv, nh, sweep, chain, k0, k1, z, v):
    """v ~ p(v | h) = N(b + sigma (W h), sigma^2) at sweep counter ``sweep`` (work array ``z``)."""
    b, s = nv * nh, nv * nh + nv + nh
    fill_normals(z, sweep, chain, GBRBM_VISIBLE, k0, k1)
    for i in range(nv):
        t = 0.0
        for j in range(nh):
            if h[j]:
                t += theta[i * nh + j]
        sig = theta[s + i]
        v[i] = theta[b + i] + sig * t + sig * z[i]


@njit(cache=True, parallel=True)
def latent(v, theta, nv, nh, sweep, chain0, k0, k1):
    """The hidden layers h_t (uint8 (n, nh)) that belong to the rows of ``v`` at sweep counter t = ``sweep``."""
    out = np.empty((v.shape[0], nh), dtype=np.uint8)
    for m in prange(v.shape[0]):
        a = np.empty(nh)
        sample_hidden(v[m], theta, nv, nh, sweep, chain0 + m, k0, k1, a, out[m])
    return out


@njit(cache=True, parallel=True)
def gibbs_sweeps(v, params, k0, k1, chain0, sweep0, n_sweeps, record_every, out_energy, column0):
    """Block-Gibbs sweeps sweep0 + 1 .. sweep0 + n_sweeps of every row of ``v`` in place (row m is chain chain0 + m).

    After every ``record_every``-th sweep (0: never) F(v) is written at column ``column0 + k``.
    """
    theta, index = params
    nv, nh = index[0], index[1]
    for m in prange(v.shape[0]):
        chain = chain0 + m
        a = np.empty(nh)
        h = np.empty(nh, dtype=np.uint8)
        z = np.empty(nv)
        row = v[m]
        sample_hidden(row, theta, nv, nh, sweep0, chain, k0, k1, a, h)
        for t in range(1, n_sweeps + 1):
            sample_visible(h, theta, nv, nh, sweep0 + t, chain, k0, k1, z, row)
            sample_hidden(row, theta, nv, nh, sweep0 + t, chain, k0, k1, a, h)
            if record_every > 0 and t % record_every == 0:
                out_energy[m, column0 + t // record_every - 1] = gb_rbm_free_energy(v[m:m + 1], params)[0]
