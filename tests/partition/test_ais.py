"""AIS and reverse AIS against exact log Z (Kaufman, enumeration); error bars, schedules, bad input.

Tolerances: an AIS estimate must lie within 5 of its own standard errors of the
exact value (fixed seeds).  The delta-method standard error is reliable when the
ESS is high, which every run here checks or reports through ``AISWarning``.
"""

import warnings

import numpy as np
import pytest

from ebmphys.models.ising import LatticeIsing
from ebmphys.models.rbm import RBM
from ebmphys.partition import BETA_C, ising2d_log_z, log_z_exact
from ebmphys.partition.ais import AISWarning, adaptive_schedule, ais, reverse_ais, weight_statistics
from ebmphys.partition.rbm_exact import rbm_log_z_exact
from ebmphys.partition.schedules import check_schedule, geometric, linear, sigmoid
from ebmphys.sampling import registry
from ebmphys.testing import SMALL_SYSTEMS

Z_TOL = 5.0


def _within(estimate, exact):
    assert abs(estimate.log_z - exact) < Z_TOL * estimate.stderr, (estimate.log_z, exact, estimate.stderr)


@pytest.mark.parametrize("L", [4, 6])
@pytest.mark.parametrize("beta", [0.2, 0.4407, 1.0])
def test_lattice_ais_matches_kaufman(L, beta):
    result = ais(LatticeIsing((L, L)), beta, n_chains=200, n_steps=2000, seed=11)
    _within(result, ising2d_log_z(L, L, beta))
    assert result.ess > 0.5 * result.n_chains
    assert result.bound == "lower" and result.n_steps == 2000


def test_stderr_shrinks_with_chains():
    # se ~ 1/sqrt(n_chains): 16x the chains should give ~1/4 the error bar; the
    # estimated se of 50 chains scatters by ~10-20%, so a factor 2 is a safe check
    model = LatticeIsing((6, 6))
    small = ais(model, BETA_C, n_chains=50, n_steps=300, seed=3)
    large = ais(model, BETA_C, n_chains=800, n_steps=300, seed=3)
    assert large.stderr < small.stderr / 2
    _within(large, ising2d_log_z(6, 6, BETA_C))


def test_same_seed_same_weights_and_chain_independence_of_batch():
    model = LatticeIsing((4, 4))
    a = ais(model, 0.5, n_chains=20, n_steps=50, seed=5)
    b = ais(model, 0.5, n_chains=20, n_steps=50, seed=5)
    c = ais(model, 0.5, n_chains=10, n_steps=50, seed=5)
    d = ais(model, 0.5, n_chains=20, n_steps=50, seed=6)
    np.testing.assert_array_equal(a.log_weights, b.log_weights)
    np.testing.assert_array_equal(a.log_weights[:10], c.log_weights)  # chain m's stream depends on m only
    assert not np.array_equal(a.log_weights, d.log_weights)


@pytest.mark.parametrize("name", ["frustrated_graph10", "cubic2x2x4_open", "antiferro4x4_field", "square3x4_open_field"])
def test_ais_small_systems_match_enumeration(name):
    model, betas = SMALL_SYSTEMS[name]
    for beta in betas:
        for algorithm in ("heatbath", "metropolis"):
            result = ais(model, beta, n_chains=200, n_steps=1000, seed=2, algorithm=algorithm)
            _within(result, log_z_exact(model, beta))


def test_reverse_ais_sandwiches_ising():
    model = LatticeIsing((4, 4))
    exact = ising2d_log_z(4, 4, BETA_C)
    fwd = ais(model, BETA_C, n_chains=200, n_steps=500, seed=9)
    rev = reverse_ais(model, BETA_C, n_chains=200, n_steps=500, seed=9)
    assert rev.bound == "upper"
    _within(fwd, exact)
    _within(rev, exact)
    assert fwd.log_z - Z_TOL * fwd.stderr < exact < rev.log_z + Z_TOL * rev.stderr


def _hard_rbm(n_visible, n_hidden, scale, seed):
    rng = np.random.default_rng(seed)
    return RBM(n_visible, n_hidden, W=rng.normal(0.0, scale, (n_visible, n_hidden)),
               b=rng.normal(0.0, 1.0, n_visible), c=rng.normal(0.0, 1.0, n_hidden))


@pytest.mark.parametrize("shape, scale", [((24, 12), 3.0), ((20, 16), 2.0)])
def test_forward_and_reverse_ais_sandwich_random_rbm(shape, scale):
    # weights of standard deviation 2-3 (against unit biases) make p(v) multimodal with
    # near-deterministic units; with 1000 steps the log-weights still spread by ~0.4 nats
    rbm = _hard_rbm(*shape, scale, seed=sum(shape))
    exact = rbm_log_z_exact(rbm)
    fwd = ais(rbm, n_chains=200, n_steps=1000, seed=1)
    rev = reverse_ais(rbm, n_chains=200, n_steps=1000, seed=1)
    _within(fwd, exact)
    _within(rev, exact)
    assert fwd.log_z - Z_TOL * fwd.stderr < exact < rev.log_z + Z_TOL * rev.stderr


def test_rbm_base_rate_from_data_and_beta():
    rbm = _hard_rbm(16, 10, 1.0, seed=4)
    exact = rbm_log_z_exact(rbm)
    data = (np.random.default_rng(0).random((200, 16)) < 0.3).astype(np.uint8)
    data_base = ais(rbm, n_chains=100, n_steps=800, seed=2, data=data)
    marginals = np.clip(data.mean(axis=0), 1e-3, 1 - 1e-3)
    assert data_base.log_z_base == pytest.approx(-np.log1p(-marginals).sum() + 10 * np.log(2.0))
    _within(data_base, exact)
    _within(reverse_ais(rbm, n_chains=100, n_steps=800, seed=3, data=data, base="data"), exact)
    # inverse temperature 0.5: Z(beta) of exp(-beta E) is the RBM with halved parameters
    half = RBM(16, 10, W=0.5 * rbm.W, b=0.5 * rbm.b, c=0.5 * rbm.c)
    _within(ais(rbm, 0.5, n_chains=100, n_steps=500, seed=2, data=data), rbm_log_z_exact(half))


def test_reverse_rbm_from_data_initialised_chains():
    # min(n_visible, n_hidden) > 20 rules out exact samples: start from data rows plus burn-in;
    # compare with a long forward run (no exact value for this size)
    rbm = _hard_rbm(24, 22, 0.3, seed=8)
    data = (np.random.default_rng(1).random((50, 24)) < 0.5).astype(np.uint8)
    rev = reverse_ais(rbm, n_chains=100, n_steps=500, seed=4, data=data, burn_in=200)
    fwd = ais(rbm, n_chains=100, n_steps=500, seed=4, data=data)
    assert abs(rev.log_z - fwd.log_z) < Z_TOL * np.hypot(rev.stderr, fwd.stderr)


@pytest.mark.parametrize("builder", [linear, geometric, sigmoid])
def test_named_schedules(builder):
    s = builder(0.7, 50)
    assert s.shape == (51,) and s[0] == 0.0 and s[-1] == 0.7 and np.all(np.diff(s) > 0)
    np.testing.assert_array_equal(check_schedule(s, 0.7), s)


def test_adaptive_schedule_is_dense_where_energy_fluctuates_and_agrees():
    model = LatticeIsing((6, 6))
    s = adaptive_schedule(model, 1.0, n_steps=400, seed=1)
    assert s.shape == (401,) and s[0] == 0 and s[-1] == 1.0 and np.all(np.diff(s) > 0)
    steps = np.diff(s)
    # Var(E) peaks near beta_c and vanishes deep in the ordered phase: steps are smallest near beta_c
    assert steps[np.searchsorted(s, BETA_C)] < steps[-1]
    _within(ais(model, 1.0, n_chains=200, n_steps=400, schedule="adaptive", seed=1), ising2d_log_z(6, 6, 1.0))
    by_target = adaptive_schedule(model, 1.0, target_cess=0.99, seed=1)
    assert by_target[-1] == 1.0 and by_target.shape[0] > 10


def test_weight_statistics():
    log_mean, se, ess = weight_statistics(np.full(10, -3.0))
    assert log_mean == pytest.approx(-3.0) and se == 0.0 and ess == pytest.approx(10.0)
    lw = np.log([1.0, 2.0, 3.0, 6.0]) + 1000.0  # would overflow exp without scaling
    log_mean, se, ess = weight_statistics(lw)
    w = np.array([1.0, 2.0, 3.0, 6.0])
    assert log_mean == pytest.approx(1000.0 + np.log(w.mean()))
    assert se == pytest.approx(w.std(ddof=1) / (2.0 * w.mean()))
    assert ess == pytest.approx(w.sum() ** 2 / (w * w).sum())


def test_low_ess_warns():
    with pytest.warns(AISWarning, match="effective sample size"):
        ais(LatticeIsing((6, 6)), 1.0, n_chains=100, n_steps=2, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AISWarning)
        ais(LatticeIsing((4, 4)), 0.1, n_chains=100, n_steps=100, seed=0)


def test_bad_input(monkeypatch):
    # device="cuda" takes the no-GPU path on every machine: the CUDA probe reports no device
    monkeypatch.setattr(registry, "_cuda_status", registry.CudaStatus("device", "forced by the test"))
    model = LatticeIsing((4, 4))
    with pytest.raises(ValueError, match="n_chains"):
        ais(model, 0.5, n_chains=0)
    with pytest.raises(ValueError, match="n_chains"):
        reverse_ais(model, 0.5, n_chains=1)
    with pytest.raises(ValueError, match="strictly increasing"):
        ais(model, 0.5, schedule=[0.0, 0.3, 0.2, 0.5])
    with pytest.raises(ValueError, match="end at the target"):
        ais(model, 0.5, schedule=[0.0, 0.2, 0.4])
    with pytest.raises(ValueError, match="start at beta = 0"):
        ais(model, 0.5, schedule=[0.1, 0.5])
    with pytest.raises(ValueError, match="finite"):
        ais(model, 0.5, schedule=[0.0, np.nan, 0.5])
    with pytest.raises(ValueError, match="schedule must be one of"):
        ais(model, 0.5, schedule="cosine")
    with pytest.raises(ValueError, match="beta"):
        ais(model, 0.0)
    with pytest.raises(ValueError, match="n_steps"):
        ais(model, 0.5, n_steps=0)
    with pytest.raises(ValueError, match="non-finite"):
        weight_statistics([0.0, np.inf, 1.0])
    with pytest.raises(ValueError, match="non-finite"):
        weight_statistics([0.0, np.nan])
    with pytest.raises(ValueError, match="device"):
        ais(model, 0.5, device="cuda")
    with pytest.raises(ValueError, match="algorithm"):
        ais(model, 0.5, algorithm="wolff")
    with pytest.raises(TypeError, match="model"):
        ais(np.zeros((4, 4)), 0.5)
    with pytest.raises(ValueError, match="RBMs only"):
        ais(model, 0.5, base="uniform")
    with pytest.raises(ValueError, match="even side"):
        ais(LatticeIsing((3, 4)), 0.5)
    with pytest.raises(ValueError, match="initial_states"):
        reverse_ais(LatticeIsing((6, 6)), 0.5, n_chains=4, n_steps=3)
    with pytest.raises(ValueError, match="rows"):
        reverse_ais(model, 0.5, n_chains=4, initial_states=np.ones((3, 16), np.int8))
    with pytest.raises(ValueError, match="exactly one"):
        adaptive_schedule(model, 0.5)
    rbm = RBM(6, 3)
    with pytest.raises(ValueError, match="needs the training data"):
        ais(rbm, base="data")
    with pytest.raises(ValueError, match="base must be"):
        ais(rbm, base="marginal")
    with pytest.raises(ValueError, match="data"):
        ais(rbm, data=np.full((4, 6), 2))


def test_rbm_trainer_hook_stores_the_ais_estimate():
    from ebmphys.datasets import load_binary_digits
    from ebmphys.training import RBMTrainer

    X = load_binary_digits()[:300]
    trainer = RBMTrainer(22, n_iter=1, random_state=0).fit(X)  # min(64, 22) > 20: no exact log Z
    result = trainer.estimate_log_z(X, n_chains=50, n_steps=300, seed=1)
    assert trainer.log_z() == (result.log_z, "ais")
    np.testing.assert_allclose(trainer.score_samples(X[:5]), -trainer.rbm_.free_energy(X[:5]) - result.log_z)


def test_impossible_chain_counts_are_refused_before_allocating():
    from ebmphys.exceptions import ResourceError

    with pytest.raises(ResourceError, match=r"ais: 1000000000000 chains x 16 variables \(n_chains, the model size\) "
                                            r"needs about"):
        ais(LatticeIsing((4, 4)), 0.4, n_chains=10**12)
