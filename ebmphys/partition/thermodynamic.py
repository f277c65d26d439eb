"""Thermodynamic integration: log Z from the mean energy along beta, a cross-check of AIS.

Since d log Z / d beta = -<E>_beta (k_B = 1, E total energy) and Z(0) = 2**N,

    log Z(beta) = N log 2 - int_0^beta <E>_b db.

<E>_b is measured by Markov chain Monte Carlo at ``n_betas`` equally spaced
inverse temperatures (at b = 0 it is exactly 0) and integrated with the
composite Simpson rule.  At each grid point ``n_chains`` fresh chains start from
random spins, are annealed linearly from 0 to b during the ``burn_in`` sweeps
(no quench into long-lived domains), then sweep ``n_sweeps`` times at b while
their energies are averaged.  The chains run through :meth:`ebmphys.sampling.Chains.anneal`
(the chain-major heat-bath or Metropolis kernels of :mod:`ebmphys.kernels.ais_cpu`:
one thread per chain, no barrier per sweep).  The statistical standard error
propagates the standard errors of the <E>_b (spread of independent chain means)
through the quadrature weights, sqrt(sum_k w_k^2 se_k^2); the quadrature error
is estimated separately by Richardson's rule, |S(h) - S(2h)| / 15.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ebmphys.kernels.rng import AIS_INIT, derive_seed, resolve_seed, split_seed
from ebmphys.kernels.spin_updates import random_spins
from ebmphys.models._validate import finite_real, positive_int
from ebmphys.models.ising import GraphIsing, LatticeIsing
from ebmphys.partition.result import LogZEstimate
from ebmphys.sampling.chains import Chains
from ebmphys.sampling.registry import check_device

#: single-spin transitions thermodynamic integration may use
ALGORITHMS = ("heatbath", "metropolis")


@dataclass
class TIResult(LogZEstimate):
    """Thermodynamic-integration estimate of log Z (a :class:`LogZEstimate` with ``method`` "ti").

    Attributes
    ----------
    log_z : float
    stderr : float
        Statistical standard error (from the chains).
    quadrature_error : float
        Richardson estimate of the Simpson-rule error (systematic).
    betas, mean_energy, energy_stderr : float64 arrays (n_betas,)
        The grid, the measured <E> (total) and its standard errors.
    seed : int
    seconds : float
    """

    quadrature_error: float
    betas: np.ndarray = field(repr=False)
    mean_energy: np.ndarray = field(repr=False)
    energy_stderr: np.ndarray = field(repr=False)


def simpson_weights(n_points: int, width: float) -> np.ndarray:
    """Composite Simpson weights of ``n_points`` (odd, >= 3) equally spaced points spanning ``width``."""
    h = width / (n_points - 1)
    w = np.full(n_points, 2.0)
    w[1::2] = 4.0
    w[0] = w[-1] = 1.0
    return w * h / 3.0


def thermodynamic_integration(model, beta: float = 1.0, *, n_betas: int = 33, n_sweeps: int = 2000,
                              burn_in: int = 500, n_chains: int = 8, algorithm: str = "heatbath",
                              seed: int | None = None, device: str = "cpu") -> TIResult:
    """Estimate log Z(beta) of an Ising model by integrating the mean energy from beta = 0.

    Parameters
    ----------
    model : LatticeIsing or GraphIsing
    beta : float > 0
        Target inverse temperature (k_B = 1).
    n_betas : int, 4m + 1 with m >= 1
        Grid points on [0, beta] (Simpson's rule on the full and on the halved grid).
    n_sweeps : int >= 1
        Measured sweeps of each chain at each grid point.
    burn_in : int >= 0
        Sweeps annealing each chain from beta = 0 to the grid point before measuring.
    n_chains : int >= 2
        Independent chains per grid point; the spread of their means gives the error bars.
    algorithm : {"heatbath", "metropolis"}
    seed : int or None
        Grid point k uses the seed ``ebmphys.kernels.rng.derive_seed(seed, k)``.
    device : {"cpu", "cuda", "auto"}
        Where the chains run (``ebmphys.sampling.registry.check_device``).
    """
    start = time.perf_counter()
    if not isinstance(model, (LatticeIsing, GraphIsing)):
        raise TypeError(f"model must be a LatticeIsing or GraphIsing, got {type(model).__name__}")
    beta = finite_real("beta", beta)
    if beta <= 0:
        raise ValueError(f"beta must be finite and > 0, got {beta}")
    n_betas = positive_int("n_betas", n_betas, minimum=5)
    if n_betas % 4 != 1:
        raise ValueError(f"n_betas must be of the form 4m + 1 (5, 9, 17, 33, ...), got {n_betas}")
    n_chains = positive_int("n_chains", n_chains, minimum=2)
    n_sweeps = positive_int("n_sweeps", n_sweeps)
    burn_in = positive_int("burn_in", burn_in, minimum=0)
    device = check_device(device)
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
    seed = resolve_seed(seed)
    if isinstance(model, LatticeIsing):
        model.require_bipartite()
    betas = np.linspace(0.0, beta, n_betas)
    mean_energy = np.zeros(n_betas)
    energy_se = np.zeros(n_betas)
    for k in range(1, n_betas):
        point_seed = derive_seed(seed, k)
        k0, k1 = split_seed(point_seed)
        chains = Chains(model, algorithm=algorithm, beta=betas[k], n_chains=n_chains, seed=point_seed, device=device,
                        initial_states=random_spins(n_chains, model.n_spins, k0, k1, AIS_INIT, 0))
        if burn_in:
            chains.anneal(np.linspace(0.0, betas[k], burn_in + 2)[1:])
        chain_means = chains.anneal(np.full(n_sweeps + 1, betas[k])).energy_sum / n_sweeps
        mean_energy[k] = chain_means.mean()
        energy_se[k] = chain_means.std(ddof=1) / math.sqrt(n_chains)
    weights = simpson_weights(n_betas, beta)
    integral = float(weights @ mean_energy)
    coarse = float(simpson_weights((n_betas + 1) // 2, beta) @ mean_energy[::2])
    return TIResult(
        method="ti", log_z=model.n_spins * math.log(2.0) - integral,
        stderr=float(np.sqrt(np.sum((weights * energy_se) ** 2))),
        quadrature_error=abs(integral - coarse) / 15.0,
        betas=betas, mean_energy=mean_energy, energy_stderr=energy_se, seed=seed,
        seconds=time.perf_counter() - start,
    )
