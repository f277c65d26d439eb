"""Thermodynamic integration against Kaufman and enumeration.

Tolerance: 5 combined standard errors, hypot(statistical stderr, Richardson
quadrature error); the grids are chosen fine enough that the quadrature error
is below the statistical one, which the tests check too.
"""

import numpy as np
import pytest

from ebmphys.models.ising import LatticeIsing
from ebmphys.partition import ising2d_energy, ising2d_log_z, log_z_exact
from ebmphys.partition.thermodynamic import simpson_weights, thermodynamic_integration
from ebmphys.sampling import registry
from ebmphys.testing import SMALL_SYSTEMS

Z_TOL = 5.0


def _check(result, exact):
    assert result.quadrature_error < result.stderr
    assert abs(result.log_z - exact) < Z_TOL * np.hypot(result.stderr, result.quadrature_error)


def test_ti_matches_kaufman_across_the_transition():
    result = thermodynamic_integration(LatticeIsing((6, 6)), 1.0, n_betas=33, seed=1)
    _check(result, ising2d_log_z(6, 6, 1.0))
    # the measured <E>_b themselves agree with Kaufman's energy within their error bars
    inner = slice(1, None)
    exact_e = 36 * ising2d_energy(6, 6, result.betas[inner])
    assert np.all(np.abs(result.mean_energy[inner] - exact_e) < Z_TOL * result.energy_stderr[inner])


def test_ti_matches_enumeration_with_field_metropolis():
    model, (beta,) = SMALL_SYSTEMS["antiferro4x4_field"]
    result = thermodynamic_integration(model, beta, n_betas=17, n_sweeps=1000, burn_in=200, seed=2,
                                       algorithm="metropolis")
    _check(result, log_z_exact(model, beta))


def test_ti_on_a_frustrated_graph():
    model, (beta, _) = SMALL_SYSTEMS["frustrated_graph10"]
    _check(thermodynamic_integration(model, beta, n_betas=17, seed=3), log_z_exact(model, beta))


def test_simpson_weights_integrate_cubics_exactly():
    x = np.linspace(0.0, 2.0, 9)
    assert simpson_weights(9, 2.0) @ (x**3 - x) == pytest.approx(2.0)


def test_bad_input(monkeypatch):
    # device="cuda" takes the no-GPU path on every machine: the CUDA probe reports no device
    monkeypatch.setattr(registry, "_cuda_status", registry.CudaStatus("device", "forced by the test"))
    model = LatticeIsing((4, 4))
    with pytest.raises(ValueError, match="4m \\+ 1"):
        thermodynamic_integration(model, 0.5, n_betas=8)
    with pytest.raises(ValueError, match="n_chains"):
        thermodynamic_integration(model, 0.5, n_chains=1)
    with pytest.raises(ValueError, match="beta"):
        thermodynamic_integration(model, -0.5)
    with pytest.raises(TypeError, match="model"):
        thermodynamic_integration(object(), 0.5)
    with pytest.raises(ValueError, match="algorithm"):
        thermodynamic_integration(model, 0.5, algorithm="wolff")
    with pytest.raises(ValueError, match="device"):
        thermodynamic_integration(model, 0.5, device="cuda")
