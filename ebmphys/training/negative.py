"""Negative phases of MCMC maximum-likelihood training: CD, PCD, replay buffer, Jarzynski-weighted walkers.

The log-likelihood gradient of an energy-based model p(x) = exp(-E_theta(x)) / Z_theta
(beta = 1, k_B = 1) is

    d/dtheta mean_data log p = -mean_data dE/dtheta + E_theta[dE/dtheta],

and a negative phase supplies samples x_i (with normalised weights w_i; uniform
unless stated) whose weighted average estimates the model expectation E_theta.
Every update calls ``samples(theta, batch, update)`` before the parameter step and
``advance(theta, theta_new, update)`` after it.

``"cd"`` (:class:`ContrastiveDivergence`)
    k sweeps of the sampler at theta from the minibatch (``init="data"``) or from noise.
``"pcd"`` (:class:`PersistentChains`)
    ``n_walkers`` persistent chains, k sweeps at the current theta per update.
``"replay"`` (:class:`ReplayBuffer`, Du and Mordatch 2019)
    A buffer of ``buffer_size`` past samples (initially noise); each update picks
    ``n_walkers`` distinct entries, restarts each from noise with probability
    ``reinit_prob``, moves them k sweeps and writes them back.
``"jarzynski"`` (:class:`JarzynskiWalkers`, Carbone, Hua, Coste and Vanden-Eijnden 2023)
    ``n_walkers`` persistent walkers x with log-weights A, started from the initial
    model (``init="model"``: exact or quadrature samples, A = 0).  After the parameter step
    theta_t -> theta_{t+1} each walker makes k unadjusted Langevin steps,
    x' = x - h grad U(x) + sqrt(2 h) xi, the first with U = E_{theta_t}, the others with
    U = E_{theta_{t+1}}, and its log-weight grows by

        A += alpha_f(x, x') - alpha_{t+1}(x', x),
        alpha(x, y) = U(x) + (y - x).grad U(x) / 2 + h |grad U(x)|^2 / 4,

    (alpha_f with the energy of the step, alpha_{t+1} with E_{theta_{t+1}}): the log of
    [exp(-E_{t+1}(x')) q_{t+1}(x | x')] / [exp(-U(x)) q_f(x' | x)] with q the Gaussian
    ULA kernel N(x - h grad U, 2 h I), so the weighted walkers represent p_{theta_{t+1}}
    exactly, whatever h and the parameter step (Jarzynski's equality along the
    joint evolution of walkers and parameters).  The weights need this kernel: the
    method runs ``sampler="langevin"`` with noise sqrt(2 h) only.  When the effective
    sample size ESS = (sum w)^2 / sum w^2 falls below ``ess_threshold * n_walkers`` the
    walkers are resampled (systematic resampling, one uniform from the host generator
    per event) and A reset to 0.  The weights estimate log Z_theta / Z_theta0 at no cost:
    log mean exp(A) plus the same quantity accumulated at every resampling.

Random numbers: the moves use the sampler's counter streams with the trainer's
seed, chain index = row, and one sweep counter per phase (:mod:`ebmphys.training.walkers`);
host draws (noise starts, buffer picks, resampling uniforms, exact initial samples)
come from :func:`ebmphys.kernels.rng.host_generator` with the ``HOST_EBM_*`` purposes,
indexed by the update step.  A phase's whole state (:meth:`state`) is arrays and
integers, so a checkpoint restores it exactly.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from ebmphys.kernels.rng import HOST_EBM_NOISE, HOST_EBM_REPLAY, HOST_EBM_RESAMPLE, HOST_EBM_WALKERS, host_generator
from ebmphys.training.walkers import Mover

#: negative-phase methods (the MCMC ones; the trainers also know "score_matching" and "nce")
MCMC_METHODS = ("cd", "pcd", "replay", "jarzynski")
#: where chains start: data rows, noise (see :class:`NoiseSource`) or exact samples of the initial model
INITS = ("data", "noise", "model")
DEFAULT_INIT = {"cd": "data", "pcd": "data", "replay": "noise", "jarzynski": "model"}
#: noise distributions of fresh starts
NOISE_INITS = ("gaussian", "uniform")


class NoiseSource:
    """Fresh starting points: per-coordinate Gaussian with the data's mean and standard deviation, or uniform
    on the data's bounding box.

    Parameters
    ----------
    kind : {"gaussian", "uniform"}
    X : float64 (n, dim)
        Training data (only its per-coordinate moments or range are kept).
    """

    def __init__(self, kind: str, X: np.ndarray):
        self.kind = kind
        if kind == "gaussian":
            self.a, self.b = X.mean(axis=0), X.std(axis=0)
        else:
            self.a, self.b = X.min(axis=0), X.max(axis=0)

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        if self.kind == "gaussian":
            return np.ascontiguousarray(self.a + self.b * rng.standard_normal((n, self.a.shape[0])))
        return np.ascontiguousarray(rng.uniform(self.a, self.b, size=(n, self.a.shape[0])))


def model_samples(model, n: int, rng: np.random.Generator, data_range: np.ndarray) -> np.ndarray:
    """Samples of ``model`` itself: exact (Gaussian, mixture, GB-RBM, free phi^4) or, in 1-D, by inverting the
    CDF computed by quadrature (:func:`ebmphys.training.ebm_monitors.quadrature_samples`).

    Raises
    ------
    ValueError
        For other models.
    """
    from ebmphys.partition.continuous_exact import exact_samples
    from ebmphys.training.ebm_monitors import quadrature_samples

    try:
        return np.ascontiguousarray(exact_samples(model, n, rng))
    except ValueError:
        if model.dim == 1:
            return np.ascontiguousarray(quadrature_samples(model, data_range, n, rng))
    raise ValueError(f"init='model' needs samples of the initial model, which a {type(model).__name__} of dim "
                     f"{model.dim} does not have (exact: Gaussian, GaussianMixture, GaussianBernoulliRBM, free "
                     f"Phi4Lattice; by quadrature: 1-D models); use init='data' or 'noise'")


def initial_walkers(init: str, n: int, X: np.ndarray, model, noise: NoiseSource, seed: int) -> np.ndarray:
    """``n`` starting rows: data rows drawn with replacement, noise, or samples of ``model`` (:func:`model_samples`)."""
    rng = host_generator(seed, HOST_EBM_WALKERS)
    if init == "data":
        return np.ascontiguousarray(X[rng.integers(0, X.shape[0], size=n)])
    if init == "noise":
        return noise.draw(n, rng)
    return model_samples(model, n, rng, np.stack([X.min(axis=0), X.max(axis=0)]))


def effective_sample_size(log_w: np.ndarray) -> float:
    """(sum w)^2 / sum w^2 of the weights exp(log_w)."""
    return float(np.exp(2.0 * logsumexp(log_w) - logsumexp(2.0 * log_w)))


def systematic_resample(log_w: np.ndarray, u: float) -> np.ndarray:
    """Indices of a systematic resampling of the weights exp(log_w) with the uniform ``u`` in [0, 1)."""
    w = np.exp(log_w - logsumexp(log_w))
    n = w.shape[0]
    cumulative = np.cumsum(w)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, (u + np.arange(n)) / n, side="right").clip(0, n - 1)


class NegativePhase:
    """Base of the negative phases: the mover, the sweep counter, the last samples and their weights.

    Parameters
    ----------
    model : ContinuousModel
    settings : dict
        ``sampler``, ``options`` (sampler options), ``k``, ``n_walkers``, ``init``,
        ``noise`` (a :class:`NoiseSource`), ``seed``, ``device`` and the method's own
        (``buffer_size``, ``reinit_prob``, ``ess_threshold``).
    X : float64 (n, dim)
        Training data (starting rows).
    state : dict, optional
        A state from :meth:`state` to continue from.
    """

    uses_weights = False

    def __init__(self, model, settings: dict, X: np.ndarray, state: dict | None = None):
        self.model = model
        self.k = settings["k"]
        self.seed = settings["seed"]
        self.noise = settings["noise"]
        self.n_walkers = settings["n_walkers"]
        self.mover = Mover(model, settings["sampler"], seed=self.seed, device=settings["device"],
                           options=settings["options"])
        self.sweep = 0 if state is None else int(state["sweep"])
        self.last = np.zeros((0, model.dim))
        self.last_weights = None

    def state(self) -> dict:
        return {"sweep": self.sweep}

    def _move(self, x: np.ndarray, theta: np.ndarray, n_sweeps: int) -> None:
        self.mover.move(x, theta, self.sweep, n_sweeps)
        self.sweep += n_sweeps

    def samples(self, theta: np.ndarray, batch: np.ndarray, update: int):
        raise NotImplementedError

    def advance(self, theta: np.ndarray, theta_new: np.ndarray, update: int) -> None:
        """After the parameter step (only Jarzynski walkers move here)."""


class ContrastiveDivergence(NegativePhase):
    """CD-k: k sweeps at theta from the minibatch rows (``init="data"``) or from noise."""

    def __init__(self, model, settings, X, state=None):
        super().__init__(model, settings, X, state)
        self.init = settings["init"]

    def samples(self, theta, batch, update):
        if self.init == "data":
            x = np.array(batch, dtype=np.float64, order="C")
        else:
            x = self.noise.draw(batch.shape[0], host_generator(self.seed, HOST_EBM_NOISE, update))
        self._move(x, theta, self.k)
        self.last = x
        return x, None


class PersistentChains(NegativePhase):
    """PCD-k: ``n_walkers`` chains carried across updates, k sweeps at the current theta each update."""

    def __init__(self, model, settings, X, state=None):
        super().__init__(model, settings, X, state)
        if state is None:
            self.walkers = initial_walkers(settings["init"], self.n_walkers, X, model, self.noise, self.seed)
        else:
            self.walkers = np.array(state["walkers"], dtype=np.float64, order="C")

    def state(self):
        return {**super().state(), "walkers": self.walkers.copy()}

    def samples(self, theta, batch, update):
        self._move(self.walkers, theta, self.k)
        self.last = self.walkers
        return self.walkers, None


class ReplayBuffer(NegativePhase):
    """Replay buffer (Du and Mordatch 2019): restart from the buffer, or from noise with ``reinit_prob``."""

    def __init__(self, model, settings, X, state=None):
        super().__init__(model, settings, X, state)
        self.reinit_prob = settings["reinit_prob"]
        size = settings["buffer_size"]
        if state is None:
            self.buffer = initial_walkers(settings["init"], size, X, model, self.noise, self.seed)
        else:
            self.buffer = np.array(state["buffer"], dtype=np.float64, order="C")

    def state(self):
        return {**super().state(), "buffer": self.buffer.copy()}

    def samples(self, theta, batch, update):
        rng = host_generator(self.seed, HOST_EBM_REPLAY, update)
        picked = rng.choice(self.buffer.shape[0], size=self.n_walkers, replace=False)
        fresh = rng.random(self.n_walkers) < self.reinit_prob
        x = np.ascontiguousarray(self.buffer[picked])
        if np.any(fresh):
            x[fresh] = self.noise.draw(int(fresh.sum()), host_generator(self.seed, HOST_EBM_NOISE, update))
        self._move(x, theta, self.k)
        self.buffer[picked] = x
        self.last = x
        return x, None


class JarzynskiWalkers(NegativePhase):
    """Jarzynski-weighted persistent walkers (see the module docstring)."""

    uses_weights = True

    def __init__(self, model, settings, X, state=None):
        super().__init__(model, settings, X, state)
        self.h = settings["options"]["step_size"]
        self.ess_threshold = settings["ess_threshold"]
        if state is None:
            self.walkers = initial_walkers(settings["init"], self.n_walkers, X, model, self.noise, self.seed)
            self.log_w = np.zeros(self.n_walkers)
            self.log_z_offset = 0.0
            self.n_resamplings = 0
        else:
            self.walkers = np.array(state["walkers"], dtype=np.float64, order="C")
            self.log_w = np.array(state["log_weights"], dtype=np.float64)
            self.log_z_offset = float(state["log_z_offset"])
            self.n_resamplings = int(state["n_resamplings"])

    def state(self):
        return {**super().state(), "walkers": self.walkers.copy(), "log_weights": self.log_w.copy(),
                "log_z_offset": self.log_z_offset, "n_resamplings": self.n_resamplings}

    @property
    def weights(self) -> np.ndarray:
        """Normalised weights of the walkers."""
        return np.exp(self.log_w - logsumexp(self.log_w))

    @property
    def ess_fraction(self) -> float:
        """ESS / n_walkers of the current weights."""
        return effective_sample_size(self.log_w) / self.log_w.shape[0]

    @property
    def log_z_ratio(self) -> float:
        """Estimate of log Z_theta / Z_theta0 (theta0: the parameters the walkers started from)."""
        return self.log_z_offset + float(logsumexp(self.log_w) - np.log(self.log_w.shape[0]))

    def samples(self, theta, batch, update):
        self.last = self.walkers
        self.last_weights = self.weights
        return self.walkers, self.last_weights

    def _alpha(self, x, y, energy, grad):
        """alpha(x, y) = U(x) + (y - x).grad U(x) / 2 + h |grad U(x)|^2 / 4 of every row."""
        return energy + 0.5 * np.einsum("ij,ij->i", y - x, grad) + 0.25 * self.h * np.einsum("ij,ij->i", grad, grad)

    def advance(self, theta, theta_new, update):
        energy_f, grad_f = self.model.energy_function, self.model.grad_function
        index = self.model.params[1]
        x = self.walkers
        params_new = (theta_new, index)
        e0 = energy_f(x, (theta, index))
        g0 = grad_f(x, (theta, index))
        for step in range(self.k):
            before = x.copy()
            self._move(x, theta if step == 0 else theta_new, 1)
            e1 = energy_f(x, params_new)
            g1 = grad_f(x, params_new)
            self.log_w += self._alpha(before, x, e0, g0) - self._alpha(x, before, e1, g1)
            e0, g0 = e1, g1
        if not np.all(np.isfinite(self.log_w)):
            raise FloatingPointError(f"Jarzynski log-weights became non-finite at update {update}; use a smaller "
                                     f"step_size or learning_rate")
        if self.ess_fraction < self.ess_threshold:
            u = host_generator(self.seed, HOST_EBM_RESAMPLE, update).random()
            self.log_z_offset = self.log_z_ratio
            self.walkers = np.ascontiguousarray(x[systematic_resample(self.log_w, u)])
            self.log_w = np.zeros_like(self.log_w)
            self.n_resamplings += 1


PHASES = {"cd": ContrastiveDivergence, "pcd": PersistentChains, "replay": ReplayBuffer, "jarzynski": JarzynskiWalkers}
