"""``RBMTrainer``: a scikit-learn estimator that trains a binary RBM by CD-k or PCD-k.

Name and home.  The estimator lives here, in the training layer, and is exported
as ``ebmphys.training.RBMTrainer`` and, for convenience, ``ebmphys.RBMTrainer``
(the same object).  It is not called ``RBM`` because ``ebmphys.models.RBM`` is
the energy function itself (parameters, F(v), conditionals, no loops); the
trainer holds one as ``rbm_`` together with the training state (momentum,
persistent chains, epoch counter), so two classes named ``RBM`` would be confusing.

Conventions: E(v, h) = -b.v - c.h - v.W.h with units in {0, 1};
log-likelihoods are in nats.  Parameter names follow
``sklearn.neural_network.BernoulliRBM`` where it has them (``n_components``,
``learning_rate``, ``batch_size``, ``n_iter``, ``random_state``, ``verbose``), and
``learning_rate`` multiplies the minibatch-mean gradient as in sklearn.

scikit-learn conventions (``BaseEstimator``, ``TransformerMixin``): the
constructor stores its arguments unchanged and :meth:`RBMTrainer.fit` /
:meth:`RBMTrainer.partial_fit` validate them; attributes ending in ``_`` exist
only after fitting; the estimator clones, pickles, and runs inside pipelines and
grid searches.
"""

from __future__ import annotations

import numbers
import os

import numpy as np
from scipy import sparse
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ebmphys.kernels import rbm_cpu
from ebmphys.kernels.rng import (
    HOST_TRAINER_INIT,
    HOST_TRAINER_ORDER,
    derive_seed,
    host_generator,
    split_seed,
)
from ebmphys.models._validate import finite_real, positive_int
from ebmphys.models.rbm import RBM
from ebmphys.partition.rbm_exact import MAX_EXACT_RBM_UNITS, exact_is_feasible, rbm_log_z_exact
from ebmphys.progress import Progress
from ebmphys.sampling.cuda_backends import rbm_train_epoch
from ebmphys.sampling.registry import check_device
from ebmphys.training import monitors as _monitors
from ebmphys.training.checkpoint import load_checkpoint, save_checkpoint
from ebmphys.training.checkpoint_io import CheckpointAttrs
from ebmphys.training.sampling import sample_rbm
from ebmphys.training.schedules import SCHEDULES, learning_rate_at
from ebmphys.training.validation import choice, fingerprint, flag, in_range, monitor_names, resolve_random_state

METHODS = ("pcd", "cd")
VISIBLE_BIAS_INITS = ("data", "zero")
# Checks of sklearn.utils.estimator_checks that cannot apply to RBMTrainer, for
# check_estimator(RBMTrainer(), expected_failed_checks=SKLEARN_EXPECTED_FAILED_CHECKS).
# scikit-learn >= 1.6 takes expected failures there: its tags (see __sklearn_tags__) describe
# what input an estimator accepts, and none says "entries in [0, 1]" or "binary".  These checks
# fit on data spread over other scales (make_blobs, 3 * uniform), which RBMTrainer refuses with its
# one-line error instead of training on them, or score real-valued data, for which the exact
# log-likelihood is not defined.  tests/training/test_sklearn_conformance.py checks that each fails
# for exactly that reason, and that all of them pass when their data are mapped into the model's domain.
_OUTSIDE_0_1 = "fits or transforms data outside [0, 1], which RBMTrainer refuses (RBM units are in [0, 1])"
_REAL_SCORE = "scores real values in (0, 1): score is the log-likelihood of binary data, undefined for them"
SKLEARN_EXPECTED_FAILED_CHECKS = {
    **{name: _OUTSIDE_0_1 for name in (
        "check_dict_unchanged", "check_dont_overwrite_parameters", "check_estimators_dtypes",
        "check_estimators_fit_returns_self", "check_estimators_overwrite_params", "check_estimators_pickle",
        "check_f_contiguous_array_estimator", "check_fit2d_1feature", "check_fit2d_1sample",
        "check_fit2d_predict1d", "check_fit_check_is_fitted", "check_fit_idempotent",
        "check_methods_sample_order_invariance", "check_methods_subset_invariance", "check_n_features_in",
        "check_n_features_in_after_fitting", "check_pipeline_consistency", "check_readonly_memmap_input",
        "check_transformer_data_not_an_array", "check_transformer_general", "check_transformer_preserve_dtypes",
    )},
    "check_fit_score_takes_y": _REAL_SCORE,
}
_FITTED = ("rbm_", "n_features_in_", "feature_names_in_", "seed_", "epoch_", "examples_seen_", "history_",
           "log_z_estimate_", "_state", "_data_sha256")


def _unit_rows(name: str, X) -> np.ndarray:
    """Validated (sklearn ``check_array``) rows with entries in [0, 1], as the kernels take them.

    Returns C-contiguous uint8 when every entry is 0 or 1 (the binary fast path),
    else float64 (probabilities).  Sparse rows (CSR) are made dense.
    """
    values = X.data if sparse.issparse(X) else X
    if values.size:
        low, high = values.min(), values.max()
        if low < 0 or high > 1:
            bad = float(low if low < 0 else high)
            # "Negative values in data" is scikit-learn's wording for positive_only estimators
            prefix = "Negative values in data: " if low < 0 else ""
            raise ValueError(f"{prefix}{name} must have entries in [0, 1] (binary units, or probabilities that "
                             f"a unit is 1), found the value {bad!r}")
    binary = bool(np.all((values == 0) | (values == 1)))
    if sparse.issparse(X):
        X = X.astype(np.uint8).toarray() if binary else X.toarray()
    return np.ascontiguousarray(X, dtype=np.uint8 if binary else np.float64)


def _require_binary(X: np.ndarray, name: str, what: str) -> None:
    """One-line error unless ``X`` (from :func:`_unit_rows`) holds binary rows."""
    if X.dtype != np.uint8:
        bad = float(X[(X != 0) & (X != 1)].ravel()[0])
        raise ValueError(f"{what} needs binary {name} (entries 0 or 1): {name} holds probabilities such as "
                         f"{bad!r}; binarise it first (e.g. X > 0.5)")


class RBMTrainer(CheckpointAttrs, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Train a binary RBM (units in {0, 1}) by CD-k or PCD-k; a scikit-learn transformer.

    Data are rows of visible units: binary (0/1), or, as for
    ``sklearn.neural_network.BernoulliRBM``, real values in [0, 1] read as the
    probabilities that each unit is 1.  Real rows enter the positive phase of the
    gradient in mean field (``p(h | v)`` and ``<v h>`` with the real ``v``, see
    :func:`ebmphys.kernels.rbm_cpu.train_epoch`); log-likelihoods, free energies
    and the monitors that compute them need binary rows.  Dense arrays and scipy
    sparse matrices (made dense, as uint8 when binary) are accepted.

    Parameters
    ----------
    n_components : int >= 1, default 256
        Number of hidden units.
    learning_rate : float > 0, default 0.1
        Step size on the minibatch-mean log-likelihood gradient (before the schedule).
    batch_size : int >= 1, default 10
        Examples per minibatch.
    n_iter : int >= 1, default 10
        Epochs (passes over the training data) done by :meth:`fit`.
    random_state : int in [0, 2**64), numpy RandomState, or None
        Seed of everything random (weights, shuffling, Gibbs chains), resolved once
        at the start of :meth:`fit` and kept in ``seed_``: None draws fresh entropy,
        a RandomState gives one draw.
    method : {"pcd", "cd"}, default "pcd"
        Persistent contrastive divergence (negative chains carried across updates)
        or CD-k (a fresh chain from every example).
    k : int >= 1, default 1
        Gibbs steps per update.
    n_chains : int >= 1 or None
        Persistent chains for PCD; None means ``batch_size`` (as in sklearn).
    momentum : float in [0, 1), default 0
    weight_decay : float >= 0, default 0
        L2 penalty coefficient on W (adds -weight_decay * W to its gradient).
    learning_rate_schedule : {"constant", "linear", "inverse_sqrt"}, default "constant"
        See :func:`ebmphys.training.schedules.learning_rate_at`.
    visible_bias_init : {"data", "zero"}, default "data"
        "data" sets b_i = logit of the data marginal of unit i (clipped to [1e-3, 1 - 1e-3]).
    centering : bool, default False
        Centred gradient (Melchior, Fischer & Wiskott 2016) with visible offsets the data
        means and hidden offsets a running mean of p(h | v_data).
    offset_rate : float in (0, 1], default 0.01
        Rate of the running mean of the hidden offsets (centering only).
    monitors : sequence of {"reconstruction_error", "pseudo_log_likelihood", "log_likelihood", "ais_log_likelihood"}
        Evaluated every ``monitor_every`` epochs (and after the last) on ``validation_data``
        (or the training data) and stored in ``history_``; "log_likelihood" is exact and
        needs min(n_visible, n_components) <= 20; "ais_log_likelihood" uses a forward AIS
        estimate of log Z (base-rate model from the training data, seed
        ``derive_seed(seed_, epoch_)``; see :func:`ebmphys.training.monitors.ais_log_z`),
        works at any size and keeps its last estimate in ``log_z_estimate_``.  All but
        "reconstruction_error" need binary data.
    monitor_every : int >= 1, default 1
        Epochs between monitor evaluations.
    checkpoint_path : str or path or None
        HDF5 file written every ``checkpoint_every`` epochs and at the end of :meth:`fit`.
    checkpoint_every : int >= 1, default 1
    device : {"cpu", "cuda", "auto"}, default "cpu"
        Where the training kernels run, checked by
        :func:`ebmphys.sampling.registry.check_device`: training epochs, sampling and the AIS
        monitor run there (same bits on every device); real-valued data need the CPU.
    dtype : {"float64", "float32"}, default "float64"
        Precision of the training epochs (parameters, velocities, gradients and
        probabilities; :func:`ebmphys.kernels.rbm_cpu.train_epoch`).  float32 epochs are
        faster (half the memory traffic, twice the vector width) and reach the
        likelihood of float64 training; the parameters are kept in float32 between
        epochs and copied (exactly) into the float64 ``rbm_`` after each one.  CPU only.
    verbose : bool or int >= 0, default False
        Report progress (per epoch, with the monitors) through :class:`ebmphys.progress.Progress`:
        a bar on a terminal or in Jupyter, one line per 10% of the epochs otherwise.

    Attributes
    ----------
    rbm_ : ebmphys.models.RBM
    n_features_in_ : int
    feature_names_in_ : array of str, only when fitted on a DataFrame with string column names
    seed_ : int
    epoch_ : int, epochs done
    examples_seen_ : int, examples presented since the training state was created
    history_ : dict of lists, per-epoch monitor values and "epoch"
    log_z_estimate_ : float or None
        Stored AIS estimate of log Z used by :meth:`score_samples` when exact
        enumeration is impossible; dropped when training continues.
    components_, intercept_hidden_, intercept_visible_ : sklearn's names for W.T, c and b
    checkpoint_attrs : dict of str
        Extra root attributes written into every checkpoint and restored by
        :meth:`from_checkpoint` (the ``ebmphys train`` command keeps its spec there).
        Not a parameter: ``clone`` does not copy it.
    """

    def __init__(
        self, n_components: int = 256, *, learning_rate: float = 0.1, batch_size: int = 10, n_iter: int = 10,
        random_state=None, method: str = "pcd", k: int = 1, n_chains: int | None = None,
        momentum: float = 0.0, weight_decay: float = 0.0, learning_rate_schedule: str = "constant",
        visible_bias_init: str = "data", centering: bool = False, offset_rate: float = 0.01,
        monitors=(), monitor_every: int = 1, checkpoint_path=None, checkpoint_every: int = 1,
        device: str = "cpu", dtype="float64", verbose=False,
    ):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.random_state = random_state
        self.method = method
        self.k = k
        self.n_chains = n_chains
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.learning_rate_schedule = learning_rate_schedule
        self.visible_bias_init = visible_bias_init
        self.centering = centering
        self.offset_rate = offset_rate
        self.monitors = monitors
        self.monitor_every = monitor_every
        self.checkpoint_path = checkpoint_path
        self.checkpoint_every = checkpoint_every
        self.device = device
        self.dtype = dtype
        self.verbose = verbose

    # ------------------------------------------------------------------ parameters
    def _check_params(self) -> None:
        """Validate every constructor parameter (called by fit and partial_fit; one-line errors)."""
        for name in ("n_components", "batch_size", "n_iter", "k", "monitor_every", "checkpoint_every"):
            positive_int(name, getattr(self, name))
        if self.n_chains is not None:
            positive_int("n_chains", self.n_chains)
        if finite_real("learning_rate", self.learning_rate) <= 0:
            raise ValueError(f"learning_rate must be a finite number > 0, got {self.learning_rate}")
        if self.random_state is not None and not isinstance(self.random_state, np.random.RandomState):
            resolve_random_state(self.random_state)
        choice("method", self.method, METHODS)
        choice("learning_rate_schedule", self.learning_rate_schedule, SCHEDULES)
        choice("visible_bias_init", self.visible_bias_init, VISIBLE_BIAS_INITS)
        in_range("momentum", self.momentum, 0.0, 1.0, False, True)
        in_range("weight_decay", self.weight_decay, 0.0, np.inf, False, True)
        in_range("offset_rate", self.offset_rate, 0.0, 1.0, True, False)
        flag("centering", self.centering)
        if not isinstance(self.verbose, (numbers.Integral, np.bool_)):
            raise TypeError(f"verbose must be True, False or an integer >= 0, got {self.verbose!r}")
        if self.verbose < 0:
            raise ValueError(f"verbose must be True, False or an integer >= 0, got {self.verbose!r}")
        for monitor in self._monitor_names():
            choice("each of monitors", monitor, _monitors.MONITORS)
        if self.checkpoint_path is not None and not isinstance(self.checkpoint_path, (str, os.PathLike)):
            raise TypeError(f"checkpoint_path must be a path or None, got {self.checkpoint_path!r}")
        if check_device(self.device) == "cuda" and self._real_dtype() != np.float64:
            raise ValueError("dtype='float32' trains on device='cpu' only (the CUDA epoch kernel is float64)")

    def _real_dtype(self) -> np.dtype:
        """The training precision ``dtype`` as a numpy dtype (float64 or float32); ValueError for anything else."""
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            dtype = None
        if dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
            raise ValueError(f"dtype must be 'float64' or 'float32', got {self.dtype!r}")
        return dtype

    def _monitor_names(self) -> tuple:
        return monitor_names(self.monitors)

    def __sklearn_tags__(self):
        # what the tags cannot say (data in [0, 1], binary for scores): SKLEARN_EXPECTED_FAILED_CHECKS
        tags = super().__sklearn_tags__()
        # scipy sparse rows are accepted (made dense: uint8 when binary, else float64)
        tags.input_tags.sparse = True
        # units live in [0, 1]: negative entries are refused, so sklearn's checks shift their data to >= 0
        tags.input_tags.positive_only = True
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "rbm_")

    # ------------------------------------------------------------------ data checks
    def _fit_rows(self, X, reset: bool) -> np.ndarray:
        """Training rows: validated, feature count set (``reset``) or checked against ``n_features_in_``."""
        return _unit_rows("X", validate_data(self, X, reset=reset, accept_sparse="csr", dtype="numeric"))

    def _forget_fit(self) -> None:
        for name in _FITTED:
            self.__dict__.pop(name, None)

    def _rows(self, X) -> np.ndarray:
        """Rows for a fitted trainer (transform, scores): validated and as wide as the training data."""
        check_is_fitted(self)
        return _unit_rows("X", validate_data(self, X, reset=False, accept_sparse="csr", dtype="numeric"))

    def _extra_rows(self, X, name: str) -> np.ndarray:
        """Rows passed beside the training data (``validation_data``), checked against n_features_in_."""
        X = check_array(X, accept_sparse="csr", dtype="numeric", input_name=name)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"{name} has {X.shape[1]} features, but this RBMTrainer has "
                             f"n_features_in_={self.n_features_in_} visible units")
        return _unit_rows(name, X)

    def _require_fitted(self) -> RBM:
        check_is_fitted(self)
        return self.rbm_

    @property
    def _n_features_out(self) -> int:
        """Number of features made by :meth:`transform` (for ``get_feature_names_out``)."""
        return self._require_fitted().n_hidden

    # ------------------------------------------------------------------ initialisation
    def _init_model(self, X: np.ndarray) -> None:
        self.seed_ = resolve_random_state(self.random_state)
        rng = host_generator(self.seed_, HOST_TRAINER_INIT, 0)
        n_visible = X.shape[1]
        W = rng.normal(0.0, 0.01, size=(n_visible, int(self.n_components)))
        if self.visible_bias_init == "data":
            b = logit(np.clip(X.mean(axis=0), 1e-3, 1.0 - 1e-3))
        else:
            b = np.zeros(n_visible)
        self.rbm_ = RBM(n_visible, self.n_components, W=W, b=b)
        self.epoch_ = 0
        self.examples_seen_ = 0
        self.history_ = {}
        self.log_z_estimate_ = None

    def _n_persistent(self) -> int:
        return int(self.n_chains or self.batch_size) if self.method == "pcd" else 0

    def _init_state(self, X: np.ndarray) -> None:
        rbm = self.rbm_
        k0, k1 = split_seed(self.seed_)
        n_chains = self._n_persistent()
        v0 = rbm_cpu.initial_visible(rbm.b, n_chains, 0, k0, k1)
        chains = np.empty((n_chains, rbm.n_hidden), dtype=np.uint8)
        rbm_cpu.start_chains(rbm.W, rbm.b, rbm.c, v0, chains, 0, 0, k0, k1)
        mu = X.mean(axis=0)
        real = self._real_dtype()
        self._state = {
            "vel_W": np.zeros_like(rbm.W, dtype=real), "vel_b": np.zeros_like(rbm.b, dtype=real),
            "vel_c": np.zeros_like(rbm.c, dtype=real), "chains": chains, "mu": mu.astype(real),
            "lam": expit(rbm.c + mu @ rbm.W).astype(real), "chain_step": 1,
        }
        self.examples_seen_ = 0
        self._data_sha256 = fingerprint(X)

    # ------------------------------------------------------------------ training
    def _check_monitors(self, X: np.ndarray, monitor_data: np.ndarray, monitor_name: str) -> None:
        """Before training: the monitors can be evaluated on these data at this size."""
        names = self._monitor_names()
        n_visible = X.shape[1]
        if "log_likelihood" in names and min(n_visible, int(self.n_components)) > MAX_EXACT_RBM_UNITS:
            raise ValueError(
                f"the 'log_likelihood' monitor needs exact enumeration, which needs min(n_visible, "
                f"n_components) <= {MAX_EXACT_RBM_UNITS}; got n_visible={n_visible}, n_components={self.n_components}"
            )
        for monitor in names:
            if monitor in _monitors.BINARY_MONITORS:
                _require_binary(monitor_data, monitor_name, f"the {monitor!r} monitor")
        if "ais_log_likelihood" in names:
            _require_binary(X, "X", "the 'ais_log_likelihood' monitor (its base-rate model)")

    def _train_epoch(self, X: np.ndarray, order: np.ndarray) -> None:
        rbm, s = self.rbm_, self._state
        expected_chains = self._n_persistent()
        if s["chains"].shape[0] != expected_chains:
            raise ValueError(
                f"method or n_chains changed after training started ({s['chains'].shape[0]} persistent chains "
                f"exist, {expected_chains} needed); call fit to start again"
            )
        if s["vel_W"].dtype != self._real_dtype():
            raise ValueError(f"dtype changed after training started (the training state is {s['vel_W'].dtype}, "
                             f"dtype={self.dtype!r}); call fit to start again")
        if X.dtype != np.uint8 and check_device(self.device) == "cuda":
            raise ValueError("real-valued data in [0, 1] train on device='cpu' only (the CUDA epoch kernel takes "
                             "binary rows); binarise the data or use device='cpu'")
        k0, k1 = split_seed(self.seed_)
        lr = learning_rate_at(self.learning_rate_schedule, float(self.learning_rate), self.epoch_, int(self.n_iter))
        real = s["vel_W"].dtype
        # float64: the model's own arrays, updated in place; float32: exact copies, written back after the epoch
        W, b, c = (rbm.W, rbm.b, rbm.c) if real == np.float64 else (rbm.W.astype(real), rbm.b.astype(real),
                                                                     rbm.c.astype(real))
        s["chain_step"] = rbm_train_epoch(self.device)(
            X, order, int(self.batch_size), W, np.ascontiguousarray(W.T), b, c,
            s["vel_W"], s["vel_b"], s["vel_c"], s["chains"], self.method == "pcd", int(self.k), s["chain_step"],
            self.examples_seen_, float(lr), float(self.momentum), float(self.weight_decay), bool(self.centering),
            s["mu"], s["lam"], float(self.offset_rate), k0, k1,
        )
        if W is not rbm.W:
            rbm.W[...], rbm.b[...], rbm.c[...] = W, b, c
        self.examples_seen_ += X.shape[0]
        self.epoch_ += 1
        self.log_z_estimate_ = None

    def _evaluate_monitors(self, X: np.ndarray, monitor_data: np.ndarray) -> dict:
        """Monitor values of the current model; the AIS monitor's log Z estimate is kept in ``log_z_estimate_``."""
        names = self._monitor_names()
        ais_log_z = None
        if "ais_log_likelihood" in names:
            ais_log_z = _monitors.ais_log_z(self.rbm_, X, seed=derive_seed(self.seed_, self.epoch_),
                                            device=self.device)
        values = _monitors.evaluate(names, self.rbm_, monitor_data, ais_log_z=ais_log_z)
        self.log_z_estimate_ = ais_log_z
        return values

    def fit(self, X, y=None, *, validation_data=None, resume: bool = False) -> "RBMTrainer":
        """Train for ``n_iter`` epochs (from a fresh initialisation unless ``resume``).

        Parameters
        ----------
        X : array or sparse matrix (n_samples, n_features), entries in [0, 1]
            Binary rows, or probabilities (see the class docstring).
        y : ignored (sklearn convention)
        validation_data : array (m, n_features), entries in [0, 1], optional
            Data the monitors are evaluated on (default: ``X``).
        resume : bool
            Continue a trainer restored by :meth:`from_checkpoint` (or fitted before) up
            to ``n_iter`` epochs in total; ``X`` must be the same training data.  The
            result is bit for bit the one of an uninterrupted run.

        Raises
        ------
        ValueError, TypeError
            For a bad parameter or bad data, naming it and what is allowed.
        """
        self._check_params()
        if resume and not hasattr(self, "_state"):
            raise ValueError("resume=True needs a trainer with training state: use RBMTrainer.from_checkpoint")
        if not resume:
            self._forget_fit()
        try:
            X = self._fit_rows(X, reset=not resume)
            if resume and fingerprint(X) != self._data_sha256:
                raise ValueError("X is not the training data of the run being resumed (its sha256 differs)")
            if validation_data is None:
                monitor_data, monitor_name = X, "X"
            else:
                monitor_data, monitor_name = self._extra_rows(validation_data, "validation_data"), "validation_data"
            self._check_monitors(X, monitor_data, monitor_name)
        except Exception:
            if not resume:
                self._forget_fit()      # a refused fit leaves no fitted attribute (n_features_in_, ...)
            raise
        if not resume:
            self._init_model(X)
            self._init_state(X)
        every = int(self.monitor_every)
        with Progress(int(self.n_iter), enabled=bool(self.verbose), desc="RBM training", unit="epoch",
                      initial=min(self.epoch_, int(self.n_iter))) as progress:
            while self.epoch_ < self.n_iter:
                order = host_generator(self.seed_, HOST_TRAINER_ORDER, self.epoch_).permutation(X.shape[0])
                self._train_epoch(X, order)
                if self._monitor_names() and (self.epoch_ % every == 0 or self.epoch_ == self.n_iter):
                    values = self._evaluate_monitors(X, monitor_data)
                    self.history_.setdefault("epoch", []).append(self.epoch_)
                    for name, value in values.items():
                        self.history_.setdefault(name, []).append(value)
                    progress.set_postfix(values)
                progress.update(1)
                self._checkpoint_if_due()
        return self

    def partial_fit(self, X, y=None) -> "RBMTrainer":
        """One pass over ``X`` in the given order, in minibatches; initialises the model on the first call.

        ``X`` as in :meth:`fit`; ``y`` is ignored.  Monitors, checkpoints and the
        learning-rate schedule's epoch count are those of :meth:`fit`.
        """
        self._check_params()
        first = not hasattr(self, "rbm_")
        try:
            X = self._fit_rows(X, reset=first)
        except Exception:
            if first:
                self._forget_fit()
            raise
        if first:
            self._init_model(X)
        if not hasattr(self, "_state"):
            self._init_state(X)
        self._train_epoch(X, np.arange(X.shape[0], dtype=np.int64))
        return self

    # ------------------------------------------------------------------ inference
    def transform(self, X) -> np.ndarray:
        """Hidden probabilities p(h_j = 1 | v) = sigmoid(c_j + (v.W)_j), shape (n_samples, n_components).

        Rows may be binary or probabilities in [0, 1] (mean field, as sklearn's BernoulliRBM).
        """
        X = self._rows(X)
        rbm = self.rbm_
        return expit(rbm.c + X.astype(np.float64) @ rbm.W)

    def free_energy(self, X) -> np.ndarray:
        """F(v) = -b.v - sum_j softplus(c_j + (v.W)_j) in nats, shape (n_samples,); binary rows only."""
        X = self._rows(X)
        _require_binary(X, "X", "free_energy")
        return self.rbm_.free_energy(X)

    def set_log_z_estimate(self, log_z: float) -> None:
        """Store an AIS estimate of log Z for :meth:`score_samples` on models too large to enumerate.

        The estimate is dropped when training continues.
        """
        self._require_fitted()
        self.log_z_estimate_ = finite_real("log_z", log_z)

    def estimate_log_z(self, X=None, **ais_options):
        """Estimate log Z by forward AIS (:func:`ebmphys.partition.ais`) and store it with :meth:`set_log_z_estimate`.

        ``X`` (the binary training data) sets the base-rate model; ``ais_options`` go
        to ``ais`` (n_chains, n_steps, schedule, seed, ...).  Returns the ``AISResult``.
        """
        from ebmphys.partition.ais import ais

        rbm = self._require_fitted()
        if X is not None:
            X = self._rows(X)
            _require_binary(X, "X", "the base-rate model of AIS")
        result = ais(rbm, data=X, **({"device": self.device} | ais_options))
        self.set_log_z_estimate(result.log_z)
        return result

    def log_z(self) -> tuple[float, str]:
        """log Z of the current model and how it was obtained: ("exact" or "ais").

        Exact enumeration when min(n_visible, n_components) <= 20, else the stored
        estimate ``log_z_estimate_`` (from :meth:`set_log_z_estimate`,
        :meth:`estimate_log_z`, or the "ais_log_likelihood" monitor after the last epoch).

        Raises
        ------
        ValueError
            If the model is too large to enumerate and no AIS estimate is stored.
        """
        rbm = self._require_fitted()
        if exact_is_feasible(rbm):
            return rbm_log_z_exact(rbm), "exact"
        if self.log_z_estimate_ is not None:
            return self.log_z_estimate_, "ais"
        raise ValueError(
            f"log p(v) needs log Z: exact enumeration is impossible because min(n_visible={rbm.n_visible}, "
            f"n_components={rbm.n_hidden}) = {min(rbm.n_visible, rbm.n_hidden)} exceeds {MAX_EXACT_RBM_UNITS}, "
            f"and no AIS estimate is stored (estimate_log_z(X), set_log_z_estimate, or the "
            f"'ais_log_likelihood' monitor)"
        )

    def score_samples(self, X) -> np.ndarray:
        """log p(v) = -F(v) - log Z in nats per sample; binary rows only; see :meth:`log_z` for which log Z.

        Unlike ``BernoulliRBM.score_samples`` (a one-unit stochastic pseudo-likelihood),
        this is the log-likelihood itself; the pseudo-log-likelihood summed over every
        unit is :func:`ebmphys.training.monitors.pseudo_log_likelihood`.
        """
        X = self._rows(X)
        _require_binary(X, "X", "the log-likelihood (score_samples)")
        log_z, _ = self.log_z()
        return -self.rbm_.free_energy(X) - log_z

    def score(self, X, y=None) -> float:
        """Mean log-likelihood of the binary rows ``X`` in nats (the mean of :meth:`score_samples`).

        Exact when min(n_visible, n_components) <= 20; otherwise it uses the stored AIS
        estimate of log Z (see :meth:`log_z`), so it is a stochastic estimate (AIS
        underestimates log Z on average, so this tends to be slightly high).  Greater is
        better, as sklearn's model selection expects.  ``y`` is ignored.
        """
        X = self._rows(X)
        _require_binary(X, "X", "the log-likelihood (score)")
        log_z, _ = self.log_z()
        return float(np.mean(-self.rbm_.free_energy(X) - log_z))

    def sample(self, n_samples: int, n_steps: int = 1000, *, seed: int | None = None, initial_states=None,
               return_hidden: bool = False):
        """Draw ``n_samples`` visible configurations by block Gibbs on ``device`` (see :func:`ebmphys.training.sample_rbm`)."""
        return sample_rbm(self._require_fitted(), n_samples, n_steps, seed=seed, initial_states=initial_states,
                          return_hidden=return_hidden, device=self.device)

    # ------------------------------------------------------------------ checkpoints
    def _checkpoint_params(self) -> dict:
        """Constructor parameters in JSON types; a RandomState becomes the seed it gave (``seed_``)."""
        p = self.get_params()
        for name in ("n_components", "batch_size", "n_iter", "k", "monitor_every", "checkpoint_every"):
            p[name] = int(p[name])
        for name in ("learning_rate", "momentum", "weight_decay", "offset_rate"):
            p[name] = float(p[name])
        p["n_chains"] = None if p["n_chains"] is None else int(p["n_chains"])
        p["random_state"] = None if p["random_state"] is None else self.seed_
        p["centering"] = bool(p["centering"])
        p["verbose"] = int(p["verbose"]) if not isinstance(p["verbose"], (bool, np.bool_)) else bool(p["verbose"])
        p["monitors"] = list(self._monitor_names())
        p["checkpoint_path"] = None if p["checkpoint_path"] is None else os.fspath(p["checkpoint_path"])
        p["dtype"] = self._real_dtype().name
        return p

    def save(self, path) -> None:
        """Write the model and training state to an HDF5 checkpoint (atomically)."""
        rbm = self._require_fitted()
        if not hasattr(self, "_state"):
            raise ValueError("there is no training state to save: fit or partial_fit first")
        state = dict(self._state, epoch=self.epoch_, examples_seen=self.examples_seen_, seed=self.seed_,
                     data_sha256=self._data_sha256)
        save_checkpoint(path, self._checkpoint_params(), {"W": rbm.W, "b": rbm.b, "c": rbm.c}, state,
                        self.history_, self.checkpoint_attrs)

    @classmethod
    def from_checkpoint(cls, path) -> "RBMTrainer":
        """Restore a trainer from :meth:`save`; continue it with ``fit(X, resume=True)``."""
        params, model, state, history, attrs = load_checkpoint(path)
        trainer = cls(**params)
        W = model["W"]
        trainer.rbm_ = RBM(W.shape[0], W.shape[1], W=W, b=model["b"], c=model["c"])
        trainer.n_features_in_ = W.shape[0]
        trainer.seed_ = state.pop("seed")
        trainer.epoch_ = state.pop("epoch")
        trainer.examples_seen_ = state.pop("examples_seen")
        trainer.log_z_estimate_ = None
        trainer._data_sha256 = state.pop("data_sha256")
        trainer._state = state
        trainer.history_ = history
        trainer.checkpoint_attrs = attrs
        return trainer

    # ------------------------------------------------------------------ sklearn interop
    @property
    def components_(self) -> np.ndarray:
        """Weights in sklearn's layout (n_components, n_features), i.e. W.T."""
        return self._require_fitted().W.T

    @property
    def intercept_hidden_(self) -> np.ndarray:
        return self._require_fitted().c

    @property
    def intercept_visible_(self) -> np.ndarray:
        return self._require_fitted().b

    @classmethod
    def from_sklearn(cls, model) -> "RBMTrainer":
        """A trainer holding the parameters of a fitted ``sklearn.neural_network.BernoulliRBM`` (copied exactly).

        sklearn's energy convention is the same (E = -b.v - c.h - v.W.h with
        ``components_ = W.T``, ``intercept_visible_ = b``, ``intercept_hidden_ = c``).
        An integer ``random_state`` is kept; a RandomState object becomes None.
        Training continued with :meth:`partial_fit` starts fresh chains and momentum.
        """
        from sklearn.neural_network import BernoulliRBM

        if not isinstance(model, BernoulliRBM):
            raise TypeError(f"model must be a sklearn.neural_network.BernoulliRBM, got {type(model).__name__}")
        if not hasattr(model, "components_"):
            raise ValueError("model must be fitted (it has no components_)")
        seed = model.random_state if isinstance(model.random_state, numbers.Integral) else None
        trainer = cls(n_components=model.n_components, learning_rate=model.learning_rate,
                      batch_size=model.batch_size, n_iter=model.n_iter, random_state=seed, verbose=bool(model.verbose))
        W = np.asarray(model.components_, dtype=np.float64).T
        trainer.rbm_ = RBM(W.shape[0], W.shape[1], W=W, b=model.intercept_visible_, c=model.intercept_hidden_)
        trainer.n_features_in_ = W.shape[0]
        trainer.seed_ = resolve_random_state(seed)
        trainer.epoch_ = 0
        trainer.examples_seen_ = 0
        trainer.history_ = {}
        trainer.log_z_estimate_ = None
        return trainer

    def to_sklearn(self):
        """An equivalent fitted ``sklearn.neural_network.BernoulliRBM`` (parameters copied exactly)."""
        from sklearn.neural_network import BernoulliRBM

        rbm = self._require_fitted()
        model = BernoulliRBM(n_components=rbm.n_hidden, learning_rate=self.learning_rate,
                             batch_size=self.batch_size, n_iter=self.n_iter, random_state=self.random_state,
                             verbose=int(self.verbose))
        model.components_ = rbm.W.T.copy()
        model.intercept_hidden_ = rbm.c.copy()
        model.intercept_visible_ = rbm.b.copy()
        model.h_samples_ = np.zeros((int(self.batch_size), rbm.n_hidden))
        model.n_features_in_ = rbm.n_visible
        return model
