"""Exact results for the ferromagnetic q-state Potts model on the square lattice (k_B = 1).

E = -J sum_<ij> delta(sigma_i, sigma_j), J > 0; energies are per site, in units of J.

* Critical (transition) point, from self-duality: beta_c J = ln(1 + sqrt q).
* q <= 4 (continuous transition): the energy per site at beta_c is -(1 + 1/sqrt q) J.
* q > 4 (first order; Baxter 1973): with 2 cosh(Theta) = sqrt q, the latent heat is

      Delta e / J = 2 (1 + 1/sqrt q) tanh(Theta / 2) prod_{n >= 1} tanh(n Theta)^2,

  and by self-duality the ordered and disordered energies at beta_c lie symmetrically
  about -(1 + 1/sqrt q) J: e_ord = -(1 + 1/sqrt q) J - Delta e / 2 and
  e_dis = -(1 + 1/sqrt q) J + Delta e / 2 (q = 10: Delta e = 0.696049, e_ord = -1.664253,
  e_dis = -0.968203).  For q <= 4 the latent heat is 0 and both equal the critical energy.
"""

from __future__ import annotations

import math

from ebmphys.models._validate import finite_real
from ebmphys.models.potts import check_q

_PRODUCT_TERMS = 200


def _coupling(J) -> float:
    J = finite_real("J", J)
    if J <= 0:
        raise ValueError(f"J must be > 0 (ferromagnetic; the transition is at beta_c = ln(1 + sqrt q) / J), got {J}")
    return J


def potts_beta_c(q: int, J: float = 1.0) -> float:
    """Transition inverse temperature of the square-lattice Potts model, beta_c = ln(1 + sqrt q) / J."""
    return math.log1p(math.sqrt(check_q(q))) / _coupling(J)


def potts_critical_energy(q: int, J: float = 1.0) -> float:
    """Energy per site at beta_c for a continuous transition (q <= 4): -(1 + 1/sqrt q) J."""
    q = check_q(q)
    if q > 4:
        raise ValueError(f"q = {q} > 4 has a first-order transition: the energy jumps at beta_c "
                         f"(use potts_transition_energies for the ordered and disordered energies)")
    return -(1.0 + 1.0 / math.sqrt(q)) * _coupling(J)


def potts_latent_heat(q: int, J: float = 1.0) -> float:
    """Latent heat per site Delta e = e_dis - e_ord at beta_c (Baxter 1973); 0 for q <= 4."""
    q = check_q(q)
    J = _coupling(J)
    if q <= 4:
        return 0.0
    theta = math.acosh(math.sqrt(q) / 2.0)
    product = 1.0
    for n in range(1, _PRODUCT_TERMS + 1):
        product *= math.tanh(n * theta) ** 2
    return 2.0 * (1.0 + 1.0 / math.sqrt(q)) * math.tanh(theta / 2.0) * product * J


def potts_transition_energies(q: int, J: float = 1.0) -> tuple[float, float]:
    """(e_ordered, e_disordered) per site at beta_c: -(1 + 1/sqrt q) J -/+ Delta e / 2."""
    q = check_q(q)
    middle = -(1.0 + 1.0 / math.sqrt(q)) * _coupling(J)
    half = potts_latent_heat(q, J) / 2.0
    return middle - half, middle + half
