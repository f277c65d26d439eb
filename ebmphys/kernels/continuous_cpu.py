"""Gradient-based and random-walk samplers of continuous energies (CPU, Numba).

Models supply Numba-compiled functions of a batch of configurations ``x``
(float64, C-contiguous, shape (n, dim)) and their parameters ``params =
(theta, index)`` (float64 (n_theta,) and int64 (n_index,) arrays, see
:mod:`ebmphys.models.continuous`):

* ``energy(x, params) -> float64 (n,)``, the energy E(x) of each row;
* ``grad_energy(x, params) -> float64 (n, dim)``, its gradient dE/dx;
* ``observables(x, params) -> float64 (n, k)``, model observables (k may be 0).

The kernels call them through Numba's first-class function types
(:mod:`ebmphys.kernels.continuous_types`), one row at a time, so a user's
energy plugs in like a built-in and the compiled kernels are cached on disk.

Target.  Row m samples the density proportional to exp(-U(x)) with

    U(x) = b_m E(x) + g E_0(x),

``b_m`` the row's inverse temperature and E_0 an optional base energy (AIS
paths; g = 0 for plain sampling, and E_0 is then never evaluated).

Transitions (one per sweep; h the step size, xi ~ N(0, I) of dimension dim):

* ``RWMH``: y = x + h xi, accepted with probability min(1, exp(U(x) - U(y))).
* ``LANGEVIN`` (unadjusted, ULA): x' = x - h grad U(x) + s xi, always accepted
  (unless divergent); the noise scale s is independent of h (the consistent
  discretisation of the Langevin diffusion has s = sqrt(2 h)).
* ``MALA``: y = x - h grad U(x) + sqrt(2 h) xi, accepted with probability
  min(1, exp(U(x) - U(y) + log q(x | y) - log q(y | x))), log q(y | x) = -|y - x + h grad U(x)|^2 / (4 h);
  the forward term is computed as -|xi|^2 / 2.
* ``HMC``: momentum p_i = xi_i / sqrt(w_i) (w the diagonal inverse mass), n_leapfrog leapfrog
  steps of size h (half kick, then drift x += h w p and full kicks, then a final half kick),
  accepted with probability min(1, exp(H(x, p) - H(x', p'))), H = U + sum_i w_i p_i^2 / 2.

Every decision is ``word < rng.threshold(min(1, exp(log_alpha)))`` with ``word`` a
uint32 draw.  A proposal whose energy or gradient is not finite is *divergent*:
with ``on_divergence`` = raise the row stops and ``failure[m]`` records
(sweep, code); with count, and always while tuning, it is rejected (``alpha`` = 0)
and flagged.

Random numbers (counter-based, :mod:`ebmphys.kernels.rng`).  Standard normal i of
row m at sweep counter t and stream c3 is the Box-Muller transform of words of
``philox4x32(i // 4, t, chain0 + m, c3)`` (:mod:`ebmphys.kernels.normals`).
Streams: proposal noise, Langevin noise and HMC momenta ``CONT_NOISE``; the accept
word is word 0 of ``philox4x32(0, t, chain0 + m, CONT_ACCEPT)``; default initial
states are the normals of sweep word 0 of ``CONT_INIT``; annealing transitions
use ``CONT_AIS_NOISE`` and ``CONT_AIS_ACCEPT`` with t = the annealing step.

Adaptation (sweeps run with ``tune``): per row, dual averaging of log h
(Hoffman and Gelman 2014, t0 = 10, gamma = 0.05, kappa = 0.75, mu = log(10 h_0))
towards the target acceptance, from the acceptance probability of every tuned
sweep (0 for a divergent proposal, so NaN never enters); and, for HMC with
``adapt_mass``, the diagonal inverse mass from the variances of the tuned states
in windows that end after W, 3W, 7W, 15W, ... tuned sweeps (W = ``MASS_WINDOW``):
at a window's end w_i = n/(n+5) var_i + 1e-3 * 5/(n+5) (n states of the window),
the variance accumulators reset and dual averaging restarts at mu = log(10 h).
The whole adaptation state of a row is the float64 vector ``state[m]`` (layout:
the ``ST_*`` indices, then the running mean and sum of squared deviations of
each coordinate), so a run continued from a copy of it continues bit for bit.

The per-row functions (``normals.fill_normals``, :func:`transition`,
:func:`dual_average`, :func:`adapt_mass`) take scalars and one row's arrays, so a
CUDA kernel could share them with one thread per chain.
"""

import math

import numpy as np
from numba import njit, prange, types

from ebmphys.kernels.continuous_types import (
    BATCH,
    ENERGY_FUNCTION,
    GRAD_FUNCTION,
    PARAMS,
)
from ebmphys.kernels.normals import fill_normals
from ebmphys.kernels.rng import (
    CONT_ACCEPT,
    CONT_AIS_ACCEPT,
    CONT_AIS_NOISE,
    CONT_INIT,
    CONT_NOISE,
    philox4x32,
    threshold,
)

#: transition codes
RWMH, LANGEVIN, MALA, HMC = 0, 1, 2, 3
#: status codes of a transition / failure codes of a row
OK, BAD_ENERGY, BAD_GRADIENT, BAD_INITIAL_ENERGY, BAD_INITIAL_GRADIENT = 0, 1, 2, 3, 4

#: dual averaging constants (Hoffman and Gelman 2014)
T0, GAMMA, KAPPA = 10.0, 0.05, 0.75
#: first mass-adaptation window (tuned sweeps)
MASS_WINDOW = 50
#: adaptation state layout (then dim running means, then dim sums of squared deviations)
ST_MU, ST_LOG_STEP, ST_LOG_STEP_BAR, ST_H_BAR, ST_DA_COUNT, ST_TUNE_COUNT, ST_WELFORD_N = range(7)
STATE_HEADER = 7


# ---------------------------------------------------------------------------- random numbers


@njit(cache=True, parallel=True)
def initial_normals(n_rows, dim, k0, k1, chain0):
    """Default initial states: row m holds the normals of (sweep 0, chain0 + m, ``CONT_INIT``)."""
    out = np.empty((n_rows, dim))
    for m in prange(n_rows):
        fill_normals(out[m], 0, chain0 + m, CONT_INIT, k0, k1)
    return out


@njit(cache=True, inline="always")
def accept_word(sweep, chain, stream, k0, k1):
    """The uint32 word that decides the Metropolis-Hastings test of (sweep, chain)."""
    return philox4x32(0, sweep, chain, stream, k0, k1)[0]


@njit(cache=True, inline="always")
def accepts(log_alpha, word):
    """``word < threshold(min(1, exp(log_alpha)))``; a NaN ``log_alpha`` never accepts."""
    if math.isnan(log_alpha):
        return False
    if log_alpha >= 0.0:
        return True
    return word < threshold(math.exp(log_alpha))


# ---------------------------------------------------------------------------- one row


@njit(cache=True)
def evaluate(energy, grad, params, base_energy, base_grad, base_params, b, g, y, need_grad, need_base, gout):
    """Energies of the single row ``y`` (1, dim) and, if ``need_grad``, grad U into ``gout``.

    Returns (E, E_0, U, status): U = b E + g E_0; E_0 is evaluated only when g != 0
    or ``need_base`` (else it is 0); status is ``OK``, ``BAD_ENERGY`` or ``BAD_GRADIENT``.
    """
    e = energy(y, params)[0]
    e0 = 0.0
    if g != 0.0 or need_base:
        e0 = base_energy(y, base_params)[0]
    u = b * e + g * e0
    if not math.isfinite(u):
        return e, e0, u, BAD_ENERGY
    if need_grad:
        return e, e0, u, gradient(grad, params, base_grad, base_params, b, g, y, gout)
    return e, e0, u, OK


@njit(cache=True)
def all_finite(v):
    """Whether every entry of ``v`` is finite, by four interleaved sums (NaN and inf propagate; a sum that
    overflows counts as non-finite, as it would in the next step anyway)."""
    n = v.shape[0]
    s0 = s1 = s2 = s3 = 0.0
    for k in range(n // 4):
        s0 += v[4 * k]
        s1 += v[4 * k + 1]
        s2 += v[4 * k + 2]
        s3 += v[4 * k + 3]
    for i in range(4 * (n // 4), n):
        s0 += v[i]
    return math.isfinite((s0 + s1) + (s2 + s3))


@njit(cache=True)
def gradient(grad, params, base_grad, base_params, b, g, y, gout):
    """grad U = b grad E + g grad E_0 of the single row ``y`` into ``gout``; returns ``OK`` or ``BAD_GRADIENT``."""
    gy = grad(y, params)[0]
    dim = gout.shape[0]
    if g != 0.0:
        g0 = base_grad(y, base_params)[0]
        for i in range(dim):
            gout[i] = b * gy[i] + g * g0[i]
    else:
        for i in range(dim):
            gout[i] = b * gy[i]
    return OK if all_finite(gout) else BAD_GRADIENT


@njit(cache=True)
def transition(algorithm, energy, grad, params, base_energy, base_grad, base_params, b, g, x, y, gx, gy, noise,
               momentum, e, e0, step, noise_scale, n_leapfrog, inv_mass, sweep, chain, noise_stream, accept_stream,
               k0, k1):
    """One transition of one row (see the module docstring), in place.

    ``x`` and ``y`` are (1, dim) rows (state and proposal buffer), ``gx`` holds grad U(x)
    (not used by RWMH) and ``gy``, ``noise``, ``momentum`` are (dim,) buffers.  ``e``
    and ``e0`` are E(x) and E_0(x).  On acceptance ``x``, ``gx`` take the proposal's values.

    Returns (accepted, alpha, status, e, e0): alpha = min(1, exp(log_alpha)) the
    acceptance probability (1 for Langevin, 0 for a divergent proposal).
    """
    dim = x.shape[1]
    xr, yr = x[0], y[0]  # row views: contiguous, so the loops below vectorise
    u = b * e + g * e0
    fill_normals(noise, sweep, chain, noise_stream, k0, k1)
    log_alpha = 0.0
    if algorithm == RWMH:
        for i in range(dim):
            yr[i] = xr[i] + step * noise[i]
        ey, e0y, uy, status = evaluate(energy, grad, params, base_energy, base_grad, base_params, b, g, y, False, False, gy)
        log_alpha = u - uy
    elif algorithm == LANGEVIN:
        for i in range(dim):
            yr[i] = xr[i] - step * gx[i] + noise_scale * noise[i]
        ey, e0y, uy, status = evaluate(energy, grad, params, base_energy, base_grad, base_params, b, g, y, True, False, gy)
    elif algorithm == MALA:
        scale = math.sqrt(2.0 * step)
        forward = 0.0
        for i in range(dim):
            yr[i] = xr[i] - step * gx[i] + scale * noise[i]
            forward += noise[i] * noise[i]
        ey, e0y, uy, status = evaluate(energy, grad, params, base_energy, base_grad, base_params, b, g, y, True, False, gy)
        backward = 0.0
        for i in range(dim):
            d = xr[i] - yr[i] + step * gy[i]
            backward += d * d
        log_alpha = u - uy - backward / (4.0 * step) + 0.5 * forward
    else:  # HMC
        kinetic0 = 0.0
        for i in range(dim):
            momentum[i] = noise[i] / math.sqrt(inv_mass[i])
            kinetic0 += inv_mass[i] * momentum[i] * momentum[i]
            yr[i] = xr[i]
            momentum[i] -= 0.5 * step * gx[i]
        status = OK
        for leap in range(n_leapfrog):
            for i in range(dim):
                yr[i] += step * inv_mass[i] * momentum[i]
            status = gradient(grad, params, base_grad, base_params, b, g, y, gy)
            if status != OK:
                break
            kick = step if leap < n_leapfrog - 1 else 0.5 * step
            for i in range(dim):
                momentum[i] -= kick * gy[i]
        ey, e0y, uy = e, e0, u
        if status == OK:  # the energy only at the end of the trajectory
            ey, e0y, uy, status = evaluate(energy, grad, params, base_energy, base_grad, base_params, b, g, y, False,
                                           False, gy)
        kinetic1 = 0.0
        for i in range(dim):
            kinetic1 += inv_mass[i] * momentum[i] * momentum[i]
        log_alpha = u - uy + 0.5 * (kinetic0 - kinetic1)
    if status == OK and math.isnan(log_alpha):
        status = BAD_ENERGY
    if status != OK:
        return False, 0.0, status, e, e0
    alpha = 1.0 if log_alpha >= 0.0 else math.exp(log_alpha)
    accepted = True
    if algorithm != LANGEVIN:
        accepted = accepts(log_alpha, accept_word(sweep, chain, accept_stream, k0, k1))
    if accepted:
        for i in range(dim):
            xr[i] = yr[i]
            gx[i] = gy[i]
        return True, alpha, OK, ey, e0y
    return False, alpha, OK, e, e0


@njit(cache=True)
def dual_average(state, alpha, target):
    """One dual-averaging update of log step size from the acceptance probability ``alpha`` (row ``state``)."""
    t = state[ST_DA_COUNT] + 1.0
    state[ST_DA_COUNT] = t
    w = 1.0 / (t + T0)
    state[ST_H_BAR] = (1.0 - w) * state[ST_H_BAR] + w * (target - alpha)
    log_step = state[ST_MU] - math.sqrt(t) / GAMMA * state[ST_H_BAR]
    state[ST_LOG_STEP] = log_step
    eta = t ** (-KAPPA)
    state[ST_LOG_STEP_BAR] = eta * log_step + (1.0 - eta) * state[ST_LOG_STEP_BAR]


@njit(cache=True)
def adapt_mass(state, x, inv_mass):
    """Accumulate the tuned state ``x`` (dim,); at the end of a window set ``inv_mass`` and restart dual averaging."""
    dim = x.shape[0]
    count = state[ST_TUNE_COUNT] + 1.0
    state[ST_TUNE_COUNT] = count
    n = state[ST_WELFORD_N] + 1.0
    state[ST_WELFORD_N] = n
    for i in range(dim):
        mean = state[STATE_HEADER + i]
        delta = x[i] - mean
        mean += delta / n
        state[STATE_HEADER + i] = mean
        state[STATE_HEADER + dim + i] += delta * (x[i] - mean)
    windows = count / MASS_WINDOW
    if count % MASS_WINDOW == 0.0:
        k = int(windows) + 1
        if k & (k - 1) == 0:  # count = W (2^j - 1): end of a window
            if n >= 3.0:
                shrink = n / (n + 5.0)
                for i in range(dim):
                    inv_mass[i] = shrink * state[STATE_HEADER + dim + i] / (n - 1.0) + 1e-3 * 5.0 / (n + 5.0)
            state[ST_WELFORD_N] = 0.0
            for i in range(2 * dim):
                state[STATE_HEADER + i] = 0.0
            state[ST_MU] = math.log(10.0) + state[ST_LOG_STEP]
            state[ST_H_BAR] = 0.0
            state[ST_DA_COUNT] = 0.0
            state[ST_LOG_STEP_BAR] = 0.0


# ---------------------------------------------------------------------------- drivers

_SWEEPS_SIGNATURE = types.void(
    ENERGY_FUNCTION, GRAD_FUNCTION, GRAD_FUNCTION, PARAMS,   # energy, grad, observables, params
    BATCH, types.float64[::1],                                # x, betas
    types.int64, types.float64[::1], types.float64[::1],      # algorithm, step_size, noise_scale
    types.int64, BATCH,                                       # n_leapfrog, inv_mass
    types.boolean, types.boolean, types.boolean, types.float64, BATCH,  # tune, adapt_step, adapt_mass, target, state
    types.int64, types.int64, types.int64, types.int64, types.int64, types.int64,  # k0 k1 chain0 sweep0 n rec
    BATCH, BATCH, BATCH, types.float64[:, :, ::1], types.int64,  # out_energy, out_accept, out_divergent, extra, col0
    types.boolean, BATCH, types.int64[:, ::1],               # count_divergences, last, failure
)


@njit(_SWEEPS_SIGNATURE, cache=True, parallel=True)
def sweeps(energy, grad, observables, params, x, betas, algorithm, step_size, noise_scale, n_leapfrog, inv_mass,
           tune, adapt_step, adapt_mass_, target, state, k0, k1, chain0, sweep0, n_sweeps, record_every,
           out_energy, out_accept, out_divergent, out_extra, column0, count_divergences, last, failure):
    """Run ``n_sweeps`` transitions (sweep counters sweep0 ...) of every row of ``x`` in place.

    Row m is chain ``chain0 + m`` at inverse temperature ``betas[m]``, step size
    ``step_size[m]`` (or, when tuning with ``adapt_step``, exp(state[m, ST_LOG_STEP])),
    noise scale ``noise_scale[m]`` (Langevin) and inverse mass ``inv_mass[m]`` (HMC).
    Each row runs its whole sequence in one thread (no barrier per sweep).  After
    every ``record_every``-th sweep (0: never) the row's E(x), acceptance probability
    and divergence flag (1.0 / 0.0) of that sweep, and its model observables, are
    written at column ``column0 + k``; ``last[m]`` keeps the (acceptance, divergence)
    of the last sweep.  ``failure[m]`` = (sweep counter, code) of the first
    divergence of a row that stopped (neither ``count_divergences`` nor ``tune``), else
    (-1, 0); a non-finite starting configuration always stops the row.
    """
    dim = x.shape[1]
    n_extra = out_extra.shape[0]
    for m in prange(x.shape[0]):
        failure[m, 0] = -1
        failure[m, 1] = OK
        chain = chain0 + m
        xm = x[m:m + 1]
        b = betas[m]
        y = np.empty((1, dim))
        gx = np.empty(dim)
        gy = np.empty(dim)
        noise = np.empty(dim)
        momentum = np.empty(dim)
        e, e0, _, status = evaluate(energy, grad, params, energy, grad, params, b, 0.0, xm, algorithm != RWMH, False,
                                    gx)
        if status != OK:
            failure[m, 0] = sweep0
            failure[m, 1] = BAD_INITIAL_ENERGY if status == BAD_ENERGY else BAD_INITIAL_GRADIENT
            continue
        row_state = state[m]
        for t in range(n_sweeps):
            sweep = sweep0 + t
            step = step_size[m]
            if tune and adapt_step:
                step = math.exp(row_state[ST_LOG_STEP])
            _, alpha, status, e, e0 = transition(
                algorithm, energy, grad, params, energy, grad, params, b, 0.0, xm, y, gx, gy, noise, momentum, e, e0,
                step, noise_scale[m], n_leapfrog, inv_mass[m], sweep, chain, CONT_NOISE, CONT_ACCEPT, k0, k1)
            if status != OK and not (count_divergences or tune):
                failure[m, 0] = sweep
                failure[m, 1] = status
                break
            last[m, 0] = alpha
            last[m, 1] = 0.0 if status == OK else 1.0
            if tune:
                if adapt_step:
                    dual_average(row_state, alpha, target)
                if adapt_mass_:
                    adapt_mass(row_state, x[m], inv_mass[m])
            if record_every > 0 and (t + 1) % record_every == 0:
                column = column0 + (t + 1) // record_every - 1
                out_energy[m, column] = e
                out_accept[m, column] = last[m, 0]
                out_divergent[m, column] = last[m, 1]
                if n_extra > 0:
                    extra = observables(xm, params)
                    for k in range(n_extra):
                        out_extra[k, m, column] = extra[0, k]


_ANNEAL_SIGNATURE = types.void(
    ENERGY_FUNCTION, GRAD_FUNCTION, PARAMS, ENERGY_FUNCTION, GRAD_FUNCTION, PARAMS,  # model, base
    BATCH, types.float64[::1], types.float64[::1], types.float64[::1],  # x, betas (b_k), base_weights (g_k), scale
    types.int64, types.float64[::1], types.int64, BATCH,              # algorithm, step_size, n_leapfrog, inv_mass
    types.int64, types.int64, types.int64, types.int64,               # k0, k1, chain0, step0
    types.float64[::1], types.float64[::1], types.float64[::1], types.float64[::1],  # log_w, e_sum, e0_sum, energy
    types.boolean, types.int64[:, ::1],                               # count_divergences, failure
)


@njit(_ANNEAL_SIGNATURE, cache=True, parallel=True)
def anneal(energy, grad, params, base_energy, base_grad, base_params, x, betas, base_weights, step_scale, algorithm,
           step_size, n_leapfrog, inv_mass, k0, k1, chain0, step0, log_w, energy_sum, base_energy_sum, energy_out,
           count_divergences, failure):
    """Anneal every row of ``x`` along the path U_k = betas[k] E + base_weights[k] E_0, k = 0 .. K.

    For k = 1 .. K the row adds the incremental log weight -(b_k - b_{k-1}) E(x)
    - (g_k - g_{k-1}) E_0(x) of its current state to ``log_w[m]``, E(x) to
    ``energy_sum[m]`` and E_0(x) to ``base_energy_sum[m]``, then (k < K) makes one
    transition leaving exp(-U_k) invariant, with step ``step_size[m] * step_scale[k]``
    and the annealing streams at counter ``step0 + k``.  ``energy_out[m]`` receives E
    of the final state; ``failure`` as in :func:`sweeps`.
    """
    dim = x.shape[1]
    n_steps = betas.shape[0] - 1
    noise_scale = 0.0
    need_grad = algorithm != RWMH
    for m in prange(x.shape[0]):
        failure[m, 0] = -1
        failure[m, 1] = OK
        chain = chain0 + m
        xm = x[m:m + 1]
        y = np.empty((1, dim))
        gx = np.empty(dim)
        gy = np.empty(dim)
        noise = np.empty(dim)
        momentum = np.empty(dim)
        for k in range(1, n_steps + 1):
            # energies of the current state and grad U_k there (the path moves with k)
            b, g = betas[k], base_weights[k]
            e, e0, _, status = evaluate(energy, grad, params, base_energy, base_grad, base_params, b, g, xm,
                                        need_grad and k < n_steps, True, gx)
            if status != OK:
                failure[m, 0] = step0 + k
                failure[m, 1] = BAD_INITIAL_ENERGY if status == BAD_ENERGY else BAD_INITIAL_GRADIENT
                break
            log_w[m] += -(b - betas[k - 1]) * e - (g - base_weights[k - 1]) * e0
            energy_sum[m] += e
            base_energy_sum[m] += e0
            energy_out[m] = e
            if k == n_steps:
                break
            _, _, status, e, e0 = transition(
                algorithm, energy, grad, params, base_energy, base_grad, base_params, b, g, xm, y, gx, gy, noise,
                momentum, e, e0, step_size[m] * step_scale[k], noise_scale, n_leapfrog, inv_mass[m], step0 + k, chain,
                CONT_AIS_NOISE, CONT_AIS_ACCEPT, k0, k1)
            if status != OK and not count_divergences:
                failure[m, 0] = step0 + k
                failure[m, 1] = status
                break
