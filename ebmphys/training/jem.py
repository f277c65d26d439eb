"""``JEMClassifier``: a softmax classifier trained as a joint energy-based model (Grathwohl et al. 2020).

The classifier's logits f(x) define p(y | x) = softmax(f(x)) and the energy
E(x) = -logsumexp_y f(x)[y] (:class:`ebmphys.models.classifier.SoftmaxMLP`).  Each
minibatch (x, y) takes one optimiser step on

    cross-entropy(f(x), y) + generative_weight * [mean E(x) - mean E(x_neg)],

the second term the maximum-likelihood gradient of log p(x) with negative samples
x_neg from a replay buffer moved by SGLD (:class:`ebmphys.training.negative.ReplayBuffer`
with the unadjusted-Langevin kernel: x' = x - sgld_step_size grad E(x) + sgld_noise xi,
step and noise set separately as in JEM's code, so the chains sample a colder,
biased density: the usual trade made for short-run EBM training).  With
``generative_weight=0`` the same network trains as a plain classifier (no sampling).

Conventions as :class:`ebmphys.training.EBMTrainer` (sklearn estimator, parameters
validated in ``fit`` with one-line errors, randomness a pure function of
``random_state``: initial weights from ``host_generator(seed_, HOST_MLP_INIT)``, the
order of each epoch, buffer picks, noise restarts and the SGLD noise streams).

scikit-learn conventions: the constructor stores its arguments unchanged; ``fit``
validates them and the data (``validate_data``: ``n_features_in_``, any array-like, a
column-vector ``y`` ravelled with a warning); ``classes_`` holds the sorted labels;
``decision_function`` is (n, K), or for two classes the (n,) margin f[1] - f[0], so that
it is positive where ``classes_[1]`` is predicted; calling a fitted-only method before
``fit`` raises ``NotFittedError``.  A fitted classifier pickles and clones.

Checkpoints (:mod:`ebmphys.training.jem_checkpoint`, written through the same atomic,
checksummed machinery as :class:`~ebmphys.training.EBMTrainer`'s): the weights, the
optimiser state, the replay buffer and its sweep counter, ``classes_`` and the history,
every ``checkpoint_every`` epochs to ``checkpoint_path``;
``JEMClassifier.from_checkpoint(path).fit(X, y, resume=True)`` continues to the bits of
an uninterrupted run.

Helpers :func:`expected_calibration_error` and :func:`energy_auroc` measure
calibration and out-of-distribution detection.
"""

from __future__ import annotations

import numbers
import os

import numpy as np
from scipy.special import log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ebmphys.kernels.mlp_cpu import ACTIVATIONS
from ebmphys.kernels.rng import (
    HOST_EBM_NOISE,
    HOST_EBM_ORDER,
    derive_seed,
    host_generator,
    resolve_seed,
)
from ebmphys.models._validate import finite_real, positive_int
from ebmphys.models.classifier import SoftmaxMLP
from ebmphys.progress import Progress
from ebmphys.sampling.registry import cpu_only
from ebmphys.training import objectives
from ebmphys.training.checkpoint_io import CheckpointAttrs
from ebmphys.training.negative import NOISE_INITS, NoiseSource, ReplayBuffer
from ebmphys.training.optimizers import OPTIMIZERS, Optimizer, clip_gradient
from ebmphys.training.schedules import SCHEDULES, learning_rate_at
from ebmphys.training.validation import (
    choice,
    estimator_rows,
    fingerprint,
    in_range,
    positive,
    resolve_random_state,
)


def expected_calibration_error(proba, y_index, n_bins: int = 15) -> float:
    """ECE: sum over equal-width confidence bins of (bin fraction) x |accuracy - mean confidence|.

    ``proba`` (n, K) predicted probabilities, ``y_index`` (n,) true class indices.
    """
    proba = np.asarray(proba, dtype=np.float64)
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == np.asarray(y_index)
    bins = np.minimum((confidence * n_bins).astype(np.int64), n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        inside = bins == b
        if np.any(inside):
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total)


def energy_auroc(score_in, score_out) -> float:
    """Area under the ROC curve of telling in-distribution rows (higher ``score`` = -E) from the others."""
    from sklearn.metrics import roc_auc_score

    score_in, score_out = np.asarray(score_in), np.asarray(score_out)
    labels = np.concatenate([np.ones(score_in.shape[0]), np.zeros(score_out.shape[0])])
    return float(roc_auc_score(labels, np.concatenate([score_in, score_out])))


_FITTED = ("classes_", "model_", "n_features_in_", "feature_names_in_", "seed_", "epoch_", "update_", "history_",
           "replay_buffer_", "_optimizer", "_buffer", "_state", "_data_sha256")


class JEMClassifier(CheckpointAttrs, ClassifierMixin, BaseEstimator):
    """Softmax MLP classifier trained with the JEM objective (see the module docstring).

    Parameters
    ----------
    hidden_layer_sizes : sequence of int >= 1, default (64,)
    activation : {"tanh", "softplus", "swish"}, default "swish"
    generative_weight : float >= 0, default 1.0
        Weight of the generative (log p(x)) term; 0 trains a plain classifier.
    sgld_steps : int >= 1, default 20
        Langevin steps per update of the drawn buffer entries.
    sgld_step_size : float > 0, default 1.0
        h of x' = x - h grad E + s xi.
    sgld_noise : float >= 0, default 0.01
        s of the same update.
    buffer_size : int >= 1, default 10000
        Replay-buffer entries (>= n_negatives).
    n_negatives : int >= 1 or None
        Buffer entries drawn per update; None: ``batch_size``.
    reinit_prob : float in [0, 1], default 0.05
    noise_init : {"uniform", "gaussian"}, default "uniform"
        Noise of the initial buffer and of restarts: uniform on the data's bounding box,
        or normal with the data's per-feature mean and standard deviation.
    energy_l2 : float >= 0, default 0
        Du-Mordatch regularisation a (E(x)^2 + E(x_neg)^2).
    optimizer : {"adam", "sgd"}, default "adam"
    learning_rate : float > 0, default 1e-3
    momentum : float in [0, 1), default 0 (sgd)
    learning_rate_schedule : {"constant", "linear", "inverse_sqrt"}, default "constant" (per update)
    batch_size : int >= 1, default 64
    n_iter : int >= 1, default 50
        Epochs.
    weight_decay : float >= 0, default 0
    clip_grad : float > 0 or None
    checkpoint_path : path or None
        HDF5 checkpoint written every ``checkpoint_every`` epochs and at the end of fit.
    checkpoint_every : int >= 1, default 1
    random_state : int, RandomState or None
    device : {"cpu", "cuda", "auto"}, default "cpu" (the kernels run on the CPU)
    verbose : bool or int >= 0

    Attributes
    ----------
    classes_ : array (K,)
    model_ : SoftmaxMLP
    n_features_in_, seed_, epoch_, update_ : int
    history_ : dict of lists per epoch: "epoch", "cross_entropy" (mean over the epoch's
        minibatches), "energy_gap" (mean E(x) - mean E(x_neg), generative training only)
    replay_buffer_ : float64 (buffer_size, n_features) or None, the SGLD buffer
    checkpoint_attrs : dict of str, extra root attributes of every checkpoint
    """

    def __init__(self, hidden_layer_sizes=(64,), *, activation: str = "swish", generative_weight: float = 1.0,
                 sgld_steps: int = 20, sgld_step_size: float = 1.0, sgld_noise: float = 0.01,
                 buffer_size: int = 10000, n_negatives=None, reinit_prob: float = 0.05, noise_init: str = "uniform",
                 energy_l2: float = 0.0, optimizer: str = "adam", learning_rate: float = 1e-3, momentum: float = 0.0,
                 learning_rate_schedule: str = "constant", batch_size: int = 64, n_iter: int = 50,
                 weight_decay: float = 0.0, clip_grad=None, checkpoint_path=None, checkpoint_every: int = 1,
                 random_state=None, device: str = "cpu", verbose=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.generative_weight = generative_weight
        self.sgld_steps = sgld_steps
        self.sgld_step_size = sgld_step_size
        self.sgld_noise = sgld_noise
        self.buffer_size = buffer_size
        self.n_negatives = n_negatives
        self.reinit_prob = reinit_prob
        self.noise_init = noise_init
        self.energy_l2 = energy_l2
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.learning_rate_schedule = learning_rate_schedule
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.weight_decay = weight_decay
        self.clip_grad = clip_grad
        self.checkpoint_path = checkpoint_path
        self.checkpoint_every = checkpoint_every
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ parameters
    def _n_negatives(self) -> int:
        return int(self.n_negatives) if self.n_negatives is not None else int(self.batch_size)

    def _hidden(self) -> tuple:
        sizes = self.hidden_layer_sizes
        return (int(sizes),) if isinstance(sizes, numbers.Integral) else tuple(int(n) for n in sizes)

    def _check_params(self) -> None:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral):
            sizes = (sizes,)
        try:
            for i, n in enumerate(sizes):
                positive_int(f"hidden_layer_sizes[{i}]", n)
        except TypeError:
            raise TypeError(f"hidden_layer_sizes must be a sequence of integers >= 1, got {self.hidden_layer_sizes!r}")\
                from None
        choice("activation", self.activation, tuple(ACTIVATIONS))
        for name in ("sgld_steps", "buffer_size", "batch_size", "n_iter", "checkpoint_every"):
            positive_int(name, getattr(self, name))
        if self.n_negatives is not None:
            positive_int("n_negatives", self.n_negatives)
        for name in ("generative_weight", "sgld_noise", "energy_l2", "weight_decay"):
            if finite_real(name, getattr(self, name)) < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {getattr(self, name)}")
        positive("sgld_step_size", self.sgld_step_size)
        positive("learning_rate", self.learning_rate)
        if self.clip_grad is not None:
            positive("clip_grad", self.clip_grad)
        in_range("reinit_prob", self.reinit_prob, 0.0, 1.0, False, False)
        in_range("momentum", self.momentum, 0.0, 1.0, False, True)
        choice("noise_init", self.noise_init, NOISE_INITS)
        choice("optimizer", self.optimizer, OPTIMIZERS)
        choice("learning_rate_schedule", self.learning_rate_schedule, SCHEDULES)
        if self.generative_weight > 0 and self.buffer_size < self._n_negatives():
            raise ValueError(f"buffer_size must be >= the negatives drawn per update (n_negatives, default "
                             f"batch_size) = {self._n_negatives()}, got {self.buffer_size}")
        if not isinstance(self.verbose, (numbers.Integral, np.bool_)) or self.verbose < 0:
            raise TypeError(f"verbose must be True, False or an integer >= 0, got {self.verbose!r}")
        if self.checkpoint_path is not None and not isinstance(self.checkpoint_path, (str, os.PathLike)):
            raise TypeError(f"checkpoint_path must be a path or None, got {self.checkpoint_path!r}")
        self._device()

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    def _device(self) -> str:
        """The device the kernels run on: the CPU (``device`` checked by ``check_device``; "cuda" is refused)."""
        return cpu_only(self.device, "JEMClassifier")

    # ------------------------------------------------------------------ training
    def _forget_fit(self) -> None:
        for name in _FITTED:
            self.__dict__.pop(name, None)

    def _training_rows(self, X, y, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        """Validated rows and labels; ``classes_`` set (``reset``) or checked; returns (X, class indices)."""
        X, y = estimator_rows(self, X, y, reset=reset)
        check_classification_targets(y)
        classes = np.unique(y)
        if classes.shape[0] < 2:
            raise ValueError(f"y has {classes.shape[0]} class ({classes.tolist()}); a classifier needs at least 2 "
                             f"classes")
        if reset:
            self.classes_ = classes
        elif not np.array_equal(classes, self.classes_):
            raise ValueError(f"y holds the classes {classes.tolist()}, not those of the run being resumed "
                             f"{self.classes_.tolist()}")
        return X, np.searchsorted(self.classes_, y).astype(np.int64)

    @staticmethod
    def _data_fingerprint(X: np.ndarray, y_index: np.ndarray) -> str:
        return fingerprint(np.column_stack([X, y_index]))

    def _init_fit(self, X: np.ndarray, y_index: np.ndarray) -> None:
        self.seed_ = resolve_random_state(self.random_state)
        sizes = (X.shape[1], *self._hidden(), self.classes_.shape[0])
        self.model_ = SoftmaxMLP(sizes, self.activation, seed=self.seed_)
        self.epoch_ = 0
        self.update_ = 0
        self.history_ = {}
        self._data_sha256 = self._data_fingerprint(X, y_index)
        self._build(X, None)

    def _build(self, X: np.ndarray, state: dict | None) -> None:
        """The optimiser and the replay buffer, fresh (``state`` None) or from a checkpoint's state."""
        n_theta = self.model_._theta.shape[0]
        self._optimizer = Optimizer(self.optimizer, n_theta, np.arange(n_theta), momentum=float(self.momentum),
                                    state=None if state is None else state["optimizer"])
        self._buffer = None
        self.replay_buffer_ = None
        if self.generative_weight > 0:
            settings = {"sampler": "langevin", "options": {"step_size": float(self.sgld_step_size),
                                                          "noise_scale": float(self.sgld_noise)},
                        "k": int(self.sgld_steps), "n_walkers": self._n_negatives(), "init": "noise",
                        "noise": NoiseSource(self.noise_init, X), "seed": self.seed_,
                        "device": self._device(), "buffer_size": int(self.buffer_size),
                        "reinit_prob": float(self.reinit_prob)}
            self._buffer = ReplayBuffer(self.model_, settings, X, None if state is None else state["phase"])
            self.replay_buffer_ = self._buffer.buffer

    def _update(self, x: np.ndarray, y: np.ndarray, total: int) -> tuple[float, float]:
        model = self.model_
        theta = model._theta.copy()
        loss, grad = model.cross_entropy_gradient(x, y)
        gap = np.nan
        if self._buffer is not None:
            negatives, _ = self._buffer.samples(theta, x, self.update_)
            g_gen, gap = objectives.likelihood_gradient(model, theta, x, negatives, None, float(self.energy_l2))
            grad = grad + float(self.generative_weight) * g_gen
        if self.weight_decay:
            grad = grad + float(self.weight_decay) * theta
        grad = clip_gradient(grad, None if self.clip_grad is None else float(self.clip_grad))
        if not np.all(np.isfinite(grad)):
            raise FloatingPointError(f"the loss gradient is not finite at update {self.update_}; lower sgld_step_size "
                                     f"or learning_rate, set energy_l2 or clip_grad")
        lr = learning_rate_at(self.learning_rate_schedule, float(self.learning_rate), self.update_, total)
        model.theta = self._optimizer.step(theta, grad, lr)
        self.update_ += 1
        return float(loss), float(gap)

    def fit(self, X, y, *, resume: bool = False) -> "JEMClassifier":
        """Train for ``n_iter`` epochs from fresh weights, or, with ``resume``, continue up to ``n_iter`` epochs.

        Parameters
        ----------
        X : array-like (n_samples, n_features) of finite reals
        y : array-like (n_samples,) of class labels (at least 2 classes)
        resume : bool
            Continue a classifier from :meth:`from_checkpoint` (or fitted before) on the
            same ``X`` and ``y``: bit for bit the uninterrupted run of ``n_iter`` epochs.

        Raises
        ------
        ValueError, TypeError
            For a bad parameter or bad data, naming it and what is allowed.
        """
        self._check_params()
        if resume and not (hasattr(self, "_optimizer") or hasattr(self, "_state")):
            raise ValueError("resume=True needs a classifier with training state: use JEMClassifier.from_checkpoint")
        if not resume:
            self._forget_fit()
        try:
            X, y = self._training_rows(X, y, reset=not resume)
            if resume and self._data_fingerprint(X, y) != self._data_sha256:
                raise ValueError("X, y are not the training data of the run being resumed (their sha256 differs)")
            if not resume:
                self._init_fit(X, y)
            elif hasattr(self, "_state"):
                self._build(X, self._state)
                del self._state
        except Exception:
            if not resume:
                self._forget_fit()      # a refused fit leaves no fitted attribute
            raise
        b = int(self.batch_size)
        total = int(self.n_iter) * -(-X.shape[0] // b)
        with Progress(int(self.n_iter), enabled=bool(self.verbose), desc="JEM training", unit="epoch",
                      initial=min(self.epoch_, int(self.n_iter))) as progress:
            while self.epoch_ < self.n_iter:
                order = host_generator(self.seed_, HOST_EBM_ORDER, self.epoch_).permutation(X.shape[0])
                losses, gaps = [], []
                for start in range(0, X.shape[0], b):
                    rows = order[start:start + b]
                    loss, gap = self._update(np.ascontiguousarray(X[rows]), y[rows], total)
                    losses.append(loss)
                    gaps.append(gap)
                self.epoch_ += 1
                values = {"cross_entropy": float(np.mean(losses))}
                if self._buffer is not None:
                    values["energy_gap"] = float(np.mean(gaps))
                self.history_.setdefault("epoch", []).append(self.epoch_)
                for name, value in values.items():
                    self.history_.setdefault(name, []).append(value)
                progress.set_postfix(values)
                progress.update(1)
                self._checkpoint_if_due()
        return self

    # ------------------------------------------------------------------ inference
    def _rows(self, X) -> np.ndarray:
        check_is_fitted(self)
        return estimator_rows(self, X, reset=False)

    def _logits(self, X) -> np.ndarray:
        X = self._rows(X)
        return self.model_.logits(X)

    def decision_function(self, X) -> np.ndarray:
        """The logits f(x), (n, K); for two classes the margin f(x)[1] - f(x)[0], (n,) (sklearn's convention)."""
        f = self._logits(X)
        return f[:, 1] - f[:, 0] if f.shape[1] == 2 else f

    def predict_proba(self, X) -> np.ndarray:
        """p(y | x) = softmax(f(x)), (n, K) in the order of ``classes_``."""
        X = self._rows(X)
        return self.model_.predict_proba(X)

    def predict_log_proba(self, X) -> np.ndarray:
        """log p(y | x) = f(x) - logsumexp f(x), (n, K)."""
        return log_softmax(self._logits(X), axis=1)

    def predict(self, X) -> np.ndarray:
        """The most probable class of every row (ties: the first in ``classes_``)."""
        f = self._logits(X)
        return self.classes_[np.argmax(f, axis=1)]

    def energy(self, X) -> np.ndarray:
        """E(x) = -logsumexp_y f(x)[y] of every row."""
        X = self._rows(X)
        return self.model_.energy(X)

    def score_samples(self, X) -> np.ndarray:
        """-E(x) = log p(x) + log Z, the unnormalised log-density (higher: more like the training data)."""
        return -self.energy(X)

    def sample(self, n_samples: int, n_steps: int = 200, *, seed: int | None = None, initial_states=None) -> np.ndarray:
        """``n_samples`` rows moved ``n_steps`` SGLD steps (the training settings) through ``Chains``.

        Starts from ``initial_states`` (default: uniform noise on [min, max] of the replay
        buffer, else [-1, 1]); ``seed`` None derives one from ``seed_``.  Returns (n_samples, n_features).
        """
        from ebmphys.sampling import Chains

        check_is_fitted(self)
        seed = derive_seed(self.seed_, 2**31) if seed is None else resolve_seed(seed)
        n_samples = positive_int("n_samples", n_samples)
        if initial_states is None:
            low, high = (-1.0, 1.0) if self.replay_buffer_ is None else (self.replay_buffer_.min(),
                                                                          self.replay_buffer_.max())
            initial_states = host_generator(seed, HOST_EBM_NOISE).uniform(low, high,
                                                                         size=(n_samples, self.n_features_in_))
        chains = Chains(self.model_, algorithm="langevin", beta=1.0, n_chains=n_samples, seed=seed,
                        device=self._device(), initial_states=initial_states, step_size=float(self.sgld_step_size),
                        noise_scale=float(self.sgld_noise))
        chains.run(positive_int("n_steps", n_steps), record=())
        return chains.states

    # ------------------------------------------------------------------ checkpoints
    def training_state(self) -> dict:
        """{"optimizer": ..., "phase": ...}: the optimiser's and the replay buffer's state (arrays and numbers)."""
        if hasattr(self, "_state"):
            return self._state
        if not hasattr(self, "_optimizer"):
            raise ValueError("there is no training state: fit first")
        return {"optimizer": dict(self._optimizer.state), "phase": {} if self._buffer is None else self._buffer.state()}

    def save(self, path) -> None:
        """Write the network and training state to an HDF5 checkpoint (atomically)."""
        from ebmphys.training.jem_checkpoint import save_jem_checkpoint

        check_is_fitted(self)
        save_jem_checkpoint(path, self)

    @classmethod
    def from_checkpoint(cls, path) -> "JEMClassifier":
        """Restore a classifier from :meth:`save`; continue it with ``fit(X, y, resume=True)``."""
        from ebmphys.training.jem_checkpoint import load_jem_checkpoint

        return load_jem_checkpoint(cls, path)
