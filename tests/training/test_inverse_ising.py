"""Inverse Ising: recover the couplings and fields of a known 8-spin model from 10**5 exact samples.

Tolerances are 5 asymptotic standard errors, computed exactly by enumerating the
256 states: the inverse Fisher information Cov_model(phi)^-1 / n for maximum
likelihood, and the sandwich H^-1 V H^-1 / n for maximum pseudo-likelihood.
"""

import numpy as np
import pytest

from ebmphys.models import GraphIsing
from ebmphys.partition import boltzmann_probabilities, enumerate_states
from ebmphys.training.inverse_ising import (
    fit_ising_exact,
    fit_ising_mcmc,
    fit_ising_pseudolikelihood,
    model_to_theta,
    pseudolikelihood_objective,
    sufficient_statistics,
)

N, N_SAMPLES = 8, 100_000


@pytest.fixture(scope="module")
def truth():
    rng = np.random.default_rng(0)
    J = np.triu(rng.normal(0.0, 0.3, (N, N)), 1)
    model = GraphIsing(J + J.T, rng.normal(0.0, 0.2, N))
    p = boltzmann_probabilities(model, 1.0)
    states = enumerate_states(N)
    samples = states[rng.choice(2**N, size=N_SAMPLES, p=p)]
    phi = sufficient_statistics(states)
    mean = p @ phi
    fisher = (phi - mean).T @ ((phi - mean) * p[:, None])
    return model, samples, p, states, fisher


def _z(fitted, model, covariance):
    return (model_to_theta(fitted) - model_to_theta(model)) / np.sqrt(np.diag(covariance))


def test_exact_gradient_recovers_the_couplings(truth):
    model, samples, _, _, fisher = truth
    fitted = fit_ising_exact(samples)
    z = _z(fitted, model, np.linalg.inv(fisher) / N_SAMPLES)
    assert np.abs(z).max() < 5.0, z
    assert np.abs(fitted.couplings.toarray() - model.couplings.toarray()).max() < 0.05


def test_pseudolikelihood_recovers_the_couplings(truth):
    model, samples, p, states, _ = truth
    theta = model_to_theta(model)
    rows = states.astype(float)
    per_state = np.array([pseudolikelihood_objective(theta, rows[i : i + 1], np.ones(1))[1] for i in range(len(rows))])
    V = per_state.T @ (per_state * p[:, None])
    eps = 1e-5
    H = np.empty((len(theta), len(theta)))
    for a in range(len(theta)):
        step = np.zeros_like(theta)
        step[a] = eps
        H[:, a] = (pseudolikelihood_objective(theta + step, rows, p)[1]
                   - pseudolikelihood_objective(theta - step, rows, p)[1]) / (2 * eps)
    Hinv = np.linalg.inv(H)
    fitted = fit_ising_pseudolikelihood(samples)
    z = _z(fitted, model, Hinv @ V @ Hinv / N_SAMPLES)
    assert np.abs(z).max() < 5.0, z


def test_mcmc_gradient_recovers_the_couplings(truth):
    """Persistent heat-bath chains, 2000 chains x 1 sweep per step, Polyak average of the last 40 of 80 steps.

    The averaged iterate differs from the maximum-likelihood solution by the
    averaged moment noise; assuming an integrated autocorrelation time of at most
    10 sweeps for this weakly coupled model, its covariance is at most
    Fisher^-1 * 20 / (2000 * 40), added to the maximum-likelihood covariance.
    """
    model, samples, _, _, fisher = truth
    fitted = fit_ising_mcmc(samples, n_iter=80, learning_rate=0.3, n_chains=2000, seed=7)
    inverse = np.linalg.inv(fisher)
    z = _z(fitted, model, inverse / N_SAMPLES + inverse * 20 / (2000 * 40))
    assert np.abs(z).max() < 5.0, z


def test_inverse_ising_rejects_bad_samples():
    with pytest.raises(ValueError, match="only spins -1 and \\+1"):
        fit_ising_pseudolikelihood(np.array([[0, 1], [1, 1]]))
    with pytest.raises(ValueError, match="at least one configuration"):
        fit_ising_exact(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="NaN"):
        fit_ising_exact(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="n_spins >= 2"):
        fit_ising_exact(np.ones((5, 1)))
    with pytest.raises(ValueError, match="exceeds 16"):
        fit_ising_exact(np.ones((5, 17)))
    with pytest.raises(ValueError, match="l2 must be finite and >= 0"):
        fit_ising_exact(np.ones((5, 3)), l2=-1.0)
    with pytest.raises(ValueError, match="learning_rate"):
        fit_ising_mcmc(np.ones((5, 3)), learning_rate=-0.1)
    with pytest.raises(ValueError, match="algorithm"):
        fit_ising_mcmc(np.ones((5, 3)), algorithm="wolff")
