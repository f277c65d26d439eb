"""Gaussian-Bernoulli RBMs trained by CD-k / PCD-k (block Gibbs) on the grey-level digits; exact and AIS likelihoods."""

import numpy as np
import pytest

from ebmphys.datasets import load_grey_digits
from ebmphys.kernels.rng import host_generator
from ebmphys.models import GaussianBernoulliRBM
from ebmphys.partition.continuous_exact import continuous_log_z
from ebmphys.training.ebm_estimator import EBMTrainer


@pytest.fixture(scope="module")
def split():
    X = load_grey_digits("unit")
    order = np.random.default_rng(0).permutation(len(X))
    return X[order[:1500]], X[order[1500:]]


def _rbm(n_hidden, train):
    W = host_generator(0, 0).normal(0.0, 0.01, size=(64, n_hidden))
    return GaussianBernoulliRBM(64, n_hidden, sigma=0.3, W=W, b=train.mean(axis=0))


def _trainer(model, method, **extra):
    return EBMTrainer(model, method=method, sampler="gibbs", k=1, batch_size=20, learning_rate=0.01, optimizer="sgd",
                      momentum=0.5, trainable=["W", "b", "c"], random_state=0, **extra)


def test_cd1_raises_the_exact_test_log_likelihood_and_ais_agrees(split):
    """16 hidden units (log Z by enumerating 2^16 hidden states), sigma = 0.3 fixed, CD-1 for 4 epochs: the mean
    exact log-likelihood of the 297 held-out digits rises by more than 2 nats (from about -6.2; its standard error
    over the test rows is about 0.3).  Forward AIS (100 chains, 500 HMC steps) then agrees with the exact log Z
    within 5 of its standard errors."""
    train, test = split
    model = _rbm(16, train)
    ll0 = float(np.mean(-model.energy(test)) - continuous_log_z(model))
    trainer = _trainer(model, "cd", n_iter=4, monitors=["log_likelihood"], monitor_every=2).fit(
        train, validation_data=test)
    ll = trainer.history_["log_likelihood"]
    assert ll[-1] > ll0 + 2.0, (ll0, ll)
    assert trainer.score(test) == pytest.approx(ll[-1], abs=1e-9)
    exact = continuous_log_z(trainer.model_)
    estimate, stderr = trainer.estimate_log_z(train, seed=1)
    assert abs(estimate - exact) < 5 * stderr, (estimate, exact, stderr)
    assert np.all(trainer.model_.sigma == 0.3)


def test_pcd_trains_and_beyond_twenty_hidden_units_the_likelihood_comes_from_ais(split):
    train, test = split
    pcd = _trainer(_rbm(8, train), "pcd", n_walkers=100, n_iter=2, monitors=["log_likelihood"]).fit(train)
    assert pcd.history_["log_likelihood"][-1] > pcd.history_["log_likelihood"][0]
    big = _rbm(24, train)
    with pytest.raises(ValueError, match="the 'log_likelihood' monitor needs an exact log Z"):
        _trainer(big, "cd", n_iter=1, monitors=["log_likelihood"]).fit(train)
    trainer = _trainer(big, "cd", n_iter=1, monitors=["ais_log_likelihood"]).fit(train, validation_data=test)
    assert np.isfinite(trainer.history_["ais_log_likelihood"][0])
    assert 0 < trainer.history_["ais_log_likelihood_stderr"][0] < 1.0
    assert trainer.log_z() == (trainer.log_z_estimate_, "ais")
