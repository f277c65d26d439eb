"""Wang-Landau for Potts models against enumeration; energy windows.

Tolerance: 5 standard errors, the standard error being the spread over 8 walkers
/ sqrt(8) (a t statistic with 7 degrees of freedom).  Quantities checked are
log Z and <E> at several betas (each a smooth function of all of ln g, which the
per-walker normalisation sum g = q**N couples).
"""

import math

import numpy as np
import pytest

from ebmphys.models import LatticeIsing, LatticePotts
from ebmphys.partition import energy_spectrum
from ebmphys.sampling.wang_landau import wang_landau

Z_TOL = 5.0
BETAS = np.array([0.3, 0.8, 1.3])


@pytest.mark.parametrize("model,seed", [(LatticePotts((3, 3), q=3), 1),
                                         (LatticePotts((2, 2, 3), q=3, periodic=False), 2),
                                         (LatticePotts((2, 4), q=4, J=-1.0), 3)])
def test_potts_density_of_states_matches_enumeration(model, seed):
    result = wang_landau(model, n_chains=8, log_f_final=1e-5, seed=seed)
    energies, counts = energy_spectrum(model)
    reachable = np.isfinite(result.log_g[0])
    order = np.argsort(result.energies[reachable])  # descending energies for J < 0
    np.testing.assert_array_equal(result.energies[reachable][order], energies)
    assert result.converged.all() and np.all(np.isfinite(result.log_g[:, reachable]))
    assert np.abs(result.mean_log_g[reachable][order] - np.log(counts)).max() < 0.05
    for beta in BETAS:
        exact_log_z = np.log(np.sum(counts * np.exp(-beta * energies)))
        assert abs(result.log_z(beta) - exact_log_z) < Z_TOL * result.stderr("log_z", beta)
        exact_e = np.sum(energies * counts * np.exp(-beta * energies)) / np.exp(exact_log_z)
        assert abs(result.mean_energy(beta) - exact_e) < Z_TOL * result.stderr("mean_energy", beta)
    assert result.log_z(0.0) == pytest.approx(model.n_spins * math.log(model.q), abs=1e-9)


def test_energy_window_reproduces_the_ratios_of_g_inside_it():
    model = LatticePotts((3, 3), q=3)
    energies, counts = energy_spectrum(model)
    full = wang_landau(model, n_chains=8, log_f_final=1e-5, seed=5)
    window = (-12.0, -4.0)
    part = wang_landau(model, n_chains=8, log_f_final=1e-5, seed=5, energy_range=window)
    inside = (part.energies >= -12) & (part.energies <= -4) & np.isfinite(full.log_g[0])
    assert np.all(np.isinf(part.log_g[:, ~inside]))
    exact = np.log(counts[np.isin(energies, part.energies[inside])])
    estimate = part.log_g[:, inside]
    # compare differences to the first level in the window, walker by walker
    diffs = estimate - estimate[:, :1]
    se = diffs[:, 1:].std(axis=0, ddof=1) / np.sqrt(8)
    assert np.all(np.abs(diffs.mean(axis=0)[1:] - (exact - exact[0])[1:]) < Z_TOL * se)
    with pytest.raises(ValueError, match="energy window"):
        part.log_z(0.5)


def test_bad_input():
    with pytest.raises(ValueError, match="zero field"):
        wang_landau(LatticePotts((4, 4), 3, h=[0.1, 0, 0]))
    with pytest.raises(ValueError, match="J != 0"):
        wang_landau(LatticePotts((4, 4), 3, J=0.0))
    with pytest.raises(ValueError, match="LatticePotts models only"):
        wang_landau(LatticeIsing((4, 4)), energy_range=(-10, 0))
    with pytest.raises(ValueError, match="fewer than 2 energy levels"):
        wang_landau(LatticePotts((4, 4), 3), energy_range=(-1000, -999))
    with pytest.raises(ValueError, match="E_min < E_max"):
        wang_landau(LatticePotts((4, 4), 3), energy_range=(0, -5))
