"""First-order analysis on distributions with known answers: a two-Gaussian density of states and a sampled histogram.

The density of states ln g(E) = ln[exp(beta_t E) (A N(E; E1, s1) + B N(E; E2, s2))] on an
integer grid (the Borgs-Kotecky form of a finite system at coexistence) has, at
beta_t, two Gaussian peaks whose heights are A / s1 and B / s2 (sampled on a unit
grid, up to the grid's negligible discretisation for s >> 1) and whose weights are
A and B; everything below is exact to the stated tolerances.
"""

import numpy as np
import pytest
from scipy.stats import norm

from ebmphys.analysis import energy_histogram, equal_height, equal_weight, extrapolate, log_distribution

E = np.arange(-400.0, -100.0)
BETA_T = 1.4


def _log_g(a=1.0, b=1.0, e1=-320.0, e2=-180.0, s1=15.0, s2=15.0):
    mix = a * norm.pdf(E, e1, s1) + b * norm.pdf(E, e2, s2)
    return np.log(mix) + BETA_T * E


def test_equal_heights_and_interface_free_energy():
    log_g = _log_g()
    d = equal_height(E, log_g, beta0=0.0, bracket=(1.3, 1.5), n_sites=100, side=10, window=5)
    assert d.beta == pytest.approx(BETA_T, abs=1e-9)
    assert d.energy_ordered == pytest.approx(-320.0, abs=1e-6) and d.energy_disordered == pytest.approx(-180.0, abs=1e-6)
    assert d.latent_heat == pytest.approx(1.4, abs=1e-8)
    assert d.energy_minimum == -250.0
    mix = lambda x: norm.pdf(x, -320, 15) + norm.pdf(x, -180, 15)  # noqa: E731
    assert d.interface_free_energy == pytest.approx(np.log(mix(-320.0) / mix(-250.0)), rel=1e-9)
    assert d.interface_tension == pytest.approx(d.interface_free_energy / 20)


def test_unequal_peaks_move_the_crossing_by_the_known_amount():
    """Heights A/s1 = 2 B/s2: equal heights need ln 2 = (beta_t - beta)(E2 - E1), i.e. beta = beta_t - ln 2 / 140."""
    d = equal_height(E, _log_g(a=2.0), beta0=0.0, bracket=(1.3, 1.5), n_sites=100, window=5)
    assert d.beta == pytest.approx(BETA_T - np.log(2) / 140, abs=1e-6)
    assert np.isnan(d.interface_tension)


def test_equal_weight_with_a_ratio():
    """Weights A = 3 B at beta_t: ratio 3 gives beta_t, and the side means are the Gaussian means."""
    d = equal_height(E, _log_g(a=3.0, s1=9.0), beta0=0.0, bracket=(1.3, 1.5), n_sites=100, window=5)
    w = equal_weight(E, _log_g(a=3.0, s1=9.0), beta0=0.0, bracket=(1.3, 1.5), n_sites=100, split=d.energy_minimum,
                     ratio=3.0)
    assert w.beta == pytest.approx(BETA_T, abs=1e-8)
    # (the other peak's tail across the split shifts each side mean by a few 1e-6)
    assert w.energy_ordered == pytest.approx(-320.0, abs=1e-4) and w.energy_disordered == pytest.approx(-180.0, abs=1e-4)


def test_canonical_histogram_with_reweighting():
    """Histograms sampled at beta0 = beta_t + 0.01, reweighted: the equal-height beta is right within its error.

    Twelve independent histograms of 100000 samples each give twelve estimates; their
    mean must lie within 5 standard errors (spread / sqrt(12)) of beta_t, and the
    latent heat within 5 standard errors of 1.4.
    """
    rng = np.random.default_rng(4)
    beta0 = BETA_T + 0.01
    p = np.exp(log_distribution(E, _log_g(), beta0))
    estimates = []
    for _ in range(12):
        levels, log_counts = energy_histogram(rng.choice(E, size=100_000, p=p))
        d = equal_height(levels, log_counts, beta0=beta0, bracket=(1.35, 1.45), n_sites=100, window=20)
        estimates.append((d.beta, d.latent_heat))
    mean, stderr = np.mean(estimates, axis=0), np.std(estimates, axis=0, ddof=1) / np.sqrt(12)
    assert abs(mean[0] - BETA_T) < 5 * stderr[0], (mean, stderr)
    assert abs(mean[1] - 1.4) < 5 * stderr[1], (mean, stderr)


def test_extrapolation_recovers_a_known_limit():
    L = np.array([8.0, 12.0, 16.0, 24.0])
    fit = extrapolate(L, 0.7 + 3.0 / L**2, np.full(4, 1e-3), power=2)
    assert fit.value == pytest.approx(0.7, abs=1e-10) and fit.slope == pytest.approx(3.0)
    assert fit.chi2 == pytest.approx(0.0, abs=1e-12) and fit.dof == 2


def test_single_peak_and_bad_input():
    single = np.log(norm.pdf(E, -250, 20)) + BETA_T * E
    with pytest.raises(ValueError, match="single peak|do not cross"):
        equal_height(E, single, beta0=0.0, bracket=(1.3, 1.5), n_sites=100)
    with pytest.raises(ValueError, match="strictly increasing"):
        equal_height(E[::-1], _log_g(), beta0=0.0, bracket=(1.3, 1.5), n_sites=100)
    with pytest.raises(ValueError, match="beta_lo < beta_hi"):
        equal_height(E, _log_g(), beta0=0.0, bracket=(1.5, 1.3), n_sites=100)
    with pytest.raises(ValueError, match="shape"):
        equal_height(E, _log_g()[:-1], beta0=0.0, bracket=(1.3, 1.5), n_sites=100)
