"""Parallel tempering (replica exchange) over a ladder of inverse temperatures.

The ladder runs on :class:`ebmphys.sampling.Chains` (its module docstring gives the
exchange rule and the random-number layout); :func:`parallel_tempering` is the thin
wrapper that returns a :class:`TemperingResult`, and :func:`tune_ladder` places the
temperatures.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erfcinv

from ebmphys.kernels.rng import derive_seed, resolve_seed
from ebmphys.models._validate import finite_real, positive_int
from ebmphys.sampling.chains import check_ladder
from ebmphys.sampling.registry import check_device
from ebmphys.sampling.sample import TemperingResult, sample


def parallel_tempering(
    model,
    *,
    beta,
    n_sweeps: int,
    n_chains: int = 1,
    algorithm: str = "metropolis",
    exchange_every: int = 1,
    seed: int | None = None,
    burn_in: int = 0,
    thin: int = 1,
    record=None,
    return_states: bool = False,
    initial_states: np.ndarray | None = None,
    sweep_offset: int = 0,
    device: str = "cpu",
    progress: bool = False,
) -> TemperingResult:
    """Run ``n_chains`` independent parallel-tempering ensembles of ``model`` over a ladder of betas.

    The same as ``ebmphys.sample(model, beta=ladder, exchange_every=...)``.

    Parameters
    ----------
    model : LatticeIsing or GraphIsing
    beta : sequence of float
        Ladder of inverse temperatures 1/T (k_B = 1): at least 2 finite values
        >= 0, strictly increasing.
    n_sweeps : int
        Sweeps after burn-in (every replica makes one sweep per sweep; see
        ``ebmphys.sample`` for what a sweep is for each algorithm).
    n_chains : int
        Independent ensembles, each with one replica per beta.
    algorithm : str
        Update of each replica (``ebmphys.sampling.registry.algorithms`` lists those
        available; "metropolis" or "heatbath" for any Ising model).
    exchange_every : int
        Sweeps between exchange rounds (rounds alternate even and odd pairs).
    seed, burn_in, thin, record, return_states, sweep_offset, device, progress
        As in ``ebmphys.sample``.
    initial_states : int8 array (n_chains, n_betas, *model.shape), optional
        Starting configuration at each beta; default independent uniform random spins.

    Returns
    -------
    TemperingResult
    """
    check_ladder(beta)
    return sample(model, beta=beta, n_sweeps=n_sweeps, n_chains=n_chains, algorithm=algorithm,
                  exchange_every=exchange_every, seed=seed, burn_in=burn_in, thin=thin, record=record,
                  return_states=return_states, initial_states=initial_states, sweep_offset=sweep_offset,
                  device=device, progress=progress)


def tune_ladder(
    model,
    *,
    beta_min: float,
    beta_max: float,
    n_betas: int,
    algorithm: str = "metropolis",
    n_chains: int = 8,
    n_sweeps: int = 500,
    burn_in: int = 100,
    exchange_every: int = 1,
    n_iterations: int = 4,
    seed: int | None = None,
    device: str = "cpu",
) -> np.ndarray:
    """Place ``n_betas`` inverse temperatures in [beta_min, beta_max] for roughly equal exchange acceptance.

    Iterative feedback on short parallel-tempering runs.  For Gaussian energy
    distributions the acceptance of the pair (b, b + db) is ``erfc(db sigma / 2)``
    with sigma the energy's standard deviation, so each measured rate A_k gives
    the gap's thermodynamic length ``g_k = 2 erfcinv(A_k)`` and a density
    ``sigma_k = g_k / db_k`` on the gap.  The next ladder splits the total length
    into equal parts under that piecewise-constant density (endpoints fixed);
    each run starts afresh from random spins.

    Parameters
    ----------
    model : LatticeIsing or GraphIsing
    beta_min, beta_max : float
        Ends of the ladder, 0 <= beta_min < beta_max, finite.
    n_betas : int
        Number of temperatures, >= 2.
    algorithm, n_chains, n_sweeps, burn_in, exchange_every, seed, device
        Of each tuning run (``parallel_tempering``); iteration i uses the seed
        ``ebmphys.kernels.rng.derive_seed(seed, i)``.
    n_iterations : int
        Feedback rounds, >= 1.

    Returns
    -------
    float64 array (n_betas,), strictly increasing, from beta_min to beta_max.
    """
    beta_min = finite_real("beta_min", beta_min)
    beta_max = finite_real("beta_max", beta_max)
    if not 0 <= beta_min < beta_max:
        raise ValueError(f"beta_min and beta_max must satisfy 0 <= beta_min < beta_max, got {beta_min}, {beta_max}")
    n_betas = positive_int("n_betas", n_betas, minimum=2)
    n_iterations = positive_int("n_iterations", n_iterations)
    seed = resolve_seed(seed)
    device = check_device(device)
    betas = np.linspace(beta_min, beta_max, n_betas)
    for iteration in range(n_iterations):
        run = parallel_tempering(
            model, beta=betas, n_sweeps=n_sweeps, n_chains=n_chains, algorithm=algorithm, burn_in=burn_in,
            exchange_every=exchange_every, seed=derive_seed(seed, iteration), record=(), device=device,
        )
        acceptance = np.clip(run.acceptance_rates, 1e-4, 1 - 1e-6)
        length = np.concatenate([[0.0], np.cumsum(2 * erfcinv(acceptance))])
        betas = np.interp(np.linspace(0, length[-1], n_betas), length, betas)
        betas[0], betas[-1] = beta_min, beta_max
    return betas
