"""``EBMTrainer``: a scikit-learn estimator that trains a continuous energy-based model.

Models: any :class:`ebmphys.models.ContinuousModel` with a parameter gradient
``grad_params`` (``GaussianMixture``, ``Gaussian``, ``MLPEnergy``,
``GaussianBernoulliRBM``, ``QuarticPotential``/``DoubleWell``, ``Phi4Lattice`` for
inverse problems, a user's ``ContinuousEBM`` with ``grad_params``).  The density is
p(x) = exp(-E_theta(x)) / Z_theta (beta = 1, k_B = 1); log-likelihoods are in nats.

Methods (``method``):

* MCMC maximum likelihood, negative phases in :mod:`ebmphys.training.negative`:
  ``"cd"``, ``"pcd"``, ``"replay"`` and ``"jarzynski"`` (Carbone et al. 2023: weighted
  walkers that make the gradient estimate unbiased and estimate log Z on the way);
* ``"score_matching"`` (denoising) and ``"nce"`` (against a Gaussian noise model,
  learning log Z as a parameter): :mod:`ebmphys.training.objectives`.

Samplers (``sampler``) are the registered kernels of the model's kind, moved with
the current parameters at every update (:mod:`ebmphys.training.walkers`):
``"langevin"`` (unadjusted; ``step_size`` h and ``noise_scale`` s set separately,
default s = sqrt(2 h), the consistent discretisation; other values, as in much EBM
practice, sample a tempered, biased distribution), ``"mala"``, ``"hmc"``, ``"rwmh"``,
``"gibbs"`` (block Gibbs of a ``GaussianBernoulliRBM``: CD-k / PCD-k as for binary
RBMs), ``"metropolis"`` (``Phi4Lattice``).  Method ``"jarzynski"`` needs
``sampler="langevin"`` with the default noise sqrt(2 h): its weights are exact for that
kernel only, and setting ``noise_scale`` is refused for it.

An update: the minibatch's gradient (data term minus the negative phase, plus
``energy_l2`` Du-Mordatch regularisation and ``weight_decay`` theta), clipped to norm
``clip_grad``, one optimiser step (:mod:`ebmphys.training.optimizers`, SGD with
momentum or Adam) on the ``trainable`` entries of theta (:mod:`ebmphys.training.parameters`)
at the learning rate of the schedule (:func:`ebmphys.training.schedules.learning_rate_at`
evaluated per update: ``n_iter`` epochs of ceil(n / batch_size) updates), then the
negative phase's ``advance``.  An epoch is one pass over the training rows in the
order ``host_generator(seed_, HOST_EBM_ORDER, epoch).permutation(n)``.

Randomness is a pure function of ``random_state`` (resolved once into ``seed_``):
sampler moves use the counter streams keyed by ``seed_``, host draws use
:func:`ebmphys.kernels.rng.host_generator` with the ``HOST_EBM_*`` purposes indexed
by the epoch or the update.  Checkpoints (:mod:`ebmphys.training.ebm_checkpoint`)
store the parameters, the optimiser state, the negative phase (walkers, weights,
buffer, sweep counter) and the history, so ``fit(X, resume=True)`` on a trainer from
:meth:`EBMTrainer.from_checkpoint` equals an uninterrupted run bit for bit.

scikit-learn conventions: the constructor stores its arguments unchanged, ``fit``
and ``partial_fit`` validate them (one-line errors naming the parameter and what
is allowed) and the data (``validate_data``: ``n_features_in_``, any array-like);
attributes ending in ``_`` exist after fitting.  The model passed is never
modified: training works on a copy, ``model_``.  ``model=None`` (the default) trains
the Gaussian of the data's dimension starting at N(0, I) (mean and precision
learned), so ``EBMTrainer()`` is a density estimator for any number of features.
"""

from __future__ import annotations

import copy
import numbers
import os

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.utils.validation import check_is_fitted

from ebmphys.kernels.rng import (
    HOST_EBM_DSM,
    HOST_EBM_NCE,
    HOST_EBM_ORDER,
    HOST_EBM_WALKERS,
    derive_seed,
    host_generator,
    resolve_seed,
)
from ebmphys.models._validate import finite_real, positive_int
from ebmphys.models.continuous import ContinuousModel
from ebmphys.models.gaussian import Gaussian
from ebmphys.progress import Progress
from ebmphys.sampling.registry import cpu_only
from ebmphys.training import ebm_monitors as _monitors
from ebmphys.training import objectives
from ebmphys.training.checkpoint_io import CheckpointAttrs
from ebmphys.training.negative import DEFAULT_INIT, INITS, MCMC_METHODS, NOISE_INITS, PHASES, NoiseSource, model_samples
from ebmphys.training.optimizers import OPTIMIZERS, Optimizer, clip_gradient
from ebmphys.training.parameters import trainable_indices
from ebmphys.training.schedules import SCHEDULES, learning_rate_at
from ebmphys.training.validation import (
    choice,
    estimator_rows,
    fingerprint,
    in_range,
    monitor_names,
    positive,
    real_rows,
    resolve_random_state,
)

METHODS = MCMC_METHODS + ("score_matching", "nce")
SAMPLER_OPTIONS = {"langevin": ("step_size", "noise_scale"), "mala": ("step_size",), "hmc": ("step_size",),
                   "rwmh": ("step_size",), "metropolis": ("step_size",), "gibbs": ()}
_FITTED = ("model_", "n_features_in_", "feature_names_in_", "seed_", "epoch_", "update_", "history_",
           "log_z_estimate_", "trainable_", "data_range_", "nce_log_z_", "_state", "_data_sha256", "_phase",
           "_optimizer", "_log_z0")


class EBMTrainer(CheckpointAttrs, DensityMixin, BaseEstimator):
    """Train a continuous energy-based model (see the module docstring for methods and conventions).

    Parameters
    ----------
    model : ContinuousModel with ``grad_params``, or None
        The model at its initial parameters (not modified; ``model_`` is trained).
        None: ``Gaussian(np.zeros(n_features), 1.0)``, the standard normal of the
        data's dimension.
    method : {"cd", "pcd", "replay", "jarzynski", "score_matching", "nce"}, default "pcd"
    sampler : str, default "langevin"
        Kernel of the negative phase (MCMC methods): "langevin", "mala", "hmc", "rwmh",
        "gibbs" (GB-RBM), "metropolis" (phi^4).
    k : int >= 1, default 10
        Sampler sweeps per update (Jarzynski: Langevin steps per update).
    step_size : float > 0, default 0.01
        h of the gradient samplers (Langevin: x' = x - h grad E + s xi), or the
        proposal scale of "rwmh" / "metropolis"; not used by "gibbs".
    noise_scale : float >= 0 or None
        s of "langevin"; None means sqrt(2 h).  Not allowed with "jarzynski".
    n_walkers : int >= 1 or None
        Negative samples per update: persistent walkers (pcd, jarzynski), buffer
        entries drawn (replay), chains (cd: started from the minibatch rows taken in
        turn).  None: ``batch_size``.
    init : {"data", "noise", "model"} or None
        Start of the chains (cd), walkers (pcd, jarzynski) or the initial buffer
        (replay): data rows, noise (``noise_init``), or samples of the initial model
        (exact: Gaussian, mixture, GB-RBM, free phi^4; 1-D models by quadrature).  None: cd and pcd "data", replay
        "noise", jarzynski "model" (the weights then estimate p_theta and
        log Z_theta / Z_theta0 without bias).
    noise_init : {"gaussian", "uniform"}, default "gaussian"
        Noise starts: per-coordinate normal with the data's mean and standard deviation,
        or uniform on the data's bounding box.
    buffer_size : int >= 1, default 10000
        Replay-buffer entries (>= n_walkers).
    reinit_prob : float in [0, 1], default 0.05
        Replay: probability that a drawn entry restarts from noise.
    ess_threshold : float in (0, 1], default 0.5
        Jarzynski: resample when ESS < ess_threshold * n_walkers.
    dsm_sigma : float > 0, default 0.1
        Denoising score matching: noise standard deviation.
    nce_noise_ratio : int >= 1, default 1
        NCE: noise samples per data row (nu).
    nce_noise_scale : float > 0, default 1.0
        NCE: the noise model is N(data mean, nce_noise_scale^2 data covariance).
    optimizer : {"sgd", "adam"}, default "adam"
    learning_rate : float > 0, default 0.01
    momentum : float in [0, 1), default 0 (sgd)
    adam_beta1, adam_beta2 : float in [0, 1), defaults 0.9, 0.999
    learning_rate_schedule : {"constant", "linear", "inverse_sqrt"}, default "constant"
        Evaluated per update (see the module docstring).
    batch_size : int >= 1, default 100
    n_iter : int >= 1, default 10
        Epochs done by :meth:`fit`.
    energy_l2 : float >= 0, default 0
        Coefficient a of a (E(data)^2 + E(negatives)^2) (MCMC methods).
    weight_decay : float >= 0, default 0
        Adds weight_decay * theta to the loss gradient (trainable entries).
    clip_grad : float > 0 or None
        Largest Euclidean norm of the loss gradient (over the trainable entries).
    trainable : None, group names, indices or boolean mask
        Entries of theta that train (:mod:`ebmphys.training.parameters`); None: all.
    monitors : sequence of names
        See :mod:`ebmphys.training.ebm_monitors`; evaluated every ``monitor_every``
        epochs and after the last, on ``validation_data`` (else the training data),
        into ``history_``.
    monitor_every : int >= 1, default 1
    checkpoint_path : path or None
        HDF5 checkpoint written every ``checkpoint_every`` epochs and at the end of fit.
    checkpoint_every : int >= 1, default 1
    random_state : int in [0, 2**64), RandomState or None
    device : {"cpu", "cuda", "auto"}, default "cpu"
        Checked by :func:`ebmphys.sampling.registry.cpu_only` (through ``check_device``):
        the continuous kernels run on the CPU, "auto" falls back to it and "cuda" is
        refused with one line.
    verbose : bool or int >= 0
        Progress per epoch through :class:`ebmphys.progress.Progress`.

    Attributes
    ----------
    model_ : ContinuousModel, the trained model
    n_features_in_ : int
    seed_ : int
    epoch_, update_ : int, epochs and updates done
    history_ : dict of lists: "epoch", "update" and the monitor values
    trainable_ : int64 array, the trained entries of theta
    log_z_estimate_ : float or None, last AIS estimate of log Z (dropped when training continues)
    nce_log_z_ : float, NCE only: the learned log Z
    checkpoint_attrs : dict of str, extra root attributes of every checkpoint
    """

    def __init__(self, model=None, *, method: str = "pcd", sampler: str = "langevin", k: int = 10,
                 step_size: float = 0.01, noise_scale=None, n_walkers=None, init=None, noise_init: str = "gaussian",
                 buffer_size: int = 10000, reinit_prob: float = 0.05, ess_threshold: float = 0.5,
                 dsm_sigma: float = 0.1, nce_noise_ratio: int = 1, nce_noise_scale: float = 1.0,
                 optimizer: str = "adam", learning_rate: float = 0.01, momentum: float = 0.0,
                 adam_beta1: float = 0.9, adam_beta2: float = 0.999, learning_rate_schedule: str = "constant",
                 batch_size: int = 100, n_iter: int = 10, energy_l2: float = 0.0, weight_decay: float = 0.0,
                 clip_grad=None, trainable=None, monitors=(), monitor_every: int = 1, checkpoint_path=None,
                 checkpoint_every: int = 1, random_state=None, device: str = "cpu", verbose=False):
        self.model = model
        self.method = method
        self.sampler = sampler
        self.k = k
        self.step_size = step_size
        self.noise_scale = noise_scale
        self.n_walkers = n_walkers
        self.init = init
        self.noise_init = noise_init
        self.buffer_size = buffer_size
        self.reinit_prob = reinit_prob
        self.ess_threshold = ess_threshold
        self.dsm_sigma = dsm_sigma
        self.nce_noise_ratio = nce_noise_ratio
        self.nce_noise_scale = nce_noise_scale
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.adam_beta1 = adam_beta1
        self.adam_beta2 = adam_beta2
        self.learning_rate_schedule = learning_rate_schedule
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.energy_l2 = energy_l2
        self.weight_decay = weight_decay
        self.clip_grad = clip_grad
        self.trainable = trainable
        self.monitors = monitors
        self.monitor_every = monitor_every
        self.checkpoint_path = checkpoint_path
        self.checkpoint_every = checkpoint_every
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ parameters
    def _check_params(self) -> None:
        """Validate every constructor parameter (one-line errors naming it and what is allowed)."""
        model = self.model
        if model is not None and not isinstance(model, ContinuousModel):
            raise TypeError(f"model must be a continuous model (ebmphys.models.ContinuousModel, e.g. "
                            f"GaussianMixture or MLPEnergy) or None, got {model!r}")
        if model is not None and model.grad_params_function is None:
            raise ValueError(f"model must provide the parameter gradient grad_params to be trained; this "
                             f"{type(model).__name__} has none")
        choice("method", self.method, METHODS)
        for name in ("k", "batch_size", "n_iter", "buffer_size", "nce_noise_ratio", "monitor_every",
                     "checkpoint_every"):
            positive_int(name, getattr(self, name))
        if self.n_walkers is not None:
            positive_int("n_walkers", self.n_walkers)
        positive("step_size", self.step_size)
        positive("learning_rate", self.learning_rate)
        positive("dsm_sigma", self.dsm_sigma)
        positive("nce_noise_scale", self.nce_noise_scale)
        in_range("reinit_prob", self.reinit_prob, 0.0, 1.0, False, False)
        in_range("ess_threshold", self.ess_threshold, 0.0, 1.0, True, False)
        in_range("momentum", self.momentum, 0.0, 1.0, False, True)
        in_range("adam_beta1", self.adam_beta1, 0.0, 1.0, False, True)
        in_range("adam_beta2", self.adam_beta2, 0.0, 1.0, False, True)
        for name in ("energy_l2", "weight_decay"):
            if finite_real(name, getattr(self, name)) < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {getattr(self, name)}")
        if self.clip_grad is not None:
            positive("clip_grad", self.clip_grad)
        choice("optimizer", self.optimizer, OPTIMIZERS)
        choice("learning_rate_schedule", self.learning_rate_schedule, SCHEDULES)
        choice("noise_init", self.noise_init, NOISE_INITS)
        if self.init is not None:
            choice("init", self.init, INITS)
        if not isinstance(self.sampler, str):
            raise TypeError(f"sampler must be a string naming a sampler, got {self.sampler!r}")
        if self.method in MCMC_METHODS:
            self._check_sampler()
        if self.method == "replay" and self.buffer_size < self._n_walkers():
            raise ValueError(f"buffer_size must be >= the negative samples per update (n_walkers, default "
                             f"batch_size) = {self._n_walkers()}, got {self.buffer_size}")
        if not isinstance(self.verbose, (numbers.Integral, np.bool_)) or self.verbose < 0:
            raise TypeError(f"verbose must be True, False or an integer >= 0, got {self.verbose!r}")
        for monitor in self._monitor_names():
            choice("each of monitors", monitor, _monitors.EBM_MONITORS)
        if self.checkpoint_path is not None and not isinstance(self.checkpoint_path, (str, os.PathLike)):
            raise TypeError(f"checkpoint_path must be a path or None, got {self.checkpoint_path!r}")
        if model is not None:
            trainable_indices(model, self.trainable)
        self._device()

    def _check_sampler(self) -> None:
        sampler = self.sampler
        if sampler not in SAMPLER_OPTIONS:
            raise ValueError(f"sampler must be one of {', '.join(map(repr, SAMPLER_OPTIONS))}, got {sampler!r}")
        if self.noise_scale is not None:
            if sampler != "langevin":
                raise ValueError(f"noise_scale applies to sampler='langevin' only, got sampler={sampler!r}")
            if finite_real("noise_scale", self.noise_scale) < 0:
                raise ValueError(f"noise_scale must be a finite number >= 0 or None, got {self.noise_scale}")
        if self.method == "jarzynski":
            if sampler != "langevin":
                raise ValueError(f"method='jarzynski' needs sampler='langevin' (its weights are exact for the "
                                 f"unadjusted Langevin kernel with noise sqrt(2 step_size)), got sampler={sampler!r}")
            if self.noise_scale is not None:
                raise ValueError("method='jarzynski' couples the Langevin noise to the step size (noise "
                                 "sqrt(2 step_size), for which its weights are exact): leave noise_scale=None")

    def _n_walkers(self) -> int:
        return int(self.n_walkers) if self.n_walkers is not None else int(self.batch_size)

    def _init_name(self) -> str:
        return self.init if self.init is not None else DEFAULT_INIT.get(self.method, "data")

    def _monitor_names(self) -> tuple:
        return monitor_names(self.monitors)

    def _sampler_options(self) -> dict:
        names = SAMPLER_OPTIONS[self.sampler]
        options = {}
        if "step_size" in names:
            options["step_size"] = float(self.step_size)
        if "noise_scale" in names and self.noise_scale is not None:
            options["noise_scale"] = float(self.noise_scale)
        if self.sampler in ("mala", "hmc", "rwmh"):
            options["adapt_step_size"] = False
        return options

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    def _device(self) -> str:
        """The device the kernels run on: the CPU (``device`` checked by ``check_device``; "cuda" is refused)."""
        return cpu_only(self.device, "EBMTrainer (continuous-model training)")

    def _initial_model(self, dim: int) -> ContinuousModel:
        """The model training starts from: ``model``, or for None the standard normal of dimension ``dim``."""
        return Gaussian(np.zeros(dim), 1.0) if self.model is None else self.model

    def _rows(self, X, reset: bool) -> np.ndarray:
        """Rows through ``validate_data`` (``n_features_in_`` set when ``reset``, else checked), model-wide."""
        return estimator_rows(self, X, reset=reset, dim=None if self.model is None else self.model.dim)

    # ------------------------------------------------------------------ set-up
    def _forget_fit(self) -> None:
        for name in _FITTED:
            self.__dict__.pop(name, None)

    def _check_monitors(self, X: np.ndarray) -> None:
        names = self._monitor_names()
        initial = self._initial_model(self.n_features_in_)
        if "log_likelihood" in names and _monitors.log_z_of(self.model_, self.data_range_) is None:
            raise ValueError(f"the 'log_likelihood' monitor needs an exact log Z, which a {type(initial).__name__}"
                             f" of dim {initial.dim} does not have (exact forms, or quadrature for dim <= 2); use "
                             f"'ais_log_likelihood'")
        if "energy_gap" in names and self.method not in MCMC_METHODS:
            raise ValueError(f"the 'energy_gap' monitor needs negative samples; method={self.method!r} has none")
        for name in ("ess", "log_z_ratio"):
            if name in names and self.method != "jarzynski":
                raise ValueError(f"the {name!r} monitor applies to method='jarzynski', got method={self.method!r}")
        if "log_z_estimate" in names and self.method not in ("jarzynski", "nce"):
            raise ValueError(f"the 'log_z_estimate' monitor applies to methods 'jarzynski' and 'nce', got "
                             f"method={self.method!r}")
        if "log_z_estimate" in names and self.method == "jarzynski" and self._log_z0 is None:
            raise ValueError("the 'log_z_estimate' monitor of method 'jarzynski' needs the log Z of the initial "
                             "model (exact forms, or quadrature for dim <= 2)")
        if "mode_weights" in names:
            _monitors.mode_weights(initial)

    def _init_fit(self, X: np.ndarray) -> None:
        """Fresh training state: a copy of the model, the optimiser, the negative phase."""
        self.seed_ = resolve_random_state(self.random_state)
        initial = self._initial_model(X.shape[1])
        model = copy.copy(initial)
        model._theta = initial._theta.copy()
        self.model_ = model
        self.epoch_ = 0
        self.update_ = 0
        self.history_ = {}
        self.log_z_estimate_ = None
        self.trainable_ = trainable_indices(model, self.trainable)
        self._data_sha256 = fingerprint(X)
        self.data_range_ = np.stack([X.min(axis=0), X.max(axis=0)])
        known = _monitors.log_z_of(model, self.data_range_) if self.method == "jarzynski" else None
        self._log_z0 = None if known is None else known[0]
        if self.method == "nce":
            self.nce_log_z_ = 0.0
        self._build(X, None)

    def _n_theta_trained(self) -> np.ndarray:
        """Indices the optimiser moves (NCE: also the learned log Z, stored after theta)."""
        if self.method == "nce":
            return np.concatenate([self.trainable_, [self.model_._theta.shape[0]]])
        return self.trainable_

    def _build(self, X: np.ndarray, state: dict | None) -> None:
        """The optimiser and the negative phase, fresh (``state`` None) or from a checkpoint's state."""
        n_theta = self.model_._theta.shape[0] + (1 if self.method == "nce" else 0)
        self._optimizer = Optimizer(self.optimizer, n_theta, self._n_theta_trained(), momentum=float(self.momentum),
                                    adam_beta1=float(self.adam_beta1), adam_beta2=float(self.adam_beta2),
                                    state=None if state is None else state["optimizer"])
        self._phase = None
        if self.method in MCMC_METHODS:
            init = self._init_name()
            if init == "model" and state is None:
                model_samples(self.model_, 1, host_generator(self.seed_, HOST_EBM_WALKERS), self.data_range_)
            settings = {"sampler": self.sampler, "options": self._sampler_options(), "k": int(self.k),
                        "n_walkers": self._n_walkers(), "init": init, "noise": NoiseSource(self.noise_init, X),
                        "seed": self.seed_, "device": self._device(), "buffer_size": int(self.buffer_size),
                        "reinit_prob": float(self.reinit_prob), "ess_threshold": float(self.ess_threshold)}
            if self.method == "cd" and self.n_walkers is not None:
                settings["n_walkers"] = int(self.n_walkers)
            try:
                self._phase = PHASES[self.method](self.model_, settings, X, None if state is None else state["phase"])
            except ValueError as exc:
                if str(exc).startswith("algorithm must be one of"):
                    raise ValueError("sampler" + str(exc)[len("algorithm"):]) from None
                raise
        if self.method == "nce" and X.shape[0] < 2:
            raise ValueError(f"method='nce' needs at least 2 rows of X (its noise model is fitted to the data's "
                             f"covariance), got {X.shape[0]} sample")
        self._nce_noise = (objectives.GaussianNoise(X, float(self.nce_noise_scale)) if self.method == "nce"
                           else None)

    # ------------------------------------------------------------------ training
    def _updates_per_epoch(self, n: int) -> int:
        return -(-n // int(self.batch_size))

    def _negatives_for(self, batch: np.ndarray) -> np.ndarray:
        """CD with n_walkers: chains start at the minibatch rows taken in turn."""
        if self.method == "cd" and self.n_walkers is not None:
            return batch[np.arange(int(self.n_walkers)) % batch.shape[0]]
        return batch

    def _gradient(self, theta: np.ndarray, batch: np.ndarray) -> tuple[np.ndarray, dict]:
        model, method, update = self.model_, self.method, self.update_
        if method in MCMC_METHODS:
            negatives, weights = self._phase.samples(theta, self._negatives_for(batch), update)
            grad, gap = objectives.likelihood_gradient(model, theta, batch, negatives, weights, float(self.energy_l2))
            return grad, {"energy_gap": gap}
        if method == "score_matching":
            eps = host_generator(self.seed_, HOST_EBM_DSM, update).standard_normal(batch.shape)
            grad, loss = objectives.score_matching_gradient(model, theta, batch, float(self.dsm_sigma), eps)
            return grad, {"loss": loss}
        rows = self._nce_noise.draw(int(self.nce_noise_ratio) * batch.shape[0],
                                    host_generator(self.seed_, HOST_EBM_NCE, update))
        grad, grad_c, loss = objectives.nce_gradient(model, theta, self.nce_log_z_, batch, rows, self._nce_noise)
        return np.concatenate([grad, [grad_c]]), {"loss": loss}

    def _update(self, batch: np.ndarray, total_updates: int) -> None:
        model = self.model_
        theta = model._theta.copy()
        grad, _ = self._gradient(theta, batch)
        if self.weight_decay:
            grad[: theta.shape[0]] += float(self.weight_decay) * theta
        trained = self._optimizer.trainable
        masked = np.zeros_like(grad)
        masked[trained] = grad[trained]
        masked = clip_gradient(masked, None if self.clip_grad is None else float(self.clip_grad))
        if not np.all(np.isfinite(masked)):
            raise FloatingPointError(f"the loss gradient is not finite at update {self.update_}; lower step_size or "
                                     f"learning_rate, or set clip_grad")
        lr = learning_rate_at(self.learning_rate_schedule, float(self.learning_rate), self.update_, total_updates)
        current = np.concatenate([theta, [self.nce_log_z_]]) if self.method == "nce" else theta
        new = self._optimizer.step(current, masked, lr)
        try:
            model.theta = new[: theta.shape[0]]
        except ValueError as exc:
            raise ValueError(f"update {self.update_} left the model's domain ({exc}); lower learning_rate or set "
                             f"clip_grad") from None
        if self.method == "nce":
            self.nce_log_z_ = float(new[-1])
        if self._phase is not None:
            self._phase.advance(theta, model._theta, self.update_)
        self.update_ += 1

    def _train_epoch(self, X: np.ndarray, order: np.ndarray, total_updates: int) -> None:
        b = int(self.batch_size)
        for start in range(0, X.shape[0], b):
            self._update(np.ascontiguousarray(X[order[start:start + b]]), total_updates)
        self.epoch_ += 1
        self.log_z_estimate_ = None

    def _evaluate_monitors(self, X: np.ndarray, monitor_data: np.ndarray) -> dict:
        names = self._monitor_names()
        model = self.model_
        values: dict[str, float] = {}
        for name in names:
            if name == "log_likelihood":
                log_z, _ = _monitors.log_z_of(model, self.data_range_)
                values[name] = float(np.mean(-model.energy(monitor_data))) - log_z
            elif name == "ais_log_likelihood":
                log_z, stderr = _monitors.ais_log_z(model, X, derive_seed(self.seed_, self.epoch_))
                self.log_z_estimate_ = log_z
                values[name] = float(np.mean(-model.energy(monitor_data))) - log_z
                values["ais_log_likelihood_stderr"] = stderr
            elif name == "energy_gap":
                phase = self._phase
                e_neg = model.energy(phase.last) if phase.last.shape[0] else np.zeros(1)
                w = phase.last_weights if phase.uses_weights else None
                mean_neg = float(e_neg.mean() if w is None else w @ e_neg)
                values[name] = float(model.energy(monitor_data).mean()) - mean_neg
            elif name == "ess":
                values[name] = self._phase.ess_fraction
            elif name == "log_z_ratio":
                values[name] = self._phase.log_z_ratio
            elif name == "log_z_estimate":
                values[name] = (self.nce_log_z_ if self.method == "nce"
                                else self._log_z0 + self._phase.log_z_ratio)
            elif name == "mode_weights":
                values.update(_monitors.mode_weights(model))
            elif name == "parameters":
                values.update({f"theta_{i}": float(model._theta[i]) for i in self.trainable_})
        return values

    def _record(self, values: dict) -> None:
        self.history_.setdefault("epoch", []).append(self.epoch_)
        self.history_.setdefault("update", []).append(self.update_)
        for name, value in values.items():
            self.history_.setdefault(name, []).append(value)

    def fit(self, X, y=None, *, validation_data=None, resume: bool = False) -> "EBMTrainer":
        """Train for ``n_iter`` epochs (from ``model`` unless ``resume``).

        Parameters
        ----------
        X : array (n_samples, dim) of finite reals
        y : ignored
        validation_data : array (m, dim), optional
            Rows the monitors are evaluated on (default ``X``).
        resume : bool
            Continue a trainer from :meth:`from_checkpoint` (or fitted before) up to
            ``n_iter`` epochs in total, on the same ``X``; bit for bit the uninterrupted run.
        """
        self._check_params()
        if resume and not (hasattr(self, "_optimizer") or hasattr(self, "_state")):
            raise ValueError("resume=True needs a trainer with training state: use EBMTrainer.from_checkpoint")
        if not resume:
            self._forget_fit()
        try:
            X = self._rows(X, reset=not resume)
            if resume and fingerprint(X) != self._data_sha256:
                raise ValueError("X is not the training data of the run being resumed (its sha256 differs)")
            monitor_data = X if validation_data is None else real_rows("validation_data", validation_data,
                                                                       X.shape[1])
            if not resume:
                self._init_fit(X)
            elif hasattr(self, "_state"):
                self._build(X, self._state)
                del self._state
            self._check_monitors(X)
        except Exception:
            if not resume:
                self._forget_fit()
            raise
        total = int(self.n_iter) * self._updates_per_epoch(X.shape[0])
        every = int(self.monitor_every)
        with Progress(int(self.n_iter), enabled=bool(self.verbose), desc=f"EBM training ({self.method})",
                      unit="epoch", initial=min(self.epoch_, int(self.n_iter))) as progress:
            while self.epoch_ < self.n_iter:
                order = host_generator(self.seed_, HOST_EBM_ORDER, self.epoch_).permutation(X.shape[0])
                self._train_epoch(X, order, total)
                if self._monitor_names() and (self.epoch_ % every == 0 or self.epoch_ == self.n_iter):
                    values = self._evaluate_monitors(X, monitor_data)
                    self._record(values)
                    progress.set_postfix(values)
                progress.update(1)
                self._checkpoint_if_due()
        return self

    def partial_fit(self, X, y=None) -> "EBMTrainer":
        """One pass over ``X`` in the given order (an epoch); starts from ``model`` on the first call."""
        self._check_params()
        first = not hasattr(self, "model_")
        try:
            X = self._rows(X, reset=first)
            if first:
                self._init_fit(X)
        except Exception:
            if first:
                self._forget_fit()
            raise
        total = int(self.n_iter) * self._updates_per_epoch(X.shape[0])
        self._train_epoch(X, np.arange(X.shape[0]), total)
        return self

    # ------------------------------------------------------------------ results
    def log_z(self) -> tuple[float, str]:
        """log Z of the trained model and how it was obtained: "exact", "grid", "ais" or "nce".

        Raises
        ------
        ValueError
            When none is available (estimate one with :meth:`estimate_log_z`).
        """
        check_is_fitted(self)
        known = _monitors.log_z_of(self.model_, self.data_range_)
        if known is not None:
            return known
        if self.log_z_estimate_ is not None:
            return self.log_z_estimate_, "ais"
        if self.method == "nce":
            return self.nce_log_z_, "nce"
        raise ValueError(f"log p(x) needs log Z, which a {type(self.model_).__name__} of dim {self.model_.dim} has "
                         f"in no closed form: estimate it first with estimate_log_z(X) (AIS)")

    def estimate_log_z(self, X, seed: int | None = None) -> tuple[float, float]:
        """Forward AIS estimate of log Z (base fitted to ``X``), stored for :meth:`score_samples`; (log Z, stderr)."""
        check_is_fitted(self)
        X = self._rows(X, reset=False)
        seed = derive_seed(self.seed_, self.epoch_) if seed is None else resolve_seed(seed)
        log_z, stderr = _monitors.ais_log_z(self.model_, X, seed)
        self.log_z_estimate_ = log_z
        return log_z, stderr

    def score_samples(self, X) -> np.ndarray:
        """log p(x) = -E(x) - log Z in nats per row (see :meth:`log_z` for which log Z)."""
        check_is_fitted(self)
        X = self._rows(X, reset=False)
        log_z, _ = self.log_z()
        return -self.model_.energy(X) - log_z

    def score(self, X, y=None) -> float:
        """Mean log-likelihood of ``X`` in nats (greater is better)."""
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples: int, n_steps: int = 1000, *, seed: int | None = None, algorithm: str | None = None,
               initial_states=None, **options) -> np.ndarray:
        """``n_samples`` configurations of the trained model from :class:`ebmphys.sampling.Chains`.

        The chains start from ``initial_states`` (default: the backend's start) and run
        ``n_steps`` sweeps of ``algorithm`` (default "gibbs" for a GB-RBM, else "mala",
        whose step size adapts during the first half); ``seed`` None derives one from
        ``seed_``.  Returns float64 (n_samples, dim).
        """
        from ebmphys.sampling import Chains

        check_is_fitted(self)
        model = self.model_
        if algorithm is None:
            algorithm = "gibbs" if getattr(model, "kind", "") == "gb-rbm" else "mala"
        seed = derive_seed(self.seed_, 2**31 + self.epoch_) if seed is None else resolve_seed(seed)
        chains = Chains(model, algorithm=algorithm, beta=1.0, n_chains=positive_int("n_samples", n_samples),
                        seed=seed, device=self._device(), initial_states=initial_states, **options)
        n_steps = positive_int("n_steps", n_steps)
        burn = n_steps // 2
        chains.run(burn, tune=True, record=())
        chains.run(n_steps - burn, record=())
        return chains.states.reshape(n_samples, model.dim)

    # ------------------------------------------------------------------ checkpoints
    def training_state(self) -> dict:
        """{"optimizer": ..., "phase": ...}: the optimiser's and the negative phase's state (arrays and numbers)."""
        if hasattr(self, "_state"):
            return self._state
        if not hasattr(self, "_optimizer"):
            raise ValueError("there is no training state: fit or partial_fit first")
        return {"optimizer": dict(self._optimizer.state),
                "phase": {} if self._phase is None else self._phase.state()}

    def save(self, path) -> None:
        """Write the model and training state to an HDF5 checkpoint (atomically)."""
        from ebmphys.training.ebm_checkpoint import save_ebm_checkpoint

        save_ebm_checkpoint(path, self)

    @classmethod
    def from_checkpoint(cls, path, model=None) -> "EBMTrainer":
        """Restore a trainer from :meth:`save`; ``model`` is needed for a user's ``ContinuousEBM``."""
        from ebmphys.training.ebm_checkpoint import load_ebm_checkpoint

        return load_ebm_checkpoint(cls, path, model)
