"""Potts samplers (Metropolis, heat bath, Wolff, Swendsen-Wang, parallel tempering) against enumeration.

Exactness: each sample is the final configuration of an independent chain, so the
draws are i.i.d. and Pearson's chi-square test against the enumerated Boltzmann
distribution applies (``ebmphys.testing.fit_to_boltzmann``; the 3x3 torus by
whole configurations, 3**9 = 19683 states with small cells pooled; the larger
systems by joint (E, M) values).  A correct sampler fails one check with
probability ALPHA; seeds are fixed.  Burn-in: 200 sweeps (cluster steps) is far
beyond the relaxation of these 8-12 site systems at the betas used (global
moves between the q ordered states included: at beta = 1 a 3x3 torus changes
its majority state within a few sweeps).
"""

import numba
import numpy as np
import pytest

import ebmphys
from ebmphys.models import LatticePotts
from ebmphys.partition.potts_critical import potts_beta_c, potts_critical_energy
from ebmphys.sampling import Chains, algorithms
from ebmphys.testing import POTTS_SYSTEMS, fit_to_boltzmann

ALPHA = 1e-4
N_CHAINS = 10000
BURN_IN = 200


def _key(model):
    return "state" if model.n_spins <= 9 else "energy-magnetization"


CASES = [(name, beta, algorithm) for name, (model, betas) in POTTS_SYSTEMS.items() for beta in betas
         for algorithm in algorithms(model.kind)
         if not (algorithm in ("wolff", "swendsen-wang") and model.has_field)]


def test_every_potts_algorithm_is_checked():
    assert {a for _, _, a in CASES} == {"metropolis", "heatbath", "wolff", "swendsen-wang"}
    assert set(algorithms("graph-potts")) == {"metropolis", "heatbath"}


@pytest.mark.parametrize("name,beta,algorithm", CASES)
def test_sampler_matches_boltzmann(name, beta, algorithm):
    model = POTTS_SYSTEMS[name][0]
    result = ebmphys.sample(model, beta=beta, n_sweeps=1, n_chains=N_CHAINS, burn_in=BURN_IN, algorithm=algorithm,
                            seed=2025, record=(), return_states=True)
    assert result.states.dtype == np.uint8 and result.states.shape == (N_CHAINS,) + model.shape
    fit = fit_to_boltzmann(model, beta, result.states, key=_key(model))
    assert fit.p_value > ALPHA, f"{name} beta={beta} {algorithm}: {fit}"


@pytest.mark.parametrize("name", ["torus3x3_q3", "graph8_q3_categorical"])
def test_parallel_tempering_matches_boltzmann_at_every_beta(name):
    """Heat-bath replicas with exchanges every sweep: the final configuration at each beta is exact."""
    model = POTTS_SYSTEMS[name][0]
    ladder = [0.4, 0.8, 1.2]
    result = ebmphys.sample(model, beta=ladder, n_sweeps=1, n_chains=N_CHAINS // 2, burn_in=BURN_IN,
                            algorithm="heatbath", seed=31, record=(), return_states=True)
    for k, beta in enumerate(ladder):
        fit = fit_to_boltzmann(model, beta, result.states[:, k], key="energy-magnetization")
        assert fit.p_value > ALPHA, f"{name} beta={beta}: {fit}"


def test_check_has_power():
    """Heat-bath samples at beta = 1.0 fail against the beta = 0.9 distribution."""
    model = POTTS_SYSTEMS["torus3x3_q3"][0]
    result = ebmphys.sample(model, beta=1.0, n_sweeps=1, n_chains=N_CHAINS, burn_in=BURN_IN, algorithm="heatbath",
                            seed=5, record=(), return_states=True)
    assert fit_to_boltzmann(model, 0.9, result.states, key="energy-magnetization").p_value < ALPHA


def test_cluster_updates_agree_with_heat_bath_at_beta_c():
    """16x16, q = 3, beta_c = ln(1 + sqrt 3): <E>/N, <m> and <m^2> of Wolff, SW and heat bath agree.

    Each estimate averages the per-chain means of 32 independent chains (the runs are
    many autocorrelation times long, so per-chain means are nearly independent
    normal draws); its standard error is their spread / sqrt(32).  Tolerance: 5
    combined standard errors.  The energy must also lie near the infinite-lattice
    value -(1 + 1/sqrt 3) = -1.577 (finite-size shift well below 0.05 at L = 16).
    """
    model = LatticePotts((16, 16), q=3)
    beta = potts_beta_c(3)
    runs = {
        "heatbath": dict(n_sweeps=3000, burn_in=500),
        "wolff": dict(n_sweeps=6000, burn_in=500),
        "swendsen-wang": dict(n_sweeps=1500, burn_in=200),
    }
    stats = {}
    for algorithm, kw in runs.items():
        r = ebmphys.sample(model, beta=beta, n_chains=32, algorithm=algorithm, seed=77, **kw)
        m = r.magnetization / model.n_spins
        per_chain = np.stack([r.energy.mean(axis=1) / model.n_spins, m.mean(axis=1), (m**2).mean(axis=1)])
        stats[algorithm] = (per_chain.mean(axis=1), per_chain.std(axis=1, ddof=1) / np.sqrt(32))
    ref_value, ref_error = stats["heatbath"]
    assert abs(ref_value[0] - potts_critical_energy(3)) < 0.05
    for algorithm in ("wolff", "swendsen-wang"):
        value, error = stats[algorithm]
        z = np.abs(value - ref_value) / np.sqrt(error**2 + ref_error**2)
        assert np.all(z < 5), (algorithm, value, ref_value, z)


def test_wolff_mean_cluster_size_and_limits():
    """beta = 0 activates no bond (clusters of one site, every step changes one site); a cold lattice is one cluster."""
    model = LatticePotts((5, 4), q=4)
    hot = ebmphys.sample(model, beta=0.0, n_sweeps=50, n_chains=3, algorithm="wolff", seed=1)
    np.testing.assert_array_equal(hot.mean_cluster_size, 1.0)
    cold = ebmphys.sample(model, beta=30.0, n_sweeps=20, n_chains=3, algorithm="wolff", seed=1, burn_in=200)
    np.testing.assert_array_equal(cold.mean_cluster_size, model.n_spins)
    np.testing.assert_array_equal(cold.magnetization, model.n_spins)


@pytest.mark.parametrize("name,algorithm", [("torus4x6", a) for a in ("metropolis", "heatbath", "wolff",
                                                                      "swendsen-wang")]
                         + [("graph", "metropolis"), ("graph", "heatbath"), ("open3d_field", "heatbath")])
def test_runs_split_resume_and_chain0_keep_their_bits(name, algorithm):
    model = {"torus4x6": LatticePotts((4, 6), q=4), "graph": POTTS_SYSTEMS["graph8_q3_categorical"][0],
             "open3d_field": POTTS_SYSTEMS["open2x2x3_q3_field"][0]}[name]
    args = dict(algorithm=algorithm, beta=0.8, n_chains=5, seed=2**64 - 3)
    whole = Chains(model, **args)
    a = whole.run(12, thin=3)
    split = Chains(model, **args)
    b = [split.run(6, thin=3), split.run(6, thin=3)]
    np.testing.assert_array_equal(whole.states, split.states)
    for obs in ("energy", "magnetization"):
        np.testing.assert_array_equal(a[obs], np.concatenate([r[obs] for r in b], axis=-1))
    np.testing.assert_allclose(b[1]["energy"][:, -1], model.energy(split.states), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(b[1]["magnetization"][:, -1], model.magnetization(split.states))
    resumed = Chains(model, **args, initial_states=split.states, sweep=split.sweep)
    whole.run(4)
    resumed.run(4)
    np.testing.assert_array_equal(whole.states, resumed.states)
    first, rest = Chains(model, **dict(args, n_chains=2)), Chains(model, **dict(args, n_chains=3), chain0=2)
    for c in (first, rest):
        c.run(16)
    np.testing.assert_array_equal(whole.states, np.concatenate([first.states, rest.states]))


def test_independent_of_thread_count():
    model = LatticePotts((64, 64), q=3)
    kw = dict(beta=1.0, n_sweeps=4, n_chains=16, algorithm="heatbath", seed=4)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = ebmphys.sample(model, **kw, return_states=True)
    finally:
        numba.set_num_threads(threads)
    parallel = ebmphys.sample(model, **kw, return_states=True)
    np.testing.assert_array_equal(serial.states, parallel.states)


@pytest.mark.parametrize("algorithm", ["wolff", "swendsen-wang"])
def test_cluster_updates_refuse_fields_and_antiferromagnets(algorithm):
    for model, match in ((LatticePotts((4, 4), 3, J=-1.0), "J > 0"), (LatticePotts((4, 4), 3, h=[0.1, 0, 0]), "field")):
        with pytest.raises(ValueError, match=match) as info:
            ebmphys.sample(model, beta=0.5, n_sweeps=1, algorithm=algorithm)
        assert "heatbath" in str(info.value)
    # a constant field favours no state: clusters are fine
    ebmphys.sample(LatticePotts((4, 4), 3, h=[0.2, 0.2, 0.2]), beta=0.5, n_sweeps=1, algorithm=algorithm)


def test_initial_states_are_checked():
    model = LatticePotts((3, 3), q=3)
    with pytest.raises(ValueError, match="0..2"):
        ebmphys.sample(model, beta=0.5, n_sweeps=1, initial_states=np.full((1, 3, 3), 3, np.uint8))
    with pytest.raises(TypeError, match="integer"):
        ebmphys.sample(model, beta=0.5, n_sweeps=1, initial_states=np.zeros((1, 3, 3)))
    with pytest.raises(ValueError, match="smaller beta"):
        ebmphys.sample(model, beta=500.0, n_sweeps=1, algorithm="heatbath")
