"""Block-Gibbs kernels for binary RBMs: exact stationary distribution, counter-RNG layout, reproducibility."""

import itertools

import numba
import numpy as np
import pytest
from scipy import stats
from scipy.special import expit

from ebmphys.kernels import rbm_cpu
from ebmphys.kernels.rng import STREAM_INIT, STREAM_RBM, philox4x32, split_seed, to_unit
from ebmphys.models.rbm import RBM
from ebmphys.training.sampling import sample_rbm


def _states(n):
    return np.array(list(itertools.product([0, 1], repeat=n)), dtype=np.uint8)


def _small_rbm(n_visible=4, n_hidden=3, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return RBM(n_visible, n_hidden, W=scale * rng.normal(size=(n_visible, n_hidden)),
               b=0.5 * rng.normal(size=n_visible), c=0.5 * rng.normal(size=n_hidden))


def _visible_kernel(rbm):
    """Exact one-step kernel K[v, v'] = sum_h p(h | v) p(v' | h) on all visible states."""
    V, H = _states(rbm.n_visible), _states(rbm.n_hidden)
    ph = rbm.hidden_probabilities(V)                                   # (nV, nh)
    p_h_given_v = np.prod(np.where(H[None, :, :], ph[:, None, :], 1 - ph[:, None, :]), axis=2)
    pv = rbm.visible_probabilities(H)                                  # (nH, nv)
    p_v_given_h = np.prod(np.where(V[None, :, :], pv[:, None, :], 1 - pv[:, None, :]), axis=2)
    return p_h_given_v, p_v_given_h


def test_block_gibbs_reproduces_exact_joint_distribution():
    """Chi-square of (v_T, h_T) over all 2**7 = 128 joint states of a 4x3 RBM.

    The chains are independent (distinct chain indices of the counter RNG), so the
    counts are multinomial and no autocorrelation enters: the statistic follows
    chi2 with 127 degrees of freedom, and the test fails at the 1e-6 upper tail.
    The expected counts use the exact distribution after T steps from the
    bias-only start, which is checked to equal the Boltzmann joint to 1e-12.
    """
    rbm = _small_rbm()
    n_chains, n_steps = 200_000, 40
    V, H = _states(4), _states(3)
    log_w = -np.array([[rbm.energy(v, h)[0] for h in H] for v in V])
    joint = np.exp(log_w - log_w.max())
    joint /= joint.sum()
    p_h_given_v, p_v_given_h = _visible_kernel(rbm)
    q = np.prod(np.where(V, expit(rbm.b), 1 - expit(rbm.b)), axis=1)   # start v_0 ~ bias-only
    dist_v = q.copy()
    for _ in range(n_steps):
        dist_v = dist_v @ p_h_given_v @ p_v_given_h
    expected = dist_v[:, None] * p_h_given_v                           # (v_T, h_T)
    assert np.abs(expected - joint).max() < 1e-12
    v, h = sample_rbm(rbm, n_chains, n_steps, seed=2024, return_hidden=True)
    cell = (v.astype(int) @ (1 << np.arange(3, -1, -1))) * 8 + h.astype(int) @ (1 << np.arange(2, -1, -1))
    counts = np.bincount(cell, minlength=128)
    e = n_chains * expected.ravel()
    assert e.min() > 5, "every cell needs an expected count above 5 for the chi-square law"
    chi2 = ((counts - e) ** 2 / e).sum()
    assert chi2 < stats.chi2.isf(1e-6, 127), chi2


def test_kernels_follow_the_documented_counter_layout():
    """Recompute step 0 and two Gibbs steps of three chains with the scalar Philox, unit by unit."""
    rbm = _small_rbm(6, 5, seed=3)
    seed = 987654321
    k0, k1 = split_seed(seed)

    def draw(prob, step, chain, stream):
        out = np.empty(len(prob), dtype=np.uint8)
        for u, p in enumerate(prob):
            word = philox4x32(u // 4, step, chain, stream, k0, k1)[u % 4]
            out[u] = 1 if to_unit(word) < p else 0
        return out

    v_ref, h_ref = [], []
    for chain in range(3):
        v = draw(expit(rbm.b), 0, chain, 1 + 256 * STREAM_INIT)
        h = draw(rbm.hidden_probabilities(v)[0], 0, chain, 0 + 256 * STREAM_RBM)
        for step in (1, 2):
            v = draw(rbm.visible_probabilities(h)[0], step, chain, 1 + 256 * STREAM_RBM)
            h = draw(rbm.hidden_probabilities(v)[0], step, chain, 0 + 256 * STREAM_RBM)
        v_ref.append(v)
        h_ref.append(h)
    v, h = sample_rbm(rbm, 3, 2, seed=seed, return_hidden=True)
    np.testing.assert_array_equal(v, np.array(v_ref))
    np.testing.assert_array_equal(h, np.array(h_ref))


def test_chains_do_not_depend_on_batch_size_or_threads():
    rbm = _small_rbm(20, 12, scale=0.3, seed=5)
    a = sample_rbm(rbm, 64, 7, seed=11)
    b = sample_rbm(rbm, 16, 7, seed=11)
    np.testing.assert_array_equal(a[:16], b)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        c = sample_rbm(rbm, 64, 7, seed=11)
    finally:
        numba.set_num_threads(threads)
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, sample_rbm(rbm, 64, 7, seed=12))


def test_sample_rbm_rejects_bad_arguments():
    rbm = _small_rbm()
    with pytest.raises(ValueError, match="n_samples"):
        sample_rbm(rbm, 0)
    with pytest.raises(ValueError, match="n_steps"):
        sample_rbm(rbm, 5, 0)
    with pytest.raises(ValueError, match="initial"):
        sample_rbm(rbm, 5, 1, initial_states=np.zeros((4, 4)))
    with pytest.raises(ValueError, match="binary"):
        sample_rbm(rbm, 1, 1, initial_states=np.full((1, 4), 2))


def test_transpose_into_matches_numpy():
    W = np.random.default_rng(1).normal(size=(37, 19))
    WT = np.empty((19, 37))
    rbm_cpu.transpose_into(W, WT)
    np.testing.assert_array_equal(WT, W.T)


def test_layer_probabilities_match_the_logistic_function():
    """Documented accuracy: 4e-16 relative for x > -36, 5e-18 absolute below; exact 0/1 limits never overflow."""
    x = np.concatenate([np.linspace(-800.0, 800.0, 400_001), [0.0, -36.0, 36.0, np.finfo(float).max, -np.finfo(float).max]])
    out = np.empty_like(x)
    rbm_cpu.layer_probabilities(x, out)
    exact = expit(x)
    big = x > -36.0
    assert np.max(np.abs(out[big] - exact[big]) / exact[big]) < 4e-16
    assert np.max(np.abs(out[~big] - exact[~big])) < 5e-18
    assert out[-2] == 1.0 and 0.0 <= out[-1] < 5e-18


def test_float32_layer_probabilities_match_the_logistic_function():
    """The float32 option's logistic: relative error below 3e-7 for x > -36, 5e-18 absolute below; no overflow."""
    x = np.concatenate([np.linspace(-100.0, 100.0, 400_001), [0.0, -36.0, 36.0, 3e38, -3e38]]).astype(np.float32)
    out = np.empty_like(x)
    rbm_cpu.layer_probabilities(x, out)
    assert out.dtype == np.float32
    exact = expit(x.astype(np.float64))
    big = x > -36.0
    assert np.max(np.abs(out[big] - exact[big]) / exact[big]) < 3e-7
    assert np.max(np.abs(out[~big] - exact[~big])) < 5e-18
    assert out[-2] == 1.0 and 0.0 <= out[-1] < 5e-18
