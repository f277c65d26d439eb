"""phi^4 lattice field theory: free-field propagator, agreement of Metropolis, Wolff and HMC, the Ising limit.

Tolerances: 5 standard errors from tau_int of each estimator's own time series
(two-sample comparisons combine both errors); fixed seeds.
"""

import numpy as np
import pytest

from ebmphys.analysis import integrated_autocorrelation_time
from ebmphys.models import LatticeIsing, Phi4Lattice
from ebmphys.partition import boltzmann_probabilities, enumerate_states
from ebmphys.partition.continuous_exact import phi4_free_propagator
from ebmphys.sampling import Chains


def fields(model, algorithm, n_records, thin, seed, n_chains=16, burn_in=300, **options):
    chains = Chains(model, algorithm=algorithm, beta=1.0, n_chains=n_chains, seed=seed, **options)
    chains.run(burn_in, tune=True, record=())
    out = np.empty((n_chains, n_records, model.dim))
    for k in range(n_records):
        chains.run(thin, record=())
        out[:, k] = chains.states.reshape(n_chains, -1)
    return out


def mean_and_error(series):
    tau = integrated_autocorrelation_time(series).tau
    return series.mean(), np.sqrt(2 * max(tau, 0.5) * series.var() / series.size)


def correlator(phi, shape, shift):
    """Average over sites x of phi_x phi_{x + shift} of every configuration (periodic)."""
    grid = phi.reshape(phi.shape[:-1] + shape)
    axes = tuple(range(grid.ndim - len(shape), grid.ndim))
    return (grid * np.roll(grid, [-s for s in shift], axis=axes)).mean(axis=axes)


FREE = Phi4Lattice((6, 6), kappa=0.2, lam=0.0)
OPTIONS = {"metropolis": {"step_size": 1.5}, "wolff": {"step_size": 1.5, "n_clusters": 2},
           "hmc": {"n_leapfrog": 6, "step_size": 0.2}}


@pytest.mark.parametrize("algorithm", ["metropolis", "wolff", "hmc"])
def test_free_field_propagator(algorithm):
    exact = phi4_free_propagator(FREE)
    phi = fields(FREE, algorithm, 1500, 2, seed=4, **OPTIONS[algorithm])
    for shift in ((0, 0), (0, 1), (1, 1), (0, 3)):
        m, se = mean_and_error(correlator(phi, FREE.shape, shift))
        assert abs(m - exact[shift]) < 5 * se, (shift, m, exact[shift], se)


def _observables(phi, model):
    m = phi.sum(axis=-1) / model.dim
    return {"m2": m**2, "abs_m": np.abs(m), "energy": model.energy(phi.reshape(-1, model.dim)).reshape(m.shape) /
            model.dim}


def test_metropolis_wolff_and_hmc_agree_at_positive_lam():
    model = Phi4Lattice((6, 6), kappa=0.30, lam=1.0)
    estimates = {}
    for algorithm, thin in (("metropolis", 4), ("wolff", 2), ("hmc", 2)):
        phi = fields(model, algorithm, 1500, thin, seed=8, **OPTIONS[algorithm])
        estimates[algorithm] = {name: mean_and_error(series) for name, series in _observables(phi, model).items()}
    for name in ("m2", "abs_m", "energy"):
        for a, b in (("metropolis", "wolff"), ("metropolis", "hmc"), ("wolff", "hmc")):
            (ma, sa), (mb, sb) = estimates[a][name], estimates[b][name]
            assert abs(ma - mb) < 5 * np.hypot(sa, sb), (name, a, b, ma, mb)


def test_large_lam_approaches_the_ising_model_at_beta_2kappa():
    """At lam = 200 the signs of the field are the Ising model at beta = 2 kappa up to O(1/lam) (here < 1.5%):
    <m^2> and the bond energy per site match exact enumeration within 5 standard errors plus 3/lam of the value;
    at lam = 2 they do not (the test sees the limit being approached)."""
    kappa = 0.2
    ising = LatticeIsing((4, 4))
    p = boltzmann_probabilities(ising, 2 * kappa)
    s = enumerate_states(16).astype(np.float64)
    exact = {"m2": p @ (s.mean(axis=1) ** 2), "bonds": p @ (-ising.energy(s.astype(np.int8)) / 16)}

    def measure(lam, step):
        model = Phi4Lattice((4, 4), kappa=kappa, lam=lam)
        phi = fields(model, "wolff", 2000, 2, seed=1, n_chains=16, step_size=step, n_clusters=2)
        grid = phi.reshape(phi.shape[:2] + (4, 4))
        bonds = sum((grid * np.roll(grid, -1, axis=a)).sum(axis=(2, 3)) for a in (2, 3)) / 16
        return {"m2": mean_and_error((phi.mean(axis=-1)) ** 2), "bonds": mean_and_error(bonds)}

    close = measure(200.0, 0.06)
    far = measure(2.0, 0.6)
    for name, value in exact.items():
        m, se = close[name]
        assert abs(m - value) < 5 * se + 3 / 200 * abs(value), (name, m, value, se)
        m_far, se_far = far[name]
        assert abs(m_far - value) > 0.1 * abs(value) + 5 * se_far, (name, m_far, value)


def test_wolff_records_cluster_sizes_and_magnetization():
    model = Phi4Lattice((8, 8), kappa=0.3, lam=1.0)
    chains = Chains(model, algorithm="wolff", beta=1.0, n_chains=3, seed=2, n_clusters=3)
    records = chains.run(20)
    assert records.flipped.shape == (3,) and np.all(records.flipped >= 60)
    np.testing.assert_allclose(records["magnetization"][:, -1], chains.states.reshape(3, -1).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(records["energy"][:, -1], model.energy(chains.states), rtol=1e-12)
    assert np.all((records["acceptance"] > 0) & (records["acceptance"] < 1))


@pytest.mark.parametrize("algorithm", ["metropolis", "wolff", "hmc"])
def test_phi4_split_runs_and_chain0_splits_equal_one_run(algorithm):
    model = Phi4Lattice((4, 6), kappa=0.3, lam=1.5)
    args = dict(algorithm=algorithm, beta=1.0, seed=2**63 + 5)
    whole = Chains(model, n_chains=4, **args)
    a = whole.run(12, thin=3)
    split = Chains(model, n_chains=4, **args)
    split.run(6, thin=3)
    resumed = Chains(model, n_chains=4, initial_states=split.states, sweep=split.sweep, **args)
    b = resumed.run(6, thin=3)
    np.testing.assert_array_equal(whole.states, resumed.states)
    np.testing.assert_array_equal(a["magnetization"][:, 2:], b["magnetization"])
    parts = [Chains(model, n_chains=1, **args), Chains(model, n_chains=3, chain0=1, **args)]
    for p in parts:
        p.run(12)
    np.testing.assert_array_equal(whole.states, np.concatenate([p.states for p in parts]))


def test_phi4_bad_input():
    with pytest.raises(ValueError, match="algorithm 'wolff' needs kappa >= 0"):
        Chains(Phi4Lattice((4, 4), kappa=-0.1, lam=1.0), algorithm="wolff", beta=1.0)
    with pytest.raises(ValueError, match="checkerboard updates need even side lengths"):
        Chains(Phi4Lattice((5, 4), kappa=0.1, lam=1.0), algorithm="metropolis", beta=1.0)
    with pytest.raises(ValueError, match=r"n_clusters must be an integer in \[1, 255\]"):
        Chains(Phi4Lattice((4, 4), kappa=0.1, lam=1.0), algorithm="wolff", beta=1.0, n_clusters=0)
    with pytest.raises(ValueError, match="step_size must be a finite number > 0"):
        Chains(Phi4Lattice((4, 4), kappa=0.1, lam=1.0), algorithm="metropolis", beta=1.0, step_size=-1)
    with pytest.raises(TypeError, match="unexpected keyword argument.*n_clusters for algorithm 'metropolis'"):
        Chains(Phi4Lattice((4, 4), kappa=0.1, lam=1.0), algorithm="metropolis", beta=1.0, n_clusters=2)
