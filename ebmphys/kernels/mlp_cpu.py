"""Multilayer-perceptron energy with analytic gradients in inputs and parameters (CPU, Numba).

E(x) = f_L(... f_2(f_1(x)) ...) + (alpha / 2) |x|^2, with layers z_l = h_{l-1} W_l + b_l,
h_l = act(z_l) for the hidden layers and the last layer linear with one output
(h_0 = x).  Parameters in the protocol of :mod:`ebmphys.models.continuous`:

* theta = [W_1 (n_0 * n_1, row-major (in, out)), b_1 (n_1), ..., W_L, b_L (1), alpha];
* index = [L, activation code, n_0, n_1, ..., n_L] with n_L = 1.

Activation codes: ``TANH`` (tanh), ``SOFTPLUS`` (log(1 + e^z)), ``SWISH`` (z sigmoid(z)).
Gradients by back-propagation: delta_L = 1, delta_{l-1} = (W_l delta_l) * act'(z_{l-1}),
dE/dW_l = h_{l-1} delta_l^T, dE/db_l = delta_l, dE/dx = W_1 delta_1 + alpha x, dE/dalpha = |x|^2 / 2.
"""

import math

import numpy as np
from numba import njit

TANH, SOFTPLUS, SWISH = 0, 1, 2
ACTIVATIONS = {"tanh": TANH, "softplus": SOFTPLUS, "swish": SWISH}


@njit(cache=True, inline="always")
def _activation(code, z):
    if code == TANH:
        return math.tanh(z)
    if code == SOFTPLUS:
        return max(z, 0.0) + math.log1p(math.exp(-abs(z)))
    return z / (1.0 + math.exp(-z))


@njit(cache=True, inline="always")
def _derivative(code, z):
    if code == TANH:
        t = math.tanh(z)
        return 1.0 - t * t
    s = 1.0 / (1.0 + math.exp(-z))
    if code == SOFTPLUS:
        return s
    return s + z * s * (1.0 - s)


@njit(cache=True)
def _forward(theta, index, xrow, z, h):
    """Pre-activations ``z`` and activations ``h`` of every layer (flat, layer after layer); returns the output."""
    n_layers, code = index[0], index[1]
    w = 0
    a_in = -1  # -1: the input layer is xrow
    a_out = 0
    for layer in range(n_layers):
        n_in, n_out = index[2 + layer], index[3 + layer]
        bias = w + n_in * n_out
        weights = theta[w:bias].reshape(n_in, n_out)
        zl = z[a_out:a_out + n_out]
        for j in range(n_out):
            zl[j] = theta[bias + j]
        for i in range(n_in):
            hi = xrow[i] if a_in < 0 else h[a_in + i]
            row = weights[i]
            for j in range(n_out):
                zl[j] += hi * row[j]
        last = layer == n_layers - 1
        for j in range(n_out):
            h[a_out + j] = z[a_out + j] if last else _activation(code, z[a_out + j])
        w = bias + n_out
        a_in = a_out
        a_out += n_out
    return h[a_out - 1]


@njit(cache=True)
def _sizes(index):
    n_layers = index[0]
    total = 0
    widest = 0
    for layer in range(n_layers):
        total += index[3 + layer]
        widest = max(widest, index[2 + layer], index[3 + layer])
    return total, widest


@njit(cache=True)
def _backward(theta, index, xrow, z, h, delta, nxt, grad_x, grad_theta, want_theta):
    """Back-propagate from the output; write dE/dx (without the alpha term) and, if ``want_theta``, dE/dtheta."""
    delta[0] = 1.0
    backward_from(theta, index, xrow, z, h, delta, nxt, grad_x, grad_theta, want_theta)


@njit(cache=True)
def backward_from(theta, index, xrow, z, h, delta, nxt, grad_x, grad_theta, want_theta):
    """Back-propagate the output sensitivities ``delta[:n_L]`` (d(loss)/d(outputs), overwritten).

    Writes d(loss)/dx into ``grad_x`` and, if ``want_theta``, d(loss)/d(weights and
    biases) into ``grad_theta`` (the layout of the module docstring, alpha excluded);
    ``z`` and ``h`` come from :func:`_forward` of the same row.
    """
    n_layers, code = index[0], index[1]
    # offsets of the last layer's weights and activations
    w_offsets = np.empty(n_layers, dtype=np.int64)
    a_offsets = np.empty(n_layers, dtype=np.int64)
    w = 0
    a = 0
    for layer in range(n_layers):
        w_offsets[layer] = w
        a_offsets[layer] = a
        w += index[2 + layer] * index[3 + layer] + index[3 + layer]
        a += index[3 + layer]
    for layer in range(n_layers - 1, -1, -1):
        n_in, n_out = index[2 + layer], index[3 + layer]
        w = w_offsets[layer]
        if want_theta:
            for i in range(n_in):
                hi = xrow[i] if layer == 0 else h[a_offsets[layer - 1] + i]
                for j in range(n_out):
                    grad_theta[w + i * n_out + j] = hi * delta[j]
            for j in range(n_out):
                grad_theta[w + n_in * n_out + j] = delta[j]
        for i in range(n_in):
            s = 0.0
            for j in range(n_out):
                s += theta[w + i * n_out + j] * delta[j]
            if layer == 0:
                grad_x[i] = s
            else:
                nxt[i] = s * _derivative(code, z[a_offsets[layer - 1] + i])
        if layer > 0:
            for i in range(n_in):
                delta[i] = nxt[i]


@njit(cache=True)
def mlp_energy(x, params):
    """E(x) = MLP(x) + alpha |x|^2 / 2 of every row."""
    theta, index = params
    alpha = theta[theta.shape[0] - 1]
    total = _sizes(index)[0]
    z = np.empty(total)
    h = np.empty(total)
    out = np.empty(x.shape[0])
    for m in range(x.shape[0]):
        r2 = 0.0
        for i in range(x.shape[1]):
            r2 += x[m, i] * x[m, i]
        out[m] = _forward(theta, index, x[m], z, h) + 0.5 * alpha * r2
    return out


@njit(cache=True)
def mlp_grad(x, params):
    """dE/dx of every row (back-propagation)."""
    theta, index = params
    alpha = theta[theta.shape[0] - 1]
    total, widest = _sizes(index)
    z = np.empty(total)
    h = np.empty(total)
    delta = np.empty(widest)
    nxt = np.empty(widest)
    unused = np.empty(0)
    out = np.empty(x.shape)
    for m in range(x.shape[0]):
        _forward(theta, index, x[m], z, h)
        _backward(theta, index, x[m], z, h, delta, nxt, out[m], unused, False)
        for i in range(x.shape[1]):
            out[m, i] += alpha * x[m, i]
    return out


@njit(cache=True)
def mlp_grad_params(x, params):
    """dE/dtheta of every row (back-propagation; the last entry, for alpha, is |x|^2 / 2)."""
    theta, index = params
    total, widest = _sizes(index)
    z = np.empty(total)
    h = np.empty(total)
    delta = np.empty(widest)
    nxt = np.empty(widest)
    grad_x = np.empty(x.shape[1])
    out = np.empty((x.shape[0], theta.shape[0]))
    for m in range(x.shape[0]):
        _forward(theta, index, x[m], z, h)
        _backward(theta, index, x[m], z, h, delta, nxt, grad_x, out[m], True)
        r2 = 0.0
        for i in range(x.shape[1]):
            r2 += x[m, i] * x[m, i]
        out[m, theta.shape[0] - 1] = 0.5 * r2
    return out
