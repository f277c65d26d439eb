"""Reference twin of :mod:`ebmphys.kernels.rbm_cpu`: block Gibbs sampling (training epochs: ``rbm_training.py``).

Re-derived from the module docstring (E(v, h) = -b.v - c.h - v.W.h, units in {0, 1}):
unit u of a layer drawn at Gibbs step t of chain ``chain`` fires iff word u % 4 of

    philox4x32(u // 4, t, chain, stream)

is below ``threshold(p_u)``, with stream ``RBM_HIDDEN`` or ``RBM_VISIBLE`` (``INIT_RBM_VISIBLE``
and t = 0 for bias-only initial visible rows).  Step 0 draws h_0 ~ p(h | v_0); step t >= 1
draws v_t ~ p(v | h_{t-1}), then h_t ~ p(h | v_t).

Shared with the kernel: the logistic function ``rbm_cpu.layer_probabilities`` (a
polynomial exp with fused multiply-adds; its accuracy against scipy's ``expit`` is tested
in ``test_rbm_cpu.py``), and the order of the float sums: total inputs c + v.W and b + W.h
add the weight rows of the active units in increasing order to the bias.  Everything else
(counters, decisions) is written here from the docstring of ``rbm_cpu``.
"""

import numpy as np

from ebmphys.kernels.rbm_cpu import layer_probabilities
from tests.reference.rng import INIT_RBM_VISIBLE, MASK32, RBM_HIDDEN, RBM_VISIBLE, bernoulli, word


def sigmoid(x) -> np.ndarray:
    """1 / (1 + exp(-x)) by the kernel's own function (see the module docstring)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(x)
    layer_probabilities(x, out)
    return out


def hidden_input(v, W, c) -> np.ndarray:
    """c + v.W, adding the rows of W of the active visible units in increasing order."""
    x = np.array(c, dtype=np.float64)
    for i in range(W.shape[0]):
        if v[i]:
            x = x + W[i]
    return x


def visible_input(h, W, b) -> np.ndarray:
    """b + W.h, adding the columns of W of the active hidden units in increasing order."""
    x = np.array(b, dtype=np.float64)
    for j in range(W.shape[1]):
        if h[j]:
            x = x + W[:, j]
    return x


def sample(prob, step: int, chain: int, stream: int, key) -> np.ndarray:
    """Unit u fires iff word u of (step, chain, stream) is below threshold(prob[u])."""
    return np.array([bernoulli(float(p), word(u, step & MASK32, chain & MASK32, stream, key))
                     for u, p in enumerate(prob)], dtype=np.uint8)


def initial_visible(b, n_chains: int, chain0: int, key) -> np.ndarray:
    """Bias-only visible rows: v_i ~ Bernoulli(sigmoid(b_i)), stream INIT_RBM_VISIBLE, step 0."""
    prob = sigmoid(b)
    return np.array([sample(prob, 0, chain0 + m, INIT_RBM_VISIBLE, key) for m in range(n_chains)], dtype=np.uint8)


def start_chains(W, c, v, step: int, chain0: int, key) -> np.ndarray:
    """The hidden half of step ``step``: h ~ p(h | v) for every row of ``v``."""
    return np.array([sample(sigmoid(hidden_input(v[m], W, c)), step, chain0 + m, RBM_HIDDEN, key)
                     for m in range(v.shape[0])], dtype=np.uint8).reshape(v.shape[0], W.shape[1])


def gibbs_step(h, W, b, c, step: int, chain: int, key):
    """Step t >= 1 of one chain from h_{t-1}: returns (v_t, p(h | v_t), h_t)."""
    v = sample(sigmoid(visible_input(h, W, b)), step, chain, RBM_VISIBLE, key)
    ph = sigmoid(hidden_input(v, W, c))
    return v, ph, sample(ph, step, chain, RBM_HIDDEN, key)


def block_gibbs(W, b, c, h, v, step0: int, n_steps: int, chain0: int, key):
    """Steps step0 .. step0 + n_steps - 1 of every chain (row m: chain chain0 + m); returns new (h, v)."""
    h, v = np.array(h, dtype=np.uint8), np.array(v, dtype=np.uint8)
    for m in range(h.shape[0]):
        for t in range(n_steps):
            v[m], _, h[m] = gibbs_step(h[m], W, b, c, step0 + t, chain0 + m, key)
    return h, v
