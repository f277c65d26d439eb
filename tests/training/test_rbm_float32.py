"""RBMTrainer(dtype="float32"): the same likelihood as float64 training on the digits, and the dtype contract.

The float32 epochs are checked against their slow twin bit for bit in
tests/kernels/test_rbm_train_epoch_reference.py; here the statistics.
"""

import numpy as np
import pytest

from ebmphys.datasets import load_binary_digits
from ebmphys.training import RBMTrainer


@pytest.fixture(scope="module")
def digits_split():
    X = load_binary_digits()
    order = np.random.default_rng(0).permutation(len(X))
    return X[order[:1500]], X[order[1500:]]


def _test_log_likelihood(train, test, dtype, seed):
    trainer = RBMTrainer(16, learning_rate=0.05, batch_size=10, n_iter=100, random_state=seed, dtype=dtype,
                         learning_rate_schedule="linear").fit(train)
    return trainer.score_samples(test).mean(), trainer


def test_float32_reaches_the_float64_likelihood(digits_split):
    """16 hidden units, PCD-1, 100 epochs with the learning rate decaying linearly (a stable end point):
    the exact mean test log-likelihood of float32 training is within 0.1 nats of float64's, seed by seed.

    Both start from about -25.2 nats and end near -18.4; the run-to-run spread of
    this end point over seeds is about 0.2 nats, so 0.1 nats per seed is a sharp
    test (with the same seed the two trainings share their random numbers until
    a decision falls between the float32 and float64 probabilities).
    """
    train, test = digits_split
    for seed in (0, 1, 2):
        ll64, _ = _test_log_likelihood(train, test, "float64", seed)
        ll32, trainer = _test_log_likelihood(train, test, "float32", seed)
        assert abs(ll32 - ll64) < 0.1, (seed, ll32, ll64)
        assert ll32 > -19.5, "training got far from the initial -25.2 nats"
        assert trainer._state["vel_W"].dtype == np.float32
        W = trainer.rbm_.W
        assert W.dtype == np.float64 and np.array_equal(W, W.astype(np.float32)), "rbm_ holds the float32 values"


def test_float32_resume_from_checkpoint_and_dtype_checks(tmp_path, digits_split):
    """A float32 run resumed from its checkpoint has the bits of the uninterrupted run; bad dtypes are refused."""
    train, _ = digits_split
    whole = RBMTrainer(8, n_iter=4, random_state=5, dtype="float32").fit(train)
    path = tmp_path / "run.h5"
    RBMTrainer(8, n_iter=2, random_state=5, dtype=np.float32, checkpoint_path=path).fit(train)
    resumed = RBMTrainer.from_checkpoint(path)
    assert resumed.dtype == "float32" and resumed._state["vel_W"].dtype == np.float32
    resumed.set_params(n_iter=4).fit(train, resume=True)
    np.testing.assert_array_equal(whole.rbm_.W, resumed.rbm_.W)
    assert not np.array_equal(whole.rbm_.W, RBMTrainer(8, n_iter=4, random_state=5).fit(train).rbm_.W)
    with pytest.raises(ValueError, match="dtype changed after training started"):
        resumed.set_params(dtype="float64", n_iter=5).fit(train, resume=True)
    with pytest.raises(ValueError, match="dtype must be 'float64' or 'float32', got 'float16'"):
        RBMTrainer(8, dtype="float16").fit(train)
    with pytest.raises(ValueError, match="dtype must be 'float64' or 'float32'"):
        RBMTrainer(8, dtype="complex").fit(train)
