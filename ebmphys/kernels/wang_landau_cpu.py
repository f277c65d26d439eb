"""Wang-Landau random walk in energy with the 1/t refinement, for lattice Ising models (CPU, Numba).

Levels.  With zero field the energy is E = -J q, q = sum_<ij> s_i s_j over the
B bonds, so E takes the values -J (B - 2a) for a = 0 .. B antiparallel bonds;
the walk tracks the level index a.  Flipping spin i changes a by s_i * (sum of
its neighbours) (before the flip).

Algorithm (Wang and Landau 2001; Belardinelli and Pereyra 2007), per walker:

1. ln g = 0, ln f = 1, histogram H = 0.  Each trial picks a site (uniformly, to
   within N / 2**32), accepts the flip with probability min(1, g(a) / g(a')), then
   adds ln f to ln g(a) and 1 to H(a) of the level it is in.
2. Phase 1: every ``check_every`` trials, H is flat when min H >= flatness * mean H
   over the levels visited so far (mean H = sum of H over them / their number);
   then ln f <- ln f / 2 and H <- 0.
3. At the first such check (after the flatness test) at which ln f <= 1/t, with
   t = trials / (number of visited levels) the Monte Carlo time, phase 2 starts:
   it sets ln f = 1/t, and again after every trial (no more flatness checks):
   the 1/t schedule removes the saturation of the error of plain Wang-Landau.
4. Trials come in pairs (one Philox block each, below).  After each pair the
   walk stops when ln f <= ``log_f_final``, or when at least ``max_trials``
   trials are done (not converged); so a walk makes an even number of trials,
   up to ``max_trials + 1``.

Random numbers: trials 2u and 2u+1 of the walker in row w use the four words of
``philox4x32(u mod 2**32, u // 2**32, chain0 + w, rng.WANG_LANDAU)`` (site, acceptance,
site, acceptance); a site is ``(word * n_spins) >> 32``, and a move is accepted iff its
word is below ``rng.threshold(min(1, g(a) / g(a')))``.
"""

import math

import numpy as np
from numba import njit, prange

from ebmphys.kernels.lattice_cpu import bond_sum_and_magnetization
from ebmphys.kernels.rng import WANG_LANDAU, philox4x32, threshold

_MASK32 = 0xFFFFFFFF


@njit(cache=True, inline="always")
def visit(level, lg, hist, visited, log_f, n_visited, t, phase2):
    """Book trial t's visit of ``level``: ln g += ln f, H += 1; in phase 2 ln f = (visited levels) / t.

    Returns the updated (ln f, number of visited levels, trial count).  Shared by every
    Wang-Landau walker kernel (Ising here, Potts in :mod:`potts_cpu`).
    """
    lg[level] += log_f
    hist[level] += 1
    if not visited[level]:
        visited[level] = True
        n_visited += 1
    t += 1
    if phase2:
        log_f = n_visited / t
    return log_f, n_visited, t


@njit(cache=True)
def check_flatness(hist, visited, n_visited, flatness, log_f, t):
    """Phase-1 check after trial t: halve ln f and reset H when H is flat; returns (ln f, phase2).

    Phase 2 (the 1/t schedule) starts as soon as ln f <= (visited levels) / t.
    """
    total = 0
    lowest = np.iinfo(np.int64).max
    for a in range(hist.shape[0]):
        if visited[a]:
            total += hist[a]
            lowest = min(lowest, hist[a])
    if lowest >= flatness * total / n_visited:
        log_f *= 0.5
        hist[:] = 0
    if log_f <= n_visited / t:
        return n_visited / t, True
    return log_f, False


@njit(cache=True)
def _level(sp, neighbors, n_bonds):
    q, _ = bond_sum_and_magnetization(sp, neighbors)
    return (n_bonds - q) // 2


@njit(cache=True)
def _trial(sp, neighbors, n_spins, log_g, level, site_word, accept_word):
    """One flip attempt of a uniformly chosen site, accepted with min(1, g(level) / g(new level))."""
    i = (np.uint64(site_word) * np.uint64(n_spins)) >> np.uint64(32)
    nsum = 0
    for k in range(neighbors.shape[1]):
        nsum += sp[neighbors[i, k]]
    new = level + sp[i] * nsum
    d = log_g[level] - log_g[new]
    if accept_word < threshold(math.exp(min(d, 0.0))):
        sp[i] = -sp[i]
        level = new
    return level


@njit(cache=True, parallel=True)
def wang_landau_walkers(spins, neighbors, n_bonds, flatness, check_every, log_f_final, max_trials, k0, k1, chain0,
                        log_g, visited, trials, final_log_f):
    """Run one Wang-Landau walker per row of ``spins`` (int8, n_spins + 1 with a ghost 0 at the end); row w is chain ``chain0 + w``.

    ``check_every`` must be even (trials come in pairs).  Outputs per walker w: ``log_g[w]`` (unnormalised ln g over levels a = 0 .. B),
    ``visited[w]`` (levels ever visited), ``trials[w]`` and ``final_log_f[w]``.
    """
    n_spins = neighbors.shape[0]
    n_levels = log_g.shape[1]
    for w in prange(spins.shape[0]):
        sp = spins[w]
        lg = log_g[w]
        vis = visited[w]
        lg[:] = 0.0
        vis[:] = False
        hist = np.zeros(n_levels, dtype=np.int64)
        level = _level(sp, neighbors, n_bonds)
        log_f = 1.0
        phase2 = False
        n_visited = 0
        t = 0
        while log_f > log_f_final and t < max_trials:
            u = t >> 1
            r = philox4x32(u & _MASK32, (u >> 32) & _MASK32, (chain0 + w) & _MASK32, WANG_LANDAU, k0, k1)
            for half in range(2):
                level = _trial(sp, neighbors, n_spins, lg, level, r[2 * half], r[2 * half + 1])
                log_f, n_visited, t = visit(level, lg, hist, vis, log_f, n_visited, t, phase2)
            if not phase2 and t % check_every == 0:
                log_f, phase2 = check_flatness(hist, vis, n_visited, flatness, log_f, t)
        trials[w] = t
        final_log_f[w] = log_f
