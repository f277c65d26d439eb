"""Reference twin of :mod:`ebmphys.kernels.rbm_cpu`: block Gibbs sampling and one CD-k / PCD-k epoch.

Re-derived from the module docstring (E(v, h) = -b.v - c.h - v.W.h, units in {0, 1}):
unit u of a layer drawn at Gibbs step t of chain ``chain`` fires iff word u % 4 of

    philox4x32(u // 4, t, chain, stream)

is below ``threshold(p_u)``, with stream ``RBM_HIDDEN`` or ``RBM_VISIBLE`` (``INIT_RBM_VISIBLE``
and t = 0 for bias-only initial visible rows).  Step 0 draws h_0 ~ p(h | v_0); step t >= 1
draws v_t ~ p(v | h_{t-1}), then h_t ~ p(h | v_t).

Shared with the kernel: the logistic function ``rbm_cpu.layer_probabilities`` (a
polynomial exp with fused multiply-adds; its accuracy against scipy's ``expit`` is tested
in ``test_rbm_cpu.py``), and the order of the float sums: total inputs c + v.W and b + W.h
add the weight rows of the active units in increasing order to the bias, and the training
statistics add each example's (or chain's) contribution in presentation order.  Everything
else (counters, decisions, the CD/PCD bookkeeping, the optimiser) is written here from the
docstrings of ``rbm_cpu`` and ``rbm_cpu.train_epoch``.
"""

import numpy as np

from ebmphys.kernels.rbm_cpu import layer_probabilities
from tests.reference.rng import INIT_RBM_VISIBLE, MASK32, RBM_HIDDEN, RBM_VISIBLE, bernoulli, word


def sigmoid(x) -> np.ndarray:
    """1 / (1 + exp(-x)) by the kernel's own function (see the module docstring)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(x)
    layer_probabilities(x, out, np.empty_like(x))
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


def _accumulate(v, ph, weight, gW, gb, gc) -> None:
    """gW += weight outer(v, ph), gb += weight v, gc += weight ph (v binary)."""
    for i in range(v.shape[0]):
        if v[i]:
            gW[i] += weight * ph
            gb[i] += weight
    gc += weight * ph


def train_epoch(data, order, batch_size, W, b, c, vel_W, vel_b, vel_c, chains, persistent, k, chain_step, example0,
                learning_rate, momentum, weight_decay, centered, mu, lam, offset_rate, key):
    """One CD-k (``persistent`` False) or PCD-k epoch, following ``rbm_cpu.train_epoch``'s docstring.

    Works on copies; returns (W, b, c, vel_W, vel_b, vel_c, chains, lam, next chain step).

    Per minibatch: positive statistics ``p(h | v)`` of each example weighted 1 / batch size;
    CD: the example at position p starts a chain of index (example0 + p) mod 2**32 at step 0
    (h_0 drawn from the data) and runs steps 1 .. k, whose last (v_k, p(h | v_k)) enters
    with weight -1 / batch size; PCD: persistent chain m (index m) runs steps
    chain_step .. chain_step + k - 1, its last (v, p(h | v)) weighted -1 / n_chains, and
    chain_step grows by k.  Centred gradient with offsets mu, lam (lam moves towards the batch
    mean of p(h | v_data)); then vel = momentum vel + learning_rate (gradient [- weight_decay W]),
    theta += vel.
    """
    W, b, c = W.copy(), b.copy(), c.copy()
    vel_W, vel_b, vel_c = vel_W.copy(), vel_b.copy(), vel_c.copy()
    chains, lam = chains.copy(), lam.copy()
    nv, nh = W.shape
    for start in range(0, data.shape[0], batch_size):
        batch = order[start: start + batch_size]
        w_pos = 1.0 / len(batch)
        gW, gb, gc = np.zeros((nv, nh)), np.zeros(nv), np.zeros(nh)
        mean_ph = np.zeros(nh)
        for r, example in enumerate(batch):
            v = data[example]
            ph = sigmoid(hidden_input(v, W, c))
            mean_ph += w_pos * ph
            _accumulate(v, ph, w_pos, gW, gb, gc)
            if not persistent:
                chain = (example0 + start + r) % 2**32
                h = sample(ph, 0, chain, RBM_HIDDEN, key)
                for step in range(1, k + 1):
                    v_neg, ph_neg, h = gibbs_step(h, W, b, c, step, chain, key)
                _accumulate(v_neg, ph_neg, -w_pos, gW, gb, gc)
        if persistent:
            w_neg = 1.0 / chains.shape[0]
            for m in range(chains.shape[0]):
                for step in range(chain_step, chain_step + k):
                    v_neg, ph_neg, chains[m] = gibbs_step(chains[m], W, b, c, step, m, key)
                _accumulate(v_neg, ph_neg, -w_neg, gW, gb, gc)
            chain_step += k
        if centered:
            gW = gW - (np.outer(mu, gc) + np.outer(gb, lam))
            for j in range(nh):
                gb = gb - gW[:, j] * lam[j]
            for i in range(nv):
                gc = gc - mu[i] * gW[i]
            lam = lam + offset_rate * (mean_ph - lam)
        vel_W = momentum * vel_W + learning_rate * (gW - weight_decay * W)
        W = W + vel_W
        vel_b = momentum * vel_b + learning_rate * gb
        b = b + vel_b
        vel_c = momentum * vel_c + learning_rate * gc
        c = c + vel_c
    return W, b, c, vel_W, vel_b, vel_c, chains, lam, chain_step
