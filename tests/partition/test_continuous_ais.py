"""AIS, reverse AIS and thermodynamic integration for continuous models against exact log Z.

Tolerance: 4 reported standard errors (AIS: the delta-method error of the
weights; TI: the statistical error plus the Richardson quadrature error), fixed seeds.
"""

import warnings

import numpy as np
import pytest

from ebmphys.models import (
    DoubleWell,
    Gaussian,
    GaussianBernoulliRBM,
    GaussianMixture,
    LatticeIsing,
    MLPEnergy,
    Phi4Lattice,
)
from ebmphys.partition import ais, reverse_ais, thermodynamic_integration
from ebmphys.partition.ais import AISWarning
from ebmphys.partition.continuous_exact import continuous_log_z

_A = np.random.default_rng(7).normal(size=(5, 5))
GAUSSIAN5 = Gaussian([1.0, -1.0, 0.5, 0.0, 2.0], _A @ _A.T / 5 + 0.3 * np.eye(5))


def _mixture(d):
    means = np.zeros((2, d))
    means[:, 0] = (-2.5, 2.5)
    return GaussianMixture([0.5, 1.5], means, [0.5 * np.eye(d), np.eye(d)])


def _within(result, exact, n_sigma=4.0):
    assert abs(result.log_z - exact) < n_sigma * result.stderr, (result.direction, result.log_z, exact,
                                                                 result.stderr, result.ess)


@pytest.mark.parametrize("algorithm", ["hmc", "mala"])
def test_gaussian(algorithm):
    exact = continuous_log_z(GAUSSIAN5, 1.5)
    for run in (ais, reverse_ais):
        result = run(GAUSSIAN5, 1.5, n_chains=200, n_steps=200, seed=1, algorithm=algorithm)
        _within(result, exact)
        assert result.ess > 100 and result.seconds > 0


@pytest.mark.parametrize("d", [2, 10])
def test_two_mode_mixture(d):
    model = _mixture(d)
    base = Gaussian(np.zeros(d), np.r_[9.0, np.ones(d - 1)])
    for run in (ais, reverse_ais):
        _within(run(model, 1.0, n_chains=200, n_steps=300, seed=3, base=base), np.log(2.0))


def test_gaussian_bernoulli_rbm():
    rng = np.random.default_rng(2)
    model = GaussianBernoulliRBM(4, 6, sigma=[0.8, 1.0, 1.2, 1.0], W=rng.normal(scale=0.5, size=(4, 6)),
                                 b=rng.normal(size=4), c=rng.normal(size=6))
    exact = continuous_log_z(model)
    base = Gaussian(model.b, 2.0)
    for run in (ais, reverse_ais):
        _within(run(model, 1.0, n_chains=200, n_steps=300, seed=3, base=base), exact)


def test_reverse_lies_above_forward_on_a_hard_mixture():
    """Far-apart unequal modes and 20 steps: forward AIS underestimates, reverse AIS overestimates log Z = 0."""
    d = 5
    means = np.zeros((2, d))
    means[:, 0] = (-6.0, 6.0)
    model = GaussianMixture([0.2, 0.8], means, [0.3 * np.eye(d), np.eye(d)])
    base = Gaussian(np.zeros(d), 16.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AISWarning)
        forward = ais(model, 1.0, n_chains=100, n_steps=20, seed=0, base=base)
        backward = reverse_ais(model, 1.0, n_chains=100, n_steps=20, seed=0, base=base)
    assert forward.log_z < 0.0 < backward.log_z
    assert forward.bound == "lower" and backward.bound == "upper"


def test_free_phi4_field_log_z():
    """Base: the kappa = 0 free field N(0, 1/2); target kappa = 0.2 on a 4x4 torus (lattice Fourier sum)."""
    model = Phi4Lattice((4, 4), kappa=0.2, lam=0.0)
    result = ais(model, 1.0, n_chains=200, n_steps=400, seed=1, base=Gaussian(np.zeros(16), 0.5))
    _within(result, continuous_log_z(model))


@pytest.mark.parametrize("model", [GAUSSIAN5, DoubleWell(2, barrier=1.0, tilt=0.3)], ids=["gaussian", "double-well"])
def test_thermodynamic_integration(model):
    result = thermodynamic_integration(model, 1.0, n_betas=17, n_sweeps=500, burn_in=100, n_chains=8, seed=1)
    exact = continuous_log_z(model)
    assert abs(result.log_z - exact) < 4 * (result.stderr + result.quadrature_error), (result.log_z, exact)


def test_same_seed_same_bits_and_explicit_step_size():
    a = ais(GAUSSIAN5, 1.0, n_chains=50, n_steps=50, seed=9, step_size=0.2, n_leapfrog=3)
    b = ais(GAUSSIAN5, 1.0, n_chains=50, n_steps=50, seed=9, step_size=0.2, n_leapfrog=3)
    np.testing.assert_array_equal(a.log_weights, b.log_weights)
    c = ais(GAUSSIAN5, 1.0, n_chains=50, n_steps=50, seed=10, step_size=0.2, n_leapfrog=3)
    assert not np.array_equal(a.log_weights, c.log_weights)


def test_bad_input():
    with pytest.raises(ValueError, match=r"algorithm must be one of \('hmc', 'mala', 'rwmh'\)"):
        ais(GAUSSIAN5, algorithm="langevin")
    with pytest.raises(ValueError, match="base must be a continuous model of dimension 5"):
        ais(GAUSSIAN5, base=Gaussian([0.0, 0.0]))
    with pytest.raises(ValueError, match="data applies to binary RBMs only"):
        ais(GAUSSIAN5, data=np.zeros((3, 5)))
    with pytest.raises(TypeError, match="sampler options apply to continuous models only"):
        ais(LatticeIsing((4, 4)), 0.3, step_size=0.1)
    with pytest.raises(ValueError, match="adapt_step_size is not an annealing option"):
        ais(GAUSSIAN5, adapt_step_size=True)
    with pytest.raises(ValueError, match="reverse AIS needs samples of the target.*pass initial_states"):
        reverse_ais(MLPEnergy([2, 4, 1], quadratic=1.0), n_chains=4, n_steps=5, step_size=0.1)
    with pytest.raises(ValueError, match="step_size must be finite and > 0"):
        ais(GAUSSIAN5, step_size=-1.0)
    with pytest.raises(ValueError, match="beta must be finite and > 0"):
        ais(GAUSSIAN5, beta=0.0)
