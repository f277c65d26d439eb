"""Slow reference twin of :mod:`ebmphys.kernels.classifier_cpu` in plain Python (same summation orders)."""

from __future__ import annotations

import math

from tests.reference.continuous import _act, _dact


def _forward(row, theta, index):
    """Activations of every layer (the last linear), their pre-activations and the weight offsets."""
    n_layers, code = int(index[0]), int(index[1])
    sizes = [int(v) for v in index[2:]]
    hs, zs, offsets = [list(row)], [], []
    w = 0
    for layer in range(n_layers):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        offsets.append(w)
        z = [theta[w + n_in * n_out + j] for j in range(n_out)]
        for i in range(n_in):
            for j in range(n_out):
                z[j] += hs[-1][i] * theta[w + i * n_out + j]
        zs.append(z)
        hs.append(z if layer == n_layers - 1 else [_act(code, v) for v in z])
        w += n_in * n_out + n_out
    return hs, zs, offsets, sizes, code


def _log_sum_exp(values):
    top = values[0]
    for v in values[1:]:
        top = max(top, v)
    s = 0.0
    for v in values:
        s += math.exp(v - top)
    return top + math.log(s)


def _backward(theta, hs, zs, offsets, sizes, code, delta):
    """(d/dx, d/dtheta) of the loss whose output sensitivities are ``delta``."""
    grad_theta = [0.0] * len(theta)
    n_layers = len(offsets)
    grad_x = None
    for layer in range(n_layers - 1, -1, -1):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        w = offsets[layer]
        for i in range(n_in):
            for j in range(n_out):
                grad_theta[w + i * n_out + j] = hs[layer][i] * delta[j]
        for j in range(n_out):
            grad_theta[w + n_in * n_out + j] = delta[j]
        back = []
        for i in range(n_in):
            s = 0.0
            for j in range(n_out):
                s += theta[w + i * n_out + j] * delta[j]
            back.append(s)
        if layer == 0:
            grad_x = back
        else:
            delta = [back[i] * _dact(code, zs[layer - 1][i]) for i in range(n_in)]
    return grad_x, grad_theta


def softmax_mlp(row, theta, index):
    """(logits, E = -logsumexp, dE/dx, dE/dtheta) of one row."""
    hs, zs, offsets, sizes, code = _forward(row, theta, index)
    logits = hs[-1]
    lse = _log_sum_exp(logits)
    delta = [-math.exp(v - lse) for v in logits]
    grad_x, grad_theta = _backward(theta, hs, zs, offsets, sizes, code, delta)
    return logits, -lse, grad_x, grad_theta


def cross_entropy_gradient(rows, labels, theta, index):
    """Mean cross-entropy and its mean gradient in theta (rows accumulated in order, then divided by n)."""
    total = [0.0] * len(theta)
    loss = 0.0
    for row, label in zip(rows, labels):
        hs, zs, offsets, sizes, code = _forward(row, theta, index)
        logits = hs[-1]
        lse = _log_sum_exp(logits)
        delta = [math.exp(v - lse) for v in logits]
        delta[label] -= 1.0
        loss += lse - logits[label]
        _, g = _backward(theta, hs, zs, offsets, sizes, code, delta)
        for j in range(len(theta)):
            total[j] += g[j]
    n = len(rows)
    return loss / n, [v / n for v in total]
