"""Annealed importance sampling (Neal 2001) and reverse AIS for log Z of Ising models and RBMs.

Forward AIS draws exact samples of a base distribution p_0 (known Z_0), moves
them through p_{beta_1}, ..., p_{beta_K} = target with one Markov transition per
step and accumulates log-weights log w = sum_k [log f_k(x_{k-1}) - log f_{k-1}(x_{k-1})];
then E[w] = Z / Z_0, so

    log Z_hat = log Z_0 + log mean(w),

an unbiased estimate of Z, hence (Jensen) a stochastic lower bound on log Z.
Reverse AIS starts from exact samples of the target and anneals back to the
base; mean(w_rev) estimates Z_0 / Z, so log Z_0 - log mean(w_rev) is a
stochastic upper bound.  Together they sandwich log Z (bidirectional Monte
Carlo, Grosse, Ghahramani and Adams 2015; Grosse et al. 2016; for RBMs started
from data, Burda, Grosse and Salakhutdinov 2015).

Paths (k_B = 1):

* Ising models (``LatticeIsing``, ``GraphIsing``): f_b(s) = exp(-b E(s)) from b = 0,
  where Z_0 = 2**N, to the target beta; transitions are heat-bath (default) or
  Metropolis sweeps.
* Potts-Bernoulli RBMs (:class:`ebmphys.models.PottsBernoulliRBM`, categorical visible
  units): the same base-rate path with a base a_i(v_i) per visible state (log data
  marginals, "data", or zero, "uniform"), log Z_0 = sum_i logsumexp_a a_i(a) + n_hidden log 2
  (:class:`_PottsRBMPath`).
* continuous models (:mod:`ebmphys.models.continuous`): the geometric path from a
  base model E_0 with exact log Z_0 (default N(0, I)) to exp(-beta E), with MALA,
  HMC or RWMH transitions (:mod:`ebmphys.partition.continuous_path`); sampler
  options (``step_size``, ``n_leapfrog``, ...) pass through ``**options``.
* RBMs (E(v, h) = -b.v - c.h - v.W.h, units in {0, 1}) at inverse temperature
  beta: hidden units are summed out and the base is a product of independent
  visible units with bias ``a``, either the logits of the data marginals
  ("data", Salakhutdinov and Murray 2008) or zero ("uniform"), with
  log Z_0 = sum_i softplus(a_i) + n_hidden log 2.  Along the path
  f_t(v) = exp((1 - t/beta) a.v + t b.v) prod_j (1 + exp(t (c_j + (v.W)_j))),
  t running from 0 to beta.

Error bars.  With r_i = w_i / max(w) the estimate is log max(w) + log mean(r),
and its standard error is the delta-method one, std(r) / (sqrt(n) mean(r)) (the
relative standard error of the mean weight), computed without leaving the
log-scaled weights.  The effective sample size ESS = (sum w)^2 / sum w^2 of the
final weights measures how many chains carry the estimate; when it falls below
``max(5, 0.1 n_chains)`` the weights are too uneven for the error bar to be
trusted and an :class:`AISWarning` is issued.

Random numbers: counter-based (:mod:`ebmphys.kernels.ais_cpu`), keyed by the
seed; forward steps, pilot runs, reverse steps and reverse burn-in use disjoint
ranges of the step counter, so one seed gives independent forward and reverse runs.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit, logit, logsumexp

from ebmphys.kernels import ais_cpu, potts_rbm_cpu
from ebmphys.kernels.rng import (AIS_DATA_ROWS, AIS_EXACT_SAMPLES, AIS_INIT, AIS_PILOT, host_generator, resolve_seed,
                                 split_seed)
from ebmphys.kernels.spin_updates import random_spins
from ebmphys.models._validate import finite_real, positive_int
from ebmphys.models.continuous import ContinuousModel
from ebmphys.models.ising import GraphIsing, LatticeIsing
from ebmphys.models.potts_rbm import PottsBernoulliRBM
from ebmphys.models.rbm import RBM, softplus
from ebmphys.partition.continuous_path import ContinuousPath
from ebmphys.partition.exact import boltzmann_probabilities
from ebmphys.partition.rbm_exact import MAX_EXACT_RBM_UNITS
from ebmphys.partition.result import LogZEstimate
from ebmphys.partition.schedules import SCHEDULES, check_schedule, equal_length_schedule, named_schedule
from ebmphys.limits import require_memory
from ebmphys.sampling.chains import BYTES_PER_VARIABLE, AnnealResult, Chains, n_variables
from ebmphys.sampling.registry import check_device

BASES = ("data", "uniform")
#: the ESS below which a warning is issued is max(MIN_ESS, MIN_ESS_FRACTION * n_chains)
MIN_ESS = 5.0
MIN_ESS_FRACTION = 0.1
#: largest number of annealing steps (each direction owns a 2**30 range of the step counter)
MAX_STEPS = 2**30 - 2
_PILOT_STEP0 = 2**30
_REVERSE_STEP0 = 2**31
_BURN_IN_STEP0 = 3 * 2**30
_MAX_EXACT_ISING_SPINS = 24
_CHUNK_STATES = 2**14


def _binary_rows(n_units: int, start: int, stop: int, rows=None) -> np.ndarray:
    """Binary states with indices ``rows`` (default start .. stop-1) as float64, unit 0 the most significant bit."""
    k = np.arange(start, stop, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    return ((k[:, None] >> np.arange(n_units - 1, -1, -1, dtype=np.int64)) & 1).astype(np.float64)


class AISWarning(RuntimeWarning):
    """The final importance weights are too uneven for the AIS error bar to be trusted."""


@dataclass
class AISResult(LogZEstimate):
    """Outcome of a forward or reverse AIS run (a :class:`LogZEstimate` with ``method`` "ais" or "reverse-ais").

    Attributes
    ----------
    log_z : float
        Estimate of log Z at the target beta (nats).  Forward: stochastic lower
        bound; reverse: stochastic upper bound.
    stderr : float
        Delta-method standard error of ``log_z`` (see the module docstring).
    ess : float
        Effective sample size (sum w)^2 / sum w^2 of the final weights, in [1, n_chains].
    log_weights : float64 array (n_chains,)
        Final log importance weights (forward: log w; reverse: log w_rev).
    log_z_base : float
        log Z of the base distribution (beta = 0 for Ising; the base-rate model for RBMs).
    schedule : float64 array (n_steps + 1,)
        The inverse temperatures from 0 to beta (a reverse run walks it backwards).
    direction : {"forward", "reverse"}
    seed : int
    seconds : float
        Wall time of the run (pilot and exact sampling included).
    """

    ess: float
    log_weights: np.ndarray = field(repr=False)
    log_z_base: float
    schedule: np.ndarray = field(repr=False)
    direction: str

    @property
    def n_chains(self) -> int:
        return int(self.log_weights.shape[0])

    @property
    def n_steps(self) -> int:
        return int(self.schedule.shape[0] - 1)

    @property
    def bound(self) -> str:
        """"lower" for forward AIS, "upper" for reverse AIS (stochastic bounds on log Z)."""
        return "lower" if self.direction == "forward" else "upper"


def weight_statistics(log_weights) -> tuple[float, float, float]:
    """log mean(w), its delta-method standard error and the ESS, from log-weights.

    Parameters
    ----------
    log_weights : array_like (n,), n >= 2, finite

    Returns
    -------
    log_mean : float
        log((1/n) sum_i w_i), by log-sum-exp.
    stderr : float
        std(w) / (sqrt(n) mean(w)), sample standard deviation (ddof = 1).
    ess : float
        (sum w)^2 / sum w^2.

    Raises
    ------
    ValueError
        If fewer than two weights are given or any is NaN or infinite.
    """
    lw = np.asarray(log_weights, dtype=np.float64)
    if lw.ndim != 1 or lw.shape[0] < 2:
        raise ValueError(f"log_weights must be a 1D array of at least 2 values, got shape {lw.shape}")
    if not np.all(np.isfinite(lw)):
        bad = int(np.count_nonzero(~np.isfinite(lw)))
        raise ValueError(
            f"log_weights contains {bad} non-finite value(s) (NaN or infinite); the annealing "
            f"overflowed or the model produced invalid energies"
        )
    n = lw.shape[0]
    r = np.exp(lw - lw.max())
    mean = r.mean()
    stderr = float(r.std(ddof=1) / (math.sqrt(n) * mean))
    ess = float(r.sum() ** 2 / (r * r).sum())
    return float(lw.max() + math.log(mean)), stderr, ess


def _warn_if_untrustworthy(ess: float, n_chains: int, direction: str) -> None:
    threshold = max(MIN_ESS, MIN_ESS_FRACTION * n_chains)
    if ess < threshold:
        warnings.warn(
            f"{direction} AIS: effective sample size {ess:.1f} of {n_chains} chains is below {threshold:.1f}; "
            f"a few chains dominate the weights, so log Z and its standard error are not trustworthy "
            f"(use more steps, more chains or an adaptive schedule)",
            AISWarning,
            stacklevel=3,
        )


# ---------------------------------------------------------------------------- paths


class _IsingPath:
    """f_b(s) = exp(-b E(s)) for a LatticeIsing or GraphIsing; base b = 0 with Z_0 = 2**N.

    Configurations are in the user layout, int8 (n_chains, n_spins); the chains run
    through :class:`ebmphys.sampling.Chains` with the single-spin ``algorithm``.
    """

    def __init__(self, model, algorithm: str):
        self.model = model
        self.algorithm = algorithm
        self.log_z_base = model.n_spins * math.log(2.0)

    def chains(self, states: np.ndarray, seed: int, sweep: int, device: str) -> Chains:
        return Chains(self.model, algorithm=self.algorithm, beta=0.0, n_chains=states.shape[0], seed=seed,
                      device=device, initial_states=states, sweep=sweep)

    def anneal(self, chains: Chains, betas: np.ndarray) -> AnnealResult:
        return chains.anneal(betas)

    def initial(self, n_chains: int, k0: int, k1: int) -> np.ndarray:
        return random_spins(n_chains, self.model.n_spins, k0, k1, AIS_INIT, 0)

    def initial_host(self, rng: np.random.Generator, n_chains: int) -> np.ndarray:
        return (2 * rng.integers(0, 2, size=(n_chains, self.model.n_spins)) - 1).astype(np.int8)

    def log_f(self, x, b: float) -> np.ndarray:
        return -b * self.model.energy(x)

    def exact_samples(self, beta: float, n: int, rng: np.random.Generator) -> np.ndarray:
        n_spins = self.model.n_spins
        if n_spins > _MAX_EXACT_ISING_SPINS:
            raise ValueError(
                f"reverse AIS needs samples of the target: exact sampling enumerates 2**n_spins states and "
                f"n_spins={n_spins} exceeds {_MAX_EXACT_ISING_SPINS}; pass initial_states (equilibrated "
                f"configurations, e.g. from ebmphys.sample), which makes the upper bound approximate"
            )
        p = boltzmann_probabilities(self.model, beta)
        idx = rng.choice(p.shape[0], size=n, p=p)
        bits = (idx[:, None] >> np.arange(n_spins - 1, -1, -1)) & 1
        return (2 * bits - 1).astype(np.int8)

    def check_initial(self, states) -> np.ndarray:
        return self.model.check_states(states, "initial_states")


class _BaseRatePath:
    """What the base-rate annealing paths of binary and Potts RBMs share: the base biases ``a``, the
    block-Gibbs chains and their annealing.  A subclass gives ``_log_z_visible(a)``, log Z of the base's
    independent visible units (the uniform hidden units add n_hidden log 2)."""

    def __init__(self, rbm, beta: float, a: np.ndarray):
        self.rbm = rbm
        self.beta = beta
        self.a = np.ascontiguousarray(a, dtype=np.float64)
        self.log_z_base = float(self._log_z_visible(self.a) + rbm.n_hidden * math.log(2.0))

    def chains(self, states: np.ndarray, seed: int, sweep: int, device: str) -> Chains:
        return Chains(self.rbm, algorithm="gibbs", beta=1.0, n_chains=states.shape[0], seed=seed, device=device,
                      initial_states=states, sweep=sweep)

    def anneal(self, chains: Chains, betas: np.ndarray) -> AnnealResult:
        return chains.anneal(betas, base_bias=self.a, base_weights=1.0 - betas / self.beta)


class _RBMPath(_BaseRatePath):
    """Base-rate annealing of an RBM at inverse temperature ``beta`` (see the module docstring)."""

    rbm: RBM

    @staticmethod
    def _log_z_visible(a: np.ndarray) -> float:
        return softplus(a).sum()

    def initial(self, n_chains: int, k0: int, k1: int) -> np.ndarray:
        return ais_cpu.independent_units(expit(self.a), n_chains, k0, k1, 0)

    def initial_host(self, rng: np.random.Generator, n_chains: int) -> np.ndarray:
        return (rng.random((n_chains, self.rbm.n_visible)) < expit(self.a)).astype(np.uint8)

    def log_f(self, v, t: float) -> np.ndarray:
        vf = v.astype(np.float64)
        r = self.rbm
        return (1.0 - t / self.beta) * (vf @ self.a) + t * (vf @ r.b) + softplus(t * (r.c + vf @ r.W)).sum(axis=1)

    def exact_samples(self, beta: float, n: int, rng: np.random.Generator) -> np.ndarray:
        r = self.rbm
        if min(r.n_visible, r.n_hidden) > MAX_EXACT_RBM_UNITS:
            raise ValueError(
                f"reverse AIS needs samples of the target: exact sampling enumerates the smaller layer and "
                f"min(n_visible={r.n_visible}, n_hidden={r.n_hidden}) exceeds {MAX_EXACT_RBM_UNITS}; pass data "
                f"(chains start from data rows and make burn_in Gibbs steps) or initial_states"
            )
        W, b, c = beta * r.W, beta * r.b, beta * r.c
        if r.n_hidden <= r.n_visible:
            m, own, other, weights = r.n_hidden, c, b, W.T
        else:
            m, own, other, weights = r.n_visible, b, c, W
        log_p = np.empty(2**m)
        for start in range(0, 2**m, _CHUNK_STATES):
            s = _binary_rows(m, start, min(start + _CHUNK_STATES, 2**m))
            log_p[start : start + s.shape[0]] = s @ own + softplus(other + s @ weights).sum(axis=1)
        p = np.exp(log_p - logsumexp(log_p))
        picked = _binary_rows(m, 0, 0, rows=rng.choice(p.shape[0], size=n, p=p / p.sum()))
        if r.n_hidden <= r.n_visible:
            return (rng.random((n, r.n_visible)) < expit(b + picked @ W.T)).astype(np.uint8)
        return picked.astype(np.uint8)

    def check_initial(self, states) -> np.ndarray:
        return self.rbm.check_visible(states, "initial_states").copy()


class _PottsRBMPath(_BaseRatePath):
    """Base-rate annealing of a Potts-Bernoulli RBM at inverse temperature ``beta``.

    f_t(v) = exp((1 - t/beta) a(v) + t b(v)) prod_j (1 + exp(t (c_j + sum_i W_ij(v_i)))), t from 0
    to beta, a(v) = sum_i a_i(v_i); the base (t = 0) is independent categorical visible
    units with logits a_i and uniform hidden units.
    """

    rbm: PottsBernoulliRBM

    @staticmethod
    def _log_z_visible(a: np.ndarray) -> float:
        return logsumexp(a, axis=1).sum()

    def initial(self, n_chains: int, k0: int, k1: int) -> np.ndarray:
        return potts_rbm_cpu.independent_visible(self.a, n_chains, k0, k1, 0, AIS_INIT)

    def initial_host(self, rng: np.random.Generator, n_chains: int) -> np.ndarray:
        return _categorical_rows(rng, self.a[None], n_chains)

    def log_f(self, v, t: float) -> np.ndarray:
        r = self.rbm
        v = r.check_visible(v).astype(np.int64)
        sites = np.arange(r.n_visible)
        linear = (1.0 - t / self.beta) * self.a[sites, v].sum(axis=1) + t * r.b[sites, v].sum(axis=1)
        return linear + softplus(t * (r.c + r.W[sites, v].sum(axis=1))).sum(axis=1)

    def exact_samples(self, beta: float, n: int, rng: np.random.Generator) -> np.ndarray:
        r = self.rbm
        if r.n_hidden > MAX_EXACT_RBM_UNITS:
            raise ValueError(f"reverse AIS needs samples of the target: exact sampling enumerates the 2**n_hidden "
                             f"hidden states and n_hidden={r.n_hidden} exceeds {MAX_EXACT_RBM_UNITS}; pass "
                             f"initial_states (equilibrated visible rows)")
        log_p = np.empty(2**r.n_hidden)
        for start in range(0, log_p.shape[0], _CHUNK_STATES):
            h = _binary_rows(r.n_hidden, start, min(start + _CHUNK_STATES, log_p.shape[0]))
            x = beta * (r.b[None] + np.einsum("iaj,bj->bia", r.W, h))
            log_p[start:start + h.shape[0]] = beta * (h @ r.c) + logsumexp(x, axis=2).sum(axis=1)
        p = np.exp(log_p - logsumexp(log_p))
        h = _binary_rows(r.n_hidden, 0, 0, rows=rng.choice(p.shape[0], size=n, p=p / p.sum()))
        return _categorical_rows(rng, beta * (r.b[None] + np.einsum("iaj,bj->bia", r.W, h)), n)

    def check_initial(self, states) -> np.ndarray:
        return self.rbm.check_visible(states, "initial_states").copy()


def _categorical_rows(rng: np.random.Generator, logits: np.ndarray, n: int) -> np.ndarray:
    """n rows of independent categorical units with logits (n or 1, n_units, q), uint8 (host generator)."""
    p = np.exp(logits - logsumexp(logits, axis=2, keepdims=True))
    cumulative = np.cumsum(np.broadcast_to(p, (n,) + p.shape[1:]), axis=2)
    u = rng.random((n, p.shape[1], 1))
    return np.minimum((u > cumulative).sum(axis=2), p.shape[2] - 1).astype(np.uint8)


def _potts_base_bias(rbm: PottsBernoulliRBM, base, data) -> np.ndarray:
    """Base logits a_i(a): zero ("uniform") or the log data frequencies clipped to >= 1e-3 ("data")."""
    if base is None:
        base = "uniform" if data is None else "data"
    if base not in BASES:
        raise ValueError(f"base must be one of {BASES} or None, got {base!r}")
    if base == "uniform":
        return np.zeros((rbm.n_visible, rbm.q))
    if data is None:
        raise ValueError("base='data' needs the training data (pass data=X, integer states 0..q-1, n_visible "
                         "columns), or use base='uniform'")
    x = rbm.check_visible(data, "data")
    if x.shape[0] == 0:
        raise ValueError("data must contain at least one row")
    freq = np.stack([(x == a).mean(axis=0) for a in range(rbm.q)], axis=1)
    return np.log(np.clip(freq, 1e-3, 1.0))


def _check_beta(beta) -> float:
    beta = finite_real("beta", beta)
    if beta <= 0:
        raise ValueError(f"beta must be finite and > 0 (log Z at beta = 0 is known exactly), got {beta}")
    return beta


def _base_bias(rbm: RBM, base, data) -> np.ndarray:
    if base is None:
        base = "uniform" if data is None else "data"
    if base not in BASES:
        raise ValueError(f"base must be one of {BASES} or None, got {base!r}")
    if base == "uniform":
        return np.zeros(rbm.n_visible)
    if data is None:
        raise ValueError(
            "base='data' needs the training data to set the base-rate visible biases (logits of the data "
            "marginals): pass data=X (binary array, n_visible columns), or use base='uniform'"
        )
    x = rbm.check_visible(data, "data")
    if x.shape[0] == 0:
        raise ValueError("data must contain at least one row")
    return logit(np.clip(x.mean(axis=0), 1e-3, 1.0 - 1e-3))


#: single-spin transitions an Ising annealing path may use
ISING_ALGORITHMS = ("heatbath", "metropolis")


def _path(model, beta: float, algorithm, base, data, options: dict):
    if isinstance(model, ContinuousModel):
        if data is not None:
            raise ValueError("data applies to binary RBMs only; a continuous model anneals from its base model")
        return ContinuousPath(model, beta, algorithm, base, options)
    if options:
        raise TypeError(f"unexpected keyword argument(s) {', '.join(sorted(options))}: sampler options apply to "
                        f"continuous models only")
    if isinstance(model, PottsBernoulliRBM):
        if algorithm not in (None, "gibbs"):
            raise ValueError(f"algorithm must be 'gibbs' (block Gibbs sampling) for a PottsBernoulliRBM, got {algorithm!r}")
        return _PottsRBMPath(model, beta, _potts_base_bias(model, base, data))
    if isinstance(model, RBM):
        if algorithm not in (None, "gibbs"):
            raise ValueError(f"algorithm must be 'gibbs' (block Gibbs sampling) for an RBM, got {algorithm!r}")
        return _RBMPath(model, beta, _base_bias(model, base, data))
    if isinstance(model, (LatticeIsing, GraphIsing)):
        if base is not None or data is not None:
            raise ValueError("base and data apply to RBMs only; Ising models anneal from beta = 0")
        algorithm = "heatbath" if algorithm is None else algorithm
        if algorithm not in ISING_ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ISING_ALGORITHMS} for an Ising model, got {algorithm!r}")
        if isinstance(model, LatticeIsing):
            model.require_bipartite()
        return _IsingPath(model, algorithm)
    raise TypeError(f"model must be a LatticeIsing, GraphIsing, RBM, PottsBernoulliRBM or continuous model, got "
                    f"{type(model).__name__}")


def _check_chains(n_chains, model, what: str, name: str = "n_chains") -> int:
    """``name`` >= 2, and a batch of that many configurations of ``model`` must fit in memory."""
    n_chains = positive_int(name, n_chains, minimum=2)
    require_memory(n_chains * n_variables(model) * BYTES_PER_VARIABLE,
                   f"{what}: {n_chains} chains x {n_variables(model)} variables ({name}, the model size)")
    return n_chains


# ---------------------------------------------------------------------------- schedules


def _pilot_schedule(path, beta: float, n_pilot_chains: int, sweeps_per_step: int, pilot_cess: float,
                    seed: int, device: str) -> tuple[np.ndarray, np.ndarray]:
    """Pilot run: steps of conditional ESS ``pilot_cess``; returns (betas, cumulative thermodynamic length)."""
    chains = path.chains(path.initial_host(host_generator(seed, AIS_PILOT), n_pilot_chains), seed, _PILOT_STEP0,
                         device)
    unit = math.sqrt(1.0 / pilot_cess - 1.0)
    betas, lengths = [0.0], [0.0]
    b = 0.0
    while b < beta:
        x = chains.states
        base = path.log_f(x, b)

        def cess(b_next):
            inc = path.log_f(x, b_next) - base
            u = np.exp(inc - inc.max())
            return u.mean() ** 2 / (u * u).mean()

        c_end = cess(beta)
        if c_end >= pilot_cess:
            b_next, ell = beta, math.sqrt(max(1.0 / c_end - 1.0, 0.0))
        else:
            lo, hi = b, beta
            for _ in range(50):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if cess(mid) >= pilot_cess else (lo, mid)
            b_next, ell = max(lo, b + 1e-12 * beta), unit
        betas.append(b_next)
        lengths.append(lengths[-1] + ell)
        if len(betas) > 10**5:
            raise RuntimeError("adaptive pilot run needed more than 1e5 steps; use a named schedule")
        path.anneal(chains, np.full(sweeps_per_step + 1, b_next))
        b = b_next
    return np.array(betas), np.array(lengths)


def adaptive_schedule(model, beta: float = 1.0, *, n_steps: int | None = None, target_cess: float | None = None,
                      n_pilot_chains: int = 64, sweeps_per_step: int = 10, pilot_cess: float = 0.9,
                      seed: int | None = None, algorithm: str | None = None, base=None, data=None,
                      device: str = "cpu", **options) -> np.ndarray:
    """Schedule with intermediate distributions placed by a target conditional effective sample size.

    A pilot run of ``n_pilot_chains`` chains anneals from beta = 0, choosing each
    next inverse temperature (by bisection) so that the conditional ESS of the
    incremental weights, (mean u)^2 / mean(u^2) with u = f_next(x) / f_now(x)
    (Zhou, Johansen and Aston 2016), equals ``pilot_cess``, and making
    ``sweeps_per_step`` transitions there.  For small steps 1/CESS - 1 is the
    variance of the incremental log weight, so sqrt(1/CESS - 1) summed along the
    pilot is the thermodynamic length Lambda of the path.  The returned schedule
    places its steps at equal increments of Lambda (piecewise-linear in the pilot
    points): each step then has the same conditional ESS, and forward AIS with
    equilibrated chains would have var(log w) ~ Lambda**2 / n_steps.

    Parameters
    ----------
    model : LatticeIsing, GraphIsing, RBM or PottsBernoulliRBM
    beta : float > 0, target inverse temperature
    n_steps : int >= 1, optional
        Number of steps of the returned schedule; exactly one of ``n_steps`` and
        ``target_cess`` must be given.
    target_cess : float in (0, 1), optional
        Conditional ESS per step; then n_steps = ceil(Lambda / sqrt(1/target_cess - 1)).
    n_pilot_chains, sweeps_per_step : int >= 2, >= 1
    pilot_cess : float in (0, 1), conditional ESS of each pilot step
    seed, algorithm, base, data, device, **options : as in :func:`ais`; the pilot's random numbers are
        disjoint from those of an AIS run with the same seed.

    Returns
    -------
    float64 array (n_steps + 1,), 0 to beta, strictly increasing.
    """
    beta = _check_beta(beta)
    if (n_steps is None) == (target_cess is None):
        raise ValueError("give exactly one of n_steps and target_cess")
    for name, value in (("target_cess", target_cess), ("pilot_cess", pilot_cess)):
        if value is not None and not 0.0 < finite_real(name, value) < 1.0:
            raise ValueError(f"{name} must be in (0, 1), got {value}")
    n_pilot_chains = _check_chains(n_pilot_chains, model, "adaptive_schedule", "n_pilot_chains")
    sweeps_per_step = positive_int("sweeps_per_step", sweeps_per_step)
    seed = resolve_seed(seed)
    device = check_device(device)
    path = _path(model, beta, algorithm, base, data, options)
    pilot_betas, lengths = _pilot_schedule(path, beta, n_pilot_chains, sweeps_per_step, pilot_cess, seed, device)
    if n_steps is None:
        n_steps = max(1, math.ceil(lengths[-1] / math.sqrt(1.0 / target_cess - 1.0)))
    n_steps = positive_int("n_steps", n_steps)
    if lengths[-1] <= 0.0:
        return np.linspace(0.0, beta, n_steps + 1)
    out = equal_length_schedule(pilot_betas, lengths, n_steps)
    # merge points that collapsed onto one pilot point (flat length), keeping the count
    if np.any(np.diff(out) <= 0):
        out = np.sort(np.unique(np.concatenate([out, np.linspace(0.0, beta, n_steps + 1)])))
        out = out[np.round(np.linspace(0, out.shape[0] - 1, n_steps + 1)).astype(int)]
    return out


def _resolve_schedule(schedule, model, beta, n_steps, seed, algorithm, base, data, device, options) -> np.ndarray:
    if isinstance(schedule, str):
        n_steps = positive_int("n_steps", n_steps)
        if n_steps > MAX_STEPS:
            raise ValueError(f"n_steps must be <= {MAX_STEPS}, got {n_steps}")
        if schedule == "adaptive":
            return adaptive_schedule(model, beta, n_steps=n_steps, seed=seed, algorithm=algorithm, base=base, data=data,
                                     device=device, **options)
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES} or an array of inverse temperatures, got {schedule!r}")
        return named_schedule(schedule, beta, n_steps)
    s = check_schedule(schedule, beta)
    if s.shape[0] - 1 > MAX_STEPS:
        raise ValueError(f"schedule must have at most {MAX_STEPS} steps, got {s.shape[0] - 1}")
    return s


# ---------------------------------------------------------------------------- AIS


def ais(model, beta: float = 1.0, *, n_chains: int = 100, n_steps: int = 1000, schedule="linear",
        seed: int | None = None, device: str = "cpu", algorithm: str | None = None, base=None,
        data=None, **options) -> AISResult:
    """Estimate log Z by forward annealed importance sampling.

    Parameters
    ----------
    model : LatticeIsing, GraphIsing, RBM, PottsBernoulliRBM or a continuous model
        Ising energies E(s) = -sum J_ij s_i s_j - sum h_i s_i (spins +-1); RBM energy
        E(v, h) = -b.v - c.h - v.W.h (units 0/1); continuous energies E(x) (Z = int
        exp(-beta E) dx).  Lattices need even periodic sides (checkerboard updates).
    beta : float > 0, default 1.0
        Target inverse temperature (k_B = 1): Z = sum exp(-beta E).
    n_chains : int >= 2, default 100
        Independent annealing chains (importance samples).
    n_steps : int >= 1, default 1000
        Annealing steps for a named schedule (``n_steps - 1`` intermediate distributions).
    schedule : {"linear", "geometric", "sigmoid", "adaptive"} or array
        A name (:mod:`ebmphys.partition.schedules`; "adaptive" runs a pilot, see
        :func:`adaptive_schedule`) or explicit inverse temperatures, strictly
        increasing from 0 to ``beta``.
    seed : int in [0, 2**64) or None
        Key of the counter-based generator; None draws one (kept in the result).
    device : {"cpu", "cuda", "auto"}
        Where the chains run (``ebmphys.sampling.registry.check_device``).
    algorithm : {"heatbath", "metropolis"}, "gibbs" or {"hmc", "mala", "rwmh"}, optional
        Single-spin transition of Ising models (default "heatbath"); RBMs use block
        Gibbs sampling ("gibbs", the default for them); continuous models HMC
        (default), MALA or RWMH.
    base : {"data", "uniform"} or None (RBMs); continuous model or None (continuous models)
        RBMs: visible biases from the data marginals or zero; None means "data" when
        ``data`` is given, else "uniform".  Continuous models: the base model E_0,
        with exact log Z and samples (a ``Gaussian`` matched to the target's scale
        works best); None means N(0, I).
    data : array (n_samples, n_visible) of 0/1, optional (RBMs only)
    **options
        Continuous models only: sampler options of the transitions (``step_size``,
        ``n_leapfrog``, ``inverse_mass``, ``on_divergence``); without ``step_size`` a
        pilot tunes it (:mod:`ebmphys.partition.continuous_path`).

    Returns
    -------
    AISResult
        ``log_z`` is a stochastic lower bound on log Z.

    Warns
    -----
    AISWarning
        When the ESS of the final weights is below max(5, 0.1 n_chains).
    """
    start = time.perf_counter()
    device = check_device(device)
    beta = _check_beta(beta)
    n_chains = _check_chains(n_chains, model, "ais")
    seed = resolve_seed(seed)
    path = _path(model, beta, algorithm, base, data, options)
    betas = _resolve_schedule(schedule, model, beta, n_steps, seed, algorithm, base, data, device, options)
    k0, k1 = split_seed(seed)
    chains = path.chains(path.initial(n_chains, k0, k1), seed, 0, device)
    log_w = path.anneal(chains, betas).log_weights
    log_mean, stderr, ess = weight_statistics(log_w)
    _warn_if_untrustworthy(ess, n_chains, "forward")
    return AISResult(method="ais", log_z=path.log_z_base + log_mean, stderr=stderr, ess=ess, log_weights=log_w,
                     log_z_base=path.log_z_base, schedule=betas, direction="forward", seed=seed,
                     seconds=time.perf_counter() - start)


def reverse_ais(model, beta: float = 1.0, *, n_chains: int = 100, n_steps: int = 1000, schedule="linear",
                seed: int | None = None, device: str = "cpu", algorithm: str | None = None, base=None, data=None,
                initial_states=None, burn_in: int = 0, **options) -> AISResult:
    """Estimate log Z by reverse AIS from samples of the target: a stochastic upper bound.

    Chains start at the target beta and anneal back to the base along the
    reversed schedule; the mean reverse weight estimates Z_0 / Z, so
    ``log_z = log Z_0 - log mean(w_rev)`` overestimates log Z on average.
    The bound holds when the starting states are exact samples of the target.

    Starting states, in order of preference:

    * ``initial_states`` if given (then the bound is only as good as their equilibration);
    * exact samples by enumeration: Ising models with at most 24 spins, RBMs with
      min(n_visible, n_hidden) <= 20; exact samples of Gaussians, Gaussian mixtures,
      Gaussian-Bernoulli RBMs (n_hidden <= 20) and the free phi^4 field;
    * for larger RBMs with ``data``: data rows chosen at random, each followed by
      ``burn_in`` block-Gibbs steps at the target (approximate; Burda et al. 2015).

    Then ``burn_in`` transitions at the target are made before annealing.
    Parameters are those of :func:`ais`, plus ``initial_states`` (n_chains
    configurations: int8 spins or 0/1 visible units) and ``burn_in`` (int >= 0).
    With ``base="data"`` for an RBM, ``data`` sets the base-rate model as in :func:`ais`.
    """
    start = time.perf_counter()
    device = check_device(device)
    beta = _check_beta(beta)
    n_chains = _check_chains(n_chains, model, "reverse_ais")
    burn_in = positive_int("burn_in", burn_in, minimum=0)
    seed = resolve_seed(seed)
    path = _path(model, beta, algorithm, base, data, options)
    betas = _resolve_schedule(schedule, model, beta, n_steps, seed, algorithm, base, data, device, options)
    rng = host_generator(seed, AIS_EXACT_SAMPLES)
    if initial_states is not None:
        x = path.check_initial(initial_states)
        if x.shape[0] != n_chains:
            raise ValueError(f"initial_states must have n_chains={n_chains} rows, got {x.shape[0]}")
    elif isinstance(model, RBM) and data is not None and min(model.n_visible, model.n_hidden) > MAX_EXACT_RBM_UNITS:
        rows = model.check_visible(data, "data")
        x = rows[host_generator(seed, AIS_DATA_ROWS).integers(0, rows.shape[0], size=n_chains)].copy()
    else:
        x = path.exact_samples(beta, n_chains, rng)
    if burn_in:
        burn = path.chains(x, seed, _BURN_IN_STEP0, device)
        path.anneal(burn, np.full(burn_in + 1, beta))
        x = burn.states
    log_w = path.anneal(path.chains(x, seed, _REVERSE_STEP0, device), betas[::-1].copy()).log_weights
    log_mean, stderr, ess = weight_statistics(log_w)
    _warn_if_untrustworthy(ess, n_chains, "reverse")
    return AISResult(method="reverse-ais", log_z=path.log_z_base - log_mean, stderr=stderr, ess=ess, log_weights=log_w,
                     log_z_base=path.log_z_base, schedule=betas, direction="reverse", seed=seed,
                     seconds=time.perf_counter() - start)
