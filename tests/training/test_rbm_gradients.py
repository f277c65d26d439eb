"""CD-k and PCD updates against the exact log-likelihood gradient of a tiny RBM, and the optimiser algebra.

One call of the epoch kernel with a single minibatch, learning rate 1, no momentum
and no weight decay changes the parameters by exactly the gradient estimate, whose
expectation and per-chain variance are computed by enumerating the 2**5 visible
and 2**3 hidden states.  Tolerances are 5 standard errors of the estimate.
"""

import itertools

import numpy as np

from ebmphys.kernels import rbm_cpu
from ebmphys.kernels.rng import split_seed
from ebmphys.models.rbm import RBM

NV, NH = 5, 3
SEED = 77


def _states(n):
    return np.array(list(itertools.product([0, 1], repeat=n)), dtype=np.uint8)


def _rbm():
    rng = np.random.default_rng(4)
    return RBM(NV, NH, W=0.7 * rng.normal(size=(NV, NH)), b=0.3 * rng.normal(size=NV), c=0.3 * rng.normal(size=NH))


def _kernel(rbm):
    """K[v, v'] = sum_h p(h | v) p(v' | h) over all visible states (one Gibbs step of the v-chain)."""
    V, H = _states(NV), _states(NH)
    ph, pv = rbm.hidden_probabilities(V), rbm.visible_probabilities(H)
    p_h = np.prod(np.where(H[None], ph[:, None], 1 - ph[:, None]), axis=2)
    p_v = np.prod(np.where(V[None], pv[:, None], 1 - pv[:, None]), axis=2)
    return p_h @ p_v


def _statistics(rbm):
    """Per visible state: the flattened sufficient statistics (v ph^T, v, ph) the updates average."""
    V = _states(NV).astype(float)
    ph = rbm.hidden_probabilities(V)
    return np.concatenate([(V[:, :, None] * ph[:, None, :]).reshape(len(V), -1), V, ph], axis=1)


def _exact_gradient(rbm, data):
    V = _states(NV)
    log_p = -rbm.free_energy(V)
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    s = _statistics(rbm)
    idx = data.astype(int) @ (1 << np.arange(NV - 1, -1, -1))
    return s[idx].mean(axis=0) - p @ s, p


def _run_epoch(rbm, data, chains, persistent, k, chain_step, centered=False, momentum=0.0, weight_decay=0.0,
               vel=None, lam=None):
    W, b, c = rbm.W.copy(), rbm.b.copy(), rbm.c.copy()
    vel_W, vel_b, vel_c = (np.zeros_like(W), np.zeros_like(b), np.zeros_like(c)) if vel is None else vel
    mu = data.mean(axis=0)
    lam = np.full(NH, 0.4) if lam is None else lam.copy()
    k0, k1 = split_seed(SEED)
    rbm_cpu.train_epoch(data, np.arange(len(data), dtype=np.int64), len(data), W, np.ascontiguousarray(W.T), b, c,
                        vel_W, vel_b, vel_c, chains, persistent, k, chain_step, 0, 1.0, momentum, weight_decay,
                        centered, mu, lam, 0.1, k0, k1)
    return np.concatenate([(W - rbm.W).ravel(), b - rbm.b, c - rbm.c]), (W, b, c)


def _data(n_repeats):
    patterns = np.random.default_rng(9).integers(0, 2, size=(40, NV)).astype(np.uint8)
    return np.ascontiguousarray(np.repeat(patterns, n_repeats, axis=0))


def _assert_within_5_se(estimate, expected, variance, n):
    z = (estimate - expected) / np.sqrt(variance / n)
    assert np.abs(z).max() < 5.0, z


def test_pcd_update_is_unbiased_for_the_exact_gradient():
    """PCD chains started from the bias-only distribution and run 30 steps are at equilibrium to 1e-9."""
    rbm = _rbm()
    data = _data(5)
    n_chains, burn_in = 100_000, 30
    k0, k1 = split_seed(SEED)
    v0 = rbm_cpu.initial_visible(rbm.b, n_chains, 0, k0, k1)
    h = np.empty((n_chains, NH), dtype=np.uint8)
    rbm_cpu.start_chains(rbm.W, rbm.b, rbm.c, v0, h, 0, 0, k0, k1)
    v = np.empty_like(v0)
    rbm_cpu.block_gibbs(rbm.W, np.ascontiguousarray(rbm.W.T), rbm.b, rbm.c, h, v, 1, burn_in, 0, k0, k1)
    grad_exact, p_model = _exact_gradient(rbm, data)
    V = _states(NV)
    q = np.prod(np.where(V, 1 / (1 + np.exp(-rbm.b)), 1 / (1 + np.exp(rbm.b))), axis=1)
    dist = q @ np.linalg.matrix_power(_kernel(rbm), burn_in + 1)     # v used by the update
    assert np.abs(dist - p_model).max() < 1e-9
    update, _ = _run_epoch(rbm, data, h, True, 1, burn_in + 1)
    s = _statistics(rbm)
    variance = dist @ s**2 - (dist @ s) ** 2
    _assert_within_5_se(update, grad_exact, variance, n_chains)


def test_cd_k_update_matches_its_exact_expectation_and_the_gradient_for_large_k():
    """CD-k: one fresh chain per example; exact expectation by k powers of the Gibbs kernel.

    For k = 1 the expectation differs from the log-likelihood gradient (CD's bias)
    and the estimate must match the CD expectation; for k = 25 the chains mix
    (the kernel power is within 1e-9 of the model distribution) and the estimate
    must match the exact gradient.
    """
    rbm = _rbm()
    data = _data(2500)
    grad_exact, p_model = _exact_gradient(rbm, data)
    s = _statistics(rbm)
    idx = data.astype(int) @ (1 << np.arange(NV - 1, -1, -1))
    empty = np.zeros((0, NH), dtype=np.uint8)
    for k in (1, 25):
        Kk = np.linalg.matrix_power(_kernel(rbm), k)[idx]              # distribution of v_k per example
        expected = s[idx].mean(axis=0) - (Kk @ s).mean(axis=0)
        variance = ((Kk @ s**2) - (Kk @ s) ** 2).mean(axis=0)           # mean conditional variance per chain
        update, _ = _run_epoch(rbm, data, empty, False, k, 1)
        _assert_within_5_se(update, expected, variance, len(data))
        if k == 1:
            assert np.abs(expected - grad_exact).max() > 10 * np.sqrt(variance.max() / len(data))
        else:
            assert np.abs(Kk - p_model).max() < 1e-9
            _assert_within_5_se(update, grad_exact, variance, len(data))


def test_centering_momentum_and_weight_decay_transform_the_same_sample_gradient():
    """Same seed, same chains: the centred and the plain update are related by the offsets' algebra."""
    rbm = _rbm()
    data = _data(3)
    chains = np.zeros((7, NH), dtype=np.uint8)
    lam = np.array([0.2, 0.5, 0.7])
    plain, _ = _run_epoch(rbm, data, chains.copy(), True, 2, 1)
    gW, gb, gc = plain[: NV * NH].reshape(NV, NH), plain[NV * NH : NV * NH + NV], plain[NV * NH + NV :]
    mu = data.mean(axis=0)
    centred, _ = _run_epoch(rbm, data, chains.copy(), True, 2, 1, centered=True, lam=lam)
    gW_c = gW - np.outer(mu, gc) - np.outer(gb, lam)
    expected = np.concatenate([gW_c.ravel(), gb - gW_c @ lam, gc - gW_c.T @ mu])
    np.testing.assert_allclose(centred, expected, atol=1e-12)

    rng = np.random.default_rng(0)
    vel = (rng.normal(size=(NV, NH)), rng.normal(size=NV), rng.normal(size=NH))
    moved, _ = _run_epoch(rbm, data, chains.copy(), True, 2, 1, momentum=0.9, weight_decay=0.01,
                          vel=tuple(x.copy() for x in vel))
    decay = np.concatenate([-0.01 * rbm.W.ravel(), np.zeros(NV + NH)])
    expected = 0.9 * np.concatenate([x.ravel() for x in vel]) + plain + decay
    np.testing.assert_allclose(moved, expected, atol=1e-12)
