"""``RBMTrainer``: an sklearn-style estimator that trains a binary RBM by CD-k or PCD-k.

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
"""

from __future__ import annotations

import hashlib
import numbers
import os
import sys

import numpy as np
from scipy.special import expit, logit
from tqdm.auto import tqdm

from ebmphys.kernels import rbm_cpu
from ebmphys.kernels.rng import resolve_seed, split_seed
from ebmphys.models._validate import finite_real, positive_int
from ebmphys.models.rbm import RBM, binary_units
from ebmphys.partition.rbm_exact import MAX_EXACT_RBM_UNITS, exact_is_feasible, rbm_log_z_exact
from ebmphys.training import monitors as _monitors
from ebmphys.training.checkpoint import load_checkpoint, save_checkpoint
from ebmphys.training.sampling import sample_rbm
from ebmphys.training.schedules import SCHEDULES, learning_rate_at

METHODS = ("pcd", "cd")
VISIBLE_BIAS_INITS = ("data", "zero")
_PARAM_NAMES = (
    "n_components", "learning_rate", "batch_size", "n_iter", "random_state", "method", "k", "n_chains",
    "momentum", "weight_decay", "learning_rate_schedule", "visible_bias_init", "centering", "offset_rate",
    "monitors", "monitor_every", "checkpoint_path", "checkpoint_every", "verbose",
)
# counter word 3 of numpy's Philox addresses the purpose of host-side draws
_INIT_PURPOSE = 0
_ORDER_PURPOSE = 1


def _choice(name: str, value, allowed) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")
    return value


def _flag(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _in_range(name: str, value, low: float, high: float, low_open: bool, high_open: bool) -> float:
    value = finite_real(name, value)
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value}")
    return value


def _host_generator(seed: int, purpose: int, index: int) -> np.random.Generator:
    """numpy Philox keyed by the seed, addressed by (index, purpose): reproducible host-side draws."""
    return np.random.Generator(np.random.Philox(key=seed, counter=np.array([0, index, 0, purpose], dtype=np.uint64)))


def _fingerprint(X: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(X).tobytes() + str(X.shape).encode()).hexdigest()


class RBMTrainer:
    """Train a binary RBM (units in {0, 1}) on binary data by CD-k or PCD-k.

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
    random_state : int in [0, 2**64) or None
        Seed of everything random (weights, shuffling, Gibbs chains); None draws one
        at the start of :meth:`fit` (kept in ``seed_``).
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
        estimate of log Z (base-rate model from the training data; see
        :func:`ebmphys.training.monitors.ais_log_likelihood`) and works at any size.
    monitor_every : int >= 1, default 1
        Epochs between monitor evaluations.
    checkpoint_path : str or path or None
        HDF5 file written every ``checkpoint_every`` epochs and at the end of :meth:`fit`.
    checkpoint_every : int >= 1, default 1
    verbose : bool, default False
        Show a progress bar (only when stderr is a terminal).

    Attributes
    ----------
    rbm_ : ebmphys.models.RBM
    n_features_in_ : int
    seed_ : int
    epoch_ : int, epochs done
    history_ : dict of lists, per-epoch monitor values and "epoch"
    checkpoint_attrs : dict of str
        Extra root attributes written into every checkpoint and restored by
        :meth:`from_checkpoint` (the ``ebmphys train`` command keeps its spec there).
    """

    def __init__(
        self, n_components: int = 256, *, learning_rate: float = 0.1, batch_size: int = 10, n_iter: int = 10,
        random_state: int | None = None, method: str = "pcd", k: int = 1, n_chains: int | None = None,
        momentum: float = 0.0, weight_decay: float = 0.0, learning_rate_schedule: str = "constant",
        visible_bias_init: str = "data", centering: bool = False, offset_rate: float = 0.01,
        monitors=(), monitor_every: int = 1, checkpoint_path=None, checkpoint_every: int = 1,
        verbose: bool = False,
    ):
        self.set_params(
            n_components=n_components, learning_rate=learning_rate, batch_size=batch_size, n_iter=n_iter,
            random_state=random_state, method=method, k=k, n_chains=n_chains, momentum=momentum,
            weight_decay=weight_decay, learning_rate_schedule=learning_rate_schedule,
            visible_bias_init=visible_bias_init, centering=centering, offset_rate=offset_rate, monitors=monitors,
            monitor_every=monitor_every, checkpoint_path=checkpoint_path, checkpoint_every=checkpoint_every, verbose=verbose,
        )
        self.rbm_ = None
        self._state = None
        self.log_z_estimate_ = None
        self.checkpoint_attrs = {}

    # ------------------------------------------------------------------ parameters
    def get_params(self, deep: bool = True) -> dict:
        """Constructor parameters as a dict (sklearn convention)."""
        return {name: getattr(self, name) for name in _PARAM_NAMES}

    def set_params(self, **params) -> "RBMTrainer":
        """Set and validate constructor parameters; unknown names raise ValueError."""
        for name, value in params.items():
            if name not in _PARAM_NAMES:
                raise ValueError(f"unknown parameter {name!r}; valid parameters are {', '.join(_PARAM_NAMES)}")
            setattr(self, name, self._validated(name, value))
        return self

    @staticmethod
    def _validated(name: str, value):
        if name in ("n_components", "batch_size", "n_iter", "k", "monitor_every", "checkpoint_every"):
            return positive_int(name, value)
        if name == "n_chains":
            return None if value is None else positive_int(name, value)
        if name == "learning_rate":
            value = finite_real(name, value)
            if value <= 0:
                raise ValueError(f"learning_rate must be a finite number > 0, got {value}")
            return value
        if name == "random_state":
            if value is not None:
                resolve_seed(value)
                value = int(value)
            return value
        if name == "method":
            return _choice(name, value, METHODS)
        if name == "learning_rate_schedule":
            return _choice(name, value, SCHEDULES)
        if name == "visible_bias_init":
            return _choice(name, value, VISIBLE_BIAS_INITS)
        if name == "momentum":
            return _in_range(name, value, 0.0, 1.0, False, True)
        if name == "weight_decay":
            return _in_range(name, value, 0.0, np.inf, False, True)
        if name == "offset_rate":
            return _in_range(name, value, 0.0, 1.0, True, False)
        if name in ("centering", "verbose"):
            return _flag(name, value)
        if name == "monitors":
            if isinstance(value, str):
                value = (value,)
            value = tuple(value)
            for m in value:
                _choice("each of monitors", m, _monitors.MONITORS)
            return value
        if name == "checkpoint_path":
            if value is not None and not isinstance(value, (str, os.PathLike)):
                raise TypeError(f"checkpoint_path must be a path or None, got {value!r}")
            return None if value is None else os.fspath(value)
        raise AssertionError(name)

    def __repr__(self) -> str:
        return f"RBMTrainer(n_components={self.n_components}, method={self.method!r}, k={self.k})"

    # ------------------------------------------------------------------ data checks
    def _check_X(self, X, name: str = "X") -> np.ndarray:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(f"{name} must be a 2D array (n_samples, n_features), got shape {arr.shape}")
        width = self.n_features_in_ if self.rbm_ is not None else arr.shape[1]
        if width < 1:
            raise ValueError(f"{name} must have at least one feature (column), got shape {arr.shape}")
        out = binary_units(name, arr, width)
        if out.shape[0] == 0:
            raise ValueError(f"{name} must contain at least one sample, got shape {arr.shape}")
        return out

    def _require_fitted(self) -> RBM:
        if self.rbm_ is None:
            raise ValueError("this RBMTrainer is not fitted yet: call fit, partial_fit or from_checkpoint first")
        return self.rbm_

    @property
    def n_features_in_(self) -> int:
        return self._require_fitted().n_visible

    # ------------------------------------------------------------------ initialisation
    def _init_model(self, X: np.ndarray) -> None:
        self.seed_ = resolve_seed(self.random_state)
        rng = _host_generator(self.seed_, _INIT_PURPOSE, 0)
        n_visible = X.shape[1]
        W = rng.normal(0.0, 0.01, size=(n_visible, self.n_components))
        if self.visible_bias_init == "data":
            b = logit(np.clip(X.mean(axis=0), 1e-3, 1.0 - 1e-3))
        else:
            b = np.zeros(n_visible)
        self.rbm_ = RBM(n_visible, self.n_components, W=W, b=b)
        self.epoch_ = 0
        self.examples_seen_ = 0
        self.history_ = {}
        self._state = None
        self.log_z_estimate_ = None

    def _init_state(self, X: np.ndarray) -> None:
        rbm = self.rbm_
        k0, k1 = split_seed(self.seed_)
        n_chains = (self.n_chains or self.batch_size) if self.method == "pcd" else 0
        v0 = rbm_cpu.initial_visible(rbm.b, n_chains, 0, k0, k1)
        chains = np.empty((n_chains, rbm.n_hidden), dtype=np.uint8)
        rbm_cpu.start_chains(rbm.W, rbm.b, rbm.c, v0, chains, 0, 0, k0, k1)
        mu = X.mean(axis=0)
        self._state = {
            "vel_W": np.zeros_like(rbm.W), "vel_b": np.zeros_like(rbm.b), "vel_c": np.zeros_like(rbm.c),
            "chains": chains, "mu": mu, "lam": expit(rbm.c + mu @ rbm.W), "chain_step": 1,
        }
        self.examples_seen_ = 0
        self._data_sha256 = _fingerprint(X)

    # ------------------------------------------------------------------ training
    def _check_monitors(self) -> None:
        if "log_likelihood" in self.monitors and not exact_is_feasible(self.rbm_):
            raise ValueError(
                f"the 'log_likelihood' monitor needs exact enumeration, which needs min(n_visible, "
                f"n_components) <= {MAX_EXACT_RBM_UNITS}; got n_visible={self.rbm_.n_visible}, "
                f"n_components={self.n_components}"
            )

    def _train_epoch(self, X: np.ndarray, order: np.ndarray) -> None:
        rbm, s = self.rbm_, self._state
        expected_chains = (self.n_chains or self.batch_size) if self.method == "pcd" else 0
        if s["chains"].shape[0] != expected_chains:
            raise ValueError(
                f"method or n_chains changed after training started ({s['chains'].shape[0]} persistent chains "
                f"exist, {expected_chains} needed); call fit to start again"
            )
        k0, k1 = split_seed(self.seed_)
        lr = learning_rate_at(self.learning_rate_schedule, self.learning_rate, self.epoch_, self.n_iter)
        s["chain_step"] = rbm_cpu.train_epoch(
            X, order, self.batch_size, rbm.W, np.ascontiguousarray(rbm.W.T), rbm.b, rbm.c,
            s["vel_W"], s["vel_b"], s["vel_c"], s["chains"], self.method == "pcd", self.k, s["chain_step"],
            self.examples_seen_, lr, self.momentum, self.weight_decay, self.centering, s["mu"], s["lam"],
            self.offset_rate, k0, k1,
        )
        self.examples_seen_ += X.shape[0]
        self.epoch_ += 1
        self.log_z_estimate_ = None

    def fit(self, X, y=None, *, validation_data=None, resume: bool = False) -> "RBMTrainer":
        """Train for ``n_iter`` epochs (from a fresh initialisation unless ``resume``).

        Parameters
        ----------
        X : array (n_samples, n_features) of 0/1
        y : ignored (sklearn convention)
        validation_data : array (m, n_features) of 0/1, optional
            Data the monitors are evaluated on (default: ``X``).
        resume : bool
            Continue a trainer restored by :meth:`from_checkpoint` (or fitted before) up
            to ``n_iter`` epochs in total; ``X`` must be the same training data.  The
            result is bit for bit the one of an uninterrupted run.
        """
        if resume:
            if self._state is None:
                raise ValueError("resume=True needs a trainer with training state: use RBMTrainer.from_checkpoint")
            X = self._check_X(X)
            if _fingerprint(X) != self._data_sha256:
                raise ValueError("X is not the training data of the run being resumed (its sha256 differs)")
        else:
            self.rbm_ = None
            X = self._check_X(X)
            self._init_model(X)
            self._init_state(X)
        monitor_data = X if validation_data is None else self._check_X(validation_data, "validation_data")
        self._check_monitors()
        disable = not (self.verbose and sys.stderr.isatty())
        with tqdm(total=self.n_iter, initial=self.epoch_, desc="RBM training", unit="epoch", disable=disable) as bar:
            while self.epoch_ < self.n_iter:
                order = _host_generator(self.seed_, _ORDER_PURPOSE, self.epoch_).permutation(X.shape[0])
                self._train_epoch(X, order)
                values = {}
                if self.monitors and (self.epoch_ % self.monitor_every == 0 or self.epoch_ == self.n_iter):
                    values = _monitors.evaluate(self.monitors, self.rbm_, monitor_data, train_data=X,
                                                seed=self.seed_ + self.epoch_)
                    self.history_.setdefault("epoch", []).append(self.epoch_)
                    for name, value in values.items():
                        self.history_.setdefault(name, []).append(value)
                bar.update(1)
                if values:
                    bar.set_postfix({name: f"{value:.4g}" for name, value in values.items()})
                if self.checkpoint_path and (self.epoch_ % self.checkpoint_every == 0 or self.epoch_ == self.n_iter):
                    self.save(self.checkpoint_path)
        return self

    def partial_fit(self, X, y=None) -> "RBMTrainer":
        """One pass over ``X`` in the given order, in minibatches; initialises the model on the first call."""
        X = self._check_X(X)
        if self.rbm_ is None:
            self._init_model(X)
        if self._state is None:
            self._init_state(X)
        self._train_epoch(X, np.arange(X.shape[0], dtype=np.int64))
        return self

    # ------------------------------------------------------------------ inference
    def transform(self, X) -> np.ndarray:
        """Hidden probabilities p(h_j = 1 | v), shape (n_samples, n_components)."""
        return self._require_fitted().hidden_probabilities(self._check_X(X))

    def free_energy(self, X) -> np.ndarray:
        """F(v) = -b.v - sum_j softplus(c_j + (v.W)_j) in nats, shape (n_samples,)."""
        return self._require_fitted().free_energy(self._check_X(X))

    def set_log_z_estimate(self, log_z: float) -> None:
        """Store an AIS estimate of log Z for :meth:`score_samples` on models too large to enumerate.

        The estimate is dropped when training continues.
        """
        self._require_fitted()
        self.log_z_estimate_ = finite_real("log_z", log_z)

    def estimate_log_z(self, X=None, **ais_options):
        """Estimate log Z by forward AIS (:func:`ebmphys.partition.ais`) and store it with :meth:`set_log_z_estimate`.

        ``X`` (the training data) sets the base-rate model; ``ais_options`` go to
        ``ais`` (n_chains, n_steps, schedule, seed, ...).  Returns the ``AISResult``.
        """
        from ebmphys.partition.ais import ais

        result = ais(self._require_fitted(), data=None if X is None else self._check_X(X), **ais_options)
        self.set_log_z_estimate(result.log_z)
        return result

    def log_z(self) -> tuple[float, str]:
        """log Z of the current model and how it was obtained: ("exact" or "ais").

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
            f"and no AIS estimate is stored (set one with set_log_z_estimate)"
        )

    def score_samples(self, X) -> np.ndarray:
        """log p(v) = -F(v) - log Z in nats per sample; see :meth:`log_z` for which log Z is used.

        Unlike ``BernoulliRBM.score_samples`` (a one-unit stochastic pseudo-likelihood),
        this is the log-likelihood itself; the pseudo-log-likelihood summed over every
        unit is :func:`ebmphys.training.monitors.pseudo_log_likelihood`.
        """
        X = self._check_X(X)
        log_z, _ = self.log_z()
        return -self.rbm_.free_energy(X) - log_z

    def sample(self, n_samples: int, n_steps: int = 1000, *, seed: int | None = None, initial_states=None,
               return_hidden: bool = False):
        """Draw ``n_samples`` visible configurations by block Gibbs (see :func:`ebmphys.training.sample_rbm`)."""
        return sample_rbm(self._require_fitted(), n_samples, n_steps, seed=seed, initial_states=initial_states,
                          return_hidden=return_hidden)

    # ------------------------------------------------------------------ checkpoints
    def save(self, path) -> None:
        """Write the model and training state to an HDF5 checkpoint (atomically)."""
        rbm = self._require_fitted()
        if self._state is None:
            raise ValueError("there is no training state to save: fit or partial_fit first")
        params = self.get_params()
        params["monitors"] = list(params["monitors"])
        state = dict(self._state, epoch=self.epoch_, examples_seen=self.examples_seen_, seed=self.seed_,
                     data_sha256=self._data_sha256)
        save_checkpoint(path, params, {"W": rbm.W, "b": rbm.b, "c": rbm.c}, state, self.history_,
                        self.checkpoint_attrs)

    @classmethod
    def from_checkpoint(cls, path) -> "RBMTrainer":
        """Restore a trainer from :meth:`save`; continue it with ``fit(X, resume=True)``."""
        params, model, state, history, attrs = load_checkpoint(path)
        trainer = cls(**params)
        W = model["W"]
        trainer.rbm_ = RBM(W.shape[0], W.shape[1], W=W, b=model["b"], c=model["c"])
        trainer.seed_ = state.pop("seed")
        trainer.epoch_ = state.pop("epoch")
        trainer.examples_seen_ = state.pop("examples_seen")
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
        trainer.seed_ = resolve_seed(seed)
        trainer.epoch_ = 0
        trainer.examples_seen_ = 0
        trainer.history_ = {}
        return trainer

    def to_sklearn(self):
        """An equivalent fitted ``sklearn.neural_network.BernoulliRBM`` (parameters copied exactly)."""
        from sklearn.neural_network import BernoulliRBM

        rbm = self._require_fitted()
        model = BernoulliRBM(n_components=self.n_components, learning_rate=self.learning_rate,
                             batch_size=self.batch_size, n_iter=self.n_iter, random_state=self.random_state,
                             verbose=int(self.verbose))
        model.components_ = rbm.W.T.copy()
        model.intercept_hidden_ = rbm.c.copy()
        model.intercept_visible_ = rbm.b.copy()
        model.h_samples_ = np.zeros((self.batch_size, self.n_components))
        model.n_features_in_ = rbm.n_visible
        return model
