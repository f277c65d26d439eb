"""Block jackknife for nonlinear functions of the means of correlated time series.

Blocks: a series of shape (n_chains, n) is cut into ``n_chains * k`` blocks,
each chain into ``k = ceil(n_blocks / n_chains)`` contiguous segments of
(almost) equal length.  Chains are independent, so a whole chain can serve as
a block; within a chain the segments must be much longer than the
integrated autocorrelation time for the error to be right.

With ``B`` blocks, ``f_all`` the estimator on all samples, ``f_b`` the
estimator with block b left out and ``fbar`` their mean:

    estimate = B f_all - (B - 1) fbar                (removes the O(1/n) bias)
    error    = sqrt((B - 1) / B * sum_b (f_b - fbar)**2)
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from ebmphys.analysis._checks import positive_int, same_shape, time_series


class Estimate(NamedTuple):
    """A value with its standard error (floats, or arrays of equal shape)."""

    value: float | np.ndarray
    error: float | np.ndarray


def block_boundaries(n_chains: int, n: int, n_blocks: int) -> np.ndarray:
    """Start indices of the jackknife blocks in a chain-major flattened (n_chains, n) array.

    Each chain is cut into ``ceil(n_blocks / n_chains)`` segments with
    ``np.array_split`` sizes; raises ValueError if a chain is too short.
    """
    per_chain = -(-n_blocks // n_chains)
    if n < per_chain:
        raise ValueError(
            f"each chain must have at least {per_chain} samples to be cut into "
            f"ceil(n_blocks / n_chains) = {per_chain} blocks, got {n}"
        )
    sizes = np.full(per_chain, n // per_chain)
    sizes[: n % per_chain] += 1
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return (np.arange(n_chains)[:, None] * n + offsets[None, :]).ravel()


def block_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sums of ``values`` (chain-major flattened along axis 0) over each block."""
    return np.add.reduceat(values, starts, axis=0)


def leave_one_out(sums: np.ndarray) -> np.ndarray:
    """For each block b (axis 0), the sum over all other blocks.

    Sums of the blocks before b plus sums of the blocks after b, so for
    positive values nothing cancels (unlike total - sums[b]); O(n_blocks).
    """
    zero = np.zeros((1,) + sums.shape[1:])
    before = np.concatenate([zero, np.cumsum(sums, axis=0)[:-1]])
    after = np.concatenate([np.cumsum(sums[::-1], axis=0)[::-1][1:], zero])
    return before + after


def combine(full: np.ndarray, loo: np.ndarray) -> Estimate:
    """Bias-corrected jackknife estimate and error from the full and leave-one-out values."""
    n_b = loo.shape[0]
    mean_loo = loo.mean(axis=0)
    value = n_b * full - (n_b - 1) * mean_loo
    error = np.sqrt((n_b - 1) / n_b * np.sum((loo - mean_loo) ** 2, axis=0))
    if np.ndim(value) == 0:
        return Estimate(float(value), float(error))
    return Estimate(value, error)


def jackknife(estimator: Callable[..., float | np.ndarray], *series, n_blocks: int = 20) -> Estimate:
    """Block-jackknife estimate and standard error of ``estimator(mean(x1), mean(x2), ...)``.

    Parameters
    ----------
    estimator : callable
        Called as ``estimator(m1, m2, ...)`` with the sample means (floats) of
        the series over the retained samples; returns a float or an array
        (every entry gets its own error).  Example: the ratio of means
        ``jackknife(lambda a, b: a / b, x, y)``, or a variance
        ``jackknife(lambda e, e2: e2 - e**2, E, E**2)``.
    *series : array_like, each shape (n,) or (n_chains, n)
        One or more time series of identical shape, sample t of every series
        taken at the same time; finite values.
    n_blocks : int, default 20
        Requested number of blocks, >= 2 (see the module docstring for how
        blocks are laid out over chains).

    Returns
    -------
    Estimate
        ``value``: the bias-corrected estimate ``B f_all - (B-1) fbar``;
        ``error``: the jackknife standard error.

    Raises
    ------
    TypeError
        If ``estimator`` is not callable.
    ValueError
        If no series is given, shapes differ, data are not finite, or the
        chains are shorter than the number of segments each must be cut into.
    """
    if not callable(estimator):
        raise TypeError(f"estimator must be callable, got {estimator!r}")
    if not series:
        raise ValueError("jackknife needs at least one series")
    n_blocks = positive_int("n_blocks", n_blocks, 2)
    names = [f"series[{i}]" for i in range(len(series))]
    arrays = [time_series(name, s, 1) for name, s in zip(names, series)]
    same_shape(names, arrays)
    n_chains, n = arrays[0].shape
    starts = block_boundaries(n_chains, n, n_blocks)
    values = np.stack([a.ravel() for a in arrays], axis=1)
    sums = block_sums(values, starts)
    counts = np.diff(np.append(starts, n_chains * n)).astype(np.float64)
    full = np.asarray(estimator(*(values.mean(axis=0))), dtype=np.float64)
    loo_means = leave_one_out(sums) / leave_one_out(counts)[:, None]
    loo = np.stack([np.asarray(estimator(*row), dtype=np.float64) for row in loo_means])
    return combine(full, loo)
