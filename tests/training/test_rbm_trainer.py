"""RBMTrainer: learning on the binarised digits, reproducibility, resume, sklearn interop, errors."""

import itertools

import h5py
import numpy as np
import pytest
from scipy.special import logsumexp

import ebmphys
from ebmphys.datasets import load_binary_digits
from ebmphys.models import RBM
from ebmphys.partition.rbm_exact import rbm_log_z_exact
from ebmphys.training import RBMTrainer, monitors


@pytest.fixture(scope="module")
def digits_split():
    X = load_binary_digits()
    order = np.random.default_rng(0).permutation(len(X))
    return X[order[:1500]], X[order[1500:]]


def test_loader_returns_the_binarised_digits():
    X, y = load_binary_digits(return_targets=True)
    assert X.shape == (1797, 64) and X.dtype == np.uint8 and y.shape == (1797,)
    assert set(np.unique(X)) == {0, 1} and set(np.unique(y)) == set(range(10))
    assert 0.30 < X.mean() < 0.35


def test_training_raises_exact_test_log_likelihood_and_is_reproducible(digits_split):
    """16 hidden units, PCD-1, 15 epochs: the mean exact test log-likelihood must rise by more than 2 nats.

    The initial model (weights ~ N(0, 0.01), visible biases from the data marginals)
    scores about -25.5 nats; the standard error of a mean over the 297 test images
    is about 0.3 nats, so 2 nats is many error bars.  Same seed, same parameters.
    """
    train, test = digits_split
    params = dict(learning_rate=0.05, batch_size=10, n_iter=15, random_state=3, momentum=0.5,
                  monitors=("log_likelihood", "pseudo_log_likelihood", "reconstruction_error"))
    initial = RBMTrainer(16, **dict(params, n_iter=1))
    initial._init_model(train)
    ll0 = initial.score_samples(test).mean()
    trainer = RBMTrainer(16, **params).fit(train, validation_data=test)
    ll = trainer.score_samples(test)
    assert ll.mean() > ll0 + 2.0, (ll0, ll.mean())
    assert trainer.history_["log_likelihood"][-1] == pytest.approx(ll.mean(), abs=1e-9)
    assert len(trainer.history_["epoch"]) == 15
    assert trainer.history_["reconstruction_error"][-1] < trainer.history_["reconstruction_error"][0]
    params["monitors"] = ()
    again = RBMTrainer(16, **params).fit(train)
    np.testing.assert_array_equal(again.rbm_.W, trainer.rbm_.W)
    np.testing.assert_array_equal(again.rbm_.b, trainer.rbm_.b)
    other = RBMTrainer(16, **dict(params, random_state=4)).fit(train)
    assert not np.array_equal(other.rbm_.W, trainer.rbm_.W)


@pytest.mark.parametrize("extra", [dict(method="pcd", momentum=0.5), dict(method="cd", k=2, centering=True)])
def test_resume_from_checkpoint_reproduces_the_uninterrupted_run(tmp_path, digits_split, extra):
    train, _ = digits_split
    params = dict(n_components=12, learning_rate=0.05, batch_size=20, random_state=5,
                  monitors=("reconstruction_error",), **extra)
    full = RBMTrainer(n_iter=4, **params).fit(train)
    path = tmp_path / "run.h5"
    RBMTrainer(n_iter=2, checkpoint_path=path, **params).fit(train)
    with h5py.File(path) as f:
        assert f.attrs["creator"] == "ebmphys" and int(f["state"].attrs["epoch"]) == 2
    resumed = RBMTrainer.from_checkpoint(path).set_params(n_iter=4).fit(train, resume=True)
    for name in ("W", "b", "c"):
        np.testing.assert_array_equal(getattr(resumed.rbm_, name), getattr(full.rbm_, name))
    assert resumed.history_ == full.history_
    assert not (tmp_path / "run.h5.tmp").exists()
    with pytest.raises(ValueError, match="sha256"):
        RBMTrainer.from_checkpoint(path).set_params(n_iter=4).fit(train[:-1], resume=True)


def test_score_samples_agrees_with_enumeration():
    rng = np.random.default_rng(1)
    trainer = RBMTrainer(3, n_iter=2, batch_size=4, random_state=0).fit(rng.integers(0, 2, size=(30, 5)))
    rbm = trainer.rbm_
    V = np.array(list(itertools.product([0, 1], repeat=5)))
    H = np.array(list(itertools.product([0, 1], repeat=3)))
    log_joint = np.array([[-rbm.energy(v, h)[0] for h in H] for v in V])
    expected = logsumexp(log_joint, axis=1) - logsumexp(log_joint)
    np.testing.assert_allclose(trainer.score_samples(V), expected, atol=1e-11)
    assert trainer.log_z()[1] == "exact"
    np.testing.assert_allclose(trainer.free_energy(V), -logsumexp(log_joint, axis=1), atol=1e-11)
    np.testing.assert_allclose(trainer.transform(V), rbm.hidden_probabilities(V))


def test_pseudo_log_likelihood_matches_conditionals_from_enumeration():
    rng = np.random.default_rng(2)
    rbm = RBM(4, 3, W=rng.normal(size=(4, 3)), b=rng.normal(size=4), c=rng.normal(size=3))
    V = np.array(list(itertools.product([0, 1], repeat=4)))
    log_p = -rbm.free_energy(V) - rbm_log_z_exact(rbm)
    pll = []
    for v in V:
        total = 0.0
        for i in range(4):
            flipped = v.copy()
            flipped[i] = 1 - flipped[i]
            a, b_ = log_p[int("".join(map(str, v)), 2)], log_p[int("".join(map(str, flipped)), 2)]
            total += a - np.logaddexp(a, b_)
        pll.append(total)
    assert monitors.pseudo_log_likelihood(rbm, V) == pytest.approx(np.mean(pll), abs=1e-12)


def test_large_model_needs_an_ais_estimate():
    rng = np.random.default_rng(3)
    X = rng.integers(0, 2, size=(40, 25))
    trainer = RBMTrainer(21, n_iter=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match="exact enumeration is impossible.*no AIS estimate"):
        trainer.score_samples(X)
    trainer.set_log_z_estimate(12.5)
    assert trainer.log_z() == (12.5, "ais")
    np.testing.assert_allclose(trainer.score_samples(X), -trainer.free_energy(X) - 12.5)
    with pytest.raises(ValueError, match="'log_likelihood' monitor needs exact enumeration"):
        RBMTrainer(21, n_iter=1, monitors=("log_likelihood",)).fit(X)


def test_sklearn_round_trip_preserves_parameters_exactly(digits_split):
    from sklearn.neural_network import BernoulliRBM

    train, test = digits_split
    sk = BernoulliRBM(n_components=8, learning_rate=0.05, batch_size=10, n_iter=2, random_state=0).fit(train)
    trainer = RBMTrainer.from_sklearn(sk)
    np.testing.assert_array_equal(trainer.rbm_.W, sk.components_.T)
    np.testing.assert_array_equal(trainer.rbm_.b, sk.intercept_visible_)
    np.testing.assert_array_equal(trainer.rbm_.c, sk.intercept_hidden_)
    assert (trainer.n_components, trainer.learning_rate, trainer.batch_size, trainer.n_iter) == (8, 0.05, 10, 2)
    np.testing.assert_allclose(trainer.transform(test), sk.transform(test), rtol=1e-12)
    back = trainer.to_sklearn()
    for name in ("components_", "intercept_hidden_", "intercept_visible_"):
        np.testing.assert_array_equal(getattr(back, name), getattr(sk, name))
    np.testing.assert_allclose(back.transform(test), sk.transform(test), rtol=1e-12)
    back.partial_fit(train[:10])
    ours = RBMTrainer(5, n_iter=1, random_state=2).fit(train)
    again = RBMTrainer.from_sklearn(ours.to_sklearn())
    for name in ("W", "b", "c"):
        np.testing.assert_array_equal(getattr(again.rbm_, name), getattr(ours.rbm_, name))
    again.partial_fit(train)
    with pytest.raises(TypeError, match="BernoulliRBM"):
        RBMTrainer.from_sklearn(ours)


def test_sample_and_partial_fit(digits_split):
    train, _ = digits_split
    trainer = RBMTrainer(8, batch_size=50, random_state=1).partial_fit(train)
    assert trainer.epoch_ == 1
    v = trainer.sample(20, n_steps=5, seed=3)
    assert v.shape == (20, 64) and v.dtype == np.uint8
    np.testing.assert_array_equal(v, trainer.sample(20, n_steps=5, seed=3))
    v, h = trainer.sample(4, n_steps=2, seed=3, return_hidden=True)
    assert h.shape == (4, 8)
    assert ebmphys.RBMTrainer is RBMTrainer


def test_bad_input_gives_clear_errors(tmp_path):
    """Parameters are validated by fit (sklearn convention: the constructor only stores them)."""
    X = np.random.default_rng(0).integers(0, 2, size=(20, 6))
    for params, error, message in [
        (dict(n_components=0), ValueError, "n_components must be an integer >= 1"),
        (dict(learning_rate=-0.1), ValueError, "learning_rate must be a finite number > 0"),
        (dict(momentum=1.0), ValueError, "momentum must be in"),
        (dict(method="sgd"), ValueError, "method must be one of 'pcd', 'cd'"),
        (dict(monitors=("loglik",)), ValueError, "each of monitors must be one of"),
        (dict(random_state=1.5), TypeError, "random_state must be an integer in \\[0, 2\\*\\*64\\)"),
        (dict(random_state=2**64), ValueError, "random_state must be an integer in \\[0, 2\\*\\*64\\)"),
    ]:
        trainer = RBMTrainer(**dict(dict(n_components=4, n_iter=1), **params))  # stored unchecked
        with pytest.raises(error, match=message):
            trainer.fit(X)
        with pytest.raises(error, match=message):
            trainer.partial_fit(X)
    with pytest.raises(ValueError, match="Invalid parameter 'n_hidden'"):
        RBMTrainer(4).set_params(n_hidden=3)
    trainer = RBMTrainer(4, n_iter=1, random_state=0)
    with pytest.raises(ValueError, match=r"X must have entries in \[0, 1\].*found the value 2"):
        trainer.fit(X * 2)
    with pytest.raises(ValueError, match="NaN"):
        trainer.fit(np.where(X == 1, np.nan, 0.0))
    with pytest.raises(ValueError, match="0 sample"):
        trainer.fit(np.zeros((0, 6)))
    with pytest.raises(ValueError, match="2D array"):
        trainer.fit(np.zeros(6))
    with pytest.raises(ValueError, match="not fitted"):
        trainer.transform(X)
    trainer.fit(X)
    with pytest.raises(ValueError, match="X has 5 features, but RBMTrainer is expecting 6"):
        trainer.transform(X[:, :5])
    with pytest.raises(ValueError, match="method or n_chains changed"):
        trainer.set_params(method="cd").partial_fit(X)
    with pytest.raises(ValueError, match="resume=True needs"):
        RBMTrainer(4).fit(X, resume=True)
    with pytest.raises(FileNotFoundError):
        RBMTrainer.from_checkpoint(tmp_path / "missing.h5")


def test_ais_log_likelihood_monitor_agrees_with_exact_every_k_epochs():
    """The AIS monitor runs every monitor_every epochs (and after the last) and matches the exact
    log-likelihood of a 16-hidden digits RBM; 0.05 nats is ~5 AIS standard errors at these settings."""
    from ebmphys.datasets import load_binary_digits

    X = load_binary_digits()[:500]
    trainer = RBMTrainer(16, learning_rate=0.05, n_iter=5, random_state=3,
                         monitors=("log_likelihood", "ais_log_likelihood"), monitor_every=2).fit(X)
    assert trainer.history_["epoch"] == [2, 4, 5]
    exact = np.array(trainer.history_["log_likelihood"])
    estimated = np.array(trainer.history_["ais_log_likelihood"])
    assert np.all(np.abs(estimated - exact) < 0.05), (exact, estimated)
    with pytest.raises(ValueError, match="monitor_every must be an integer >= 1"):
        RBMTrainer(16, monitor_every=0).fit(X)
