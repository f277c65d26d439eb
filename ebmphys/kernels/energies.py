"""Energies of the built-in continuous models: Gaussian, Gaussian mixture, quartic potentials (CPU, Numba).

Each model has three functions of a batch ``x`` (float64 (n, dim), C order) and
``params = (theta, index)`` (:mod:`ebmphys.models.continuous`):
``*_energy -> (n,)``, ``*_grad -> (n, dim)`` (dE/dx) and ``*_grad_params -> (n,
n_theta)`` (dE/dtheta, for training).  Parameter layouts (d = dim):

* Gaussian: theta = [mean (d), precision P (d*d, row-major, symmetric)], index = [d];
  E(x) = (x - mean).P.(x - mean) / 2.
* Gaussian mixture: theta = [log w (K), means (K*d), L (K*d*d)], index = [K, d], with
  L_k the lower-triangular Cholesky factor of the precision P_k = L_k L_k^T
  (positive diagonal; the upper triangle is ignored and has zero gradient) and
  E(x) = -log sum_k w_k N(x; mean_k, P_k^-1), so Z = sum_k w_k.
* Quartic: theta = [c_0, c_1, c_2, c_3, c_4], index = [d];
  E(x) = sum_i sum_p c_p x_i^p (Horner: c_0 + x (c_1 + x (c_2 + x (c_3 + x c_4)))).

Summation orders (which the reference twins follow): matrix-vector products are
accumulated column by column, v_i += A[j, i] r_j for j = 0, 1, ... (P symmetric),
and L_k^T r as u_b += L[a, b] r_a for a = 0, 1, ..., b <= a.
"""

import math

import numpy as np
from numba import njit

_HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)


@njit(cache=True)
def no_observables(x, params):
    """Model observables of a model without any: an (n, 0) array."""
    return np.empty((x.shape[0], 0))


# ---------------------------------------------------------------------------- Gaussian


@njit(cache=True, inline="always")
def _precision_times(theta, offset, d, r, out):
    """out = P r with P = theta[offset : offset + d*d] (symmetric), column by column.

    The rows of P are taken as views, which lets the compiler vectorise the inner loop.
    """
    p = theta[offset:offset + d * d].reshape(d, d)
    for i in range(d):
        out[i] = 0.0
    for j in range(d):
        rj = r[j]
        row = p[j]
        for i in range(d):
            out[i] += row[i] * rj


@njit(cache=True)
def gaussian_energy(x, params):
    """E(x) = (x - mean).P.(x - mean) / 2 of each row."""
    theta, index = params
    d = index[0]
    out = np.empty(x.shape[0])
    r = np.empty(d)
    pr = np.empty(d)
    for m in range(x.shape[0]):
        for i in range(d):
            r[i] = x[m, i] - theta[i]
        _precision_times(theta, d, d, r, pr)
        s = 0.0
        for i in range(d):
            s += r[i] * pr[i]
        out[m] = 0.5 * s
    return out


@njit(cache=True)
def gaussian_grad(x, params):
    """dE/dx = P (x - mean)."""
    theta, index = params
    d = index[0]
    out = np.empty((x.shape[0], d))
    r = np.empty(d)
    for m in range(x.shape[0]):
        for i in range(d):
            r[i] = x[m, i] - theta[i]
        _precision_times(theta, d, d, r, out[m])
    return out


@njit(cache=True)
def gaussian_grad_params(x, params):
    """dE/dmean = -P (x - mean), dE/dP_ij = r_i r_j / 2 (every entry treated as independent)."""
    theta, index = params
    d = index[0]
    out = np.empty((x.shape[0], theta.shape[0]))
    r = np.empty(d)
    pr = np.empty(d)
    for m in range(x.shape[0]):
        for i in range(d):
            r[i] = x[m, i] - theta[i]
        _precision_times(theta, d, d, r, pr)
        for i in range(d):
            out[m, i] = -pr[i]
            for j in range(d):
                out[m, d + i * d + j] = 0.5 * r[i] * r[j]
    return out


# ---------------------------------------------------------------------------- Gaussian mixture


@njit(cache=True)
def _mixture_terms(theta, n_modes, d, xrow, log_terms, r, u):
    """log w_k + log N(x; mean_k, P_k^-1) for every mode into ``log_terms``; r, u: (n_modes, d) work arrays.

    Returns the log-sum-exp of the terms.
    """
    means = n_modes
    chol = n_modes + n_modes * d
    for k in range(n_modes):
        for i in range(d):
            r[k, i] = xrow[i] - theta[means + k * d + i]
            u[k, i] = 0.0
        base = chol + k * d * d
        lower = theta[base:base + d * d].reshape(d, d)
        uk = u[k]
        log_det = 0.0
        for a in range(d):
            log_det += math.log(lower[a, a])
            ra = r[k, a]
            row = lower[a]
            for b in range(a + 1):
                uk[b] += row[b] * ra
        q = 0.0
        for b in range(d):
            q += u[k, b] * u[k, b]
        log_terms[k] = theta[k] - d * _HALF_LOG_TWO_PI + log_det - 0.5 * q
    top = log_terms[0]
    for k in range(1, n_modes):
        top = max(top, log_terms[k])
    s = 0.0
    for k in range(n_modes):
        s += math.exp(log_terms[k] - top)
    return top + math.log(s)


@njit(cache=True)
def mixture_energy(x, params):
    """E(x) = -log sum_k w_k N(x; mean_k, P_k^-1)."""
    theta, index = params
    n_modes, d = index[0], index[1]
    out = np.empty(x.shape[0])
    log_terms = np.empty(n_modes)
    r = np.empty((n_modes, d))
    u = np.empty((n_modes, d))
    for m in range(x.shape[0]):
        out[m] = -_mixture_terms(theta, n_modes, d, x[m], log_terms, r, u)
    return out


@njit(cache=True)
def mixture_grad(x, params):
    """dE/dx = sum_k rho_k P_k (x - mean_k), rho_k the responsibilities, P_k r = L_k (L_k^T r)."""
    theta, index = params
    n_modes, d = index[0], index[1]
    chol = n_modes + n_modes * d
    out = np.zeros((x.shape[0], d))
    log_terms = np.empty(n_modes)
    r = np.empty((n_modes, d))
    u = np.empty((n_modes, d))
    for m in range(x.shape[0]):
        lse = _mixture_terms(theta, n_modes, d, x[m], log_terms, r, u)
        for k in range(n_modes):
            rho = math.exp(log_terms[k] - lse)
            base = chol + k * d * d
            for a in range(d):
                s = 0.0
                for b in range(a + 1):
                    s += theta[base + a * d + b] * u[k, b]
                out[m, a] += rho * s
    return out


@njit(cache=True)
def mixture_grad_params(x, params):
    """dE/dlog w_k = -rho_k, dE/dmean_k = -rho_k P_k r_k, dE/dL_k[a, b] = -rho_k (delta_ab / L_aa - r_a u_b) (a >= b)."""
    theta, index = params
    n_modes, d = index[0], index[1]
    means = n_modes
    chol = n_modes + n_modes * d
    out = np.zeros((x.shape[0], theta.shape[0]))
    log_terms = np.empty(n_modes)
    r = np.empty((n_modes, d))
    u = np.empty((n_modes, d))
    for m in range(x.shape[0]):
        lse = _mixture_terms(theta, n_modes, d, x[m], log_terms, r, u)
        for k in range(n_modes):
            rho = math.exp(log_terms[k] - lse)
            out[m, k] = -rho
            base = chol + k * d * d
            for a in range(d):
                s = 0.0
                for b in range(a + 1):
                    s += theta[base + a * d + b] * u[k, b]
                    value = -r[k, a] * u[k, b]
                    if a == b:
                        value += 1.0 / theta[base + a * d + a]
                    out[m, base + a * d + b] = -rho * value
                out[m, means + k * d + a] = -rho * s
    return out


# ---------------------------------------------------------------------------- quartic


@njit(cache=True)
def quartic_energy(x, params):
    """E(x) = sum_i c_0 + c_1 x_i + c_2 x_i^2 + c_3 x_i^3 + c_4 x_i^4 (Horner)."""
    c = params[0]
    out = np.empty(x.shape[0])
    for m in range(x.shape[0]):
        s = 0.0
        for i in range(x.shape[1]):
            v = x[m, i]
            s += c[0] + v * (c[1] + v * (c[2] + v * (c[3] + v * c[4])))
        out[m] = s
    return out


@njit(cache=True)
def quartic_grad(x, params):
    """dE/dx_i = c_1 + 2 c_2 x_i + 3 c_3 x_i^2 + 4 c_4 x_i^3 (Horner)."""
    c = params[0]
    out = np.empty(x.shape)
    for m in range(x.shape[0]):
        for i in range(x.shape[1]):
            v = x[m, i]
            out[m, i] = c[1] + v * (2.0 * c[2] + v * (3.0 * c[3] + v * 4.0 * c[4]))
    return out


@njit(cache=True)
def quartic_grad_params(x, params):
    """dE/dc_p = sum_i x_i^p."""
    out = np.zeros((x.shape[0], 5))
    for m in range(x.shape[0]):
        for i in range(x.shape[1]):
            v = x[m, i]
            power = 1.0
            for p in range(5):
                out[m, p] += power
                power *= v
    return out
