"""Parallel tempering: exact marginals at every temperature, exchange statistics, reproducibility.

Exactness: the configurations held at one beta by independent ensembles are
i.i.d. draws of that beta's Boltzmann distribution, so Pearson's chi-square
test applies as in test_exactness.py; a correct sampler fails one check with
probability ALPHA.  Burn-in is far beyond the relaxation of these systems with
exchanges helping the coldest replicas.
"""

import numpy as np
import pytest

import ebmphys
from ebmphys.partition.exact import boltzmann_probabilities, enumerate_states
from ebmphys.sampling import TemperingResult, parallel_tempering, tune_ladder
from ebmphys.testing import fit_to_boltzmann, frustrated_graph

ALPHA = 1e-4
N_CHAINS = 4000

CASES = {
    "square4x4-metropolis": (ebmphys.LatticeIsing((4, 4)), (0.2, 0.3, 0.44, 0.6, 1.0), "metropolis", 2),
    "frustrated_graph10-heatbath": (frustrated_graph(10, seed=0), (0.3, 0.6, 1.0, 2.0), "heatbath", 1),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def tempering_run(request):
    model, betas, algorithm, exchange_every = CASES[request.param]
    result = ebmphys.sample(model, beta=list(betas), n_sweeps=4, n_chains=N_CHAINS, burn_in=200,
                            algorithm=algorithm, exchange_every=exchange_every, seed=21, return_states=True)
    return request.param, model, betas, result


def test_tempering_marginals_match_boltzmann(tempering_run):
    name, model, betas, result = tempering_run
    assert isinstance(result, TemperingResult)
    key = "state" if model.n_spins <= 12 else "energy-magnetization"
    for i, beta in enumerate(betas):
        fit = fit_to_boltzmann(model, beta, result.states[:, i], key=key)
        assert fit.p_value > ALPHA, f"{name} beta={beta}: {fit}"
    assert np.all(result.exchange_attempts > 0)
    assert np.all((result.acceptance_rates > 0) & (result.acceptance_rates < 1))


def test_check_has_power_for_tempering_samples(tempering_run):
    """Configurations held at one beta fail against the distribution at the next beta of the ladder."""
    name, model, betas, result = tempering_run
    key = "state" if model.n_spins <= 12 else "energy-magnetization"
    for i in range(len(betas) - 1):
        assert fit_to_boltzmann(model, betas[i + 1], result.states[:, i], key=key).p_value < ALPHA, (name, i)


def test_acceptance_rate_matches_exact_expectation():
    """One exchange per ensemble between equilibrated replicas at b0, b1 is accepted with probability
    sum_{E,E'} p0(E) p1(E') min(1, exp((b1 - b0)(E' - E))); ensembles are independent, so the count is
    binomial; tolerance 5 standard errors."""
    model = ebmphys.LatticeIsing((3, 4), periodic=False)
    betas = np.array([0.3, 0.5])
    n_chains = 10000
    # two betas: only even rounds have a pair; sweeps 101, 102 after burn-in hold one exchange (sweep 102)
    result = parallel_tempering(model, beta=betas, n_sweeps=2, n_chains=n_chains, burn_in=100, seed=5)
    energies = model.energy(enumerate_states(model.n_spins))
    p0, p1 = boltzmann_probabilities(model, betas[0]), boltzmann_probabilities(model, betas[1])
    ratio = np.minimum(1.0, np.exp((betas[1] - betas[0]) * (energies[None, :] - energies[:, None])))
    exact = p0 @ ratio @ p1
    assert result.exchange_attempts.tolist() == [n_chains]
    error = np.sqrt(exact * (1 - exact) / n_chains)
    assert abs(result.acceptance_rates[0] - exact) < 5 * error, (result.acceptance_rates, exact, error)


def test_round_trips_when_every_exchange_is_accepted():
    """Betas 1e-12 apart accept every exchange; with two betas a swap happens every second sweep,
    so after 10 swaps replica 0 has made 5 round trips and replica 1 (starting at the cold end) 4."""
    model = ebmphys.LatticeIsing((4, 4))
    result = parallel_tempering(model, beta=[0.1, 0.1 + 1e-12], n_sweeps=20, n_chains=3, seed=1)
    np.testing.assert_array_equal(result.exchange_accepted, result.exchange_attempts)
    np.testing.assert_array_equal(result.exchange_attempts, [30])
    np.testing.assert_array_equal(result.round_trips, [9, 9, 9])
    np.testing.assert_array_equal(result.replicas, [[0, 1]] * 3)


def test_shapes_and_records():
    model = ebmphys.LatticeIsing((4, 6))
    result = ebmphys.sample(model, beta=[0.2, 0.3, 0.5], n_sweeps=12, n_chains=2, thin=4, burn_in=5,
                            exchange_every=3, seed=0, return_states=True)
    assert result.energy.shape == result.magnetization.shape == (2, 3, 3)
    assert result.states.shape == (2, 3, 4, 6)
    np.testing.assert_array_equal(result.sweeps, [9, 13, 17])
    assert result.final_sweep == 17
    np.testing.assert_array_equal(result.energy[:, :, -1], model.energy(result.states))
    np.testing.assert_array_equal(result.magnetization[:, :, -1], model.magnetization(result.states))
    np.testing.assert_array_equal(np.sort(result.replicas, axis=1), [[0, 1, 2]] * 2)


@pytest.mark.parametrize("model,algorithm", [
    (ebmphys.LatticeIsing((6, 4)), "heatbath"),
    (frustrated_graph(12, seed=3), "metropolis"),
    (ebmphys.LatticeIsing((5, 5)), "wolff"),
])
def test_continuation_is_bit_for_bit(model, algorithm):
    """Two runs of 50 sweeps equal one of 100, with exchange rounds (every 3 sweeps) straddling the cut."""
    kw = dict(beta=[0.2, 0.4, 0.7, 1.1], n_chains=3, algorithm=algorithm, exchange_every=3, seed=77,
              return_states=True)
    whole = ebmphys.sample(model, n_sweeps=100, **kw)
    first = ebmphys.sample(model, n_sweeps=50, **kw)
    second = ebmphys.sample(model, n_sweeps=50, initial_states=first.states, sweep_offset=first.final_sweep, **kw)
    np.testing.assert_array_equal(whole.states, second.states)
    np.testing.assert_array_equal(whole.energy, np.concatenate([first.energy, second.energy], axis=2))
    again = ebmphys.sample(model, n_sweeps=100, **kw)
    np.testing.assert_array_equal(whole.magnetization, again.magnetization)
    assert whole.exchange_accepted.sum() > 0


@pytest.mark.parametrize("beta,match", [
    ([0.5, 0.3], "strictly increasing"),
    ([0.3, 0.3, 0.5], "strictly increasing"),
    ([0.3], "at least 2"),
    ([[0.1, 0.2]], "1-D"),
    ([-0.1, 0.3], ">= 0"),
    ([0.1, float("nan")], "finite"),
    ([0.1, float("inf")], "finite"),
])
def test_bad_ladders(beta, match):
    with pytest.raises(ValueError, match=match):
        ebmphys.sample(ebmphys.LatticeIsing((4, 4)), beta=beta, n_sweeps=1)


def test_bad_tempering_arguments():
    model = ebmphys.LatticeIsing((4, 4))
    with pytest.raises(TypeError, match="beta ladder"):
        parallel_tempering(model, beta=["a", "b"], n_sweeps=1)
    with pytest.raises(ValueError, match="exchange_every"):
        ebmphys.sample(model, beta=[0.1, 0.2], n_sweeps=1, exchange_every=0)
    with pytest.raises(ValueError, match="exchange_every applies to parallel tempering"):
        ebmphys.sample(model, beta=0.3, n_sweeps=1, exchange_every=2)
    with pytest.raises(ValueError, match="initial_states"):
        ebmphys.sample(model, beta=[0.1, 0.2], n_sweeps=1, n_chains=2,
                       initial_states=np.ones((2, 3, 4, 4), dtype=np.int8))
    with pytest.raises(ValueError, match="J > 0"):
        ebmphys.sample(ebmphys.LatticeIsing((4, 4), J=-1.0), beta=[0.1, 0.2], n_sweeps=1, algorithm="wolff")


def test_tune_ladder_equalises_acceptance():
    """On a 4x4 torus a linear ladder 0.1..1.0 has very unequal pair acceptance (the gap near beta_c
    is hardest); the tuned ladder keeps its ends and narrows the spread of the rates by at least half.
    The rates come from independent check runs (8 x 500 exchange attempts per pair)."""
    model = ebmphys.LatticeIsing((4, 4))
    linear = np.linspace(0.1, 1.0, 5)
    tuned = tune_ladder(model, beta_min=0.1, beta_max=1.0, n_betas=5, n_sweeps=200, n_iterations=3, seed=4)
    assert tuned[0] == 0.1 and tuned[-1] == 1.0 and np.all(np.diff(tuned) > 0)

    def spread(betas):
        rates = parallel_tempering(model, beta=betas, n_sweeps=1000, n_chains=8, burn_in=100, seed=8,
                                   record=()).acceptance_rates
        return rates.max() - rates.min()

    assert spread(tuned) < 0.5 * spread(linear), (tuned, spread(tuned), spread(linear))


@pytest.mark.parametrize("kwargs,match", [
    (dict(beta_min=0.5, beta_max=0.5, n_betas=4), "beta_min < beta_max"),
    (dict(beta_min=-0.1, beta_max=0.5, n_betas=4), "0 <= beta_min"),
    (dict(beta_min=0.1, beta_max=0.5, n_betas=1), "n_betas"),
    (dict(beta_min=0.1, beta_max=float("inf"), n_betas=3), "beta_max"),
])
def test_tune_ladder_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tune_ladder(ebmphys.LatticeIsing((4, 4)), **kwargs)


def test_replica_exchange_needs_energies():
    from types import SimpleNamespace

    from ebmphys.sampling.exchange import ReplicaExchange

    with pytest.raises(ValueError, match="parallel tempering needs the chains' energies"):
        ReplicaExchange(SimpleNamespace(observables=("magnetization",)), 1, np.array([0.1, 0.2]), 1, 0, 0, 0)
