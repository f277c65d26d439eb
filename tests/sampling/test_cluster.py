"""Wolff and Swendsen-Wang cluster updates.

Exactness: each sample is the final configuration of an independent chain, so
Pearson's chi-square test against the enumerated Boltzmann distribution applies
as in test_exactness.py; a correct sampler fails one check with probability
ALPHA (seeds fixed, so the outcome is reproducible).  Burn-in: a Swendsen-Wang
step relaxes a 16-spin system within a few steps at every beta here; a Wolff
step flips at least one spin (about two at beta = 0.2, most of the lattice at
beta = 1), so 150 steps are at least ten flips per spin.
"""

import numba
import numpy as np
import pytest

import ebmphys
from ebmphys.partition.exact import boltzmann_probabilities, enumerate_states
from ebmphys.testing import fit_to_boltzmann, frustrated_graph

ALPHA = 1e-4
N_CHAINS = 10000
CLUSTER = ["wolff", "swendsen-wang"]
BURN_IN = {"wolff": 150, "swendsen-wang": 30}

SYSTEMS = {
    "square4x4": ebmphys.LatticeIsing((4, 4)),
    "cubic2x2x4_open": ebmphys.LatticeIsing((2, 2, 4), periodic=False),
}


@pytest.mark.parametrize("algorithm", CLUSTER)
@pytest.mark.parametrize("name", sorted(SYSTEMS))
@pytest.mark.parametrize("beta", [0.2, 0.44, 1.0])
def test_cluster_matches_boltzmann(name, beta, algorithm):
    model = SYSTEMS[name]
    result = ebmphys.sample(model, beta=beta, n_sweeps=1, n_chains=N_CHAINS, burn_in=BURN_IN[algorithm],
                            algorithm=algorithm, seed=11, record=(), return_states=True)
    fit = fit_to_boltzmann(model, beta, result.states, key="energy-magnetization")
    assert fit.p_value > ALPHA, f"{name} beta={beta} {algorithm}: {fit}"


@pytest.mark.parametrize("algorithm", CLUSTER)
def test_odd_periodic_lattice(algorithm):
    """Cluster updates need no checkerboard: a 3x3 torus (odd sides), whole-state chi-square."""
    model = ebmphys.LatticeIsing((3, 3))
    result = ebmphys.sample(model, beta=0.44, n_sweeps=1, n_chains=N_CHAINS, burn_in=BURN_IN[algorithm],
                            algorithm=algorithm, seed=5, record=(), return_states=True)
    fit = fit_to_boltzmann(model, 0.44, result.states, key="state")
    assert fit.p_value > ALPHA, fit


def test_check_has_power_for_cluster_samples():
    """Wolff samples at beta = 0.44 fail against the beta = 0.40 distribution."""
    model = SYSTEMS["square4x4"]
    result = ebmphys.sample(model, beta=0.44, n_sweeps=1, n_chains=N_CHAINS, burn_in=BURN_IN["wolff"],
                            algorithm="wolff", seed=3, record=(), return_states=True)
    assert fit_to_boltzmann(model, 0.40, result.states, key="energy-magnetization").p_value < ALPHA


def test_wolff_mean_cluster_size_is_susceptibility():
    """Wolff's improved estimator: <|C|> = <M^2> / N exactly (Wolff 1989).

    The per-chain means of 2000 steps are independent across chains, so their
    spread gives the standard error; tolerance 5 standard errors.
    """
    model, beta = SYSTEMS["square4x4"], 0.44
    result = ebmphys.sample(model, beta=beta, n_sweeps=2000, n_chains=400, burn_in=300, algorithm="wolff",
                            seed=8, record=())
    sizes = result.mean_cluster_size
    states = enumerate_states(model.n_spins)
    exact = boltzmann_probabilities(model, beta) @ model.magnetization(states) ** 2 / model.n_spins
    error = sizes.std(ddof=1) / np.sqrt(sizes.size)
    assert abs(sizes.mean() - exact) < 5 * error, (sizes.mean(), exact, error)


def test_wolff_cluster_limits():
    """beta = 0 never activates a bond (clusters of one spin); large beta binds the whole lattice."""
    model = ebmphys.LatticeIsing((5, 4))
    hot = ebmphys.sample(model, beta=0.0, n_sweeps=50, n_chains=3, algorithm="wolff", seed=1)
    np.testing.assert_array_equal(hot.mean_cluster_size, 1.0)
    np.testing.assert_array_equal(np.abs(np.diff(hot.magnetization, axis=1)), 2.0)
    cold = ebmphys.sample(model, beta=20.0, n_sweeps=50, n_chains=3, algorithm="wolff", seed=1, burn_in=5)
    np.testing.assert_array_equal(np.abs(cold.magnetization), model.n_spins)
    np.testing.assert_array_equal(cold.mean_cluster_size, model.n_spins)
    assert ebmphys.sample(model, beta=0.3, n_sweeps=2, algorithm="swendsen-wang", seed=1).mean_cluster_size is None


@pytest.mark.parametrize("algorithm", CLUSTER)
@pytest.mark.parametrize("model", [ebmphys.LatticeIsing((6, 5)), ebmphys.LatticeIsing((3, 4, 5), periodic=False)])
def test_recorded_observables_match_states(model, algorithm):
    """The incrementally tracked E and M equal those recomputed from the final configurations."""
    result = ebmphys.sample(model, beta=0.4, n_sweeps=37, n_chains=5, algorithm=algorithm, seed=2,
                            return_states=True)
    np.testing.assert_array_equal(result.energy[:, -1], model.energy(result.states))
    np.testing.assert_array_equal(result.magnetization[:, -1], model.magnetization(result.states))


@pytest.mark.parametrize("algorithm", CLUSTER)
def test_continuation_is_bit_for_bit(algorithm):
    model = ebmphys.LatticeIsing((8, 6))
    kw = dict(beta=0.44, n_chains=4, algorithm=algorithm, seed=99, return_states=True)
    whole = ebmphys.sample(model, n_sweeps=100, **kw)
    first = ebmphys.sample(model, n_sweeps=50, **kw)
    second = ebmphys.sample(model, n_sweeps=50, initial_states=first.states, sweep_offset=first.final_sweep, **kw)
    np.testing.assert_array_equal(whole.states, second.states)
    np.testing.assert_array_equal(whole.energy, np.concatenate([first.energy, second.energy], axis=1))
    np.testing.assert_array_equal(whole.sweeps, np.concatenate([first.sweeps, second.sweeps]))
    again = ebmphys.sample(model, n_sweeps=100, **kw)
    np.testing.assert_array_equal(whole.magnetization, again.magnetization)


@pytest.mark.parametrize("algorithm", CLUSTER)
def test_independent_of_thread_count(algorithm):
    model = ebmphys.LatticeIsing((6, 6))
    kw = dict(beta=0.44, n_sweeps=30, n_chains=6, algorithm=algorithm, seed=4, thin=3, burn_in=7)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = ebmphys.sample(model, **kw)
    finally:
        numba.set_num_threads(threads)
    parallel = ebmphys.sample(model, **kw)
    np.testing.assert_array_equal(serial.energy, parallel.energy)
    np.testing.assert_array_equal(serial.sweeps, 7 + 3 * np.arange(1, 11))


@pytest.mark.parametrize("algorithm", CLUSTER)
@pytest.mark.parametrize("model,match", [
    (ebmphys.LatticeIsing((4, 4), J=-1.0), "J > 0"),
    (ebmphys.LatticeIsing((4, 4), h=0.1), "zero field"),
    (ebmphys.LatticeIsing((4, 4), J=0.0), "J > 0"),
])
def test_cluster_rejects_models_it_cannot_sample(model, match, algorithm):
    with pytest.raises(ValueError, match=match) as info:
        ebmphys.sample(model, beta=0.4, n_sweeps=1, algorithm=algorithm)
    assert "metropolis" in str(info.value) and "heatbath" in str(info.value)


@pytest.mark.parametrize("algorithm", CLUSTER)
def test_cluster_rejects_graph_models(algorithm):
    with pytest.raises(ValueError, match="for a GraphIsing") as info:
        ebmphys.sample(frustrated_graph(6), beta=0.4, n_sweeps=1, algorithm=algorithm)
    assert "metropolis" in str(info.value)


def test_unknown_algorithm_lists_cluster_algorithms():
    with pytest.raises(ValueError, match="swendsen-wang"):
        ebmphys.sample(ebmphys.LatticeIsing((4, 4)), beta=0.4, n_sweeps=1, algorithm="cluster")
