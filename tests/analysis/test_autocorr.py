"""Autocorrelation function and tau_int against AR(1) series with exact answers."""

import numpy as np
import pytest

from ebmphys.analysis import autocorrelation, effective_sample_size, integrated_autocorrelation_time

PHIS = [0.0, 0.5, 0.9, 0.99]


def naive_acf(x):
    """O(n^2) reference: per-chain centred autocovariance (1/n normalisation), averaged, normalised."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n = x.shape[1]
    c = x - x.mean(axis=1, keepdims=True)
    cov = np.array([np.mean([np.dot(ch[: n - t], ch[t:]) / n for ch in c]) for t in range(n)])
    return cov / cov[0]


def test_acf_matches_direct_sum():
    x = np.random.default_rng(3).standard_normal((3, 37)).cumsum(axis=1)
    np.testing.assert_allclose(autocorrelation(x), naive_acf(x), rtol=0, atol=1e-12)
    np.testing.assert_allclose(autocorrelation(x[1]), naive_acf(x[1]), rtol=0, atol=1e-12)


def test_acf_of_ar1_follows_phi_to_the_t(ar1):
    # Bartlett's variance of r_k for AR(1): ((1+phi^2)(1-phi^2k)/(1-phi^2) - 2k phi^2k) / n; 5 sigma
    phi, n = 0.5, 2**18
    rho = autocorrelation(ar1.series(phi, n, seed=11)[0])
    assert rho[0] == 1.0
    for k in range(1, 6):
        var = ((1 + phi**2) * (1 - phi ** (2 * k)) / (1 - phi**2) - 2 * k * phi ** (2 * k)) / n
        assert abs(rho[k] - phi**k) < 5 * np.sqrt(var)


@pytest.mark.parametrize("phi", PHIS)
def test_tau_int_of_ar1_single_chain(ar1, phi):
    # tolerance: 4 Madras-Sokal standard errors; the window bias sum_{t>W} phi^t is far smaller
    result = integrated_autocorrelation_time(ar1.series(phi, 2**18, seed=21)[0])
    assert abs(result.tau - ar1.tau(phi)) < 4 * result.error
    assert result.window >= 5.0 * result.tau


@pytest.mark.parametrize("phi", PHIS)
def test_tau_int_of_ar1_several_chains(ar1, phi):
    result = integrated_autocorrelation_time(ar1.series(phi, 2**16, n_chains=4, seed=31))
    assert abs(result.tau - ar1.tau(phi)) < 4 * result.error


def test_madras_sokal_error_formula(ar1):
    x = ar1.series(0.9, 5000, n_chains=2, seed=5)
    r = integrated_autocorrelation_time(x, c=6.0)
    assert r.error == pytest.approx(r.tau * np.sqrt(2 * (2 * r.window + 1) / x.size), rel=1e-12)
    assert r.window >= 6.0 * r.tau


def test_effective_sample_size(ar1):
    x = ar1.series(0.9, 2**16, n_chains=2, seed=7)
    tau = integrated_autocorrelation_time(x).tau
    assert effective_sample_size(x) == pytest.approx(x.size / (2 * tau), rel=1e-12)
    # i.i.d. data: n_eff = n within the tau error propagated (4 sigma)
    white = ar1.series(0.0, 2**16, seed=8)[0]
    r = integrated_autocorrelation_time(white)
    assert abs(effective_sample_size(white) - white.size) < 4 * white.size * r.error / (2 * r.tau**2)


def test_bad_input():
    with pytest.raises(ValueError, match="at least 10 samples"):
        integrated_autocorrelation_time(np.arange(5.0))
    with pytest.raises(ValueError, match="finite"):
        integrated_autocorrelation_time(np.array([0.0, 1.0, np.nan] + [0.5] * 20))
    with pytest.raises(ValueError, match="finite"):
        autocorrelation(np.array([0.0, np.inf] + [0.5] * 20))
    with pytest.raises(ValueError, match="constant"):
        integrated_autocorrelation_time(np.full(100, 3.0))
    with pytest.raises(ValueError, match="shape"):
        autocorrelation(np.zeros((2, 3, 20)))
    with pytest.raises(TypeError, match="real"):
        autocorrelation(np.array(["a"] * 20))
    with pytest.raises(ValueError, match="c must be > 0"):
        integrated_autocorrelation_time(np.random.default_rng(0).standard_normal(100), c=0.0)
    with pytest.raises(TypeError, match="c must"):
        integrated_autocorrelation_time(np.random.default_rng(0).standard_normal(100), c="5")


def test_too_short_for_its_correlation_time():
    walk = np.random.default_rng(1).standard_normal(100).cumsum()
    with pytest.raises(ValueError, match="too short"):
        integrated_autocorrelation_time(walk)


def test_alternating_series_has_no_effective_sample_size():
    x = (-1.0) ** np.arange(200) + 1e-3 * np.random.default_rng(2).standard_normal(200)
    assert integrated_autocorrelation_time(x).tau < 0
    with pytest.raises(ValueError, match="anticorrelated"):
        effective_sample_size(x)
