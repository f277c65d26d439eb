"""Binder crossings and exponent fits on synthetic scaling curves with known answers.

Curves: U4_L(beta) = 0.6 + 0.3 tanh((beta - beta_c) L^{1/nu}), which cross at
beta_c with U4 = 0.6 and have dU4/dbeta = 0.3 L^{1/nu} there.
"""

import numpy as np
import pytest

from ebmphys.analysis import binder_crossing, binder_crossings, fit_gamma_over_nu, fit_nu

BETA_C, NU = 0.4407, 1.0
SIZES = np.array([8, 16, 32])


def curves(betas, sizes=SIZES, nu=NU):
    return 0.6 + 0.3 * np.tanh((betas[None, :] - BETA_C) * sizes[:, None] ** (1.0 / nu))


def test_crossing_of_exact_curves():
    betas = np.arange(0.40, 0.48, 0.001)
    u = curves(betas)
    err = np.full(betas.size, 1e-3)
    c = binder_crossing(betas, u[0], u[1], err, err)
    # linear interpolation on a 0.001 grid: the curves are odd about beta_c, so the
    # interpolation error is third order in the spacing (below 1e-7 here)
    assert c.beta == pytest.approx(BETA_C, abs=1e-5)
    assert c.u4 == pytest.approx(0.6, abs=1e-4)
    assert c.slope_small == pytest.approx(0.3 * 8, rel=1e-3)
    assert c.slope_large == pytest.approx(0.3 * 16, rel=1e-3)
    assert c.slope_small_error == pytest.approx(np.sqrt(2) * 1e-3 / 0.001, rel=1e-6)


def test_crossing_error_matches_scatter_of_noisy_curves():
    # U4 values with independent Gaussian noise sigma; the propagated beta_error must match the
    # scatter of the crossing over replicates (relative uncertainty of a 300-sample sd: 4%, 5 sigma)
    rng = np.random.default_rng(50)
    betas = np.arange(0.40, 0.48, 0.01)
    sigma = 1e-3
    u = curves(betas)
    err = np.full(betas.size, sigma)
    found, stated = [], []
    for _ in range(300):
        noisy = u + rng.normal(0.0, sigma, u.shape)
        c = binder_crossing(betas, noisy[1], noisy[2], err, err)
        found.append(c.beta)
        stated.append(c.beta_error)
    assert np.std(found, ddof=1) == pytest.approx(np.mean(stated), rel=5 * 0.04)
    # unbiased up to second order in the noise: the mean lands on the noiseless crossing (5 SEM),
    # which is beta_c up to the interpolation error of the 0.01 grid (3e-5 here)
    reference = binder_crossing(betas, u[1], u[2], err, err).beta
    assert abs(np.mean(found) - reference) < 5 * np.std(found) / np.sqrt(300)
    assert reference == pytest.approx(BETA_C, abs=1e-4)


def test_successive_pairs_and_nu():
    betas = np.arange(0.40, 0.48, 0.001)
    u = curves(betas, nu=0.8)
    crossings = binder_crossings(SIZES, betas, u, np.full(u.shape, 1e-4))
    assert list(crossings) == [(8, 16), (16, 32)]
    for c in crossings.values():
        assert c.beta == pytest.approx(BETA_C, abs=1e-5)
    slopes = [crossings[(8, 16)].slope_small, crossings[(8, 16)].slope_large, crossings[(16, 32)].slope_large]
    errors = [crossings[(8, 16)].slope_small_error, crossings[(8, 16)].slope_large_error,
              crossings[(16, 32)].slope_large_error]
    fit = fit_nu(SIZES, slopes, errors)
    assert fit.value == pytest.approx(0.8, rel=2e-3)
    assert fit.dof == 1


def test_gamma_over_nu_exact_and_noisy():
    sizes = np.array([8, 16, 32, 64, 128])
    chi = 2.0 * sizes**1.75
    exact = fit_gamma_over_nu(sizes, chi, 0.01 * chi)
    assert exact.value == pytest.approx(1.75, abs=1e-12)
    assert exact.amplitude == pytest.approx(2.0, rel=1e-12)
    assert exact.chi2 == pytest.approx(0.0, abs=1e-20)
    # relative errors r: slope error of an unweighted-equivalent fit = r / sqrt(sum (log L - mean)^2)
    log_l = np.log(sizes)
    assert exact.error == pytest.approx(0.01 / np.sqrt(np.sum((log_l - log_l.mean()) ** 2)), rel=1e-9)
    noisy = chi * (1 + 0.01 * np.random.default_rng(51).standard_normal(sizes.size))
    fit = fit_gamma_over_nu(sizes, noisy, 0.01 * noisy)
    assert abs(fit.value - 1.75) < 4 * fit.error
    assert fit.dof == 3


def test_nu_error_propagation():
    sizes = np.array([8, 16])
    slopes = 0.5 * sizes ** (1 / 0.8)
    fit = fit_nu(sizes, slopes, 0.02 * slopes)
    # two points: err(1/nu) = sqrt(2) * 0.02 / log 2, err(nu) = err(1/nu) * nu^2
    assert fit.value == pytest.approx(0.8, rel=1e-12)
    assert fit.error == pytest.approx(np.sqrt(2) * 0.02 / np.log(2) * 0.8**2, rel=1e-9)


def test_bad_input():
    betas = np.arange(0.40, 0.48, 0.01)
    u = curves(betas)
    err = np.full(betas.size, 1e-3)
    with pytest.raises(ValueError, match="betas must be strictly increasing"):
        binder_crossing(betas[::-1], u[0], u[1], err, err)
    with pytest.raises(ValueError, match="u4_large must have the shape of betas"):
        binder_crossing(betas, u[0], u[1][:-1], err, err)
    with pytest.raises(ValueError, match="err_small must be finite and > 0"):
        binder_crossing(betas, u[0], u[1], 0 * err, err)
    with pytest.raises(ValueError, match="u4_small must contain only finite"):
        binder_crossing(betas, np.r_[u[0][:-1], np.nan], u[1], err, err)
    with pytest.raises(ValueError, match="no crossing"):
        binder_crossing(betas, u[0], u[0] + 0.01, err, err)
    wiggly = u[0] + np.where(np.arange(betas.size) % 2, 0.01, -0.01)
    with pytest.raises(ValueError, match="changes sign"):
        binder_crossing(betas, u[0], wiggly, err, err)
    with pytest.raises(ValueError, match="sizes must be positive and strictly increasing"):
        binder_crossings([16, 8, 32], betas, u, np.full(u.shape, 1e-3))
    with pytest.raises(ValueError, match=r"u4 must be a real array of shape"):
        binder_crossings(SIZES, betas, u[:2], np.full(u.shape, 1e-3))
    with pytest.raises(ValueError, match=r"sizes \(16, 32\): .*no crossing"):
        bad = u.copy()
        bad[2] = bad[1] + 0.01
        binder_crossings(SIZES, betas, bad, np.full(u.shape, 1e-3))
    with pytest.raises(ValueError, match="chi_peak must be > 0"):
        fit_gamma_over_nu([8, 16], [1.0, -2.0], [0.1, 0.1])
    with pytest.raises(ValueError, match="chi_peak_err must have shape"):
        fit_gamma_over_nu([8, 16], [1.0, 2.0], [0.1])
    with pytest.raises(ValueError, match="sizes must be a 1D array with at least 2"):
        fit_gamma_over_nu([8], [1.0], [0.1])
    with pytest.raises(ValueError, match="nu is undefined"):
        fit_nu([8, 16], [2.0, 1.0], [0.1, 0.1])
