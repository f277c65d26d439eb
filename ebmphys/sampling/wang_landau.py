"""Wang-Landau estimate of the density of states g(E) of a zero-field lattice Ising or Potts model.

Independent walkers (``n_chains`` of them) each run the Wang-Landau walk with the 1/t refinement
(Belardinelli and Pereyra 2007), described in :mod:`ebmphys.kernels.wang_landau_cpu`:

* flatness criterion (phase 1): checked every ``check_every_sweeps`` sweeps (N trials each); the
  histogram is flat when its minimum over the levels visited so far is at least
  ``flatness`` (default 0.8) times its mean there; then ln f is halved and the
  histogram reset;
* once ln f <= 1/t (t = trials / number of visited levels), ln f = 1/t from then on;
* stopping rule: ln f <= ``log_f_final`` (default 1e-6), or ``max_sweeps`` sweeps
  (then ``converged`` is False for that walker and a warning is issued).

Each walker's ln g is normalised so that sum_E g(E) = 2**N (q**N for a q-state
Potts model: every configuration counted once), which fixes the additive
constant without assuming anything about the ground state.

Levels: the number a = 0 .. B of unsatisfied bonds (B bonds): E = -J (B - 2a) for
Ising spins (antiparallel bonds), E = -J (B - a) for Potts states (bonds joining
different states).  A Potts trial proposes one of the q - 1 other states of a
uniformly chosen site (:mod:`ebmphys.kernels.potts_cpu`).  Thermodynamics at any beta (k_B = 1) follow by
reweighting g: log Z(beta) = log sum_E g(E) exp(-beta E), and so on; every
quantity is computed per walker and averaged, and its standard error is the
spread over walkers divided by sqrt(n_chains).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp

from ebmphys.kernels import potts_cpu
from ebmphys.kernels.potts_updates import random_states
from ebmphys.kernels.rng import AIS_INIT, resolve_seed, split_seed
from ebmphys.kernels.spin_updates import random_spins
from ebmphys.kernels.wang_landau_cpu import wang_landau_walkers
from ebmphys.models._validate import finite_real, positive_int
from ebmphys.models.ising import LatticeIsing
from ebmphys.models.potts import LatticePotts
from ebmphys.sampling.registry import cpu_only


def _betas(beta) -> np.ndarray:
    """``beta`` as a flat float64 array, raising unless every entry is finite and >= 0."""
    b = np.atleast_1d(np.asarray(beta, dtype=np.float64)).ravel()
    if not np.all(np.isfinite(b) & (b >= 0)):
        raise ValueError(f"beta must be finite and >= 0, got {beta!r}")
    return b


@dataclass
class WangLandauResult:
    """Density of states from independent Wang-Landau walkers.

    Attributes
    ----------
    energies : float64 array (n_levels,)
        Total energies E = -J (B - 2a) (Ising) or -J (B - a) (Potts), a = 0 .. B
        (B bonds), ascending for J > 0.
    log_g : float64 array (n_chains, n_levels)
        ln g(E) of each walker, normalised to sum_E g(E) = 2**N (q**N for Potts); -inf
        at levels never visited (energies the lattice cannot have).
    n_spins : int
    trials : int64 array (n_chains,)
        Spin-flip trials made by each walker.
    converged : bool array (n_chains,)
        Whether each walker reached ``log_f_final``.
    seed : int
    seconds : float
    energy_range : (float, float) or None
        The energy window of a restricted walk (Potts only); then ``log_g`` is known up
        to a constant, normalised to sum g = 1 over the window, -inf outside it, and the
        thermodynamic methods (which need every level) raise.
    """

    energies: np.ndarray
    log_g: np.ndarray = field(repr=False)
    n_spins: int
    trials: np.ndarray
    converged: np.ndarray
    seed: int
    seconds: float
    energy_range: tuple | None = None

    @property
    def n_chains(self) -> int:
        """Number of independent walkers."""
        return int(self.log_g.shape[0])

    @property
    def mean_log_g(self) -> np.ndarray:
        """ln g(E) averaged over walkers (each normalised to sum g = 2**N)."""
        return self.log_g.mean(axis=0)

    def _moments(self, beta) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per walker and beta: log Z, <E>, Var(E); arrays (n_chains, n_betas)."""
        b = _betas(beta)
        log_w = self.log_g[:, None, :] - b[None, :, None] * self.energies[None, None, :]
        log_z = logsumexp(log_w, axis=2)
        p = np.exp(log_w - log_z[:, :, None])
        e1 = (p * self.energies).sum(axis=2)
        var = (p * (self.energies - e1[:, :, None]) ** 2).sum(axis=2)
        return log_z, e1, var

    def _per_walker(self, quantity: str, beta) -> np.ndarray:
        if self.energy_range is not None:
            raise ValueError(f"this density of states covers only the energy window {self.energy_range}: "
                             f"log Z and thermal averages need the whole range (run without energy_range)")
        log_z, e1, var = self._moments(beta)
        if quantity == "log_z":
            return log_z
        if quantity == "mean_energy":
            return e1
        if quantity == "specific_heat":
            return _betas(beta) ** 2 * var / self.n_spins
        raise ValueError(f"quantity must be 'log_z', 'mean_energy' or 'specific_heat', got {quantity!r}")

    @staticmethod
    def _shaped(values: np.ndarray, beta):
        return float(values[0]) if np.ndim(beta) == 0 else values.reshape(np.shape(beta))

    def log_z(self, beta):
        """log Z(beta) = log sum_E g(E) exp(-beta E), averaged over walkers; float or array like ``beta``."""
        return self._shaped(self._per_walker("log_z", beta).mean(axis=0), beta)

    def mean_energy(self, beta):
        """Mean total energy <E> at ``beta`` (extensive), averaged over walkers."""
        return self._shaped(self._per_walker("mean_energy", beta).mean(axis=0), beta)

    def specific_heat(self, beta):
        """Specific heat per spin c = beta**2 Var(E) / N (as :func:`ising2d_specific_heat`), averaged over walkers."""
        return self._shaped(self._per_walker("specific_heat", beta).mean(axis=0), beta)

    def stderr(self, quantity: str, beta):
        """Standard error of ``quantity`` ("log_z", "mean_energy", "specific_heat") over walkers: std / sqrt(n_chains)."""
        values = self._per_walker(quantity, beta)
        return self._shaped(values.std(axis=0, ddof=1) / math.sqrt(self.n_chains), beta)


def wang_landau(model: LatticeIsing | LatticePotts, *, n_chains: int = 4, flatness: float = 0.8,
                log_f_final: float = 1e-6, check_every_sweeps: int = 10, max_sweeps: int = 10**7,
                seed: int | None = None, device: str = "cpu", energy_range=None) -> WangLandauResult:
    """Density of states g(E) of a zero-field ``LatticeIsing`` or ``LatticePotts`` by Wang-Landau (1/t refinement).

    Parameters
    ----------
    model : LatticeIsing or LatticePotts
        Any dimension, periodic or open boundaries, coupling J != 0, no field (h = 0;
        for Potts no field favouring a state), so the energy levels lie on the grid
        of the module docstring.
    n_chains : int >= 2
        Independent walkers, run in parallel; their spread gives the error bars.
    flatness : float in (0, 1)
        Flatness threshold of phase 1 (see the module docstring).
    log_f_final : float in (0, 1)
        Stopping value of the modification factor ln f; the statistical error of ln g
        scales as sqrt(ln f) in the 1/t phase.
    check_every_sweeps : int >= 1
        Sweeps (N trials) between flatness checks.
    max_sweeps : int >= 1
        Upper limit on the sweeps of each walker.
    seed : int in [0, 2**64) or None
    device : {"cpu", "cuda", "auto"}
        Where the walkers run: the CPU ("cuda" is refused: no GPU kernel; "auto" gives the CPU).
    energy_range : (float, float), optional (LatticePotts only)
        Confine the walk to the levels with total energy in [E_min, E_max] (walkers
        start at random states and first walk into the window): much faster when only
        part of g(E) is needed, e.g. the two peaks of a first-order transition.

    Returns
    -------
    WangLandauResult
    """
    start = time.perf_counter()
    cpu_only(device, "wang_landau")
    if not isinstance(model, (LatticeIsing, LatticePotts)):
        raise TypeError(f"model must be a LatticeIsing or LatticePotts, got {type(model).__name__}")
    potts = isinstance(model, LatticePotts)
    if (model.has_field if potts else model.h != 0):
        raise ValueError(f"Wang-Landau here needs zero field (levels on the grid of unsatisfied bonds), got "
                         f"h={model.h.tolist() if potts else model.h}")
    if model.J == 0:
        raise ValueError("Wang-Landau needs a coupling J != 0 (with J = 0 there is a single energy level)")
    n_chains = positive_int("n_chains", n_chains, minimum=2)
    flatness = finite_real("flatness", flatness)
    if not 0.0 < flatness < 1.0:
        raise ValueError(f"flatness must be in (0, 1), got {flatness}")
    log_f_final = finite_real("log_f_final", log_f_final)
    if not 0.0 < log_f_final < 1.0:
        raise ValueError(f"log_f_final must be in (0, 1), got {log_f_final}")
    check_every_sweeps = positive_int("check_every_sweeps", check_every_sweeps)
    max_sweeps = positive_int("max_sweeps", max_sweeps)
    seed = resolve_seed(seed)
    k0, k1 = split_seed(seed)
    n = model.n_spins
    neighbors = model.neighbors
    n_bonds = int((neighbors < n).sum()) // 2
    log_g = np.empty((n_chains, n_bonds + 1))
    visited = np.empty((n_chains, n_bonds + 1), dtype=np.bool_)
    trials = np.empty(n_chains, dtype=np.int64)
    final_log_f = np.empty(n_chains)
    check_every = 2 * ((check_every_sweeps * n + 1) // 2)
    if energy_range is not None and not potts:
        raise ValueError("energy_range is available for LatticePotts models only")
    if potts:
        energies = -model.J * (n_bonds - np.arange(n_bonds + 1.0))
        lo, hi = 0, n_bonds
        if energy_range is not None:
            energy_range = _energy_window(energy_range)
            inside = np.flatnonzero((energies >= energy_range[0]) & (energies <= energy_range[1]))
            if inside.size < 2:
                raise ValueError(f"energy_range = {energy_range} holds fewer than 2 energy levels of this model "
                                 f"(levels -J (B - a), a = 0..{n_bonds})")
            lo, hi = int(inside.min()), int(inside.max())
        states = np.full((n_chains, n + 1), model.q, dtype=np.uint8)
        states[:, :n] = random_states(n_chains, n, model.q, k0, k1, AIS_INIT, 0)
        potts_cpu.wang_landau_walkers(states, neighbors, model.q, lo, hi, flatness, check_every, log_f_final,
                                      max_sweeps * n, k0, k1, 0, log_g, visited, trials, final_log_f)
        log_states = 0.0 if energy_range is not None else n * math.log(model.q)
    else:
        spins = np.zeros((n_chains, n + 1), dtype=np.int8)
        spins[:, :n] = random_spins(n_chains, n, k0, k1, AIS_INIT, 0)
        wang_landau_walkers(spins, neighbors, n_bonds, flatness, check_every, log_f_final, max_sweeps * n, k0, k1, 0,
                            log_g, visited, trials, final_log_f)
        log_states, energies = n * math.log(2.0), -model.J * (n_bonds - 2.0 * np.arange(n_bonds + 1))
    log_g = np.where(visited, log_g, -np.inf)
    log_g -= (logsumexp(log_g, axis=1) - log_states)[:, None]
    converged = final_log_f <= log_f_final
    if not converged.all():
        warnings.warn(
            f"Wang-Landau: {int((~converged).sum())} of {n_chains} walkers stopped at max_sweeps={max_sweeps} "
            f"before ln f reached log_f_final={log_f_final}; g(E) is less accurate than asked",
            RuntimeWarning,
            stacklevel=2,
        )
    return WangLandauResult(energies=energies, log_g=log_g, n_spins=n, trials=trials, converged=converged,
                            seed=seed, seconds=time.perf_counter() - start, energy_range=energy_range)


def _energy_window(energy_range) -> tuple[float, float]:
    try:
        e_min, e_max = (finite_real("energy_range[0]", energy_range[0]), finite_real("energy_range[1]", energy_range[1]))
    except (TypeError, IndexError):
        raise TypeError(f"energy_range must be a pair (E_min, E_max) of total energies, got {energy_range!r}") from None
    if not e_min < e_max:
        raise ValueError(f"energy_range must satisfy E_min < E_max, got {energy_range!r}")
    return e_min, e_max
