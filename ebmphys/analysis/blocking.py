"""Flyvbjerg-Petersen blocking estimate of the standard error of a correlated mean.

Each blocking level halves the series by averaging neighbouring pairs (an odd
last sample is dropped).  Once blocks are longer than the correlation time,
the naive standard error of the block means stops growing: that plateau is
the standard error of the mean.

Plateau rule (Jonsson's automated criterion): at level k with data
``x_1..x_m`` (pooled over chains; the lag-one products are taken within
chains) let ``sigma2_k`` be the variance and ``gamma_k`` the lag-one
autocovariance (both normalised by m).  Under the hypothesis that the
block means of level k and above are uncorrelated,

    M_j = sum_{k >= j} m_k (gamma_k / sigma2_k)**2

is asymptotically chi-square with (number of levels from j on) degrees of
freedom.  Let j be the first level with M_j below the 99% quantile.  The
test accepts a level once its residual correlation is just too small to
detect, which for exponentially decaying correlations leaves the error
biased low by about 2-3 of its own standard errors whatever the length of
the series (measured on AR(1) series).  The error is therefore read at level
j + 1: doubling the block length halves that bias and costs a factor sqrt(2)
in precision, leaving a bias of about one standard error.

References: H. Flyvbjerg and H. G. Petersen, J. Chem. Phys. 91, 461 (1989);
M. Jonsson, Phys. Rev. E 98, 043304 (2018).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.stats import chi2

from ebmphys.analysis._checks import time_series

MIN_BLOCKS = 16
"""The plateau level must hold at least this many blocks (over all chains)."""

CONFIDENCE = 0.99
"""Quantile of the chi-square distribution used by the plateau test."""


class BlockingLevel(NamedTuple):
    """One row of the blocking table.

    Attributes
    ----------
    level : int
        Number of halvings (0 = raw data).
    block_size : int
        Samples per block, 2**level.
    n_blocks : int
        Blocks at this level, summed over chains.
    error : float
        Naive standard error of the mean of the block means,
        ``sqrt(var_{ddof=1}(blocks) / n_blocks)``.
    error_uncertainty : float
        Its standard error, ``error / sqrt(2 (n_blocks - 1))``.
    statistic : float
        Jonsson's test statistic M_level (sum over this and larger levels).
    """

    level: int
    block_size: int
    n_blocks: int
    error: float
    error_uncertainty: float
    statistic: float


class BlockingResult(NamedTuple):
    """Blocking estimate of the mean and its standard error.

    Attributes
    ----------
    mean : float
        Mean of all samples (every chain, nothing dropped).
    error : float
        Standard error of the mean at the plateau level.
    error_uncertainty : float
        Standard error of ``error``.
    level : int
        The level the error is read at: one past the first level accepted by
        Jonsson's criterion (module docstring).
    table : list of BlockingLevel
        Every level computed, from 0 up to the last with at least 2 blocks per chain.
    """

    mean: float
    error: float
    error_uncertainty: float
    level: int
    table: list[BlockingLevel]


def blocking_error(x) -> BlockingResult:
    """Standard error of the mean of a correlated time series by blocking.

    Parameters
    ----------
    x : array_like, shape (n,) or (n_chains, n)
        Time series; chains are independent, blocked separately and pooled at
        each level.  Finite values, n >= 2 and n_chains * n >= 2 * ``MIN_BLOCKS``.

    Returns
    -------
    BlockingResult
        mean, error, error_uncertainty, level and the per-level table.

    Raises
    ------
    ValueError
        If the data are not finite, constant, too short, or no level with at
        least ``MIN_BLOCKS`` blocks passes the plateau test with a next level
        that also holds ``MIN_BLOCKS`` blocks (the series is too short compared
        with its correlation time).
    """
    data = time_series("x", x, 2)
    if data.size < 2 * MIN_BLOCKS:
        raise ValueError(f"x must hold at least {2 * MIN_BLOCKS} samples in all, got {data.size}")
    if np.all(data == data.flat[0]):
        raise ValueError("x is constant (zero variance): the blocking error is zero and the plateau test undefined")
    mean = float(data.mean())
    levels = []
    blocks = data
    while blocks.shape[1] >= 2:
        m = blocks.size
        centred = blocks - blocks.mean()
        sigma2 = float(np.mean(centred**2))
        gamma = float(np.sum(centred[:, :-1] * centred[:, 1:]) / m)
        error = float(np.sqrt(sigma2 / (m - 1)))
        levels.append((m, error, m * (gamma / sigma2) ** 2 if sigma2 > 0 else 0.0))
        half = blocks.shape[1] // 2
        blocks = 0.5 * (blocks[:, 0 : 2 * half : 2] + blocks[:, 1 : 2 * half : 2])
    statistics = np.cumsum([s for _, _, s in levels][::-1])[::-1]
    table = [
        BlockingLevel(k, 2**k, m, e, e / np.sqrt(2.0 * (m - 1)), float(statistics[k]))
        for k, (m, e, _) in enumerate(levels)
    ]
    for row in table:
        if row.n_blocks < MIN_BLOCKS:
            break
        if row.statistic < chi2.ppf(CONFIDENCE, len(table) - row.level):
            if row.level + 1 < len(table) and table[row.level + 1].n_blocks >= MIN_BLOCKS:
                chosen = table[row.level + 1]
                return BlockingResult(mean, chosen.error, chosen.error_uncertainty, chosen.level, table)
            break
    raise ValueError(
        f"blocking found no plateau among the levels with at least {MIN_BLOCKS} blocks: x "
        f"({data.shape[0]} chain(s) of {data.shape[1]} samples) is too short compared with its correlation time"
    )
