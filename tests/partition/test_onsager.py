"""Onsager's infinite-lattice results: known values, series limits, duality, and self-consistency."""

import numpy as np
import pytest

from ebmphys.partition import (
    BETA_C,
    T_C,
    onsager_energy,
    onsager_free_energy,
    onsager_log_z_per_spin,
    onsager_magnetization,
    onsager_specific_heat,
)

FUNCTIONS = [onsager_log_z_per_spin, onsager_free_energy, onsager_energy, onsager_specific_heat, onsager_magnetization]


def test_critical_point():
    assert np.sinh(2 * BETA_C) == pytest.approx(1.0, rel=1e-15)
    assert T_C == pytest.approx(2 / np.log(1 + np.sqrt(2)), rel=1e-15)
    assert T_C == pytest.approx(2.269185314213022, rel=1e-15)
    assert onsager_energy(BETA_C) == pytest.approx(-np.sqrt(2), rel=1e-14)  # u_c = -sqrt(2) J
    assert onsager_specific_heat(BETA_C) == np.inf
    assert onsager_magnetization(BETA_C) == 0.0


def test_high_and_low_temperature_series():
    K = 0.05
    t = np.tanh(K)
    # log Z / N = log 2 + 2 log cosh K + t^4 + 2 t^6 + 9/2 t^8 + O(t^10), t^10 ~ 1e-13
    series = np.log(2) + 2 * np.log(np.cosh(K)) + t**4 + 2 * t**6 + 4.5 * t**8
    assert onsager_log_z_per_spin(K) == pytest.approx(series, abs=1e-11)
    assert onsager_log_z_per_spin(0.0) == pytest.approx(np.log(2), rel=1e-15)
    K = 2.0
    # log Z / N = 2K + x^4 + 2 x^6 + O(x^8), x = exp(-2K): single flips and flipped neighbour pairs
    assert onsager_log_z_per_spin(K) == pytest.approx(2 * K + np.exp(-8 * K) + 2 * np.exp(-12 * K), abs=1e-12)


def test_tiny_beta_loses_no_digits():
    """u = -2K (1 + O(K^2)) and c = 2K^2 (1 + O(K^2)) without cancellation down to beta = 1e-300."""
    betas = np.array([1e-300, 1e-20, 1e-11, 1e-7])
    np.testing.assert_allclose(onsager_energy(betas), -2 * betas, rtol=1e-13)
    np.testing.assert_allclose(onsager_specific_heat(betas), 2 * betas**2, rtol=1e-13)
    np.testing.assert_allclose(onsager_log_z_per_spin(betas), np.log(2) + betas**2, rtol=1e-15)


def test_kramers_wannier_duality():
    """log Z/N - log(sinh 2K)/2 is invariant under K -> K*, sinh 2K sinh 2K* = 1."""
    K = np.array([0.1, 0.3, 0.42, 0.6, 1.5])
    K_dual = np.arctanh(np.exp(-2 * K))
    lhs = onsager_log_z_per_spin(K) - 0.5 * np.log(np.sinh(2 * K))
    rhs = onsager_log_z_per_spin(K_dual) - 0.5 * np.log(np.sinh(2 * K_dual))
    np.testing.assert_allclose(lhs, rhs, atol=1e-13)


def test_energy_is_derivative_of_log_z():
    betas = np.array([0.1, 0.3, 0.42, 0.46, 0.6, 1.0, 2.0])
    h = 1e-5
    fd = -(onsager_log_z_per_spin(betas + h) - onsager_log_z_per_spin(betas - h)) / (2 * h)
    # truncation h^2 u''/6 and quadrature noise 1e-14 / h: ~1e-8 next to T_c, measured <= 5e-9
    np.testing.assert_allclose(onsager_energy(betas), fd, atol=2e-8)


def test_specific_heat_is_derivative_of_energy():
    betas = np.array([0.1, 0.3, 0.42, 0.46, 0.6, 1.0, 2.0])
    h = 1e-6
    fd = -(betas**2) * (onsager_energy(betas + h) - onsager_energy(betas - h)) / (2 * h)
    # round-off eps / h ~ 2e-10 and truncation h^2 c'' near T_c: measured <= 1e-9
    np.testing.assert_allclose(onsager_specific_heat(betas), fd, atol=1e-8)


def test_limits_and_signs():
    betas = np.array([0.0, 0.2, 0.5, 1.0, 5.0])
    u = onsager_energy(betas)
    assert u[0] == 0.0 and u[-1] == pytest.approx(-2.0, abs=1e-15)
    assert np.all(np.diff(u) < 0)
    c = onsager_specific_heat(betas)
    assert c[0] == 0.0 and np.all(c[1:] > 0)
    # the antiferromagnet on the bipartite infinite lattice: same thermodynamics with |J|
    for f in (onsager_log_z_per_spin, onsager_energy, onsager_specific_heat, onsager_magnetization):
        np.testing.assert_allclose(f(betas, J=-1.5), f(betas, J=1.5), rtol=1e-14)
    np.testing.assert_allclose(onsager_energy(betas, J=2.0), 2.0 * onsager_energy(2.0 * betas), rtol=1e-14)


def test_free_energy():
    betas = np.array([0.2, BETA_C, 1.0])
    np.testing.assert_allclose(onsager_free_energy(betas), -onsager_log_z_per_spin(betas) / betas, rtol=1e-15)
    assert onsager_free_energy(10.0) == pytest.approx(-2.0, abs=1e-15)
    with pytest.raises(ValueError, match="beta must be > 0 for the free energy"):
        onsager_free_energy(np.array([0.0, 1.0]))


def test_magnetization():
    assert onsager_magnetization(np.array([0.0, 0.3, 0.44])).tolist() == [0.0, 0.0, 0.0]
    assert onsager_magnetization(1.0) == pytest.approx((1 - np.sinh(2.0) ** -4) ** 0.125, rel=1e-15)
    assert onsager_magnetization(5.0) == pytest.approx(1.0, abs=1e-15)
    # beta = 1/8 critical exponent: m ~ (8 sqrt(2) beta_c t)^(1/8) with t = (beta - beta_c) / beta_c -> 0
    t = 1e-8
    m = onsager_magnetization(BETA_C * (1 + t))
    assert m == pytest.approx((8 * np.sqrt(2) * BETA_C * t) ** 0.125, rel=1e-6)
    assert onsager_magnetization(0.5, J=2.0) == onsager_magnetization(1.0)


def test_vectorised_shapes():
    betas = np.array([[0.1, 0.5], [1.0, 2.0]])
    for f in FUNCTIONS:
        out = f(betas)
        assert out.shape == (2, 2)
        assert out[1, 0] == f(1.0)
        assert isinstance(f(1.0), float)


@pytest.mark.parametrize("f", FUNCTIONS)
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(beta=-1.0), ValueError, "beta must be finite and >= 0"),
        (dict(beta=np.nan), ValueError, "beta must be finite and >= 0"),
        (dict(beta=[1.0, np.inf]), ValueError, "beta must be finite and >= 0"),
        (dict(beta="cold"), TypeError, "beta must be a finite real number"),
        (dict(beta=1.0, J=np.inf), ValueError, "J must be a finite real number"),
        (dict(beta=1.0, J=None), TypeError, "J must be a finite real number"),
    ],
)
def test_bad_input(f, kwargs, error, match):
    with pytest.raises(error, match=match):
        f(**kwargs)
