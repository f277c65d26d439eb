"""Gaussian-Bernoulli RBM: block Gibbs and MALA sample the exact visible marginal (enumerated hidden layer).

Tolerance: 5 standard errors (tau_int of each estimator's own series), fixed seeds.
"""

import numpy as np
import pytest

from ebmphys.analysis import integrated_autocorrelation_time
from ebmphys.models import GaussianBernoulliRBM
from ebmphys.partition.continuous_exact import exact_moments, gb_rbm_hidden_log_weights
from ebmphys.sampling import Chains

_RNG = np.random.default_rng(21)
MODEL = GaussianBernoulliRBM(3, 4, sigma=[0.6, 1.0, 1.4], W=_RNG.normal(scale=0.8, size=(3, 4)), b=[0.5, -0.3, 0.0],
                             c=_RNG.normal(size=4))


def mean_and_error(series):
    tau = integrated_autocorrelation_time(series).tau
    return series.mean(), np.sqrt(2 * max(tau, 0.5) * series.var() / series.size)


@pytest.mark.parametrize("algorithm, options", [("gibbs", {}), ("mala", {"step_size": 0.3})])
def test_gibbs_and_mala_sample_the_exact_marginal(algorithm, options):
    mean, cov = exact_moments(MODEL)
    chains = Chains(MODEL, algorithm=algorithm, beta=1.0, n_chains=32, seed=6, **options)
    chains.run(300, tune=True, record=())
    v = np.empty((32, 1500, 3))
    for k in range(1500):
        chains.run(2, record=())
        v[:, k] = chains.states
    for i in range(3):
        m, se = mean_and_error(v[..., i])
        assert abs(m - mean[i]) < 5 * se, (i, m, mean[i], se)
        for j in range(i, 3):
            m, se = mean_and_error((v[..., i] - mean[i]) * (v[..., j] - mean[j]))
            assert abs(m - cov[i, j]) < 5 * se, (i, j, m, cov[i, j], se)


def test_gibbs_latent_states_follow_the_hidden_marginal():
    """h_t that belongs to v_t: its distribution over the 16 hidden states is the exact pi_h (chi-square)."""
    from ebmphys.testing import chi_square_fit

    log_w = gb_rbm_hidden_log_weights(MODEL)[1]
    p = np.exp(log_w - log_w.max())
    p /= p.sum()
    chains = Chains(MODEL, algorithm="gibbs", beta=1.0, n_chains=2000, seed=3)
    chains.run(50)
    h = chains.latent_states
    index = (h.astype(np.int64) * (1 << np.arange(3, -1, -1))).sum(axis=1)
    assert chi_square_fit(np.bincount(index, minlength=16), p).p_value > 1e-4


def test_gibbs_needs_beta_one():
    with pytest.raises(ValueError, match="block Gibbs samples a Gaussian-Bernoulli RBM at beta = 1 only"):
        Chains(MODEL, algorithm="gibbs", beta=0.5)
