"""Block jackknife: exact identities for linear and quadratic estimators, delta method for a ratio."""

import numpy as np
import pytest

from ebmphys.analysis import jackknife


def test_mean_gives_block_standard_error():
    x = np.random.default_rng(0).standard_normal(1000)
    result = jackknife(lambda m: m, x, n_blocks=10)
    blocks = x.reshape(10, 100).mean(axis=1)
    assert result.value == pytest.approx(x.mean(), abs=1e-14)
    assert result.error == pytest.approx(blocks.std(ddof=1) / np.sqrt(10), rel=1e-12)


def test_whole_chains_are_blocks_when_there_are_enough():
    x = np.random.default_rng(1).standard_normal((20, 50))
    result = jackknife(lambda m: m, x, n_blocks=20)
    assert result.error == pytest.approx(x.mean(axis=1).std(ddof=1) / np.sqrt(20), rel=1e-12)


def test_chains_are_cut_into_segments():
    # 3 chains and n_blocks = 5: each chain cut into ceil(5 / 3) = 2 segments, 6 blocks
    x = np.random.default_rng(2).standard_normal((3, 40))
    blocks = x.reshape(3, 2, 20).mean(axis=2).ravel()
    result = jackknife(lambda m: m, x, n_blocks=5)
    assert result.error == pytest.approx(blocks.std(ddof=1) / np.sqrt(6), rel=1e-12)


def test_bias_correction_of_squared_mean():
    # with equal blocks the corrected estimate of mu^2 is exactly xbar^2 - s_B^2 / B (unbiased)
    x = np.random.default_rng(3).standard_normal(600) + 0.3
    blocks = x.reshape(12, 50).mean(axis=1)
    result = jackknife(lambda m: m**2, x, n_blocks=12)
    assert result.value == pytest.approx(x.mean() ** 2 - blocks.var(ddof=1) / 12, rel=1e-10)


def test_ratio_of_means_against_delta_method():
    # a ~ N(2, 1), b ~ N(4, 0.5) independent; delta method sd(abar/bbar) = sqrt(sa^2/mb^2 + ma^2 sb^2/mb^4)/sqrt(n)
    rng = np.random.default_rng(4)
    n, n_blocks = 200_000, 100
    a = rng.normal(2.0, 1.0, n)
    b = rng.normal(4.0, 0.5, n)
    result = jackknife(lambda p, q: p / q, a, b, n_blocks=n_blocks)
    delta = np.sqrt(1.0 / 16 + 4 * 0.25 / 256) / np.sqrt(n)
    # value within 4 standard errors; error within 4 of its own relative uncertainty 1/sqrt(2(B-1))
    assert abs(result.value - 0.5) < 4 * delta
    assert abs(result.error - delta) < 4 * delta / np.sqrt(2 * (n_blocks - 1))


def test_correlated_series_mean(ar1):
    # blocks of 2**18 / 50 ~ 5000 steps >> tau_int = 9.5: error matches the exact sd of the mean
    phi, n, n_blocks = 0.9, 2**18, 50
    x = ar1.series(phi, n, seed=9)
    result = jackknife(lambda m: m, x, n_blocks=n_blocks)
    exact = ar1.std_of_mean(phi, n)
    assert abs(result.error - exact) < 4 * exact / np.sqrt(2 * (n_blocks - 1))


def test_vector_valued_estimator():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((2, 3, 400))
    result = jackknife(lambda p, q: np.array([p, q, p + q]), x, y, n_blocks=12)
    assert result.value.shape == result.error.shape == (3,)
    single = jackknife(lambda p: p, x, n_blocks=12)
    assert result.value[0] == pytest.approx(single.value)
    assert result.error[0] == pytest.approx(single.error)


def test_bad_input():
    x = np.random.default_rng(6).standard_normal(100)
    with pytest.raises(TypeError, match="estimator must be callable"):
        jackknife(3.0, x)
    with pytest.raises(ValueError, match="at least one series"):
        jackknife(lambda m: m)
    with pytest.raises(ValueError, match="same shape"):
        jackknife(lambda p, q: p / q, x, x[:50])
    with pytest.raises(ValueError, match="finite"):
        jackknife(lambda m: m, np.r_[x, np.nan])
    with pytest.raises(ValueError, match="n_blocks must be an integer >= 2"):
        jackknife(lambda m: m, x, n_blocks=1)
    with pytest.raises(TypeError, match="n_blocks"):
        jackknife(lambda m: m, x, n_blocks=2.5)
    with pytest.raises(ValueError, match="at least 20 samples"):
        jackknife(lambda m: m, x[:10], n_blocks=20)
