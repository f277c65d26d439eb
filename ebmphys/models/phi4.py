"""Real scalar phi^4 field theory on a hypercubic lattice (Ising universality class).

Action, the energy of a configuration (k_B = 1, weights exp(-beta S), beta = 1 in field theory):

    S(phi) = sum_x [ -2 kappa sum_mu phi_x phi_{x+mu} + phi_x^2 + lam (phi_x^2 - 1)^2 ],

mu running over the d forward neighbours (every bond once; a periodic side of
length 2 joins two sites by two bonds, as for ``LatticeIsing``).  kappa is the
hopping parameter, lam >= 0 the quartic coupling.

* lam = 0 is the free (Gaussian) field, normalisable for |kappa| below
  1 / lambda_max of the adjacency matrix (1/(2d) with periodic boundaries); its
  log Z and propagator are exact lattice Fourier sums
  (:mod:`ebmphys.partition.continuous_exact`).
* lam -> infinity pins phi_x = s_x = +-1: S -> N - 2 kappa sum_<xy> s_x s_y, the
  Ising model (J = 1) at beta_Ising = 2 kappa; in 2D the transition tends to
  kappa_c = ln(1 + sqrt 2) / 4.

theta = [kappa, lam]; the parameter gradient dS/dtheta is
(-2 sum_<xy> phi_x phi_y, sum_x (phi_x^2 - 1)^2).  Observables: the magnetisation
M = sum_x phi_x (|m|, m^2, m^4 with m = M / N follow from its records).
"""

from __future__ import annotations

import math

import numpy as np

from ebmphys.kernels import phi4_cpu
from ebmphys.models._validate import finite_real
from ebmphys.models.continuous import ContinuousModel
from ebmphys.models.ising import LatticeIsing


class Phi4Lattice(ContinuousModel):
    """Lattice phi^4 model with hopping parameter ``kappa`` and quartic coupling ``lam``.

    Parameters
    ----------
    shape : int or tuple of int
        Side lengths (L_1, ..., L_d), each >= 2; sites in C order.
    kappa : float
        Hopping parameter (kappa > 0 ferromagnetic).  With lam = 0 it must satisfy
        |kappa| < :attr:`kappa_max` (normalisable free field).
    lam : float >= 0
        Quartic coupling.
    periodic : bool
        Periodic (torus) or open boundaries.
    """

    kind = "phi4"
    observable_names = ("magnetization",)
    _observables = staticmethod(phi4_cpu.phi4_observables)

    def __init__(self, shape, kappa: float, lam: float, periodic: bool = True):
        self.lattice = LatticeIsing(shape, periodic=periodic)
        small = [L for L in self.lattice.shape if L < 2]
        if small:
            raise ValueError(f"shape sides must be >= 2 (a side of 1 couples a site to itself), got {self.lattice.shape}")
        self.shape = self.lattice.shape
        self.periodic = self.lattice.periodic
        self.dim = self.lattice.n_spins
        self.ndim = self.lattice.ndim
        neighbors = self.lattice.neighbors.astype(np.int64)
        head = [self.dim, neighbors.shape[1], self.ndim, int(self.periodic), *self.shape]
        self._index = np.ascontiguousarray(np.concatenate([head, neighbors.ravel()]), dtype=np.int64)
        kappa = finite_real("kappa", kappa)
        lam = finite_real("lam", lam)
        theta = np.array([kappa, lam])
        self._check_theta(theta)
        self._theta = theta
        self._energy = phi4_cpu.phi4_energy
        self._grad = phi4_cpu.phi4_grad
        self._grad_params = phi4_cpu.phi4_grad_params
        self._coloring = None

    @property
    def kappa_max(self) -> float:
        """Largest |kappa| of a normalisable free field: 1 / lambda_max(adjacency)."""
        if self.periodic:
            return 1.0 / (2.0 * self.ndim)
        return 1.0 / sum(2.0 * math.cos(math.pi / (L + 1)) for L in self.shape)

    def _check_theta(self, theta: np.ndarray) -> None:
        kappa, lam = float(theta[0]), float(theta[1])
        if lam < 0:
            raise ValueError(f"lam must be >= 0 (a negative quartic coupling is not normalisable), got {lam}")
        if lam == 0 and not abs(kappa) < self.kappa_max:
            raise ValueError(f"kappa must satisfy |kappa| < {self.kappa_max:.6g} for the free field lam = 0 on this "
                             f"lattice (else exp(-S) is not normalisable), got {kappa}")

    @property
    def kappa(self) -> float:
        return float(self._theta[0])

    @property
    def lam(self) -> float:
        return float(self._theta[1])

    @property
    def n_sites(self) -> int:
        return self.dim

    @property
    def site_shape(self) -> tuple:
        return self.shape

    @property
    def neighbors(self) -> np.ndarray:
        """int32 (N, 2d) neighbour table (missing open-boundary neighbours are N), as ``LatticeIsing.neighbors``."""
        return self.lattice.neighbors

    @property
    def ising_beta(self) -> float:
        """beta of the Ising model that the lam -> infinity limit becomes: 2 kappa."""
        return 2.0 * self.kappa

    def coloring(self) -> tuple[np.ndarray, np.ndarray]:
        """Sites by checkerboard colour (coordinate sum mod 2, increasing index) and the offsets [0, n_0, N]."""
        self.lattice.require_bipartite()
        if self._coloring is None:
            color = np.indices(self.shape).sum(axis=0).ravel() % 2
            sites = np.concatenate([np.flatnonzero(color == 0), np.flatnonzero(color == 1)]).astype(np.int64)
            offsets = np.array([0, int((color == 0).sum()), self.dim], dtype=np.int64)
            self._coloring = (sites, offsets)
        return self._coloring

    def magnetization(self, x) -> np.ndarray:
        """M = sum_x phi_x of every configuration."""
        return self.observables(x)["magnetization"]

    def __repr__(self) -> str:
        return f"Phi4Lattice(shape={self.shape}, kappa={self.kappa}, lam={self.lam}, periodic={self.periodic})"
