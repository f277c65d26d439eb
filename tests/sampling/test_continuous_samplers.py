"""Gradient samplers (RWMH, ULA, MALA, HMC) against exact results, and their bits, options and divergences.

Tolerances: an estimate passes when it lies within 5 standard errors of the
exact value, the standard error being sqrt(2 tau_int var / n) with tau_int
measured on the estimator's own time series (ebmphys.analysis); seeds are fixed.
"""

import numba
import numpy as np
import pytest

import ebmphys
from ebmphys.analysis import integrated_autocorrelation_time
from ebmphys.exceptions import DivergenceError
from ebmphys.models import ContinuousEBM, DoubleWell, Gaussian, MLPEnergy
from ebmphys.partition.continuous_exact import grid_density, quartic_moments_1d
from ebmphys.sampling import Chains
from ebmphys.sampling.continuous import tuned_options

_A = np.random.default_rng(7).normal(size=(5, 5))
COV5 = _A @ _A.T / 5 + 0.3 * np.eye(5)
MEAN5 = np.array([1.0, -1.0, 0.5, 0.0, 2.0])
GAUSSIAN5 = Gaussian(MEAN5, COV5)


def trajectory(chains, n_records, thin=1):
    """States after every ``thin`` sweeps: float64 (n_chains, n_records, dim)."""
    out = np.empty((chains.n_chains, n_records, chains.model.dim))
    for k in range(n_records):
        chains.run(thin, record=())
        out[:, k] = chains.states.reshape(chains.n_chains, -1)
    return out


def mean_and_error(series):
    """Mean of a (n_chains, n) series and its standard error from tau_int."""
    tau = integrated_autocorrelation_time(series).tau
    return series.mean(), np.sqrt(2 * max(tau, 0.5) * series.var() / series.size)


def assert_moments(x, mean, cov, n_sigma=5.0):
    """Every mean and every entry of the covariance (as <x_i x_j> - mean_i mean_j) within n_sigma errors."""
    dim = x.shape[-1]
    for i in range(dim):
        m, se = mean_and_error(x[..., i])
        assert abs(m - mean[i]) < n_sigma * se, (i, m, mean[i], se)
    for i in range(dim):
        for j in range(i, dim):
            product = (x[..., i] - mean[i]) * (x[..., j] - mean[j])
            m, se = mean_and_error(product)
            assert abs(m - cov[i, j]) < n_sigma * se, (i, j, m, cov[i, j], se)


SETTINGS = {"rwmh": {}, "mala": {}, "hmc": {"n_leapfrog": 5}, "langevin": {"step_size": 0.05}}


@pytest.mark.parametrize("algorithm", ["rwmh", "mala", "hmc", "langevin"])
def test_correlated_gaussian_5d(algorithm):
    beta = 1.3
    chains = Chains(GAUSSIAN5, algorithm=algorithm, beta=beta, n_chains=16, seed=11, **SETTINGS[algorithm])
    chains.run(1000, tune=True, record=())
    thin = {"rwmh": 5, "mala": 2, "hmc": 1, "langevin": 2}[algorithm]
    x = trajectory(chains, 1500, thin)
    cov = COV5 / beta
    if algorithm == "langevin":
        # ULA's stationary covariance: Sigma = A Sigma A + 2h I with A = 1 - h beta P, i.e. (beta P - h beta^2 P^2 / 2)^-1
        h, p = 0.05, np.linalg.inv(COV5)
        cov = np.linalg.inv(beta * p - h * beta**2 * p @ p / 2)
    assert_moments(x, MEAN5, cov)


@pytest.mark.parametrize("algorithm", ["rwmh", "mala", "hmc"])
def test_tilted_double_well_moments_against_quadrature(algorithm):
    model = DoubleWell(1, barrier=1.0, tilt=0.4)
    exact = quartic_moments_1d(model, 1.0, (1, 2, 3, 4))
    chains = Chains(model, algorithm=algorithm, beta=1.0, n_chains=32, seed=3, **SETTINGS[algorithm])
    chains.run(500, tune=True, record=())
    x = trajectory(chains, 3000, 2)[..., 0]
    for p, value in zip((1, 2, 3, 4), exact):
        m, se = mean_and_error(x**p)
        assert abs(m - value) < 5 * se, (p, m, value, se)


def test_mlp_energy_moments_against_a_quadrature_grid():
    """HMC on a 2-D MLP energy: mean and covariance against the density normalised on a fine grid."""
    model = MLPEnergy([2, 8, 8, 1], "softplus", quadratic=0.6, seed=5)
    axis = np.linspace(-7, 7, 561)
    density, _ = grid_density(model, [axis, axis])
    w = density / density.sum()
    gx, gy = np.meshgrid(axis, axis, indexing="ij")
    mean = np.array([(w * gx).sum(), (w * gy).sum()])
    cov = np.array([[(w * (gx - mean[0]) * (a - mean[b])).sum() for b, a in enumerate((gx, gy))],
                    [(w * (gy - mean[1]) * (a - mean[b])).sum() for b, a in enumerate((gx, gy))]])
    chains = Chains(model, algorithm="hmc", beta=1.0, n_chains=16, seed=4, n_leapfrog=5)
    chains.run(500, tune=True, record=())
    assert_moments(trajectory(chains, 1500, 2), mean, cov)


def test_hmc_mass_adaptation_learns_the_scales():
    """Variances 0.01, 1, 100: after windows ending at 50, 150, 350 and 750 tuned sweeps the inverse mass is
    within a factor 2 of the variances (window of 400 correlated states), and sampling with it is exact."""
    variances = np.array([0.01, 1.0, 100.0])
    model = Gaussian(np.zeros(3), variances)
    chains = Chains(model, algorithm="hmc", beta=1.0, n_chains=8, seed=3, n_leapfrog=5, adapt_mass=True)
    chains.run(750, tune=True, record=())
    ratio = tuned_options(chains)["inverse_mass"] / variances
    assert np.all((ratio > 0.5) & (ratio < 2.0)), ratio
    assert_moments(trajectory(chains, 1000), np.zeros(3), np.diag(variances))


def test_ula_has_its_documented_bias_and_mala_has_none():
    """1-D standard normal at h = 0.4: ULA's stationary variance is 1 / (1 - h/2) = 1.25 (and s^2 / (2h - h^2)
    with a separately set noise scale s); MALA's is exactly 1.  Each must also be far from the other's value."""
    model = Gaussian([0.0], 1.0)
    h = 0.4

    def variance(algorithm, **options):
        chains = Chains(model, algorithm=algorithm, beta=1.0, n_chains=64, seed=5, step_size=h, **options)
        chains.run(200, record=())
        return mean_and_error(trajectory(chains, 2000)[..., 0] ** 2)

    ula, ula_se = variance("langevin")
    mala, mala_se = variance("mala", adapt_step_size=False)
    assert abs(ula - 1 / (1 - h / 2)) < 5 * ula_se
    assert abs(ula - 1.0) > 20 * ula_se
    assert abs(mala - 1.0) < 5 * mala_se
    assert abs(mala - 1.25) > 20 * mala_se
    s = 0.5
    ula_s, se_s = variance("langevin", noise_scale=s)
    assert abs(ula_s - s**2 / (2 * h - h**2)) < 5 * se_s


def test_energy_records_and_sample_api():
    """<E> = d / (2 beta) for a Gaussian; sample() tunes during burn-in and returns the records."""
    result = ebmphys.sample(GAUSSIAN5, beta=2.0, n_sweeps=2000, burn_in=500, n_chains=8, algorithm="hmc", seed=1,
                            return_states=True)
    m, se = mean_and_error(result.energy)
    assert abs(m - 5 / 4) < 5 * se
    assert result.magnetization is None and result.states.shape == (8, 5)


# ---------------------------------------------------------------------------- bits


def _chains(algorithm, **kwargs):
    args = dict(algorithm=algorithm, beta=0.9, n_chains=4, seed=2**64 - 3, **SETTINGS[algorithm])
    args.update(kwargs)
    return Chains(GAUSSIAN5, **args)


@pytest.mark.parametrize("algorithm", ["rwmh", "langevin", "mala", "hmc"])
def test_split_runs_equal_one_run_and_resume_mid_tuning(algorithm):
    options = {"adapt_mass": True} if algorithm == "hmc" else {}
    whole = _chains(algorithm, **options)
    whole.run(70, tune=True)
    a = whole.run(30, thin=3)
    split = _chains(algorithm, **options)
    split.run(40, tune=True)
    # checkpoint in the middle of tuning: states, sweep counter and tuned settings
    resumed = _chains(algorithm, initial_states=split.states, sweep=split.sweep,
                      **({**options, **tuned_options(split)} if algorithm != "langevin" else options))
    resumed.run(30, tune=True)
    b1 = resumed.run(12, thin=3)
    b2 = resumed.run(18, thin=3)
    np.testing.assert_array_equal(whole.states, resumed.states)
    for name in whole.observables:
        np.testing.assert_array_equal(a[name], np.concatenate([b1[name], b2[name]], axis=-1))
    same = _chains(algorithm, **options)
    same.run(70, tune=True)
    same.run(30)
    np.testing.assert_array_equal(same.states, whole.states)


@pytest.mark.parametrize("algorithm", ["rwmh", "langevin", "mala", "hmc"])
def test_chain0_split_equals_whole_batch(algorithm):
    whole = _chains(algorithm, n_chains=5)
    whole.run(20, tune=True)
    whole.run(10)
    parts = [_chains(algorithm, n_chains=2), _chains(algorithm, n_chains=3, chain0=2)]
    for p in parts:
        p.run(20, tune=True)
        p.run(10)
    np.testing.assert_array_equal(whole.states, np.concatenate([p.states for p in parts]))


def test_parallel_tempering_of_a_double_well():
    """A ladder exchanges configurations (energy records) and the coldest rung matches quadrature."""
    model = DoubleWell(1, barrier=4.0, tilt=0.3)
    result = ebmphys.sample(model, beta=[0.2, 0.4, 0.7, 1.0], n_sweeps=1000, burn_in=200, n_chains=8,
                            algorithm="mala", seed=2, step_size=0.1, adapt_step_size=False)
    assert np.all(result.acceptance_rates > 0.2)
    chains = Chains(model, algorithm="mala", beta=[0.2, 0.4, 0.7, 1.0], n_chains=16, seed=2, step_size=0.1,
                    adapt_step_size=False)
    chains.run(500, record=())
    x = np.empty((16, 1000))
    for k in range(1000):
        chains.run(2, record=())
        x[:, k] = chains.states[:, -1, 0]
    exact = quartic_moments_1d(model, 1.0, (1,))[0]
    m, se = mean_and_error(x)
    assert abs(m - exact) < 5 * se


# ---------------------------------------------------------------------------- divergences and bad input


@numba.njit(cache=True)
def _cliff_energy(x, params):
    r2 = np.sum(x * x, axis=1)
    out = 0.5 * r2
    for m in range(x.shape[0]):
        if r2[m] > 9.0:
            out[m] = np.inf
    return out


@numba.njit(cache=True)
def _cliff_grad(x, params):
    return np.ascontiguousarray(x.copy())


CLIFF = ContinuousEBM(energy=_cliff_energy, grad=_cliff_grad, params=np.zeros(0), dim=2)


def test_divergence_raises_naming_chain_and_sweep_and_keeps_the_chains():
    chains = Chains(CLIFF, algorithm="langevin", beta=1.0, n_chains=3, seed=1, step_size=2.0, noise_scale=2.0)
    before = chains.states
    with pytest.raises(DivergenceError, match=r"chain \d diverged at sweep \d+ \(langevin\): the proposal's energy is "
                                              r"not finite"):
        chains.run(50)
    np.testing.assert_array_equal(chains.states, before)
    assert chains.sweep == 0


def test_divergences_counted_are_rejected_and_never_reach_adaptation():
    chains = Chains(CLIFF, algorithm="mala", beta=1.0, n_chains=4, seed=1, step_size=5.0, on_divergence="count")
    chains.run(200, tune=True)
    tuned = tuned_options(chains)
    assert np.all(np.isfinite(tuned["step_size"])) and np.all(tuned["step_size"] < 5.0)
    records = chains.run(300)
    assert np.all(np.isfinite(chains.states)) and np.all(np.isfinite(records["energy"]))
    assert np.all(np.isin(records["divergent"], (0.0, 1.0)))
    assert np.all(records["acceptance"][records["divergent"] == 1.0] == 0.0)
    big = Chains(CLIFF, algorithm="rwmh", beta=1.0, n_chains=4, seed=1, step_size=10.0, on_divergence="count",
                 adapt_step_size=False).run(100)
    assert big["divergent"].sum() > 50


def test_initial_state_with_infinite_energy_is_an_error():
    chains = Chains(CLIFF, algorithm="hmc", beta=1.0, n_chains=2, seed=1, initial_states=[[0.0, 0.0], [5.0, 0.0]])
    with pytest.raises(DivergenceError, match="chain 1 diverged at sweep 0 .*current configuration is not finite"):
        chains.run(5)


@pytest.mark.parametrize("algorithm, options, message", [
    ("mala", {"step_size": -0.1}, "step_size must be finite and > 0"),
    ("mala", {"step_size": [0.1, 0.2]}, r"step_size must be a number or have one value per chain \(shape \(4,\)\)"),
    ("hmc", {"n_leapfrog": 0}, "n_leapfrog must be an integer >= 1"),
    ("hmc", {"inverse_mass": [1.0, -1.0, 1.0, 1.0, 1.0]}, "inverse_mass must be finite, > 0"),
    ("mala", {"target_acceptance": 1.5}, r"target_acceptance must be a number in \(0, 1\)"),
    ("mala", {"noise_scale": 0.3}, "unexpected keyword argument.*noise_scale for algorithm 'mala'"),
    ("mala", {"adapt_mass": True}, "unexpected keyword argument.*adapt_mass"),
    ("langevin", {"noise_scale": -1.0}, "noise_scale must be finite and >= 0"),
    ("langevin", {"target_acceptance": 0.5}, "unexpected keyword argument.*target_acceptance"),
    ("rwmh", {"on_divergence": "ignore"}, "on_divergence must be one of"),
    ("hmc", {"adaptation_state": np.zeros((4, 3))}, r"adaptation_state must be a finite array of shape \(4, 17\)"),
    ("hmc", {"adapt_mass": 1}, "adapt_mass must be True or False"),
])
def test_bad_options_give_one_line_errors(algorithm, options, message):
    with pytest.raises((ValueError, TypeError), match=message) as info:
        Chains(GAUSSIAN5, algorithm=algorithm, beta=1.0, n_chains=4, seed=0, **options)
    assert "\n" not in str(info.value)


def test_wrong_dimension_and_unknown_algorithm():
    with pytest.raises(ValueError, match=r"initial_states must have shape \(\.\.\., 5\)"):
        Chains(GAUSSIAN5, algorithm="mala", beta=1.0, n_chains=2, seed=0, initial_states=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="algorithm must be one of 'hmc', 'langevin', 'mala', 'rwmh' for a Gaussian"):
        Chains(GAUSSIAN5, algorithm="gibbs", beta=1.0)
    with pytest.raises(ValueError, match="beta must be finite and >= 0"):
        Chains(GAUSSIAN5, algorithm="mala", beta=-1.0)
