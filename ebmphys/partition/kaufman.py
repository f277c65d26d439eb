"""Kaufman's exact partition function of the 2D Ising model on a finite torus.

Convention (k_B = 1): spins s = +-1 on the periodic L1 x L2 square lattice,
``E(s) = -J sum_<ij> s_i s_j``, each of the 2 L1 L2 bonds counted once (a side
of length 2 joins its two sites by two bonds, as in :class:`LatticeIsing`).

Kaufman (Phys. Rev. 76, 1232 (1949)) writes, with the transfer matrix running
along an axis of length m across rows of n spins and K = beta J > 0,

    Z = 1/2 (2 sinh 2K)^(mn/2) (Z1 + Z2 + Z3 + Z4),
    Z1, Z2 = prod_{k odd}  2 cosh(m gamma_k / 2),  2 sinh(m gamma_k / 2)
    Z3, Z4 = prod_{k even} 2 cosh(m gamma_k / 2),  2 sinh(m gamma_k / 2)

over k = 0 .. 2n-1, where cosh gamma_k = cosh 2K coth 2K - cos(pi k / n) and
gamma_0 = 2K + log tanh K = 2 (K - K*) is signed: it changes sign at T_c, so Z4
is negative above T_c.  The formula holds for even and odd sides.

An antiferromagnet (J < 0) maps onto the ferromagnet with coupling |J| by
flipping the spins of one sublattice; on a side of odd length the bonds that
wrap around that side stay antiferromagnetic, i.e. the ferromagnet gets an
antiperiodic (twisted) boundary.  The twisted partition functions are other
sign patterns of the same four terms (checked against enumeration in the tests):

=====================  =========================
boundary               combination
=====================  =========================
periodic               (Z1 + Z2) + (Z3 + Z4)
twisted along the row  (Z1 - Z2) + (Z3 - Z4)
twisted along both     (Z3 - Z4) - (Z1 - Z2)
=====================  =========================

With one odd side the row is laid along it, so every combination is a sum of
positive terms.  With both sides odd (frustrated antiferromagnet) the result is
a difference of nearly equal terms at low temperature; the rounding error of
log Z is estimated (8 eps sum|log terms| / (1 - ratio of the two terms)) and a
ValueError raised when it exceeds ``PRECISION_LIMIT`` relative to |log Z|: on a
3x3 torus beyond beta |J| ~ 2.16, 9x9 ~ 1.17, 33x33 ~ 0.66, 1025x1025 ~ 0.447.
Checked against 120-digit arithmetic up to those limits: log Z to 3e-12
relative, u to 2e-10 and c to 4e-9 per spin.

Numerics.  Everything is evaluated in log space per momentum: with
x_k = m gamma_k / 2 and y_k = exp(-2 x_k) = exp(-m gamma_k),

    log Z1 = sum_k [ (m/2) g_k + log1p(y_k) ],   g_k = log(2 sinh 2K) + gamma_k,

where g_k is written without the large canceling logarithms of high
temperature.  The "minus" combinations use log(e^C - e^S) = C + log(1 - exp(-U))
with U = sum_k 2 atanh(y_k) carried as log U (so it does not underflow when all
y_k do).  The zero mode keeps its sign out of the logarithms: it contributes
e^((m/2) w+) and e^((m/2) w-) with w+- = log(2 sinh 2K) +- gamma_0 in closed
form.  Derivatives with respect to K are carried along by second-order
forward-mode differentiation (each quantity is a jet (value, d/dK, d2/dK2)), so
energy and specific heat are analytic derivatives of the same stable
expression, exact to rounding (no finite differences): against enumeration of
4x4 to 5x3 tori, |du| < 1e-13 and |dc| < 1e-11 per spin.  Below K = 1e-12 the
expansion log Z = N log 2 + v K^2 / 2 (v: variance of the bond sum at infinite
temperature) is used, exact to rounding there.
"""

from __future__ import annotations

import numpy as np

from ebmphys.models._validate import finite_real, positive_int
from ebmphys.partition._beta import beta_array

#: largest estimated relative error of log Z accepted for the frustrated case
PRECISION_LIMIT = 1e-10
_EPS = np.finfo(np.float64).eps
_SMALL = 1e-3
#: below this K = beta |J| the second-order expansion about K = 0 is exact to rounding
_K_TAYLOR = 1e-12


class _Jet:
    """A function of K with its first two derivatives: (value, d1, d2), numpy arrays."""

    __slots__ = ("v", "d1", "d2")
    __array_ufunc__ = None  # make numpy arrays defer to the jet's operators

    def __init__(self, v, d1, d2):
        self.v, self.d1, self.d2 = v, d1, d2

    def __add__(self, other):
        if isinstance(other, _Jet):
            return _Jet(self.v + other.v, self.d1 + other.d1, self.d2 + other.d2)
        return _Jet(self.v + other, self.d1, self.d2)

    __radd__ = __add__

    def __neg__(self):
        return _Jet(-self.v, -self.d1, -self.d2)

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        if isinstance(other, _Jet):
            return _Jet(
                self.v * other.v,
                self.d1 * other.v + self.v * other.d1,
                self.d2 * other.v + 2 * self.d1 * other.d1 + self.v * other.d2,
            )
        return _Jet(self.v * other, self.d1 * other, self.d2 * other)

    __rmul__ = __mul__

    def chain(self, f, f1, f2):
        """f(self) given f, f' and f'' evaluated at self.v."""
        return _Jet(f, f1 * self.d1, f2 * self.d1**2 + f1 * self.d2)

    def log(self):
        return self.chain(np.log(self.v), 1 / self.v, -1 / self.v**2)

    def exp(self):
        e = np.exp(self.v)
        return self.chain(e, e, e)

    def log1p(self):
        return self.chain(np.log1p(self.v), 1 / (1 + self.v), -1 / (1 + self.v) ** 2)

    def sqrt(self):
        r = np.sqrt(self.v)
        return self.chain(r, 0.5 / r, -0.25 / (r * self.v))

    def sum(self, axis):
        return _Jet(self.v.sum(axis), self.d1.sum(axis), self.d2.sum(axis))

    def expand(self, axis):
        return _Jet(np.expand_dims(self.v, axis), np.expand_dims(self.d1, axis), np.expand_dims(self.d2, axis))


def _where(cond, a: _Jet, b: _Jet) -> _Jet:
    return _Jet(np.where(cond, a.v, b.v), np.where(cond, a.d1, b.d1), np.where(cond, a.d2, b.d2))


def _log_combine(a: _Jet, b: _Jet, sign: int) -> _Jet:
    """log(e^a + sign e^b), sign = +1 or -1 (then e^a > e^b is required).

    With weights w = sign e^b / (e^a + sign e^b) and 1 - w, the derivatives are
    d1 = (1-w) a' + w b' and d2 = (1-w) a'' + w b'' + w (1-w) (a' - b')^2.
    A term with value -inf contributes nothing (its derivatives may be nan).
    """
    if sign > 0:
        hi_is_a = a.v >= b.v
        hi, lo = _where(hi_is_a, a, b), _where(hi_is_a, b, a)
    else:
        hi, lo = a, b
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        delta = lo.v - hi.v
        r = np.exp(delta)
        value = hi.v + (np.log1p(r) if sign > 0 else np.log(-np.expm1(delta)))
        w = sign * r / (1 + sign * r)
        live = w != 0
        d1 = hi.d1 + np.where(live, w * (lo.d1 - hi.d1), 0.0)
        d2 = hi.d2 + np.where(live, w * (lo.d2 - hi.d2) + w * (1 - w) * (lo.d1 - hi.d1) ** 2, 0.0)
    return _Jet(value, d1, d2)


def _logsumexp(t: _Jet, axis: int) -> _Jet:
    """log sum_k exp(t_k) along ``axis`` (all terms positive)."""
    top = np.max(t.v, axis=axis, keepdims=True)
    w = np.exp(t.v - top)
    total = w.sum(axis=axis, keepdims=True)
    w = w / total
    d1 = (w * t.d1).sum(axis=axis, keepdims=True)
    d2 = (w * (t.d2 + (t.d1 - d1) ** 2)).sum(axis=axis)
    return _Jet((top + np.log(total)).squeeze(axis), d1.squeeze(axis), d2)


def _log_two_atanh_exp(t: _Jet) -> _Jet:
    """log(2 atanh(e^t)) for t < 0, without underflow for very negative t."""
    y = np.exp(t.v)
    y2 = y * y
    small = y < _SMALL
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.arctanh(y)
        q = np.where(small, 1 + 2 * y2 / 3 + 26 * y2**2 / 45, y / ((1 - y2) * a))
        f = np.where(small, np.log(2.0) + t.v + y2 / 3 + 13 * y2**2 / 90, np.log(2 * a))
        f2 = q * np.where(small, 4 * y2 / 3 + 64 * y2**2 / 45, 1 + 2 * y2 / (1 - y2) - q)
    return t.chain(f, q, f2)


def _log_one_minus_exp_neg_exp(ell: _Jet) -> _Jet:
    """log(1 - exp(-U)) with U = e^ell > 0, accurate for tiny and large U."""
    u = np.exp(ell.v)
    small = u < _SMALL
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        e = np.exp(-u)
        one_m_e = -np.expm1(-u)
        # f' = U e^-U / (1 - e^-U),  f'' = U e^-U (1 - U - e^-U) / (1 - e^-U)^2  (derivatives in ell)
        f = np.where(small, ell.v + np.log1p(-u / 2 + u**2 / 6 - u**3 / 24), np.log(one_m_e))
        f1 = np.where(small, 1 - u / 2 + u**2 / 12, u * e / one_m_e)
        f2 = np.where(small, -u / 2 + u**2 / 6, u * e * (1 - u - e) / one_m_e**2)
        f1 = np.where(np.isinf(u), 0.0, f1)
        f2 = np.where(np.isinf(u), 0.0, f2)
    return ell.chain(f, f1, f2)


def _log_one_plus_exp_neg(u: _Jet) -> _Jet:
    """log(1 + exp(-U)) for U >= 0."""
    e = np.exp(-u.v)
    return u.chain(np.log1p(e), -e / (1 + e), e / (1 + e) ** 2)


def _coupling_jets(K: np.ndarray):
    """Jets of log(2 sinh 2K), 1/sinh 2K, sinh 2K (valid for K <= 0.5 only) and of the zero mode.

    The zero mode enters as (2 sinh 2K)^(m/2) e^(+-m gamma_0 / 2) with gamma_0 = 2K + log tanh K;
    the exponents are (m/2) w_+- with w_+ = 2 log(2 sinh K) + 2K and w_- = 2 log(1 + e^(-2K)),
    written so that w_- (dominant at high T) has no 1/K terms.
    """
    e2 = np.exp(-2 * K)
    one_m_e4 = -np.expm1(-4 * K)
    csch = 2 * e2 / one_m_e4
    coth = (1 + e2 * e2) / one_m_e4
    log_2s = _Jet(2 * K + np.log(one_m_e4), 2 * coth, -4 * csch**2)
    inv_s = _Jet(csch, -2 * coth * csch, 4 * csch * (csch**2 + coth**2))
    k_low = np.minimum(K, 0.5)
    s = _Jet(np.sinh(2 * k_low), 2 * np.cosh(2 * k_low), 4 * np.sinh(2 * k_low))
    tanh_k = -np.expm1(-2 * K) / (1 + e2)
    csch_k = 2 * np.sqrt(e2) / -np.expm1(-2 * K)
    w_plus = _Jet(4 * K + 2 * np.log(-np.expm1(-2 * K)), 2 / tanh_k + 2, -2 * csch_k**2)
    w_minus = _Jet(2 * np.log1p(e2), 2 * tanh_k - 2, 2 * (1 - tanh_k**2))
    return log_2s, inv_s, s, w_plus, w_minus


def _g_modes(K: np.ndarray, log_2s: _Jet, inv_s: _Jet, s: _Jet, theta: np.ndarray) -> _Jet:
    """Jet of g(theta) = log(2 sinh 2K) + gamma(theta) (> 0 angles), shape (len(K), len(theta)).

    cosh gamma = 1 + q / s with q = (1 - s)^2 + 2 s sin^2(theta/2), so
    g = log 2 + log(s + q + sqrt(q (q + 2 s))); for s > 1 the same in units of s^2.
    """
    sin2 = np.sin(theta / 2) ** 2
    # s <= 1 branch (K below ~0.44): direct
    sj, rj, lj = s.expand(1), inv_s.expand(1), log_2s.expand(1)
    q = (1 - sj) * (1 - sj) + 2 * sin2 * sj
    low = np.log(2.0) + (sj + q + (q * (q + 2 * sj)).sqrt()).log()
    # s > 1 branch: r = 1/s, q' = q / s^2
    qr = (1 - rj) * (1 - rj) + 2 * sin2 * rj
    high = np.log(2.0) + 2 * (lj - np.log(2.0)) + (rj + qr + (qr * (qr + 2 * rj)).sqrt()).log()
    return _where((K <= 0.44)[:, None], low, high)


def _sector(m: int, g: _Jet, log_2s: _Jet):
    """Per-sector sums over non-zero modes: X = sum (m/2) g, C = sum log1p(y), ell = log U."""
    t = -m * (g - log_2s.expand(1))  # t_k = log y_k = -m gamma_k
    X = (0.5 * m * g).sum(1)
    C = t.exp().log1p().sum(1)
    ell = _logsumexp(_log_two_atanh_exp(t), 1)
    return X, C, ell


def _log_z_jet(m: int, n: int, K: np.ndarray, twist: str):
    """Jet of log Z (derivatives in K) for the ferromagnet K > 0; twist in {"none", "row", "both"}.

    Returns the jet and the estimated absolute rounding error of log Z from cancellation (0 unless twist == "both").
    """
    log_2s, inv_s, s, w_plus, w_minus = _coupling_jets(K)
    k = np.arange(2 * n)
    theta = np.pi * k / n
    X_ns, C_ns, ell_ns = _sector(m, _g_modes(K, log_2s, inv_s, s, theta[k % 2 == 1]), log_2s)
    X_r, C_r, ell_r = _sector(m, _g_modes(K, log_2s, inv_s, s, theta[(k % 2 == 0) & (k > 0)]), log_2s)
    up, down = 0.5 * m * w_plus, 0.5 * m * w_minus
    # R sector: Q = e^(X + C) (2 sinh 2K)^(m/2) [2 cosh x0 +- 2 sinh x0 e^(-U)]
    #             = e^(X + C) [e^up (1 +- r) + e^down (1 -+ r)],  r = e^(-U), x0 = m gamma_0 / 2
    log_1p_r = _log_one_plus_exp_neg(ell_r.exp())
    log_1m_r = _log_one_minus_exp_neg_exp(ell_r)
    base_r = X_r + C_r
    base_ns = X_ns + C_ns
    if twist == "none":
        log_q_ns = base_ns + _log_one_plus_exp_neg(ell_ns.exp())
        log_q_r = base_r + _log_combine(up + log_1p_r, down + log_1m_r, +1)
        return _log_combine(log_q_ns, log_q_r, +1) - np.log(2.0), np.zeros_like(K)
    log_q_ns = base_ns + _log_one_minus_exp_neg_exp(ell_ns)
    log_q_r = base_r + _log_combine(up + log_1m_r, down + log_1p_r, +1)
    if twist == "row":
        return _log_combine(log_q_ns, log_q_r, +1) - np.log(2.0), np.zeros_like(K)
    with np.errstate(invalid="ignore"):
        gap = -np.expm1(log_q_ns.v - log_q_r.v)
    scale = np.abs(X_r.v) + np.abs(X_ns.v) + np.abs(up.v) + 1.0
    error = np.where(gap > 0, 8 * _EPS * scale / np.where(gap > 0, gap, 1.0), np.inf)
    return _log_combine(log_q_r, log_q_ns, -1) - np.log(2.0), error


def _validate(L1, L2, beta, J):
    L1 = positive_int("L1", L1, minimum=2)
    L2 = positive_int("L2", L2, minimum=2)
    return L1, L2, beta_array(beta), finite_real("J", J)


def _log_z_derivatives(L1, L2, beta, J):
    """(log Z, d log Z / dK, d2 log Z / dK2, K, N, |J|) with K = beta |J|, arrays shaped like beta."""
    L1, L2, b, J = _validate(L1, L2, beta, J)
    K = (b * abs(J)).ravel()
    n_spins = L1 * L2
    if J >= 0 or (L1 % 2 == 0 and L2 % 2 == 0):
        m, n, twist = L1, L2, "none"
    elif L1 % 2 == 1 and L2 % 2 == 1:
        m, n, twist = max(L1, L2), min(L1, L2), "both"
    else:
        n = L1 if L1 % 2 == 1 else L2
        m, twist = n_spins // n, "row"
    hot = K < _K_TAYLOR
    jet, error = _log_z_jet(m, n, np.where(hot, 1.0, K), twist)
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = np.where(np.isfinite(jet.v), error / np.abs(jet.v), np.inf)
    bad = ~hot & ~(relative <= PRECISION_LIMIT)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"the frustrated antiferromagnet (J < 0, both sides odd: L1={L1}, L2={L2}) at beta={b.ravel()[i]} "
            f"is a difference of nearly equal terms; the estimated relative error of log Z, "
            f"{relative[i]:.1e}, exceeds {PRECISION_LIMIT:.0e} (use smaller beta*|J|, an even side, "
            f"or exact enumeration)"
        )
    # K -> 0: log Z = N log 2 + v K^2 / 2 + O(K^3), v = variance of the bond sum at infinite temperature
    # (each pair of neighbours counted with the square of its number of bonds: 4 on a side of length 2)
    v = sum(2 * n_spins if L == 2 else n_spins for L in (L1, L2))
    log_z = np.where(hot, n_spins * np.log(2.0) + 0.5 * v * K**2, jet.v)
    d1 = np.where(hot, v * K, jet.d1)
    d2 = np.where(hot, v, jet.d2)
    shape = b.shape
    return log_z.reshape(shape), d1.reshape(shape), d2.reshape(shape), K.reshape(shape), n_spins, abs(J)


def _out(x: np.ndarray, beta):
    return float(x) if np.ndim(beta) == 0 else x


def ising2d_log_z(L1: int, L2: int, beta, J: float = 1.0) -> float | np.ndarray:
    """Natural log of the exact partition function of the periodic L1 x L2 Ising model.

    Parameters
    ----------
    L1, L2 : int >= 2
        Side lengths of the torus (even or odd); a side of length 2 carries double bonds.
    beta : float or array of float, finite, >= 0
        Inverse temperature (k_B = 1).
    J : float
        Coupling, E = -J sum_<ij> s_i s_j; J < 0 is the antiferromagnet.

    Returns
    -------
    float, or an array shaped like ``beta``.

    Raises
    ------
    ValueError
        For bad arguments, and for J < 0 with both sides odd at temperatures so
        low that the estimated relative error of log Z exceeds ``PRECISION_LIMIT``.
    """
    log_z, *_ = _log_z_derivatives(L1, L2, beta, J)
    return _out(log_z, beta)


def ising2d_energy(L1: int, L2: int, beta, J: float = 1.0) -> float | np.ndarray:
    """Exact mean energy per spin u = -(1/N) d log Z / d beta of the periodic L1 x L2 Ising model.

    Analytic derivative of Kaufman's formula (forward-mode differentiation of the
    stable log-space expression; no finite differences).  Arguments as in
    :func:`ising2d_log_z`; u -> -2 |J| as beta -> infinity for J > 0 or even sides.
    """
    _, d1, _, _, n_spins, aJ = _log_z_derivatives(L1, L2, beta, J)
    return _out(-aJ * d1 / n_spins, beta)


def ising2d_specific_heat(L1: int, L2: int, beta, J: float = 1.0) -> float | np.ndarray:
    """Exact specific heat per spin c = (beta^2 / N) d^2 log Z / d beta^2 of the periodic L1 x L2 Ising model.

    Analytic second derivative of Kaufman's formula (forward-mode
    differentiation; no finite differences).  Arguments as in :func:`ising2d_log_z`.
    """
    _, _, d2, K, n_spins, _ = _log_z_derivatives(L1, L2, beta, J)
    return _out(K**2 * d2 / n_spins, beta)
