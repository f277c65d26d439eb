"""PottsRBMTrainer: sklearn conventions, bad input, and learning a known generating Potts model.

The data are exact samples of a pairwise categorical model on 6 sites (q = 3,
729 states), so every likelihood and the Kullback-Leibler divergence from the
generating distribution are exact.  An RBM with 8 hidden units must capture most
of the pair structure: the thresholds (KL below a third of the independent-sites
model's, test log-likelihood 0.4 nats above it) have wide margins over the values
reached (about a fifth, and 0.7 nats) and far below what an untrained model gets.
"""

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.base import clone

from ebmphys.models import PairwisePotts
from ebmphys.partition.potts_exact import enumerate_potts_states, potts_boltzmann_probabilities
from ebmphys.training import PottsRBMTrainer
from ebmphys.training.potts_trainer import independent_sites_log_likelihood, one_hot

N_SITES, Q = 6, 3


@pytest.fixture(scope="module")
def dataset():
    rng = np.random.default_rng(0)
    edges = np.array([(i, i + 1) for i in range(N_SITES - 1)] + [(0, N_SITES - 1), (1, 4)])
    J = np.stack([1.2 * np.eye(Q) + 0.3 * rng.normal(size=(Q, Q)) for _ in edges])
    model = PairwisePotts(edges, J, 0.4 * rng.normal(size=(N_SITES, Q)))
    p = potts_boltzmann_probabilities(model, 1.0)
    states = enumerate_potts_states(N_SITES, Q)
    idx = rng.choice(len(p), size=6000, p=p)
    return p, states, states[idx[:4000]], states[idx[4000:]]


def _kl(p, log_q):
    return float((p * (np.log(p) - log_q)).sum())


@pytest.mark.parametrize("method", ["pcd", "cd"])
def test_learns_the_generating_model(dataset, method):
    p, states, train, test = dataset
    trainer = PottsRBMTrainer(n_components=8, learning_rate=0.05, batch_size=50, n_iter=40, method=method,
                              random_state=3).fit(train)
    log_q = -trainer.rbm_.free_energy(states)
    log_q -= logsumexp(log_q)
    freq = one_hot(train, Q).mean(axis=0)
    kl_independent = _kl(p, np.log(freq[np.arange(N_SITES), states]).sum(axis=1))
    assert _kl(p, log_q) < kl_independent / 3, (_kl(p, log_q), kl_independent)
    assert trainer.score(test) > independent_sites_log_likelihood(train, test, Q) + 0.4
    np.testing.assert_allclose(trainer.score_samples(test), log_q[test.astype(int) @ (Q ** np.arange(5, -1, -1))])
    assert trainer.transform(test).shape == (2000, 8) and trainer.n_iter_ == 40


def test_sklearn_conventions_and_reproducibility(dataset):
    _, _, train, _ = dataset
    trainer = PottsRBMTrainer(n_components=4, n_iter=2, random_state=7, learning_rate="bad")
    assert trainer.get_params()["learning_rate"] == "bad"   # stored verbatim, checked in fit
    with pytest.raises(TypeError, match="learning_rate must be a finite real number"):
        trainer.fit(train)
    a = clone(trainer).set_params(learning_rate=0.1).fit(train)
    b = PottsRBMTrainer(n_components=4, n_iter=1, random_state=7, learning_rate=0.1).fit(train).partial_fit(train)
    np.testing.assert_array_equal(a.rbm_.W, b.rbm_.W)
    assert a.q_ == 3 and a.n_features_in_ == N_SITES


def test_bad_input(dataset):
    _, _, train, _ = dataset
    for params, match in ((dict(method="sgd"), "method must be one of"), (dict(k=0), "k must be an integer >= 1"),
                          (dict(q=1), "q must be an integer >= 2"), (dict(momentum=1.0), r"momentum must be in \[0, 1\)")):
        with pytest.raises((ValueError, TypeError), match=match):
            PottsRBMTrainer(**params).fit(train)
    with pytest.raises(ValueError, match=r"states in 0..1 \(q=2\), found 2"):
        PottsRBMTrainer(q=2).fit(train)
    with pytest.raises(ValueError, match="integer states"):
        PottsRBMTrainer().fit(train + 0.5)
    fitted = PottsRBMTrainer(n_components=2, n_iter=1, random_state=0).fit(train)
    with pytest.raises(ValueError, match="X has 3 features, but this PottsRBMTrainer was fitted with 6"):
        fitted.score(train[:, :3].copy())
    with pytest.raises(ValueError, match="not fitted"):
        PottsRBMTrainer().transform(train)
