"""Potts-Bernoulli RBM: conditionals, free energy and log Z against enumeration; Gibbs kernels against their twins
and the exact joint distribution."""

import itertools

import numpy as np
import pytest
from scipy.special import logsumexp

from ebmphys.kernels import potts_rbm_cpu
from ebmphys.kernels.rng import INIT_RBM_VISIBLE, split_seed
from ebmphys.models import PottsBernoulliRBM
from ebmphys.partition.potts_exact import enumerate_potts_states, potts_rbm_log_z_exact
from ebmphys.sampling import Chains
from ebmphys.testing import chi_square_fit

from tests.reference import potts_reference as ref

SEED = 2**40 + 7


def _rbm(nv=4, q=3, nh=3, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return PottsBernoulliRBM(nv, q, nh, W=scale * rng.normal(size=(nv, q, nh)), b=0.5 * rng.normal(size=(nv, q)),
                             c=0.5 * rng.normal(size=nh))


def _joint(rbm):
    """All (v, h) pairs and -E(v, h) on them."""
    V = enumerate_potts_states(rbm.n_visible, rbm.q)
    H = np.array(list(itertools.product([0, 1], repeat=rbm.n_hidden)), dtype=np.uint8)
    vv, hh = np.repeat(V, len(H), axis=0), np.tile(H, (len(V), 1))
    return V, H, -rbm.energy(vv, hh).reshape(len(V), len(H))


def test_free_energy_conditionals_and_log_z_match_enumeration():
    rbm = _rbm()
    V, H, log_w = _joint(rbm)
    np.testing.assert_allclose(-rbm.free_energy(V), logsumexp(log_w, axis=1), rtol=1e-12)
    log_z = logsumexp(log_w)
    assert potts_rbm_log_z_exact(rbm) == pytest.approx(log_z, rel=1e-12)
    wide = _rbm(nv=2, q=4, nh=9)  # q**n_visible = 16 < 2**9: the sum over visible states
    assert potts_rbm_log_z_exact(wide) == pytest.approx(logsumexp(_joint(wide)[2]), rel=1e-12)
    p_joint = np.exp(log_w - log_z)
    # p(h_j = 1 | v) and p(v_i = a | h) from the joint
    p_h = (p_joint[:, :, None] * H[None]).sum(axis=1) / p_joint.sum(axis=1)[:, None]
    np.testing.assert_allclose(rbm.hidden_probabilities(V), p_h, rtol=1e-10)
    onehot = (V[:, :, None] == np.arange(rbm.q)).astype(float)
    p_v = np.einsum("vh,via->hia", p_joint, onehot) / p_joint.sum(axis=0)[:, None, None]
    np.testing.assert_allclose(rbm.visible_probabilities(H), p_v, rtol=1e-10)


def test_block_gibbs_reproduces_the_exact_joint_distribution():
    """Chi-square of (v_T, h_T) over all 3**4 * 2**3 = 648 joint states; independent chains, failure at 1e-4."""
    rbm = _rbm()
    V, H, log_w = _joint(rbm)
    chains = Chains(rbm, algorithm="gibbs", beta=1.0, n_chains=60000, seed=11)
    chains.run(30)
    v, h = chains.states, chains.latent_states
    cell = (v.astype(np.int64) @ (3 ** np.arange(3, -1, -1))) * 8 + h.astype(np.int64) @ (1 << np.arange(2, -1, -1))
    fit = chi_square_fit(np.bincount(cell, minlength=648), np.exp(log_w - logsumexp(log_w)).ravel())
    assert fit.p_value > 1e-4, fit


def test_gibbs_kernels_match_their_twin():
    rbm = _rbm(nv=6, q=4, nh=5, seed=2)
    k0, k1 = split_seed(SEED)
    v0 = potts_rbm_cpu.independent_visible(rbm.b, 3, k0, k1, 9, INIT_RBM_VISIBLE)
    expected_v0 = np.array([ref._draw_visible(rbm, [0] * rbm.n_hidden, 0, 9 + m, INIT_RBM_VISIBLE, SEED)
                            for m in range(3)])
    np.testing.assert_array_equal(v0, expected_v0)
    v, h = v0.copy(), np.empty((3, rbm.n_hidden), np.uint8)
    potts_rbm_cpu.start_chains(rbm.W, rbm.c, v, h, 4, 9, k0, k1)
    potts_rbm_cpu.block_gibbs(rbm.W, np.ascontiguousarray(rbm.W.transpose(2, 0, 1)), rbm.b, rbm.c, h, v, 5, 6, 9,
                              k0, k1)
    for m in range(3):
        rv, rh = ref.potts_rbm_gibbs(rbm, list(v0[m]), 5, 6, SEED, 9 + m)
        np.testing.assert_array_equal(v[m], rv)
        np.testing.assert_array_equal(h[m], rh)


def test_anneal_kernel_matches_its_twin():
    rbm = _rbm(nv=5, q=3, nh=4, seed=3)
    k0, k1 = split_seed(SEED)
    a = np.random.default_rng(1).normal(size=(5, 3))
    betas = np.linspace(0.0, 1.0, 9)
    base_weights = 1.0 - betas
    v = potts_rbm_cpu.independent_visible(a, 4, k0, k1, 2, INIT_RBM_VISIBLE)
    start = v.copy()
    log_w = np.zeros(4)
    potts_rbm_cpu.anneal(rbm.W, np.ascontiguousarray(rbm.W.transpose(2, 0, 1)), rbm.b, rbm.c, a, betas, base_weights,
                         v, log_w, 100, k0, k1, 2)
    for m in range(4):
        lw, rv = ref.potts_rbm_anneal(rbm, a, betas, base_weights, list(start[m]), 100, SEED, 2 + m)
        assert log_w[m] == lw
        np.testing.assert_array_equal(v[m], rv)


def test_bad_input():
    with pytest.raises(ValueError, match="q must be an integer >= 2"):
        PottsBernoulliRBM(3, 1, 2)
    with pytest.raises(ValueError, match=r"W must have shape \(3, 2, 2\)"):
        PottsBernoulliRBM(3, 2, 2, W=np.zeros((3, 2)))
    rbm = _rbm()
    with pytest.raises(ValueError, match=r"0..2, found 3"):
        rbm.free_energy([[0, 1, 2, 3]])
    with pytest.raises(ValueError, match="n_samples, 4"):
        rbm.free_energy(np.zeros((2, 3, 1), np.uint8))
    with pytest.raises(ValueError, match="binary"):
        rbm.energy([[0, 1, 2, 0]], [[0, 2, 1]])
