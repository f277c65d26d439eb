"""Flyvbjerg-Petersen blocking against the exact standard deviation of AR(1) means."""

import numpy as np
import pytest

from ebmphys.analysis import blocking_error
from ebmphys.analysis.blocking import MIN_BLOCKS

PHIS = [0.0, 0.5, 0.9, 0.99]


@pytest.mark.parametrize("phi", PHIS)
@pytest.mark.parametrize("n_chains", [1, 4])
def test_error_of_ar1_mean(ar1, phi, n_chains):
    # tolerance: 4 times the estimate's own uncertainty error / sqrt(2 (n_blocks - 1)); the
    # residual plateau bias is about one such unit (module docstring)
    n = 2**20 // n_chains
    x = ar1.series(phi, n, n_chains=n_chains, seed=40 + n_chains)
    result = blocking_error(x)
    exact = ar1.std_of_mean(phi, n, n_chains)
    assert abs(result.error - exact) < 4 * result.error_uncertainty
    assert abs(result.mean) < 5 * exact
    assert result.mean == pytest.approx(x.mean(), rel=1e-12)


def test_table_levels():
    x = np.random.default_rng(0).standard_normal(1000)
    result = blocking_error(x)
    level0 = result.table[0]
    assert (level0.level, level0.block_size, level0.n_blocks) == (0, 1, 1000)
    assert level0.error == pytest.approx(x.std(ddof=1) / np.sqrt(1000), rel=1e-12)
    assert level0.error_uncertainty == pytest.approx(level0.error / np.sqrt(2 * 999), rel=1e-12)
    # an odd level drops its last sample: 1000 -> 500 -> 250 -> 125 -> 62 -> ...
    assert [row.n_blocks for row in result.table[:6]] == [1000, 500, 250, 125, 62, 31]
    assert [row.block_size for row in result.table[:3]] == [1, 2, 4]
    assert len(result.table) == 9  # the last level has 3 blocks (1000 // 256), >= 2 per chain
    assert result.table[result.level].n_blocks >= MIN_BLOCKS
    assert result.error == result.table[result.level].error


def test_blocks_pool_chains():
    x = np.random.default_rng(1).standard_normal((4, 64))
    level1 = blocking_error(x).table[1]
    pairs = 0.5 * (x[:, 0::2] + x[:, 1::2])
    assert level1.n_blocks == 128
    assert level1.error == pytest.approx(pairs.std(ddof=1) / np.sqrt(128), rel=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="at least 32 samples"):
        blocking_error(np.arange(20.0))
    with pytest.raises(ValueError, match="finite"):
        blocking_error(np.r_[np.zeros(50), np.nan])
    with pytest.raises(ValueError, match="constant"):
        blocking_error(np.ones(100))
    with pytest.raises(ValueError, match="shape"):
        blocking_error(np.zeros((2, 2, 50)))


def test_too_short_for_a_plateau():
    walk = np.random.default_rng(2).standard_normal(1000).cumsum()
    with pytest.raises(ValueError, match="no plateau"):
        blocking_error(walk)
