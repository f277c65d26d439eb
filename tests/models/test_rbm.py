"""Binary RBM energy function and its exact partition function, against brute-force enumeration."""

import itertools

import numpy as np
import pytest
from scipy.special import logsumexp

from ebmphys.models import RBM
from ebmphys.partition.rbm_exact import MAX_EXACT_RBM_UNITS, rbm_log_prob_exact, rbm_log_z_exact


def _states(n):
    return np.array(list(itertools.product([0, 1], repeat=n)), dtype=np.uint8)


def _random_rbm(nv, nh, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return RBM(nv, nh, W=scale * rng.normal(size=(nv, nh)), b=rng.normal(size=nv), c=rng.normal(size=nh))


def _brute_log_joint(rbm):
    V, H = _states(rbm.n_visible), _states(rbm.n_hidden)
    return np.array([[-rbm.energy(v, h)[0] for h in H] for v in V])


def test_energy_follows_the_convention():
    rbm = _random_rbm(3, 2)
    v, h = np.array([1, 0, 1]), np.array([0, 1])
    expected = -(rbm.b @ v) - (rbm.c @ h) - v @ rbm.W @ h
    assert rbm.energy(v, h)[0] == pytest.approx(expected, abs=1e-14)


def test_free_energy_sums_out_the_hidden_layer():
    rbm = _random_rbm(4, 3, seed=1)
    log_joint = _brute_log_joint(rbm)
    np.testing.assert_allclose(rbm.free_energy(_states(4)), -logsumexp(log_joint, axis=1), atol=1e-12)


def test_conditionals_are_ratios_of_the_joint():
    rbm = _random_rbm(4, 3, seed=2)
    p = np.exp(_brute_log_joint(rbm))
    H = _states(3)
    p_h_given_v = p / p.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(rbm.hidden_probabilities(_states(4)), p_h_given_v @ H, atol=1e-12)
    V = _states(4)
    p_v_given_h = (p / p.sum(axis=0, keepdims=True)).T
    np.testing.assert_allclose(rbm.visible_probabilities(H), p_v_given_h @ V, atol=1e-12)


@pytest.mark.parametrize("nv, nh", [(5, 3), (3, 5), (4, 4)])
def test_exact_log_z_matches_brute_force_over_both_layers(nv, nh):
    rbm = _random_rbm(nv, nh, seed=nv * 10 + nh)
    assert rbm_log_z_exact(rbm) == pytest.approx(logsumexp(_brute_log_joint(rbm)), abs=1e-11)
    logp = rbm_log_prob_exact(rbm, _states(nv))
    assert logsumexp(logp) == pytest.approx(0.0, abs=1e-11)


def test_exact_log_z_uses_chunks_beyond_one_block():
    """2**15 hidden states span two enumeration chunks; compare with summing over the 2**3 visible states."""
    rbm = _random_rbm(3, 15, seed=7, scale=0.3)
    V = _states(3)
    assert rbm_log_z_exact(rbm) == pytest.approx(logsumexp(-rbm.free_energy(V)), abs=1e-10)


def test_free_energy_is_stable_for_huge_inputs():
    rbm = RBM(2, 2, W=[[800.0, -800.0], [1e3, 0.0]], b=[0.0, 0.0], c=[0.0, 0.0])
    f = rbm.free_energy([[1, 1], [0, 0]])
    assert np.all(np.isfinite(f))
    assert f[0] == pytest.approx(-1800.0)
    assert np.isfinite(rbm_log_z_exact(rbm))


def test_exact_log_z_refuses_large_models():
    rbm = RBM(MAX_EXACT_RBM_UNITS + 1, MAX_EXACT_RBM_UNITS + 1)
    with pytest.raises(ValueError, match="exceeds 20"):
        rbm_log_z_exact(rbm)


def test_rbm_rejects_bad_parameters_and_states():
    with pytest.raises(ValueError, match="n_hidden"):
        RBM(3, 0)
    with pytest.raises(TypeError, match="n_visible"):
        RBM(2.5, 3)
    with pytest.raises(ValueError, match=r"W must have shape \(3, 2\)"):
        RBM(3, 2, W=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="b must be finite"):
        RBM(3, 2, b=[0.0, np.nan, 0.0])
    rbm = RBM(3, 2)
    with pytest.raises(ValueError, match="binary"):
        rbm.free_energy([[0, 2, 1]])
    with pytest.raises(ValueError, match="NaN"):
        rbm.free_energy([[0, np.nan, 1]])
    with pytest.raises(ValueError, match=r"shape \(n_samples, 3\)"):
        rbm.free_energy([[0, 1]])
    with pytest.raises(TypeError, match="numeric"):
        rbm.free_energy([["a", "b", "c"]])
    with pytest.raises(ValueError, match="same number of rows"):
        rbm.energy(np.zeros((2, 3)), np.zeros((3, 2)))
