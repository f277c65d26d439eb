"""Metropolis and heat bath reproduce exact Boltzmann distributions of enumerable systems.

Each sample is the final configuration of an independent chain, so the draws are
i.i.d. and Pearson's chi-square test applies without autocorrelation corrections.
The burn-in (in sweeps) is far beyond the slowest relaxation of these systems
except global spin reversal at beta = 1, which the symmetric random start
balances exactly.  A correct sampler fails a single check with probability
ALPHA; the seeds are fixed, so the outcome is reproducible.
"""

import pytest

import ebmphys
from ebmphys.testing import SMALL_SYSTEMS, fit_to_boltzmann

ALPHA = 1e-4
N_CHAINS = 20000
BURN_IN = 400

CASES = [(name, beta) for name, (_, betas) in SMALL_SYSTEMS.items() for beta in betas]


@pytest.mark.parametrize("algorithm", ["metropolis", "heatbath"])
@pytest.mark.parametrize("name,beta", CASES)
def test_sampler_matches_boltzmann(name, beta, algorithm):
    model = SMALL_SYSTEMS[name][0]
    result = ebmphys.sample(
        model, beta=beta, n_sweeps=1, n_chains=N_CHAINS, burn_in=BURN_IN, algorithm=algorithm,
        seed=2024, record=(), return_states=True,
    )
    key = "state" if model.n_spins <= 12 else "energy-magnetization"
    fit = fit_to_boltzmann(model, beta, result.states, key=key)
    assert fit.p_value > ALPHA, f"{name} beta={beta} {algorithm}: {fit}"


def test_check_detects_wrong_temperature():
    """The test has power: samples at beta = 0.44 fail against the beta = 0.40 distribution."""
    model = SMALL_SYSTEMS["square4x4"][0]
    result = ebmphys.sample(model, beta=0.44, n_sweeps=1, n_chains=N_CHAINS, burn_in=BURN_IN, seed=7,
                            record=(), return_states=True)
    assert fit_to_boltzmann(model, 0.40, result.states, key="energy-magnetization").p_value < ALPHA
