"""CPU backends of the continuous models: gradient samplers, phi^4 local and cluster updates, GB-RBM block Gibbs.

Algorithms (one sweep = one transition of every chain; interface in
:mod:`ebmphys.sampling.registry`, kernels in :mod:`ebmphys.kernels.continuous_cpu`,
``phi4_cpu`` and ``gb_rbm_cpu``):

=================  ===========================================================  =================================
algorithm          what a sweep is                                              models
=================  ===========================================================  =================================
``"rwmh"``         random-walk Metropolis-Hastings move of the whole vector     every continuous model
``"langevin"``     one unadjusted Langevin step (ULA: no accept/reject)         every continuous model
``"mala"``         one Metropolis-adjusted Langevin step                        every continuous model
``"hmc"``          one HMC trajectory of ``n_leapfrog`` leapfrog steps          every continuous model
``"metropolis"``   checkerboard single-site Metropolis sweep of the lattice     ``Phi4Lattice``
``"wolff"``        a Metropolis sweep, then ``n_clusters`` embedded-Ising       ``Phi4Lattice`` (kappa >= 0)
                   Wolff clusters (Brower and Tamayo 1989)
``"gibbs"``        block Gibbs: h ~ p(h | v), then v ~ p(v | h)                 ``GaussianBernoulliRBM`` (beta 1)
=================  ===========================================================  =================================

At inverse temperature beta the chains sample exp(-beta E(x)) (k_B = 1).

Options (``Chains(..., **options)``, ``sample(..., **options)``; each algorithm
refuses the options it does not use):

``step_size`` (> 0)
    h of the gradient samplers and RWMH (proposal standard deviation), or the
    half-width of the uniform single-site proposal of ``"metropolis"``/``"wolff"``
    (default 1.0).  Defaults: rwmh 0.5, langevin 0.01, mala 0.1, hmc 0.1.  A
    scalar, or one value per kernel row (n_chains values; n_chains * n_betas,
    chain-major, for a ladder).
``noise_scale`` (>= 0, langevin only)
    Standard deviation s of the Langevin noise, default sqrt(2 step_size) (the
    discretised Langevin diffusion); other values give the "step size and noise
    set separately" updates used in EBM training, which sample a different,
    biased distribution.
``n_leapfrog`` (int >= 1, hmc; default 10)
``inverse_mass`` (> 0, hmc)
    Diagonal inverse mass, shape (dim,) or (n_rows, dim); default ones.
``target_acceptance`` (in (0, 1); rwmh 0.234, mala 0.574, hmc 0.8)
``adapt_step_size`` (bool, default True for rwmh, mala, hmc)
    Adapt the step size by dual averaging during ``run(..., tune=True)`` (``sample``
    does this during burn-in); afterwards each chain uses its averaged step size.
``adapt_mass`` (bool, hmc, default False)
    Also adapt the diagonal inverse mass from the variances of the tuned states.
``adaptation_state`` (array (n_rows, 7 + 2 dim))
    The adaptation state of chains being continued (see :func:`tuned_options`).
``on_divergence`` (``"raise"`` or ``"count"``)
    A proposal with a non-finite energy or gradient raises :class:`ebmphys.exceptions.DivergenceError`
    naming the chain and the sweep, and leaves the chains as they were before the
    call (default), or is rejected and flagged in the ``"divergent"`` record.
    While tuning, divergent proposals are always rejected (with acceptance 0, which
    shrinks the step size): dual averaging probes large steps on purpose.
``n_clusters`` (int >= 1, wolff; default 1)
    Wolff clusters after each Metropolis sweep.  ``ChainRecords.flipped`` counts the
    sites flipped by them, so ``sample``'s ``mean_cluster_size`` is ``n_clusters``
    times the mean cluster size.

Records: gradient samplers ``"energy"`` (E(x), not beta E), ``"acceptance"`` (the
Metropolis-Hastings acceptance probability min(1, exp(log alpha)) of the
sweep's proposal: its mean over records estimates the acceptance rate; 1 for
Langevin, 0 for a divergent proposal), ``"divergent"`` (1.0 if the sweep's
proposal diverged) and the model's observables (``Phi4Lattice``:
``"magnetization"`` M = sum_x phi_x, from which |m|, m^2 and m^4 follow with m =
M / N); phi^4 local and cluster updates ``"energy"``, ``"magnetization"`` and
``"acceptance"`` (accepted fraction of the sweep's single-site proposals); block
Gibbs ``"energy"`` (the free energy F(v)).

Resuming tuned chains.  Step sizes, inverse masses and adaptation state are
settings, not configurations: a checkpoint stores them through
:func:`tuned_options`, whose dict is passed back as options::

    chains.run(500, tune=True)                  # burn-in, adapting
    saved = (chains.states, chains.sweep, tuned_options(chains))
    ...
    again = Chains(model, algorithm="hmc", beta=1.0, n_chains=8, seed=seed,
                   initial_states=saved[0], sweep=saved[1], **saved[2])

and ``again`` continues bit for bit (also in the middle of a tuning phase).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ebmphys.exceptions import DivergenceError
from ebmphys.models.continuous import ContinuousModel
from ebmphys.sampling.registry import register

GRADIENT_ALGORITHMS = ("rwmh", "langevin", "mala", "hmc")
ON_DIVERGENCE = ("raise", "count")
DEFAULT_STEP_SIZE = {"rwmh": 0.5, "langevin": 0.01, "mala": 0.1, "hmc": 0.1}
DEFAULT_TARGET = {"rwmh": 0.234, "mala": 0.574, "hmc": 0.8}
GRADIENT_OBSERVABLES = ("energy", "acceptance", "divergent")

_REASONS = {
    1: "the proposal's energy is not finite",
    2: "the proposal's gradient is not finite",
    3: "the energy of the current configuration is not finite",
    4: "the gradient of the current configuration is not finite",
}


def bound_functions(model: ContinuousModel) -> tuple:
    """(energy, grad, observables) of ``model`` as :class:`~ebmphys.kernels.continuous_types.BoundFunction` s."""
    from ebmphys.kernels.continuous_types import (
        ENERGY_SIGNATURE,
        GRAD_SIGNATURE,
        BoundFunction,
    )

    return (BoundFunction(model.energy_function, ENERGY_SIGNATURE), BoundFunction(model.grad_function, GRAD_SIGNATURE),
            BoundFunction(model.observables_function, GRAD_SIGNATURE))


def _kernels():
    """The gradient-sampler kernels (imported on first use: they are compiled with explicit signatures)."""
    from ebmphys.kernels import continuous_cpu

    return continuous_cpu


def _per_row(name: str, value, n_rows: int, *, minimum: float = 0.0, strict: bool = True) -> np.ndarray:
    """A scalar or an (n_rows,) array of finite values above ``minimum``, as float64 (n_rows,)."""
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    if arr.ndim == 0:
        arr = np.full(n_rows, float(arr))
    if arr.shape != (n_rows,):
        raise ValueError(f"{name} must be a number or have one value per chain (shape ({n_rows},)), got shape "
                         f"{arr.shape}")
    bad = ~np.isfinite(arr) | ((arr <= minimum) if strict else (arr < minimum))
    if np.any(bad):
        op = ">" if strict else ">="
        raise ValueError(f"{name} must be finite and {op} {minimum:g}, got {arr[bad][0]!r}")
    return np.ascontiguousarray(arr)


def _flag(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _unexpected(options: dict, algorithm: str) -> None:
    if options:
        raise TypeError(f"unexpected keyword argument(s) {', '.join(sorted(options))} for algorithm {algorithm!r}")


def _row_betas(betas) -> np.ndarray:
    return np.ascontiguousarray(betas, dtype=np.float64)


def _divergence(failure: np.ndarray, chain0: int, algorithm: str) -> DivergenceError:
    rows = np.flatnonzero(failure[:, 0] >= 0)
    m = rows[np.lexsort((rows, failure[rows, 0]))[0]]
    return DivergenceError(
        f"chain {chain0 + m} diverged at sweep {failure[m, 0]} ({algorithm}): {_REASONS[int(failure[m, 1])]}; "
        f"the chains are left as they were before this run (use a smaller step_size, or on_divergence='count' "
        f"to reject and count such proposals)")


class _RealRows:
    """What the backends of continuous models share: rows of float64 coordinates (no padding), started
    from independent standard normals (stream ``rng.CONT_INIT``, sweep word 0), swapped in place, and the
    parameter vector ``params[0]``.  A subclass sets ``model``, ``params``, ``k0``, ``k1``, ``chain0``."""

    def set_params(self, theta) -> None:
        """Use the parameter vector ``theta`` (float64 (n_theta,), already validated) in every later run."""
        self.params[0][:] = theta

    def initial_states(self, n_rows: int) -> np.ndarray:
        """Independent standard normal coordinates (stream ``rng.CONT_INIT``, sweep word 0)."""
        return _kernels().initial_normals(n_rows, self.model.dim, self.k0, self.k1, self.chain0)

    def check_states(self, states, name: str) -> np.ndarray:
        return self.model.check_states(states, name)

    def to_kernel(self, states: np.ndarray) -> np.ndarray:
        return np.array(states, dtype=np.float64, order="C")

    def from_kernel(self, x: np.ndarray) -> np.ndarray:
        return x.copy()

    def swap(self, x, rows_a, rows_b) -> None:
        x[np.concatenate([rows_a, rows_b])] = x[np.concatenate([rows_b, rows_a])]

    def set_betas(self, betas) -> None:
        self.betas = _row_betas(betas)


class GradientBackend(_RealRows):
    """RWMH, unadjusted Langevin, MALA or HMC chains of a continuous model (see the module docstring)."""

    flipped = None

    def __init__(self, model: ContinuousModel, algorithm: str, betas, k0: int, k1: int, chain0: int, **options):
        k = _kernels()
        self.model = model
        self.algorithm = algorithm
        self.code = {"rwmh": k.RWMH, "langevin": k.LANGEVIN, "mala": k.MALA, "hmc": k.HMC}[algorithm]
        self.k0, self.k1, self.chain0 = k0, k1, chain0
        self.n_sites = model.dim
        self.betas = _row_betas(betas)
        n_rows, dim = self.betas.shape[0], model.dim
        self.params = (model.params[0].copy(), model.params[1].copy())
        self.functions = bound_functions(model)
        self.observables = GRADIENT_OBSERVABLES + tuple(model.observable_names)

        step = options.pop("step_size", DEFAULT_STEP_SIZE[algorithm])
        self.step_size = _per_row("step_size", step, n_rows)
        noise = options.pop("noise_scale", None) if algorithm == "langevin" else None
        self.noise_scale = (np.sqrt(2.0 * self.step_size) if noise is None
                            else _per_row("noise_scale", noise, n_rows, strict=False))
        self.n_leapfrog = 1
        self.inv_mass = np.ones((n_rows, dim))
        self.adapt_mass = False
        if algorithm == "hmc":
            n_leapfrog = options.pop("n_leapfrog", 10)
            if isinstance(n_leapfrog, (bool, np.bool_)) or not isinstance(n_leapfrog, numbers.Integral) \
                    or n_leapfrog < 1:
                raise ValueError(f"n_leapfrog must be an integer >= 1, got {n_leapfrog!r}")
            self.n_leapfrog = int(n_leapfrog)
            inv_mass = options.pop("inverse_mass", None)
            if inv_mass is not None:
                arr = np.array(inv_mass, dtype=np.float64)
                if arr.shape == (dim,):
                    arr = np.tile(arr, (n_rows, 1))
                if arr.shape != (n_rows, dim) or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
                    raise ValueError(f"inverse_mass must be finite, > 0 and of shape ({dim},) or ({n_rows}, {dim}), "
                                     f"got shape {arr.shape}")
                self.inv_mass = np.ascontiguousarray(arr)
            self.adapt_mass = _flag("adapt_mass", options.pop("adapt_mass", False))
        adaptive = algorithm in DEFAULT_TARGET
        self.adapt_step = _flag("adapt_step_size", options.pop("adapt_step_size", adaptive)) if adaptive else False
        self.target = DEFAULT_TARGET.get(algorithm, 0.0)
        if adaptive:
            target = options.pop("target_acceptance", self.target)
            if isinstance(target, (bool, np.bool_)) or not isinstance(target, numbers.Real) or not 0 < target < 1:
                raise ValueError(f"target_acceptance must be a number in (0, 1), got {target!r}")
            self.target = float(target)
        on_divergence = options.pop("on_divergence", "raise")
        if on_divergence not in ON_DIVERGENCE:
            raise ValueError(f"on_divergence must be one of {ON_DIVERGENCE}, got {on_divergence!r}")
        self.count_divergences = on_divergence == "count"
        width = k.STATE_HEADER + 2 * dim
        state = options.pop("adaptation_state", None) if adaptive else None
        if state is None:
            self.state = np.zeros((n_rows, width))
            self.state[:, k.ST_LOG_STEP] = np.log(self.step_size)
            self.state[:, k.ST_MU] = np.log(10.0 * self.step_size)
        else:
            state = np.array(state, dtype=np.float64)
            if state.shape != (n_rows, width) or not np.all(np.isfinite(state)):
                raise ValueError(f"adaptation_state must be a finite array of shape ({n_rows}, {width}) "
                                 f"(from tuned_options), got shape {state.shape}")
            self.state = np.ascontiguousarray(state)
        _unexpected(options, algorithm)
        self.last = np.full((n_rows, 2), np.nan)

    # ------------------------------------------------------------------ layout
    def updates_per_sweep(self, n_rows: int) -> int:
        evaluations = self.n_leapfrog if self.algorithm == "hmc" else 1
        return n_rows * self.model.dim * evaluations

    # ------------------------------------------------------------------ running
    def run(self, x, sweep0, n_sweeps, record_every, out, column0, tune=False):
        k = _kernels()
        n_rows = x.shape[0]
        n_extra = len(self.model.observable_names)
        if out:
            n_columns = out["energy"].shape[1]
            arrays = (out["energy"], out["acceptance"], out["divergent"])
            extra = np.zeros((n_extra, n_rows, n_columns))
        else:
            record_every = 0
            arrays = tuple(np.zeros((n_rows, 0)) for _ in range(3))
            extra = np.zeros((n_extra, n_rows, 0))
        backup = (x.copy(), self.state.copy(), self.inv_mass.copy(), self.last.copy())
        failure = np.empty((n_rows, 2), dtype=np.int64)
        energy, grad, observables = self.functions
        tune = bool(tune) and (self.adapt_step or self.adapt_mass)
        k.sweeps(energy, grad, observables, self.params, x, self.betas, self.code, self.step_size, self.noise_scale,
                 self.n_leapfrog, self.inv_mass, tune, self.adapt_step, self.adapt_mass, self.target, self.state,
                 self.k0, self.k1, self.chain0, sweep0, n_sweeps, record_every, *arrays, extra, column0,
                 self.count_divergences, self.last, failure)
        if np.any(failure[:, 0] >= 0):
            x[...], self.state[...], self.inv_mass[...], self.last[...] = backup
            raise _divergence(failure, self.chain0, self.algorithm)
        if out and n_extra:
            stop = column0 + n_sweeps // record_every
            for j, name in enumerate(self.model.observable_names):
                out[name][:, column0:stop] = extra[j, :, column0:stop]
        if tune and self.adapt_step:
            tuned = self.state[:, k.ST_DA_COUNT] > 0
            restarted = ~tuned & (self.state[:, k.ST_TUNE_COUNT] > 0)
            self.step_size[tuned] = np.exp(self.state[tuned, k.ST_LOG_STEP_BAR])
            self.step_size[restarted] = np.exp(self.state[restarted, k.ST_LOG_STEP])

    def observe(self, x, out, column):
        energy, observables = self.model.energy_function, self.model.observables_function
        out["energy"][:, column] = energy(x, self.params)
        out["acceptance"][:, column] = self.last[:, 0]
        out["divergent"][:, column] = self.last[:, 1]
        if self.model.observable_names:
            extra = observables(x, self.params)
            for j, name in enumerate(self.model.observable_names):
                out[name][:, column] = extra[:, j]

    def anneal(self, x, betas, step0, log_w, energy_sum, *, base, base_weights, step_scale=None,
               base_energy_sum=None):
        """Anneal along U_k = betas[k] E + base_weights[k] E_0 (:func:`ebmphys.kernels.continuous_cpu.anneal`).

        ``base`` is a continuous model of the same dimension with energy E_0;
        ``step_scale`` (K + 1,) multiplies every chain's step size at each step
        (default ones); ``base_energy_sum`` (n_rows,), if given, accumulates E_0.
        Returns E of the final states.
        """
        k = _kernels()
        if self.algorithm == "langevin":
            raise ValueError("annealing needs transitions that leave each intermediate distribution invariant; "
                             "unadjusted Langevin does not: use 'mala', 'hmc' or 'rwmh'")
        if not isinstance(base, ContinuousModel) or base.dim != self.model.dim:
            raise ValueError(f"base must be a continuous model of dimension {self.model.dim}, got {base!r}")
        n_rows, n_points = x.shape[0], betas.shape[0]
        weights = np.ascontiguousarray(base_weights, dtype=np.float64)
        scale = np.ones(n_points) if step_scale is None else np.ascontiguousarray(step_scale, dtype=np.float64)
        for name, arr in (("base_weights", weights), ("step_scale", scale)):
            if arr.shape != (n_points,) or not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} must be a finite array with one value per schedule point ({n_points})")
        if np.any(scale <= 0):
            raise ValueError("step_scale must be > 0")
        e0_sum = np.zeros(n_rows) if base_energy_sum is None else base_energy_sum
        energy_out = np.zeros(n_rows)
        failure = np.empty((n_rows, 2), dtype=np.int64)
        backup = x.copy()
        base_params = (base.params[0].copy(), base.params[1].copy())
        base_energy, base_grad, _ = bound_functions(base)
        k.anneal(self.functions[0], self.functions[1], self.params, base_energy, base_grad, base_params, x,
                 np.ascontiguousarray(betas, dtype=np.float64), weights, scale, self.code,
                 self.step_size, self.n_leapfrog, self.inv_mass, self.k0, self.k1, self.chain0, step0, log_w,
                 energy_sum, e0_sum, energy_out, self.count_divergences, failure)
        if np.any(failure[:, 0] >= 0):
            x[...] = backup
            raise _divergence(failure, self.chain0, self.algorithm)
        return energy_out


def tuned_options(chains) -> dict:
    """The adapted settings of gradient-sampler chains, to pass back as options when continuing them.

    Returns
    -------
    dict
        ``step_size`` (n_rows,), ``adaptation_state`` (n_rows, 7 + 2 dim) and, for
        HMC, ``inverse_mass`` (n_rows, dim): with ``initial_states=chains.states,
        sweep=chains.sweep`` and the same seed, ``Chains(..., **tuned_options(chains))``
        continues ``chains`` bit for bit (tuning included).
    """
    backend = getattr(chains, "_backend", None)
    if not isinstance(backend, GradientBackend):
        raise TypeError("tuned_options applies to chains of a gradient sampler (rwmh, langevin, mala, hmc)")
    out = {"step_size": backend.step_size.copy()}
    if backend.algorithm in DEFAULT_TARGET:
        out["adaptation_state"] = backend.state.copy()
    if backend.algorithm == "hmc":
        out["inverse_mass"] = backend.inv_mass.copy()
    return out


class Phi4Backend(_RealRows):
    """Checkerboard Metropolis sweeps of a ``Phi4Lattice``, each followed by ``n_clusters`` Wolff clusters (0: none)."""

    observables = ("energy", "magnetization", "acceptance")

    def __init__(self, model, algorithm: str, betas, k0, k1, chain0, **options):
        model.lattice.require_bipartite()
        self.model = model
        self.algorithm = algorithm
        self.k0, self.k1, self.chain0 = k0, k1, chain0
        self.n_sites = model.dim
        self.betas = _row_betas(betas)
        self.params = (model.params[0].copy(), model.params[1].copy())
        self.sites, self.offsets = model.coloring()
        step = options.pop("step_size", 1.0)
        if isinstance(step, (bool, np.bool_)) or not isinstance(step, numbers.Real) or not math.isfinite(step) \
                or step <= 0:
            raise ValueError(f"step_size must be a finite number > 0 (half-width of the proposal), got {step!r}")
        self.step = float(step)
        self.n_clusters = 0
        self.flipped = None
        if algorithm == "wolff":
            if model.kappa < 0:
                raise ValueError(f"algorithm 'wolff' needs kappa >= 0 (ferromagnetic embedded Ising model), got "
                                 f"kappa={model.kappa}; use 'metropolis'")
            n_clusters = options.pop("n_clusters", 1)
            if isinstance(n_clusters, (bool, np.bool_)) or not isinstance(n_clusters, numbers.Integral) \
                    or not 1 <= n_clusters <= 255:
                raise ValueError(f"n_clusters must be an integer in [1, 255], got {n_clusters!r}")
            blocks = (model.neighbors.shape[1] + 3) // 4
            if int(n_clusters) * (model.dim * blocks + 64) >= 2**32:
                raise ValueError("n_clusters times the lattice size exceeds the random-number counter (2**32)")
            self.n_clusters = int(n_clusters)
            self.flipped = np.zeros(self.betas.shape[0], dtype=np.int64)
        _unexpected(options, algorithm)
        self.last_accept = np.full(self.betas.shape[0], np.nan)

    def updates_per_sweep(self, n_rows: int) -> int:
        return n_rows * self.model.dim * (1 + self.n_clusters)

    def run(self, x, sweep0, n_sweeps, record_every, out, column0, tune=False):
        from ebmphys.kernels import phi4_cpu

        n_rows = x.shape[0]
        if out:
            arrays = (out["energy"], out["magnetization"], out["acceptance"])
        else:
            record_every = 0
            arrays = tuple(np.zeros((n_rows, 0)) for _ in range(3))
        flipped = self.flipped if self.flipped is not None else np.zeros(n_rows, dtype=np.int64)
        phi4_cpu.phi4_sweeps(x, self.params, self.sites, self.offsets, self.betas, self.step, self.n_clusters,
                             self.k0, self.k1, self.chain0, sweep0, n_sweeps, record_every, *arrays, column0, flipped,
                             self.last_accept)

    def observe(self, x, out, column):
        out["energy"][:, column] = self.model.energy_function(x, self.params)
        out["magnetization"][:, column] = x.sum(axis=1)
        out["acceptance"][:, column] = self.last_accept


class GBRBMGibbsBackend(_RealRows):
    """Block Gibbs sampling of a ``GaussianBernoulliRBM`` at beta = 1 (:mod:`ebmphys.kernels.gb_rbm_cpu`)."""

    observables = ("energy",)
    flipped = None

    def __init__(self, model, betas, k0, k1, chain0, **options):
        _unexpected(options, "gibbs")
        self.model = model
        self.k0, self.k1, self.chain0 = k0, k1, chain0
        self.n_sites = model.dim
        self.params = (model.params[0].copy(), model.params[1].copy())
        self.set_betas(betas)

    def set_betas(self, betas) -> None:
        betas = _row_betas(betas)
        if np.any(betas != 1.0):
            raise ValueError("block Gibbs samples a Gaussian-Bernoulli RBM at beta = 1 only (at other beta the "
                             "visible marginal is not exp(-beta F)); use a gradient sampler ('mala', 'hmc', ...)")
        self.betas = betas

    def initial_states(self, n_rows: int) -> np.ndarray:
        """v ~ N(b, sigma^2) independently (the conditional at h = 0; stream ``rng.CONT_INIT``)."""
        z = _kernels().initial_normals(n_rows, self.model.dim, self.k0, self.k1, self.chain0)
        return self.model.b + self.model.sigma * z

    def latent(self, v: np.ndarray, sweep: int) -> np.ndarray:
        """The hidden layers h_t (uint8) that belong to the visible rows ``v`` at sweep counter t = ``sweep``."""
        from ebmphys.kernels import gb_rbm_cpu

        m = self.model
        return gb_rbm_cpu.latent(v, self.params[0], m.n_visible, m.n_hidden, sweep, self.chain0, self.k0, self.k1)

    def updates_per_sweep(self, n_rows: int) -> int:
        return n_rows * (self.model.n_visible + self.model.n_hidden)

    def run(self, v, sweep0, n_sweeps, record_every, out, column0, tune=False):
        from ebmphys.kernels import gb_rbm_cpu

        energy = out["energy"] if out else np.zeros((v.shape[0], 0))
        gb_rbm_cpu.gibbs_sweeps(v, self.params, self.k0, self.k1, self.chain0, sweep0, n_sweeps,
                                record_every if out else 0, energy, column0)

    def observe(self, v, out, column):
        out["energy"][:, column] = self.model.energy_function(v, self.params)


def _gradient(algorithm: str):
    def factory(model, betas, k0, k1, chain0, **options):
        return GradientBackend(model, algorithm, betas, k0, k1, chain0, **options)

    return factory


def _phi4(algorithm: str):
    def factory(model, betas, k0, k1, chain0, **options):
        return Phi4Backend(model, algorithm, betas, k0, k1, chain0, **options)

    return factory


def _gb_rbm_gibbs(model, betas, k0, k1, chain0, **options):
    return GBRBMGibbsBackend(model, betas, k0, k1, chain0, **options)


for _kind in ("continuous", "phi4", "gb-rbm"):
    for _name in GRADIENT_ALGORITHMS:
        register(_kind, _name, "cpu", _gradient(_name))
for _name in ("metropolis", "wolff"):
    register("phi4", _name, "cpu", _phi4(_name))
register("gb-rbm", "gibbs", "cpu", _gb_rbm_gibbs)
