"""Result collection helpers: choice of the physical Binder crossing, table formatting."""

import numpy as np
import pytest

from ebmphys.study.summary import _pm, select_crossing


def test_select_crossing_skips_noise_far_from_tc():
    betas = np.linspace(0.30, 0.60, 7)
    small = np.array([0.010, 0.050, 0.300, 0.500, 0.600, 0.660, 0.665])
    large = np.array([0.012, 0.020, 0.200, 0.550, 0.640, 0.664, 0.662])
    # d = large - small changes sign three times: +->- (noise at high T), -->+ (the crossing), +->- (noise)
    err = np.full(7, 0.005)
    c = select_crossing(betas, small, large, err, err)
    assert betas[2] < c.beta < betas[3]
    # the interpolated crossing of the two straight segments
    d0, d1 = large[2] - small[2], large[3] - small[3]
    assert c.beta == pytest.approx(betas[2] + (betas[3] - betas[2]) * d0 / (d0 - d1))


def test_select_crossing_without_rising_crossing():
    betas = np.linspace(0.3, 0.6, 4)
    with pytest.raises(ValueError, match="never rises through"):
        select_crossing(betas, np.full(4, 0.5), np.full(4, 0.4), np.full(4, 0.01), np.full(4, 0.01))


def test_value_with_error_formatting():
    assert _pm(1.23456, 0.0123) == "1.235 ± 0.012"
    assert _pm(np.nan, 0.1) == "-"
    assert _pm(2.0, 0.0) == "2.00000"
