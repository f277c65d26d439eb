"""Onsager's exact results for the infinite 2D square-lattice Ising model (zero field).

Convention (k_B = 1): E = -J sum_<ij> s_i s_j, K = beta |J|.  All quantities
are per spin.  On the (bipartite) infinite lattice the antiferromagnet J < 0
has the same free energy, energy and specific heat as the ferromagnet with |J|.

    log Z / N = log(2 cosh 2K) + 1/pi int_0^(pi/2) log[(1 + sqrt(1 - k^2 sin^2 phi)) / 2] dphi,
    u = -|J| coth 2K [1 + (2/pi) a K(k)] = -|J| [2 tanh 2K + coth 2K a D_K],
    c = 2 K^2 [(4 sech^2 2K + a^2 coth^2 2K - a csch^2 2K) D_K - coth^2 2K D_E - 2 sech^2 2K],
    a = 2 tanh^2 2K - 1,  D_K = (2/pi) K(k) - 1,  D_E = (2/pi) E(k) - 1,

with k = 2 sinh 2K / cosh^2 2K and K(k), E(k) the complete elliptic integrals
(scipy's ``ellipk``/``ellipe`` take the parameter k^2; D_K and D_E are summed
as power series for small k so that high temperatures lose no digits).  The
specific heat diverges logarithmically at beta_c (returned as inf exactly there).
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
_K_TAYLOR = 1e-12


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


def _elliptic_excess(k2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(2/pi) K(k) - 1 and (2/pi) E(k) - 1, by their power series in k^2 when k^2 < 0.05 (no cancellation)."""
    with np.errstate(divide="ignore"):
        dk, de = 2 / np.pi * ellipk(k2) - 1, 2 / np.pi * ellipe(k2) - 1
    small = k2 < 0.05
    m = np.where(small, k2, 0.0)
    coef, power = 1.0, np.ones_like(m)
    sk, se = np.zeros_like(m), np.zeros_like(m)
    for n in range(1, 16):  # terms fall by 20x each; 0.05^15 < 1e-19
        coef *= (2 * n - 1) / (2 * n)
        power = power * m
        sk += coef**2 * power
        se += coef**2 * power / (1 - 2 * n)
    return np.where(small, sk, dk), np.where(small, se, de)


def _energy_and_specific_heat(beta, J) -> tuple[np.ndarray, np.ndarray]:
    """u and c per spin; below K = 1e-12 the expansion u = -2|J| K, c = 2 K^2 (exact to rounding)."""
    K, aJ = _couplings(beta, J)
    tiny = K < _K_TAYLOR
    Kp = np.where(tiny, 1.0, K)
    e4 = np.exp(-4 * Kp)
    sech2 = 4 * e4 / (1 + e4) ** 2  # sech^2 2K and csch^2 2K without 1 - tanh^2 cancellations
    csch2 = 4 * e4 / np.expm1(-4 * Kp) ** 2
    coth2 = 1 + csch2
    a = 1 - 2 * sech2
    k2 = _modulus_squared(Kp)
    dk, de = _elliptic_excess(k2)
    critical = k2 >= 1
    with np.errstate(invalid="ignore"):
        u = -aJ * (2 * np.tanh(2 * Kp) + np.where(critical, 0.0, np.sqrt(coth2) * a * dk))
        k1_coef = 4 * sech2 + coth2 * a * a - csch2 * a
        c = 2 * Kp**2 * (k1_coef * dk - coth2 * de - 2 * sech2)
    u = np.where(tiny, -2 * aJ * K, u)
    c = np.where(tiny, 2 * K**2, np.where(critical, np.inf, c))
    return u, c


def onsager_energy(beta, J: float = 1.0) -> float | np.ndarray:
    """Mean energy per spin u = -d(log Z / N)/d beta of the infinite lattice (u -> -2|J| as T -> 0)."""
    return _out(_energy_and_specific_heat(beta, J)[0], beta)


def onsager_specific_heat(beta, J: float = 1.0) -> float | np.ndarray:
    """Specific heat per spin c = beta^2 d^2(log Z / N)/d beta^2 of the infinite lattice (inf at beta_c).

    Obtained as c = -K^2 du/dK / |J| from the energy, using dK(k)/dk = E/(k k'^2) - K/k
    and k'^2 = 1 - k^2 = (2 tanh^2 2K - 1)^2, which removes the 0 * inf at beta_c.
    """
    return _out(_energy_and_specific_heat(beta, J)[1], beta)


def onsager_magnetization(beta, J: float = 1.0) -> float | np.ndarray:
    """Yang's spontaneous magnetisation per spin, (1 - sinh(2K)^-4)^(1/8) for K > K_c, else 0.

    For J < 0 this is the staggered magnetisation (the uniform one vanishes).
    """
    K, _ = _couplings(beta, J)
    with np.errstate(divide="ignore", over="ignore"):
        inv_s4 = (1 / np.sinh(2 * K)) ** 4
    m = np.where(inv_s4 < 1, np.abs(1 - np.minimum(inv_s4, 1)) ** 0.125, 0.0)
    return _out(m, beta)
