"""Quartic potentials in d dimensions: independent coordinates, exact moments by 1-D quadrature.

``QuarticPotential(dim, coefficients)``: E(x) = sum_i sum_{p=0}^4 c_p x_i^p; the
coordinates are independent, so log Z and every moment are products of 1-D
integrals (:mod:`ebmphys.partition.continuous_exact`).  ``DoubleWell(dim, barrier,
tilt)`` is the quartic a (x^2 - 1)^2 + c x per coordinate: minima near x = +-1
separated by a barrier of height a (at c = 0).

theta = [c_0, c_1, c_2, c_3, c_4] (for the double well: [a, c, -2a, 0, a]).
"""

from __future__ import annotations

import numpy as np

from ebmphys.kernels import energies
from ebmphys.models._validate import finite_real, positive_int
from ebmphys.models.continuous import ContinuousModel, check_positive, real_array


def _check_coefficients(c: np.ndarray) -> None:
    if not (c[4] > 0 or (c[4] == 0 and c[3] == 0 and c[2] > 0)):
        raise ValueError(f"coefficients must make exp(-E) normalisable: c_4 > 0, or c_4 = c_3 = 0 and c_2 > 0; "
                         f"got {c.tolist()}")


class QuarticPotential(ContinuousModel):
    """E(x) = sum_i (c_0 + c_1 x_i + c_2 x_i^2 + c_3 x_i^3 + c_4 x_i^4).

    Parameters
    ----------
    dim : int >= 1
    coefficients : array_like (5,)
        c_0 .. c_4; normalisable: c_4 > 0, or c_4 = c_3 = 0 with c_2 > 0.
    """

    def __init__(self, dim: int, coefficients):
        self.dim = positive_int("dim", dim)
        c = real_array("coefficients", coefficients, shape=(5,))
        _check_coefficients(c)
        self._theta = c
        self._index = np.array([self.dim], dtype=np.int64)
        self._energy = energies.quartic_energy
        self._grad = energies.quartic_grad
        self._grad_params = energies.quartic_grad_params

    def _check_theta(self, theta: np.ndarray) -> None:
        _check_coefficients(theta)

    @property
    def coefficients(self) -> np.ndarray:
        return self._theta.copy()

    def __repr__(self) -> str:
        return f"QuarticPotential(dim={self.dim}, coefficients={self._theta.tolist()})"


class DoubleWell(QuarticPotential):
    """Double well a (x_i^2 - 1)^2 + c x_i in every coordinate.

    Parameters
    ----------
    dim : int >= 1
    barrier : float > 0
        a, the barrier height at zero tilt (energy units, k_B = 1).
    tilt : float
        c, a linear term favouring the well at x = -1 when c > 0.
    """

    def __init__(self, dim: int = 1, barrier: float = 1.0, tilt: float = 0.0):
        a = check_positive("barrier", barrier)
        c = finite_real("tilt", tilt)
        super().__init__(dim, [a, c, -2.0 * a, 0.0, a])

    @property
    def barrier(self) -> float:
        return float(self._theta[4])

    @property
    def tilt(self) -> float:
        return float(self._theta[1])

    def __repr__(self) -> str:
        return f"DoubleWell(dim={self.dim}, barrier={self.barrier}, tilt={self.tilt})"
