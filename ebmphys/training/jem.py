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

Helpers :func:`expected_calibration_error` and :func:`energy_auroc` measure
calibration and out-of-distribution detection.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ebmphys.kernels.mlp_cpu import ACTIVATIONS
from ebmphys.kernels.rng import HOST_EBM_NOISE, HOST_EBM_ORDER, derive_seed, host_generator, resolve_seed
from ebmphys.models._validate import finite_real, positive_int
from ebmphys.models.classifier import SoftmaxMLP
from ebmphys.progress import Progress
from ebmphys.sampling.registry import cpu_only
from ebmphys.training import objectives
from ebmphys.training.negative import NOISE_INITS, NoiseSource, ReplayBuffer
from ebmphys.training.optimizers import OPTIMIZERS, Optimizer, clip_gradient
from ebmphys.training.schedules import SCHEDULES, learning_rate_at
from ebmphys.training.validation import choice, in_range, positive, real_rows, resolve_random_state


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


class JEMClassifier(ClassifierMixin, BaseEstimator):
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
    """

    def __init__(self, hidden_layer_sizes=(64,), *, activation: str = "swish", generative_weight: float = 1.0,
                 sgld_steps: int = 20, sgld_step_size: float = 1.0, sgld_noise: float = 0.01,
                 buffer_size: int = 10000, n_negatives=None, reinit_prob: float = 0.05, noise_init: str = "uniform",
                 energy_l2: float = 0.0, optimizer: str = "adam", learning_rate: float = 1e-3, momentum: float = 0.0,
                 learning_rate_schedule: str = "constant", batch_size: int = 64, n_iter: int = 50,
                 weight_decay: float = 0.0, clip_grad=None, random_state=None, device: str = "cpu", verbose=False):
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
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ parameters
    def _n_negatives(self) -> int:
        return int(self.n_negatives) if self.n_negatives is not None else int(self.batch_size)

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
        for name in ("sgld_steps", "buffer_size", "batch_size", "n_iter"):
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
        self._device()

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    def _device(self) -> str:
        """The device the kernels run on: the CPU (``device`` checked by ``check_device``; "cuda" is refused)."""
        return cpu_only(self.device, "JEMClassifier")

    # ------------------------------------------------------------------ training
    def _labels(self, y, n: int) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != n:
            raise ValueError(f"y must be a 1-D array with one label per row of X ({n}), got shape {y.shape}")
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if self.classes_.shape[0] < 2:
            raise ValueError(f"y must hold at least 2 classes, got {self.classes_.tolist()}")
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def _init_fit(self, X: np.ndarray) -> None:
        self.seed_ = resolve_random_state(self.random_state)
        hidden = (self.hidden_layer_sizes,) if isinstance(self.hidden_layer_sizes, numbers.Integral) \
            else tuple(self.hidden_layer_sizes)
        sizes = (X.shape[1], *[int(n) for n in hidden], self.classes_.shape[0])
        self.model_ = SoftmaxMLP(sizes, self.activation, seed=self.seed_)
        self.n_features_in_ = X.shape[1]
        self.epoch_ = 0
        self.update_ = 0
        self.history_ = {}
        n_theta = self.model_._theta.shape[0]
        self._optimizer = Optimizer(self.optimizer, n_theta, np.arange(n_theta), momentum=float(self.momentum))
        self._buffer = None
        self.replay_buffer_ = None
        if self.generative_weight > 0:
            settings = {"sampler": "langevin", "options": {"step_size": float(self.sgld_step_size),
                                                          "noise_scale": float(self.sgld_noise)},
                        "k": int(self.sgld_steps), "n_walkers": self._n_negatives(), "init": "noise",
                        "noise": NoiseSource(self.noise_init, X), "seed": self.seed_,
                        "device": self._device(), "buffer_size": int(self.buffer_size),
                        "reinit_prob": float(self.reinit_prob)}
            self._buffer = ReplayBuffer(self.model_, settings, X)
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

    def fit(self, X, y) -> "JEMClassifier":
        """Train for ``n_iter`` epochs from fresh weights."""
        self._check_params()
        X = real_rows("X", X, None)
        y = self._labels(y, X.shape[0])
        self._init_fit(X)
        b = int(self.batch_size)
        total = int(self.n_iter) * -(-X.shape[0] // b)
        with Progress(int(self.n_iter), enabled=bool(self.verbose), desc="JEM training", unit="epoch") as progress:
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
        return self

    # ------------------------------------------------------------------ inference
    def _rows(self, X) -> np.ndarray:
        check_is_fitted(self)
        return real_rows("X", X, self.n_features_in_)

    def decision_function(self, X) -> np.ndarray:
        """The logits f(x), (n, K)."""
        return self.model_.logits(self._rows(X))

    def predict_proba(self, X) -> np.ndarray:
        """p(y | x) = softmax(f(x)), (n, K) in the order of ``classes_``."""
        return self.model_.predict_proba(self._rows(X))

    def predict_log_proba(self, X) -> np.ndarray:
        return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]

    def energy(self, X) -> np.ndarray:
        """E(x) = -logsumexp_y f(x)[y] of every row."""
        return self.model_.energy(self._rows(X))

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
