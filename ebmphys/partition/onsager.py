"""Onsager's exact results for the infinite 2D square-lattice Ising model (zero field).

Convention (k_B = 1): E = -J sum_<ij> s_i s_j, K = beta |J|.  All quantities
are per spin.  On the (bipartite) infinite lattice the antiferromagnet J < 0
has the same free energy, energy and specific heat as the ferromagnet with |J|.

    log Z / N = log(2 cosh 2K) + 1/pi int_0^(pi/2) log[(1 + sqrt(1 - k^2 sin^2 phi)) / 2] dphi,
    u = -|J| coth 2K [1 + (2/pi) (2 tanh^2 2K - 1) K(k)],
    c = K^2 {(4/pi) [(4 sech^2 2K + a^2 coth^2 2K - a csch^2 2K) K(k) - coth^2 2K E(k)] - 2 csch^2 2K},
    a = 2 tanh^2 2K - 1,

with k = 2 sinh 2K / cosh^2 2K and K(k), E(k) the complete elliptic integrals
(scipy's ``ellipk``/``ellipe`` take the parameter k^2).  The specific heat
diverges logarithmically at beta_c (returned as inf exactly there).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import quad
from scipy.special import ellipe, ellipk

from ebmphys.models._validate import finite_real
from ebmphys.partition._beta import beta_array

#: critical inverse temperature of the ferromagnet with J = 1: sinh(2 beta_c) = 1
BETA_C = float(np.log1p(np.sqrt(2.0)) / 2)
#: critical temperature of the ferromagnet with J = 1, 2 / log(1 + sqrt 2) ~ 2.269
T_C = 1.0 / BETA_C


def _couplings(beta, J) -> tuple[np.ndarray, float]:
    return beta_array(beta) * abs(finite_real("J", J)), abs(float(J))


def _out(x: np.ndarray, beta):
    return float(x) if np.ndim(beta) == 0 else x


def _modulus_squared(K: np.ndarray) -> np.ndarray:
    """k^2 with k = 2 sinh 2K / cosh^2 2K = 2 tanh 2K / cosh 2K (k = 1 at beta_c)."""
    with np.errstate(over="ignore"):
        return (2 * np.tanh(2 * K) / np.cosh(2 * K)) ** 2


def onsager_log_z_per_spin(beta, J: float = 1.0) -> float | np.ndarray:
    """lim_{N -> inf} log Z / N of the 2D Ising model, by adaptive quadrature of Onsager's integral.

    Parameters
    ----------
    beta : float or array of float, finite, >= 0
    J : float, finite (sign irrelevant)
    """
    K, _ = _couplings(beta, J)
    out = np.empty(K.shape)
    for i, k in np.ndenumerate(K):
        k2 = float(_modulus_squared(np.array(k)))
        integral, _ = quad(
            lambda phi: np.log1p(np.sqrt(1 - k2 * np.sin(phi) ** 2)) - np.log(2.0),
            0.0,
            np.pi / 2,
            epsabs=1e-14,
            epsrel=1e-13,
            limit=200,
        )
        out[i] = 2 * k + np.log1p(np.exp(-4 * k)) + integral / np.pi
    return _out(out, beta)


def onsager_free_energy(beta, J: float = 1.0) -> float | np.ndarray:
    """Free energy per spin f = -T lim log Z / N; beta must be > 0 (f diverges at T = inf)."""
    b = beta_array(beta)
    if np.any(b == 0):
        raise ValueError("beta must be > 0 for the free energy (f = -T log Z / N diverges at T = infinity), got 0.0")
    return _out(-np.asarray(onsager_log_z_per_spin(b, J)) / b, beta)


def onsager_energy(beta, J: float = 1.0) -> float | np.ndarray:
    """Mean energy per spin u = -d(log Z / N)/d beta of the infinite lattice (u -> -2|J| as T -> 0)."""
    K, aJ = _couplings(beta, J)
    hot = K == 0
    Kp = np.where(hot, 1.0, K)
    t2 = np.tanh(2 * Kp) ** 2
    k2 = _modulus_squared(Kp)
    critical = (2 * t2 - 1) * np.where(k2 < 1, ellipk(np.minimum(k2, 1 - 1e-16)), 0.0)
    u = -aJ / np.tanh(2 * Kp) * (1 + 2 / np.pi * critical)
    return _out(np.where(hot, 0.0, u), beta)


def onsager_specific_heat(beta, J: float = 1.0) -> float | np.ndarray:
    """Specific heat per spin c = beta^2 d^2(log Z / N)/d beta^2 of the infinite lattice (inf at beta_c).

    Obtained as c = -K^2 du/dK / |J| from the energy, using dK(k)/dk = E/(k k'^2) - K/k
    and k'^2 = 1 - k^2 = (2 tanh^2 2K - 1)^2, which removes the 0 * inf at beta_c.
    """
    K, _ = _couplings(beta, J)
    hot = K == 0
    Kp = np.where(hot, 1.0, K)
    t2 = np.tanh(2 * Kp) ** 2
    coth2 = 1 / t2
    csch2 = coth2 - 1
    a = 2 * t2 - 1
    k2 = _modulus_squared(Kp)
    with np.errstate(divide="ignore", invalid="ignore"):
        k1_coef = 4 * (1 - t2) + coth2 * a * a - csch2 * a
        c = Kp**2 * (4 / np.pi * (k1_coef * ellipk(k2) - coth2 * ellipe(k2)) - 2 * csch2)
    return _out(np.where(hot, 0.0, np.where(k2 >= 1, np.inf, c)), beta)


def onsager_magnetization(beta, J: float = 1.0) -> float | np.ndarray:
    """Yang's spontaneous magnetisation per spin, (1 - sinh(2K)^-4)^(1/8) for K > K_c, else 0.

    For J < 0 this is the staggered magnetisation (the uniform one vanishes).
    """
    K, _ = _couplings(beta, J)
    with np.errstate(divide="ignore", over="ignore"):
        inv_s4 = (1 / np.sinh(2 * K)) ** 4
    m = np.where(inv_s4 < 1, np.abs(1 - np.minimum(inv_s4, 1)) ** 0.125, 0.0)
    return _out(m, beta)
