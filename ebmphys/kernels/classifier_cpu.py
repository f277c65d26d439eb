"""Softmax multilayer perceptron: logits, the JEM energy and their analytic gradients (CPU, Numba).

The network is the MLP of :mod:`ebmphys.kernels.mlp_cpu` with K linear outputs
f(x) (the logits; no confinement term): theta = [W_1, b_1, ..., W_L, b_L], index =
[L, activation code, n_0, ..., n_L = K].  Forward and backward passes are that
module's (:func:`ebmphys.kernels.mlp_cpu.backward_from` back-propagates any output
sensitivities), so the two networks share one implementation.

* Joint-energy reading (Grathwohl et al. 2020): E(x) = -logsumexp_y f(x)[y], so
  dE/df = -softmax(f) and p(y | x) = softmax(f(x)).
* Cross-entropy of labels y: -log softmax(f(x))[y], d/df = softmax(f) - onehot(y).

Log-sum-exp: m = max_y f_y, lse = m + log sum_y exp(f_y - m), summed over y = 0, 1, ...;
softmax_y = exp(f_y - lse).  Means over rows accumulate rows 0, 1, ... in order
and divide by n at the end.
"""

import math

import numpy as np
from numba import njit

from ebmphys.kernels.mlp_cpu import _forward, _sizes, backward_from


@njit(cache=True, inline="always")
def _log_sum_exp(h, start, k):
    top = h[start]
    for y in range(1, k):
        top = max(top, h[start + y])
    s = 0.0
    for y in range(k):
        s += math.exp(h[start + y] - top)
    return top + math.log(s)


@njit(cache=True)
def softmax_mlp_logits(x, params):
    """The logits f(x), float64 (n, K)."""
    theta, index = params
    n_layers = index[0]
    k = index[2 + n_layers]
    total, widest = _sizes(index)
    z = np.empty(total)
    h = np.empty(total)
    out = np.empty((x.shape[0], k))
    for m in range(x.shape[0]):
        _forward(theta, index, x[m], z, h)
        for y in range(k):
            out[m, y] = h[total - k + y]
    return out


@njit(cache=True)
def softmax_mlp_energy(x, params):
    """E(x) = -logsumexp_y f(x)[y] of every row."""
    theta, index = params
    k = index[2 + index[0]]
    total, widest = _sizes(index)
    z = np.empty(total)
    h = np.empty(total)
    out = np.empty(x.shape[0])
    for m in range(x.shape[0]):
        _forward(theta, index, x[m], z, h)
        out[m] = -_log_sum_exp(h, total - k, k)
    return out


@njit(cache=True)
def _energy_backward(theta, index, x, want_theta, grad_x, grad_theta):
    """dE/dx (n, dim) and, if ``want_theta``, dE/dtheta (n, n_theta) of E = -logsumexp f."""
    k = index[2 + index[0]]
    total, widest = _sizes(index)
    z = np.empty(total)
    h = np.empty(total)
    delta = np.empty(widest)
    nxt = np.empty(widest)
    unused = np.empty(0)
    for m in range(x.shape[0]):
        _forward(theta, index, x[m], z, h)
        lse = _log_sum_exp(h, total - k, k)
        for y in range(k):
            delta[y] = -math.exp(h[total - k + y] - lse)
        backward_from(theta, index, x[m], z, h, delta, nxt, grad_x[m], grad_theta[m] if want_theta else unused,
                      want_theta)


@njit(cache=True)
def softmax_mlp_grad(x, params):
    """dE/dx of every row (back-propagation of dE/df = -softmax(f))."""
    theta, index = params
    grad_x = np.empty(x.shape)
    _energy_backward(theta, index, x, False, grad_x, np.empty((x.shape[0], 0)))
    return grad_x


@njit(cache=True)
def softmax_mlp_grad_params(x, params):
    """dE/dtheta of every row."""
    theta, index = params
    grad_theta = np.empty((x.shape[0], theta.shape[0]))
    _energy_backward(theta, index, x, True, np.empty(x.shape), grad_theta)
    return grad_theta


@njit(cache=True)
def cross_entropy_gradient(x, labels, params):
    """Mean over rows of -log softmax(f(x))[label] and of its gradient in theta: (loss, float64 (n_theta,))."""
    theta, index = params
    k = index[2 + index[0]]
    total, widest = _sizes(index)
    z = np.empty(total)
    h = np.empty(total)
    delta = np.empty(widest)
    nxt = np.empty(widest)
    grad_x = np.empty(x.shape[1])
    row = np.empty(theta.shape[0])
    out = np.zeros(theta.shape[0])
    loss = 0.0
    for m in range(x.shape[0]):
        _forward(theta, index, x[m], z, h)
        lse = _log_sum_exp(h, total - k, k)
        for y in range(k):
            delta[y] = math.exp(h[total - k + y] - lse)
        delta[labels[m]] -= 1.0
        loss += lse - h[total - k + labels[m]]
        backward_from(theta, index, x[m], z, h, delta, nxt, grad_x, row, True)
        for j in range(theta.shape[0]):
            out[j] += row[j]
    n = x.shape[0]
    for j in range(theta.shape[0]):
        out[j] /= n
    return loss / n, out
