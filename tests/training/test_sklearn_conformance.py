"""RBMTrainer, EBMTrainer and JEMClassifier as scikit-learn estimators: check_estimator, pipelines and grid
search, clone and pickle, sparse and [0, 1] data, device, progress, and seeds near 2**64."""

import io
import pickle
import re

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import check_estimator
from sklearn.utils.validation import check_is_fitted

from ebmphys.datasets import load_binary_digits
from ebmphys.exceptions import DeviceError
from ebmphys.kernels.rng import derive_seed
from ebmphys.models import Gaussian, GaussianMixture
from ebmphys.sampling.registry import check_device
from ebmphys.training import EBMTrainer, JEMClassifier, RBMTrainer, monitors
from ebmphys.training.estimator import SKLEARN_EXPECTED_FAILED_CHECKS

OUTSIDE_0_1 = r"X must have entries in \[0, 1\]"
NEEDS_BINARY = r"needs binary X \(entries 0 or 1\)"


@pytest.fixture(scope="module")
def digits():
    X, y = load_binary_digits(return_targets=True)
    return X[:300], y[:300]


def _assert_checks(estimator, expected: dict[str, str], pattern_of, min_passed: int) -> None:
    """check_estimator(estimator): nothing fails but the ``expected`` checks, and each of those fails with the
    estimator's own error matching ``pattern_of(reason)`` (so the list hides no other defect and has no stale
    entry).  Skipped checks (pandas or the array API not installed) are allowed."""
    results = check_estimator(estimator, expected_failed_checks=expected, on_fail=None, on_skip=None)
    failed = {r["check_name"]: r["exception"] for r in results if r["status"] == "failed"}
    assert not failed, failed
    xfailed = {r["check_name"]: r["exception"] for r in results if r["status"] == "xfail"}
    assert set(xfailed) == set(expected)
    for name, exc in xfailed.items():
        # a ValueError, or sklearn's assertion quoting it or raised from it
        text = " ".join(str(e) for e in (exc, exc.__cause__, exc.__context__) if e is not None)
        assert re.search(pattern_of(expected[name]), text), (name, exc)
    assert sum(r["status"] == "passed" for r in results) >= min_passed


def _run_checks(expected: dict[str, str]) -> None:
    """check_estimator(RBMTrainer()): the expected failures are RBMTrainer's errors for data outside its domain."""
    _assert_checks(RBMTrainer(), expected, lambda reason: NEEDS_BINARY if "binary" in reason else OUTSIDE_0_1, 20)


def test_check_estimator_passes_but_for_data_outside_the_domain():
    _run_checks(SKLEARN_EXPECTED_FAILED_CHECKS)


@pytest.mark.parametrize("domain", ["binary", "probabilities"])
def test_check_estimator_passes_on_data_mapped_into_the_domain(monkeypatch, domain):
    """The checks sklearn cannot point at [0, 1] data, run on their own data mapped into it.

    sklearn has no input tag for binary or [0, 1] data; this emulates one by mapping the data
    of every check (after its own positive-only shift) to 0/1 at the mean, or to x / (1 + x).
    With binary data every check passes; with probabilities, only the checks that score the
    data fail, because the log-likelihood needs binary data.
    """
    original = estimator_checks._enforce_estimator_tags_X

    def to_domain(X):
        if domain == "binary" or X.dtype.kind != "f":
            return (X > X.mean()).astype(X.dtype)
        return X / (1 + X)

    def enforce(estimator, X, X_test=None, **kwargs):
        out = original(estimator, X, X_test, **kwargs)
        return (to_domain(out[0]), to_domain(out[1])) if X_test is not None else to_domain(out)

    monkeypatch.setattr(estimator_checks, "_enforce_estimator_tags_X", enforce)
    scoring = ("check_fit_score_takes_y", "check_pipeline_consistency", "check_methods_sample_order_invariance",
               "check_methods_subset_invariance")
    _run_checks({} if domain == "binary" else {name: "scores data that are not binary" for name in scoring})


def test_parameters_are_stored_verbatim_and_nothing_else_before_fit(digits):
    monitors_list = ["not a monitor"]
    trainer = RBMTrainer(n_components=-3, monitors=monitors_list, device="gpu", random_state=1.5)
    params = trainer.get_params()
    assert params["n_components"] == -3 and params["monitors"] is monitors_list and params["device"] == "gpu"
    assert vars(trainer) == params                                   # nothing but the parameters
    fresh = RBMTrainer()
    with pytest.raises(NotFittedError):
        check_is_fitted(fresh)
    for name in ("n_features_in_", "rbm_", "components_", "intercept_hidden_", "seed_", "history_"):
        assert not hasattr(fresh, name), name
    with pytest.raises(NotFittedError, match="not fitted"):
        fresh.transform(digits[0])
    X = digits[0]
    fitted = RBMTrainer(4, n_iter=1, random_state=0).fit(X)
    check_is_fitted(fitted)
    assert fitted.n_features_in_ == 64 and fitted.components_.shape == (4, 64)
    assert list(fitted.get_feature_names_out()) == [f"rbmtrainer{j}" for j in range(4)]


def test_clone_and_pickle_round_trip(digits):
    X = digits[0]
    trainer = RBMTrainer(8, n_iter=2, batch_size=20, learning_rate=0.05, random_state=0, momentum=0.5).fit(X)
    copy = clone(trainer)
    assert copy.get_params() == trainer.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(copy)
    np.testing.assert_array_equal(copy.fit(X).rbm_.W, trainer.rbm_.W)       # same seed, same bits
    restored = pickle.loads(pickle.dumps(trainer))
    np.testing.assert_array_equal(restored.transform(X), trainer.transform(X))
    assert restored.score(X) == trainer.score(X)
    # the training state travels too: continuing both gives the same bits
    for t in (trainer, restored):
        t.partial_fit(X[:100])
    for name in ("W", "b", "c"):
        np.testing.assert_array_equal(getattr(restored.rbm_, name), getattr(trainer.rbm_, name))
    unfitted = pickle.loads(pickle.dumps(RBMTrainer(5, monitors=("reconstruction_error",))))
    assert unfitted.get_params() == RBMTrainer(5, monitors=("reconstruction_error",)).get_params()


def test_pipeline_with_logistic_regression_in_grid_search(digits):
    """RBM features + logistic regression on 300 binarised digits, 3-fold grid search.

    Chance is 0.1; the best of the four settings scores about 0.7 (100 test images per fold,
    binomial standard error about 0.05), so 0.5 is far from both.
    """
    X, y = digits
    pipe = Pipeline([("rbm", RBMTrainer(n_iter=5, learning_rate=0.05, random_state=0)),
                     ("logistic", LogisticRegression(max_iter=1000))])
    search = GridSearchCV(pipe, {"rbm__n_components": [16, 32], "logistic__C": [1.0, 10.0]}, cv=3).fit(X, y)
    assert search.best_score_ > 0.5, search.cv_results_["mean_test_score"]
    assert search.best_estimator_.named_steps["rbm"].n_features_in_ == 64
    assert search.predict(X[:5]).shape == (5,)


def test_grid_search_by_exact_log_likelihood(digits):
    """Without y, GridSearchCV ranks by RBMTrainer.score: the mean exact held-out log-likelihood."""
    X = digits[0]
    search = GridSearchCV(RBMTrainer(n_iter=3, learning_rate=0.05, random_state=0), {"n_components": [4, 8]},
                          cv=2).fit(X)
    held_out = RBMTrainer(4, n_iter=3, learning_rate=0.05, random_state=0).fit(X[150:])
    assert search.cv_results_["split0_test_score"][0] == pytest.approx(held_out.score_samples(X[:150]).mean(),
                                                                      abs=1e-12)
    assert search.best_params_["n_components"] in (4, 8)


def test_sparse_input_gives_the_bits_of_dense_input(digits):
    X = digits[0]
    grey = np.where(X == 1, 0.75, 0.0)
    grey[::7, ::5] = 1.0
    for data in (X, grey):
        dense = RBMTrainer(6, n_iter=2, random_state=4, method="cd").fit(data)
        csr = RBMTrainer(6, n_iter=2, random_state=4, method="cd").fit(sparse.csr_matrix(data))
        np.testing.assert_array_equal(csr.rbm_.W, dense.rbm_.W)
        np.testing.assert_array_equal(csr.transform(sparse.csr_matrix(data)), dense.transform(data))
    coo = RBMTrainer(6, n_iter=2, random_state=4).fit(sparse.coo_matrix(X))
    np.testing.assert_array_equal(coo.rbm_.W, RBMTrainer(6, n_iter=2, random_state=4).fit(X).rbm_.W)


def test_probabilities_train_but_likelihoods_need_binary_data():
    """Grey levels / 16 of the sklearn digits: probabilities in [0, 1], as for BernoulliRBM."""
    from sklearn.datasets import load_digits

    grey = load_digits().data[:200] / 16.0
    trainer = RBMTrainer(8, n_iter=2, random_state=0, monitors=("reconstruction_error",)).fit(grey)
    assert trainer.transform(grey).shape == (200, 8) and len(trainer.history_["reconstruction_error"]) == 2
    binary = (grey > 0.5).astype(np.uint8)
    assert not np.array_equal(RBMTrainer(8, n_iter=2, random_state=0).fit(binary).rbm_.W, trainer.rbm_.W)
    trainer.score_samples(binary)                                     # binary rows score fine
    for method in (trainer.score_samples, trainer.score, trainer.free_energy):
        with pytest.raises(ValueError, match=NEEDS_BINARY + ".*binarise it first"):
            method(grey)
    for monitor in ("log_likelihood", "pseudo_log_likelihood", "ais_log_likelihood"):
        refused = RBMTrainer(8, n_iter=1, monitors=(monitor,))
        with pytest.raises(ValueError, match=f"the '{monitor}' monitor needs binary X"):
            refused.fit(grey)
        assert not hasattr(refused, "n_features_in_") and not hasattr(refused, "rbm_")
        with pytest.raises(ValueError, match=f"the '{monitor}' monitor needs binary validation_data"):
            RBMTrainer(8, n_iter=1, monitors=(monitor,)).fit(binary, validation_data=grey)
    with pytest.raises(ValueError, match="'ais_log_likelihood' monitor \\(its base-rate model\\) needs binary X"):
        RBMTrainer(8, n_iter=1, monitors=("ais_log_likelihood",)).fit(grey, validation_data=binary)
    with pytest.raises(ValueError, match=OUTSIDE_0_1 + ".*found the value 16.0"):
        RBMTrainer(8).fit(load_digits().data)
    with pytest.raises(ValueError, match="Negative values in data: " + OUTSIDE_0_1):
        RBMTrainer(8).fit(grey - 0.5)
    with pytest.raises(ValueError, match=OUTSIDE_0_1):
        trainer.transform(grey * 2)
    failed = RBMTrainer(8)
    with pytest.raises(ValueError):
        failed.fit(grey * 2)
    assert not hasattr(failed, "n_features_in_")                     # a refused fit leaves nothing fitted


def test_device_is_checked_by_the_registry(digits, tmp_path, monkeypatch, capsys):
    X = digits[0]
    for device in ("cuda", "gpu"):
        with pytest.raises(DeviceError) as expected:
            check_device(device)
        for call in (RBMTrainer(4, device=device).fit, RBMTrainer(4, device=device).partial_fit):
            with pytest.raises(DeviceError) as got:
                call(X)
            assert str(got.value) == str(expected.value)
    assert RBMTrainer(4, n_iter=1, device="auto").fit(X).n_features_in_ == 64
    from ebmphys.cli import main

    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "run.toml"
    spec.write_text('[data]\nsource = "digits"\n[model]\nn_hidden = 4\n[training]\nn_epochs = 1\ndevice = "cuda"\n')
    assert main(["train", str(spec), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "device='cuda' is not available" in err and not (tmp_path / "run.h5").exists()


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_verbose_reports_progress_on_a_terminal_and_in_logs(digits, monkeypatch, capsys):
    X = digits[0][:100]
    params = dict(n_components=4, n_iter=10, random_state=0, monitors=("reconstruction_error",))
    RBMTrainer(**params, verbose=True).fit(X)
    lines = capsys.readouterr().err.splitlines()                     # stderr captured: not a terminal
    assert len(lines) == 10, lines
    assert lines[0].startswith("RBM training: 10% (1 of 10 epochs)") and "reconstruction_error" in lines[0]
    assert lines[-1].startswith("RBM training: 100% (10 of 10 epochs)")
    RBMTrainer(**params, verbose=False).fit(X)
    assert capsys.readouterr().err == ""
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    RBMTrainer(**params, verbose=1).fit(X)
    assert "RBM training" in terminal.getvalue() and "epoch/s" in terminal.getvalue()   # a tqdm bar


def test_seed_near_2_64_with_the_ais_monitor():
    """The monitor's seed is derive_seed(seed_, epoch_), so seeds near 2**64 do not overflow."""
    X = np.random.default_rng(5).integers(0, 2, size=(40, 10))
    trainer = RBMTrainer(4, n_iter=2, random_state=2**64 - 1, monitors=("ais_log_likelihood", "log_likelihood"))
    trainer.fit(X)
    assert trainer.seed_ == 2**64 - 1 and np.all(np.isfinite(trainer.history_["ais_log_likelihood"]))
    assert trainer.log_z_estimate_ == monitors.ais_log_z(trainer.rbm_, X, seed=derive_seed(2**64 - 1, 2))
    again = RBMTrainer(4, n_iter=2, random_state=2**64 - 1, monitors=("ais_log_likelihood",)).fit(X)
    assert again.history_["ais_log_likelihood"] == trainer.history_["ais_log_likelihood"]


def test_score_of_a_large_model_uses_the_ais_monitor_estimate():
    X = np.random.default_rng(3).integers(0, 2, size=(40, 25))
    trainer = RBMTrainer(21, n_iter=1, random_state=0, monitors=("ais_log_likelihood",)).fit(X)
    assert trainer.log_z() == (trainer.log_z_estimate_, "ais")
    assert trainer.score(X) == pytest.approx(trainer.history_["ais_log_likelihood"][-1], abs=1e-9)
    trainer.partial_fit(X)                                            # the estimate belongs to the old parameters
    with pytest.raises(ValueError, match="no AIS estimate is stored"):
        trainer.score(X)


def test_random_state_may_be_a_numpy_random_state(digits):
    X = digits[0]
    a = RBMTrainer(4, n_iter=1, random_state=np.random.RandomState(0)).fit(X)
    b = RBMTrainer(4, n_iter=1, random_state=np.random.RandomState(0)).fit(X)
    np.testing.assert_array_equal(a.rbm_.W, b.rbm_.W)
    assert a.seed_ == b.seed_ and 0 <= a.seed_ < 2**64


def test_checkpoint_resume_with_probabilities_and_numpy_parameters(tmp_path):
    """Parameters of numpy types and a Path are stored verbatim, written to the checkpoint as JSON,
    and a run on real-valued data resumes to the bits of the uninterrupted run."""
    from sklearn.datasets import load_digits

    grey = load_digits().data[:120] / 16.0
    params = dict(n_components=np.int64(6), learning_rate=np.float32(0.05), batch_size=np.int32(16),
                  random_state=np.uint64(2**64 - 2), method="cd", centering=True, monitors=["reconstruction_error"])
    full = RBMTrainer(n_iter=4, **params).fit(grey)
    path = tmp_path / "run.h5"
    RBMTrainer(n_iter=2, checkpoint_path=path, **params).fit(grey)
    resumed = RBMTrainer.from_checkpoint(path).set_params(n_iter=4).fit(grey, resume=True)
    for name in ("W", "b", "c"):
        np.testing.assert_array_equal(getattr(resumed.rbm_, name), getattr(full.rbm_, name))
    assert resumed.history_ == full.history_ and resumed.seed_ == 2**64 - 2
    with pytest.raises(ValueError, match="sha256"):
        RBMTrainer.from_checkpoint(path).set_params(n_iter=4).fit((grey > 0.5).astype(float), resume=True)


# ---------------------------------------------------------------------------- EBMTrainer and JEMClassifier
# Small instances keep the checks fast (each check_estimator run takes 0.3 to 5 s on one core).
_EBM = dict(n_iter=2, k=2, batch_size=16, buffer_size=32, random_state=0)


@pytest.mark.parametrize("params", [
    dict(method="cd"), dict(method="pcd"), dict(method="replay"), dict(method="jarzynski"),
    dict(method="score_matching"), dict(method="nce"),
    dict(method="pcd", sampler="mala", monitors=("log_likelihood", "energy_gap")),
], ids=lambda p: "-".join(str(v) for v in p.values() if isinstance(v, str)))
def test_ebm_trainer_passes_check_estimator(params):
    """EBMTrainer() (model None: the standard normal of the data's dimension) passes every check, by every method."""
    _assert_checks(EBMTrainer(**params, **_EBM), {}, None, 35)


# A model of fixed dimension d accepts rows of d features only: these checks fit or score rows of 1, 3, 4, 5
# or 10 features, which a 2-D model refuses with its own one-line error (the model's dimension is its domain;
# with model=None every one of them passes, above).
EBM_FIXED_DIM_EXPECTED_FAILED_CHECKS = {name: "rows of another width than the model's dimension" for name in (
    "check_dict_unchanged", "check_dont_overwrite_parameters", "check_dtype_object", "check_estimators_dtypes",
    "check_estimators_nan_inf", "check_estimators_pickle", "check_f_contiguous_array_estimator",
    "check_fit2d_1feature", "check_fit2d_1sample", "check_fit2d_predict1d", "check_fit_score_takes_y",
    "check_methods_sample_order_invariance", "check_methods_subset_invariance", "check_n_features_in_after_fitting",
    "check_pipeline_consistency", "check_positive_only_tag_during_fit",
)}


def test_ebm_trainer_of_a_fixed_dimension_fails_only_on_rows_of_another_width():
    mixture = GaussianMixture([0.5, 0.5], [[-1.0, 0.0], [1.0, 0.0]])
    _assert_checks(EBMTrainer(mixture, **_EBM), EBM_FIXED_DIM_EXPECTED_FAILED_CHECKS,
                   lambda reason: r"X has \d+ features \(columns\), but the model has dim = 2", 20)


@pytest.mark.parametrize("generative_weight", [1.0, 0.0], ids=["jem", "plain"])
def test_jem_classifier_passes_check_estimator(generative_weight):
    """Every check passes, check_classifiers_train's training accuracy > 0.83 on blobs included (20 epochs at
    learning rate 0.01: at 0.05 the generative term makes the binary blobs diverge to chance)."""
    clf = JEMClassifier((8,), generative_weight=generative_weight, n_iter=20, learning_rate=0.01, sgld_steps=2,
                        buffer_size=64, batch_size=32, random_state=0)
    _assert_checks(clf, {}, None, 45)


def test_ebm_and_jem_parameters_are_stored_verbatim_and_unfitted_use_is_refused():
    odd = dict(random_state=1.5, device="gpu", verbose=-1)
    for estimator in (EBMTrainer("not a model", batch_size=-3, monitors=["nope"], **odd),
                      JEMClassifier([0], buffer_size=-1, **odd)):
        assert vars(estimator) == estimator.get_params(deep=False)       # nothing but the parameters
        copy = clone(estimator)
        assert copy.get_params(deep=False) == estimator.get_params(deep=False)
    X = np.random.default_rng(0).normal(size=(6, 3))
    for estimator, methods in ((EBMTrainer(), ("score_samples", "score", "estimate_log_z")),
                               (JEMClassifier(), ("predict", "predict_proba", "predict_log_proba",
                                                  "decision_function", "energy", "score_samples"))):
        with pytest.raises(NotFittedError):
            check_is_fitted(estimator)
        for method in methods:
            with pytest.raises(NotFittedError, match="not fitted"):
                getattr(estimator, method)(X)
        with pytest.raises(NotFittedError):
            estimator.sample(2)


def test_ebm_and_jem_pickle_and_clone_round_trips_continue_to_the_same_bits():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3))
    y = np.where(X[:, 0] > 0, "up", "down")
    trainer = EBMTrainer(n_iter=2, k=2, batch_size=20, random_state=0).fit(X)
    assert isinstance(trainer.model_, Gaussian) and trainer.model_.dim == 3 and trainer.model is None
    np.testing.assert_array_equal(clone(trainer).fit(X).model_.theta, trainer.model_.theta)
    restored = pickle.loads(pickle.dumps(trainer))
    for t in (trainer, restored):
        t.partial_fit(X)
    np.testing.assert_array_equal(restored.model_.theta, trainer.model_.theta)
    np.testing.assert_array_equal(restored._phase.walkers, trainer._phase.walkers)
    clf = JEMClassifier((4,), n_iter=2, sgld_steps=2, buffer_size=40, batch_size=20, random_state=0).fit(X, y)
    assert list(clf.classes_) == ["down", "up"] and clf.decision_function(X).shape == (60,)
    assert clf.predict_proba(X).shape == (60, 2) and clf.predict(X).dtype == clf.classes_.dtype
    np.testing.assert_array_equal(clone(clf).fit(X, y).model_.theta, clf.model_.theta)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    for c in (clf, restored):
        c.set_params(n_iter=3).fit(X, y, resume=True)
    np.testing.assert_array_equal(restored.model_.theta, clf.model_.theta)
    np.testing.assert_array_equal(restored.replay_buffer_, clf.replay_buffer_)

