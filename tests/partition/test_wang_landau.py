"""Wang-Landau (1/t) density of states against exact enumeration and Kaufman's log Z.

Stated tolerance: every estimate lies within 5 standard errors of the exact value,
the standard error being the spread over 8 independent walkers / sqrt(8) (a t
statistic with 7 degrees of freedom: |t| > 5 has probability ~0.002 per check).
"""

import numpy as np
import pytest

from ebmphys.models.ising import LatticeIsing
from ebmphys.partition import energy_spectrum, ising2d_energy, ising2d_log_z, ising2d_specific_heat
from ebmphys.sampling.wang_landau import wang_landau

Z_TOL = 5.0


def test_density_of_states_4x4_matches_enumeration():
    model = LatticeIsing((4, 4))
    result = wang_landau(model, n_chains=8, log_f_final=1e-5, seed=3)
    energies, counts = energy_spectrum(model)
    reachable = np.isfinite(result.log_g[0])
    np.testing.assert_array_equal(result.energies[reachable], energies)
    assert np.all(np.isfinite(result.log_g[:, reachable])) and result.converged.all()
    se = result.log_g[:, reachable].std(axis=0, ddof=1) / np.sqrt(8)
    assert np.all(np.abs(result.mean_log_g[reachable] - np.log(counts)) < Z_TOL * se)


def test_open_3d_lattice_levels_and_log_z():
    model = LatticeIsing((2, 2, 3), periodic=False)
    result = wang_landau(model, n_chains=8, log_f_final=1e-5, seed=4)
    energies, counts = energy_spectrum(model)
    reachable = np.isfinite(result.log_g[0])
    np.testing.assert_array_equal(result.energies[reachable], energies)
    exact = np.log(np.sum(counts * np.exp(-0.5 * energies)))
    assert abs(result.log_z(0.5) - exact) < Z_TOL * result.stderr("log_z", 0.5)


@pytest.mark.slow
def test_log_z_8x8_matches_kaufman_across_temperatures():
    result = wang_landau(LatticeIsing((8, 8)), n_chains=8, log_f_final=1e-5, seed=1)
    betas = np.linspace(0.1, 1.0, 10)
    error = result.log_z(betas) - ising2d_log_z(8, 8, betas)
    assert np.all(np.abs(error) < Z_TOL * result.stderr("log_z", betas)), error
    # energy and specific heat follow from the same g(E) by reweighting
    for quantity, exact in (("mean_energy", 64 * ising2d_energy(8, 8, betas)),
                            ("specific_heat", ising2d_specific_heat(8, 8, betas))):
        estimate = getattr(result, quantity)(betas)
        assert np.all(np.abs(estimate - exact) < Z_TOL * result.stderr(quantity, betas)), (quantity, estimate - exact)
    assert isinstance(result.log_z(0.3), float)


def test_bad_input():
    with pytest.raises(ValueError, match="zero field"):
        wang_landau(LatticeIsing((4, 4), h=0.1))
    with pytest.raises(ValueError, match="J != 0"):
        wang_landau(LatticeIsing((4, 4), J=0.0))
    with pytest.raises(TypeError, match="LatticeIsing"):
        wang_landau("8x8")
    with pytest.raises(ValueError, match="n_chains"):
        wang_landau(LatticeIsing((4, 4)), n_chains=1)
    with pytest.raises(ValueError, match="flatness"):
        wang_landau(LatticeIsing((4, 4)), flatness=1.0)
    with pytest.raises(ValueError, match="log_f_final"):
        wang_landau(LatticeIsing((4, 4)), log_f_final=0.0)
    with pytest.warns(RuntimeWarning, match="max_sweeps"):
        result = wang_landau(LatticeIsing((4, 4)), max_sweeps=10, seed=0)
    assert not result.converged.any()
    with pytest.raises(ValueError, match="beta"):
        result.log_z(-1.0)
    with pytest.raises(ValueError, match="quantity"):
        result.stderr("entropy", 0.5)


def test_same_seed_same_density_of_states():
    a = wang_landau(LatticeIsing((4, 4)), n_chains=2, log_f_final=1e-3, seed=9)
    b = wang_landau(LatticeIsing((4, 4)), n_chains=2, log_f_final=1e-3, seed=9)
    c = wang_landau(LatticeIsing((4, 4)), n_chains=2, log_f_final=1e-3, seed=10)
    np.testing.assert_array_equal(a.log_g, b.log_g)
    np.testing.assert_array_equal(a.trials, b.trials)
    assert not np.array_equal(a.log_g, c.log_g)
