"""Exact references of the continuous models against independent computations (quadrature, dense algebra)."""

import numpy as np
import pytest
from scipy import integrate

from ebmphys.kernels.rng import host_generator
from ebmphys.models import (
    DoubleWell,
    Gaussian,
    GaussianBernoulliRBM,
    GaussianMixture,
    MLPEnergy,
    Phi4Lattice,
)
from ebmphys.partition.continuous_exact import (
    continuous_log_z,
    exact_moments,
    exact_samples,
    grid_density,
    grid_log_z,
    phi4_free_log_z,
    phi4_free_propagator,
    quartic_moments_1d,
)

RNG = np.random.default_rng(4)


def test_gb_rbm_log_z_against_numerical_integration():
    """2 visible units: log Z by enumerating the 2^3 hidden states equals a 2-D adaptive quadrature of exp(-F)."""
    model = GaussianBernoulliRBM(2, 3, sigma=[0.7, 1.3], W=RNG.normal(size=(2, 3)), b=[0.5, -0.5], c=[0.2, -0.1, 0.3])
    value = integrate.dblquad(lambda y, x: np.exp(-model.energy(np.array([[x, y]]))[0]), -12, 12, -12, 12,
                                     epsabs=1e-11, epsrel=1e-10)[0]
    assert abs(continuous_log_z(model) - np.log(value)) < 1e-7


def test_gaussian_and_mixture_log_z_against_grids():
    g = Gaussian([1.0, -1.0], [[1.0, 0.4], [0.4, 0.5]])
    axis = np.linspace(-9, 9, 901)
    for beta in (1.0, 2.5):
        assert abs(continuous_log_z(g, beta) - grid_log_z(g, [axis, axis], beta)) < 1e-8
    m = GaussianMixture([1.0, 3.0], [[-2.0, 0.0], [2.0, 1.0]], [np.eye(2), 0.5 * np.eye(2)])
    assert abs(continuous_log_z(m) - np.log(4.0)) < 1e-12
    assert abs(grid_log_z(m, [axis, axis]) - np.log(4.0)) < 1e-8
    with pytest.raises(ValueError, match="at beta = 1 only"):
        continuous_log_z(m, 2.0)


def test_quartic_log_z_and_moments_against_a_fine_grid():
    model = DoubleWell(3, barrier=2.0, tilt=0.3)
    one = DoubleWell(1, barrier=2.0, tilt=0.3)
    x = np.linspace(-6, 6, 40001)
    density, log_z1 = grid_density(one, [x], 1.5)
    assert abs(continuous_log_z(model, 1.5) - 3 * log_z1) < 1e-8
    moments = quartic_moments_1d(model, 1.5, (1, 2, 4))
    np.testing.assert_allclose(moments, [integrate.trapezoid(x**p * density, x) for p in (1, 2, 4)], rtol=1e-8)
    mean, cov = exact_moments(model, 1.5)
    np.testing.assert_allclose(mean, moments[0])
    np.testing.assert_allclose(np.diag(cov), moments[1] - moments[0] ** 2)


@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 4), (2, 2)])
def test_free_phi4_fourier_sums_against_dense_algebra(shape):
    model = Phi4Lattice(shape, kappa=0.1, lam=0.0)
    n = model.dim
    a = np.eye(n)  # S = phi.A.phi from the action itself: A_xy = (S(e_x + e_y) - S(e_x) - S(e_y)) / 2
    unit = np.eye(n)
    s_unit = model.energy(unit)
    for x in range(n):
        a[x] = (model.energy(unit[x] + unit) - s_unit[x] - s_unit) / 2
    a = 0.5 * (a + a.T)
    dense_log_z = 0.5 * n * np.log(np.pi) - 0.5 * np.linalg.slogdet(a)[1]
    assert abs(phi4_free_log_z(model) - dense_log_z) < 1e-9
    cov = np.linalg.inv(2 * a)
    g = phi4_free_propagator(model)
    np.testing.assert_allclose(g.ravel(), cov[0], atol=1e-12)
    np.testing.assert_allclose(exact_moments(model)[1], cov, atol=1e-12)


def test_free_phi4_open_boundaries_and_range():
    model = Phi4Lattice((3, 4), kappa=0.27, lam=0.0, periodic=False)   # allowed: 1/lambda_max > 0.25 when open
    assert model.kappa_max > 0.27
    assert np.isfinite(phi4_free_log_z(model))
    with pytest.raises(ValueError, match="need the free field lam = 0"):
        phi4_free_log_z(Phi4Lattice((4, 4), kappa=0.2, lam=1.0))


@pytest.mark.parametrize("model", [
    Gaussian([1.0, -2.0, 0.5], [[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 0.7]]),
    GaussianMixture([0.3, 0.7], [[-2.0, 0.0], [1.0, 1.0]], [np.eye(2), [[1.0, 0.6], [0.6, 0.9]]]),
    GaussianBernoulliRBM(3, 4, sigma=[0.5, 1.0, 2.0], W=RNG.normal(size=(3, 4)), b=[0.1, 0.2, 0.3], c=RNG.normal(size=4)),
    Phi4Lattice((4, 4), kappa=0.2, lam=0.0),
], ids=["gaussian", "mixture", "gb-rbm", "free-phi4"])
def test_exact_samples_have_the_exact_moments(model):
    """100 000 exact samples: every mean and covariance entry within 5 standard errors (independent draws)."""
    x = exact_samples(model, 100_000, host_generator(1, 0))
    mean, cov = exact_moments(model)
    se = np.sqrt(np.diag(cov) / x.shape[0])
    assert np.all(np.abs(x.mean(axis=0) - mean) < 5 * se)
    centred = x - mean
    n = x.shape[0]
    products = centred.T @ centred / n
    second = (centred**2).T @ centred**2 / n
    se_cov = np.sqrt(np.maximum(second - products**2, 0.0) / n)
    assert np.all(np.abs(products - cov) < 5 * se_cov + 1e-12)


def test_models_without_exact_results_say_so():
    mlp = MLPEnergy([2, 4, 1], quadratic=1.0)
    with pytest.raises(ValueError, match="no exact log Z for a MLPEnergy; for dim <= 2 use grid_log_z"):
        continuous_log_z(mlp)
    axis = np.linspace(-8, 8, 401)
    assert np.isfinite(grid_log_z(mlp, [axis, axis]))
    with pytest.raises(ValueError, match="one axis per dimension"):
        grid_density(Gaussian(np.zeros(3)), [axis, axis])
