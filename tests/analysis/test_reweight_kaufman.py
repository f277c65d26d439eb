"""Single-histogram reweighting of Monte Carlo energies of a periodic 8x8 Ising model
against Kaufman's exact energy per spin at nearby betas."""

import numpy as np

import ebmphys
from ebmphys.analysis import integrated_autocorrelation_time, reweight
from ebmphys.partition import ising2d_energy


def test_reweighted_energy_matches_kaufman():
    model = ebmphys.LatticeIsing((8, 8))
    beta0 = 0.42
    run = ebmphys.sample(model, beta=beta0, n_sweeps=20_000, n_chains=8, seed=2024, burn_in=1000, record=("energy",))
    # the jackknife blocks (8 chains x 3 segments of ~6700 sweeps) must be far longer than tau_int
    assert integrated_autocorrelation_time(run.energy).tau < 50
    # targets inside the reach 1/sigma_E ~ 0.048 around beta0 (sigma_E ~ 21)
    betas = np.array([0.39, 0.405, 0.42, 0.435, 0.45])
    result = reweight(run.energy, run.energy, beta0, betas)
    exact = ising2d_energy(8, 8, betas)
    # tolerance: 4 block-jackknife standard errors at each beta
    np.testing.assert_array_less(np.abs(result.value / model.n_spins - exact), 4 * result.error / model.n_spins)
