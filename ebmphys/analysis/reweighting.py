"""Single- and multi-histogram reweighting of canonical samples to other temperatures.

Conventions (k_B = 1): samples drawn with weight exp(-beta E) of their total
energy E.  Single histogram (Ferrenberg-Swendsen 1988): from samples at
beta0,

    <O>(beta) = sum_t O_t w_t / sum_t w_t,   w_t = exp(-(beta - beta0) E_t),

evaluated with the largest exponent subtracted, so nothing overflows.

Multi-histogram (Ferrenberg-Swendsen 1989; the same equations as MBAR,
Shirts-Chodera 2008): runs k = 1..K at betas beta_k with N_k samples have
log partition functions f_k = log Z(beta_k) solving

    f_k = log sum_n exp(-beta_k E_n - D(E_n)),
    D(E) = log sum_j N_j exp(-beta_j E - f_j),

with n running over the samples of all runs.  They are found (up to the
constant fixed by f_1 = 0) by minimising the convex function
``sum_n D(E_n) + sum_k N_k f_k`` with a trust-region Newton method; then
log Z(beta) - log Z(beta_1) = log sum_n exp(-beta E_n - D(E_n)) at any beta.

Reach rule: reweighting is refused at a beta whose distance from the sampled
range exceeds ``max_shift / sigma_E``, where sigma_E is the standard deviation
of the sampled energies at the nearest sampled beta.  In the Gaussian
approximation the reweighted mean energy then moves by at most ``max_shift``
standard deviations of the sampled distribution (d<E>/d beta = -sigma_E**2),
and the weights keep a fraction of about exp(-max_shift**2) of the samples
effective.  Inside [beta_1, beta_K] the multi-histogram accepts any beta.

Errors: block jackknife; blocks are segments of every chain (see
:mod:`ebmphys.analysis.jackknife`), for the multi-histogram block b is segment
b of every chain of every run, and each leave-one-out solves the equations
again.  Values are the plain (not bias-corrected) reweighted estimates.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

from ebmphys.analysis._checks import beta_grid, beta_value, finite_real, positive_int, same_shape, time_series
from ebmphys.analysis.jackknife import block_boundaries, block_sums, combine, leave_one_out


class Reweighted(NamedTuple):
    """Reweighted estimates at a set of inverse temperatures.

    Attributes
    ----------
    betas : ndarray
        Target inverse temperatures.
    value : ndarray
        The estimate at each beta.
    error : ndarray or None
        Block-jackknife standard error (None when errors were not requested;
        inf where a leave-one-block-out estimate is undefined because one block
        carries all the weight).
    n_effective : ndarray
        Kish effective number of samples of the weights, (sum w)**2 / sum w**2.
    """

    betas: np.ndarray
    value: np.ndarray
    error: np.ndarray | None
    n_effective: np.ndarray


def _max_shift(max_shift) -> float:
    value = finite_real("max_shift", max_shift)
    if value <= 0:
        raise ValueError(f"max_shift must be > 0, got {value}")
    return value


def _check_reach(betas: np.ndarray, lo: float, hi: float, sigma_lo: float, sigma_hi: float, max_shift: float) -> None:
    """Apply the reach rule of the module docstring to the target ``betas``."""
    lowest = lo - max_shift / sigma_lo if sigma_lo > 0 else lo
    highest = hi + max_shift / sigma_hi if sigma_hi > 0 else hi
    outside = betas[(betas < lowest) | (betas > highest)]
    if outside.size:
        raise ValueError(
            f"betas {outside} lie too far outside the sampled range [{lo}, {hi}]: reweighting reaches only "
            f"[{lowest:.6g}, {highest:.6g}] (max_shift={max_shift} energy standard deviations, "
            f"sigma_E = {sigma_lo:.4g} at beta={lo} and {sigma_hi:.4g} at beta={hi})"
        )


def _ratio_error(weights: np.ndarray, observable: np.ndarray, starts: np.ndarray, value: float) -> float:
    """Jackknife error of sum(o w) / sum(w) over the blocks starting at ``starts``."""
    sums = leave_one_out(block_sums(np.stack([observable * weights, weights], axis=1), starts))
    with np.errstate(divide="ignore", invalid="ignore"):
        loo = sums[:, 0] / sums[:, 1]
    if not np.all(np.isfinite(loo)):
        return float("inf")
    return float(combine(np.float64(value), loo).error)


def reweight(
    energy, observable, beta0: float, betas, n_blocks: int | None = 20, max_shift: float = 1.0
) -> Reweighted:
    """Single-histogram reweighting of <observable> from beta0 to other betas.

    Parameters
    ----------
    energy : array_like, shape (n,) or (n_chains, n)
        Total energy of each sample, drawn at ``beta0``; finite.
    observable : array_like, same shape as ``energy``
        The observable of each sample (pass ``energy`` again for <E>).
    beta0 : float
        Inverse temperature of the samples, >= 0.
    betas : float or array_like
        Target inverse temperatures, >= 0, within the reach rule of the module docstring.
    n_blocks : int or None, default 20
        Requested number of jackknife blocks (>= 2) for the errors; None skips them.
    max_shift : float, default 1.0
        Reach in energy standard deviations (module docstring), > 0.

    Returns
    -------
    Reweighted
        betas, value, error (None if ``n_blocks`` is None) and n_effective.

    Raises
    ------
    ValueError
        For non-finite or mismatched data, negative or non-finite betas,
        targets beyond the reach, or too few samples for the blocks.
    """
    e = time_series("energy", energy, 2)
    o = time_series("observable", observable, 2)
    same_shape(["energy", "observable"], [e, o])
    beta0 = beta_value("beta0", beta0)
    targets = beta_grid("betas", betas)
    max_shift = _max_shift(max_shift)
    sigma = float(e.std())
    _check_reach(targets, beta0, beta0, sigma, sigma, max_shift)
    starts = None
    if n_blocks is not None:
        starts = block_boundaries(e.shape[0], e.shape[1], positive_int("n_blocks", n_blocks, 2))
    flat_e, flat_o = e.ravel(), o.ravel()
    values = np.empty(targets.size)
    errors = np.empty(targets.size)
    n_eff = np.empty(targets.size)
    for i, beta in enumerate(targets):
        log_w = -(beta - beta0) * flat_e
        w = np.exp(log_w - log_w.max())
        values[i] = (w @ flat_o) / w.sum()
        n_eff[i] = w.sum() ** 2 / (w @ w)
        if starts is not None:
            errors[i] = _ratio_error(w, flat_o, starts, values[i])
    return Reweighted(targets, values, errors if starts is not None else None, n_eff)


_NEWTON_POLISH_STEPS = 20


class _Histograms(NamedTuple):
    """How many samples sit at each distinct energy, and how many each run holds."""

    counts: np.ndarray
    n_per_run: np.ndarray


def _solve_log_z(
    energies: np.ndarray, hist: _Histograms, betas: np.ndarray, guess: np.ndarray, tol: float
) -> np.ndarray:
    """Minimise the convex multi-histogram objective; return f = log Z(beta_k) with f_0 = 0.

    Converged when every run's expected count sum_E c(E) w_k(E) matches N_k to
    a relative ``tol``.
    """
    if betas.size == 1:
        return np.zeros(1)
    exponent = np.log(hist.n_per_run)[None, :] - np.outer(energies, betas)
    total = hist.n_per_run.sum()

    def weights(x):
        f = np.concatenate([[0.0], x])
        t = exponent - f[None, :]
        d = logsumexp(t, axis=1)
        return f, d, np.exp(t - d[:, None])

    def objective(x):
        f, d, w = weights(x)
        grad = (hist.n_per_run - hist.counts @ w) / total
        return (hist.counts @ d + hist.n_per_run @ f) / total, grad[1:]

    def hessian(x):
        w = weights(x)[2]
        h = (np.diag(hist.counts @ w) - (w.T * hist.counts) @ w) / total
        return h[1:, 1:]

    def mismatch(x):
        w = weights(x)[2]
        return np.max(np.abs(hist.counts @ w - hist.n_per_run) / hist.n_per_run)

    # trust-region Newton gets close; its objective comparisons stall at rounding level, so
    # plain Newton steps on the gradient (quadratically convergent there) finish the job
    x = minimize(objective, guess[1:], jac=True, hess=hessian, method="trust-exact").x
    for _ in range(_NEWTON_POLISH_STEPS):
        if mismatch(x) <= tol:
            break
        x = x - np.linalg.solve(hessian(x), objective(x)[1])
    if mismatch(x) > tol:
        raise RuntimeError(
            f"multi-histogram equations did not converge: relative count mismatch {mismatch(x):.3g} > tol={tol}; "
            "check that neighbouring runs' energy histograms overlap"
        )
    return np.concatenate([[0.0], x])


class MultiHistogram:
    """Solved multi-histogram (Ferrenberg-Swendsen) equations; build with :func:`multi_histogram`.

    Attributes
    ----------
    betas : ndarray
        The sampled inverse temperatures, increasing.
    log_z_sampled : ndarray
        log Z(beta_k) - log Z(beta_1) at the sampled betas.
    """

    def __init__(
        self, *, energies, distinct, index, run_shapes, block_id, betas, sigmas, log_z, jackknife_log_z, max_shift
    ):
        self._energies = energies
        self._run_shapes = run_shapes
        self._run_sizes = np.array([np.prod(shape) for shape in run_shapes], dtype=np.float64)
        self._distinct = distinct
        self._index = index
        self._block_id = block_id
        self.betas = betas
        self._sigmas = sigmas
        self.log_z_sampled = log_z
        self._jackknife_log_z = jackknife_log_z
        self._max_shift = max_shift

    def _targets(self, betas) -> np.ndarray:
        targets = beta_grid("betas", betas)
        _check_reach(targets, self.betas[0], self.betas[-1], self._sigmas[0], self._sigmas[-1], self._max_shift)
        return targets

    def _log_mixture(self, f: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """D(E) = log sum_j N_j exp(-beta_j E - f_j) at every sample."""
        exponent = np.log(sizes)[None, :] - np.outer(self._distinct, self.betas) - f[None, :]
        return logsumexp(exponent, axis=1)[self._index]

    def _estimates(self, targets: np.ndarray, observable: np.ndarray | None, keep: np.ndarray, f, sizes):
        """log Z(beta) (observable None) or <O>(beta), and Kish n_eff, from the samples in ``keep``."""
        log_base = -self._log_mixture(f, sizes)[keep]
        e = self._energies[keep]
        values = np.empty(targets.size)
        n_eff = np.empty(targets.size)
        for i, beta in enumerate(targets):
            log_w = log_base - beta * e
            top = log_w.max()
            w = np.exp(log_w - top)
            n_eff[i] = w.sum() ** 2 / (w @ w)
            if observable is None:
                values[i] = top + np.log(w.sum())
            else:
                values[i] = (w @ observable[keep]) / w.sum()
        return values, n_eff

    def _evaluate(self, betas, observable: np.ndarray | None) -> Reweighted:
        targets = self._targets(betas)
        everything = np.ones(self._energies.size, dtype=bool)
        values, n_eff = self._estimates(targets, observable, everything, self.log_z_sampled, self._run_sizes)
        if self._jackknife_log_z is None:
            return Reweighted(targets, values, None, n_eff)
        loo = np.empty((len(self._jackknife_log_z), targets.size))
        for b, (f, sizes) in enumerate(self._jackknife_log_z):
            loo[b] = self._estimates(targets, observable, self._block_id != b, f, sizes)[0]
        return Reweighted(targets, values, combine(values, loo).error, n_eff)

    def log_z(self, betas) -> Reweighted:
        """log Z(beta) - log Z(betas[0] of the runs) at the given betas (within reach)."""
        return self._evaluate(betas, None)

    def expectation(self, betas, observables=None) -> Reweighted:
        """Reweighted <O>(beta) at the given betas (within reach).

        Parameters
        ----------
        betas : float or array_like
            Target inverse temperatures, >= 0.
        observables : sequence of array_like, optional
            One array per run, shaped like that run's energies; default: the
            energies themselves, giving <E>(beta).
        """
        if observables is None:
            return self._evaluate(betas, self._energies)
        n_runs = len(self._run_shapes)
        if isinstance(observables, np.ndarray) or len(observables) != n_runs:
            raise ValueError(f"observables must be a list of {n_runs} arrays, one per run")
        arrays = [time_series(f"observables[{k}]", o, 2) for k, o in enumerate(observables)]
        for k, (a, shape) in enumerate(zip(arrays, self._run_shapes)):
            if a.shape != shape:
                raise ValueError(f"observables[{k}] must have the shape of energies_list[{k}], {shape}, got {a.shape}")
        arrays = [a.ravel() for a in arrays]
        return self._evaluate(betas, np.concatenate(arrays))


def multi_histogram(
    energies_list, betas, n_blocks: int | None = None, max_shift: float = 1.0, tol: float = 1e-10
) -> MultiHistogram:
    """Solve the multi-histogram equations for runs at several betas.

    Parameters
    ----------
    energies_list : sequence of array_like
        Total energies of run k, shape (n_k,) or (n_chains_k, n_k), finite.
    betas : array_like
        The run's inverse temperatures, >= 0, strictly increasing, one per run.
    n_blocks : int or None, default None
        Number of jackknife blocks (>= 2) for errors; each leave-one-out
        solves the equations again.  None: no errors.
    max_shift : float, default 1.0
        Reach beyond the sampled range in energy standard deviations (module docstring).
    tol : float, default 1e-10
        Convergence: every run's expected sample count must match its N_k to this relative tolerance.

    Returns
    -------
    MultiHistogram
        with ``log_z(betas)`` and ``expectation(betas, observables=None)``.

    Raises
    ------
    ValueError
        For mismatched lengths, non-finite data, betas that are negative or not
        strictly increasing, or chains shorter than ``n_blocks``.
    RuntimeError
        If the solver does not converge.
    """
    betas = beta_grid("betas", betas, increasing=True)
    if isinstance(energies_list, np.ndarray) or len(energies_list) != betas.size:
        raise ValueError(
            f"energies_list must be a list with one array per beta ({betas.size} arrays), "
            f"got a {type(energies_list).__name__} of length {len(energies_list)}"
        )
    max_shift = _max_shift(max_shift)
    tol = finite_real("tol", tol)
    if tol <= 0:
        raise ValueError(f"tol must be > 0, got {tol}")
    runs = [time_series(f"energies_list[{k}]", e, 2) for k, e in enumerate(energies_list)]
    energies = np.concatenate([r.ravel() for r in runs])
    run_id = np.repeat(np.arange(len(runs)), [r.size for r in runs])
    run_sizes = np.array([r.size for r in runs], dtype=np.float64)
    sigmas = np.array([r.std() for r in runs])
    distinct, index = np.unique(energies, return_inverse=True)
    hist = _Histograms(np.bincount(index).astype(np.float64), run_sizes)
    means = np.array([r.mean() for r in runs])
    guess = np.concatenate([[0.0], -np.cumsum(np.diff(betas) * 0.5 * (means[1:] + means[:-1]))])
    log_z = _solve_log_z(distinct, hist, betas, guess, tol)
    block_id = np.zeros(energies.size, dtype=np.int64)
    jackknife_log_z = None
    if n_blocks is not None:
        n_blocks = positive_int("n_blocks", n_blocks, 2)
        ids = []
        for k, r in enumerate(runs):
            if r.shape[1] < n_blocks:
                raise ValueError(
                    f"energies_list[{k}] has chains of {r.shape[1]} samples, fewer than n_blocks={n_blocks}"
                )
            segment = np.arange(r.shape[1]) * n_blocks // r.shape[1]  # n_blocks contiguous, near-equal segments
            ids.append(np.tile(segment, r.shape[0]))
        block_id = np.concatenate(ids)
        jackknife_log_z = []
        for b in range(n_blocks):
            out = block_id == b
            counts = hist.counts - np.bincount(index[out], minlength=distinct.size)
            sizes = run_sizes - np.bincount(run_id[out], minlength=len(runs))
            f = _solve_log_z(distinct, _Histograms(counts, sizes), betas, log_z, tol)
            jackknife_log_z.append((f, sizes))
    return MultiHistogram(
        energies=energies,
        distinct=distinct,
        index=index,
        run_shapes=[r.shape for r in runs],
        block_id=block_id,
        betas=betas,
        sigmas=sigmas,
        log_z=log_z,
        jackknife_log_z=jackknife_log_z,
        max_shift=max_shift,
    )
