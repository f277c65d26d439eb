"""``estimate_log_z``: log Z of a model by any method, as one :class:`LogZEstimate`.

The methods (k_B = 1, Z = sum exp(-beta E), natural logs):

==============  ===================================================================
``exact``       enumeration (Ising models up to 30 spins; RBMs with
                min(n_visible, n_hidden) <= 20, by summing out one layer)
``kaufman``     Kaufman's finite-torus formula (periodic 2D lattices, zero field)
``ais``         forward annealed importance sampling: a stochastic lower bound
``reverse-ais`` reverse AIS from samples of the target: a stochastic upper bound;
                on Ising lattices too large to sample exactly the chains start from
                equilibrated MCMC configurations (1000 sweeps; a warning says the
                bound is then approximate), and RBMs with ``data`` start from data
                rows followed by 1000 Gibbs steps
``ti``          thermodynamic integration of <E> along beta (Ising models)
``wang-landau`` the Wang-Landau density of states, reweighted to beta (zero-field lattices)
==============  ===================================================================
"""

from __future__ import annotations

import time
import warnings

from ebmphys.models.ising import GraphIsing, LatticeIsing
from ebmphys.models.rbm import RBM
from ebmphys.partition.result import LogZEstimate

METHODS = ("exact", "kaufman", "ais", "reverse-ais", "ti", "wang-landau")
#: default (n_chains, n_steps) of the sampling methods (TI: chains per grid point and sweeps per point)
DEFAULTS = {"ais": (100, 1000), "reverse-ais": (100, 1000), "ti": (8, 2000), "wang-landau": (4, None)}
#: Ising models up to this many spins get exact samples for reverse AIS
MAX_EXACT_SAMPLE_SPINS = 24


def _exact(model, beta: float, method: str) -> float:
    from ebmphys.partition.exact import log_z_exact
    from ebmphys.partition.kaufman import ising2d_log_z
    from ebmphys.partition.rbm_exact import rbm_log_z_exact

    if method == "kaufman":
        if not (isinstance(model, LatticeIsing) and model.ndim == 2 and model.periodic and model.h == 0):
            raise ValueError("method 'kaufman' needs a periodic 2D LatticeIsing with zero field h = 0")
        return ising2d_log_z(model.shape[0], model.shape[1], beta, J=model.J)
    if isinstance(model, RBM):
        return rbm_log_z_exact(RBM(model.n_visible, model.n_hidden, W=beta * model.W, b=beta * model.b,
                                   c=beta * model.c))
    return log_z_exact(model, beta)


def _equilibrated_states(model, beta: float, n_chains: int, seed, device: str):
    """Equilibrated Ising configurations for reverse AIS on lattices too large for exact samples."""
    from ebmphys.sampling.sample import sample

    algorithm = "swendsen-wang" if isinstance(model, LatticeIsing) and model.J > 0 and model.h == 0 else "heatbath"
    warnings.warn("reverse AIS starts from MCMC configurations (1000 sweeps), not exact samples: "
                  "the upper bound is approximate", RuntimeWarning, stacklevel=3)
    r = sample(model, beta=beta, n_sweeps=1000, n_chains=n_chains, algorithm=algorithm, seed=seed, record=(),
               return_states=True, device=device)
    return r.states.reshape(n_chains, -1)


def estimate_log_z(model, beta: float = 1.0, *, method: str = "ais", n_chains: int | None = None,
                   n_steps: int | None = None, schedule="linear", seed: int | None = None, device: str = "cpu",
                   data=None) -> LogZEstimate:
    """log Z of ``model`` at inverse temperature ``beta`` by ``method`` (see the module docstring).

    Parameters
    ----------
    model : LatticeIsing, GraphIsing or RBM
    beta : float > 0
    method : one of ``METHODS``
    n_chains : int, optional
        AIS chains, TI chains per grid point, or Wang-Landau walkers (defaults in ``DEFAULTS``).
    n_steps : int, optional
        AIS annealing steps, or TI sweeps per grid point.
    schedule : AIS schedule (name or array)
    seed : int or None
    device : {"cpu", "cuda", "auto"}
    data : binary array, optional (RBMs: base-rate model and reverse-AIS starts)

    Returns
    -------
    LogZEstimate
        For AIS an :class:`~ebmphys.partition.ais.AISResult`, for TI a
        :class:`~ebmphys.partition.thermodynamic.TIResult` (more fields); stderr 0 for exact methods.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    default_chains, default_steps = DEFAULTS.get(method, (None, None))
    n_chains = default_chains if n_chains is None else n_chains
    n_steps = default_steps if n_steps is None else n_steps
    start = time.perf_counter()
    if method in ("exact", "kaufman"):
        return LogZEstimate(method=method, log_z=_exact(model, beta, method), stderr=0.0, seed=None,
                            seconds=time.perf_counter() - start)
    if method in ("ais", "reverse-ais"):
        from ebmphys.partition.ais import ais, reverse_ais

        kwargs = dict(n_chains=n_chains, n_steps=n_steps, schedule=schedule, seed=seed, device=device)
        if isinstance(model, RBM):
            kwargs["data"] = data
        if method == "ais":
            return ais(model, beta, **kwargs)
        if isinstance(model, (LatticeIsing, GraphIsing)) and model.n_spins > MAX_EXACT_SAMPLE_SPINS:
            kwargs["initial_states"] = _equilibrated_states(model, beta, n_chains, seed, device)
        if isinstance(model, RBM) and data is not None:
            kwargs["burn_in"] = 1000
        return reverse_ais(model, beta, **kwargs)
    if method == "ti":
        from ebmphys.partition.thermodynamic import thermodynamic_integration

        return thermodynamic_integration(model, beta, n_chains=n_chains, n_sweeps=n_steps, seed=seed, device=device)
    from ebmphys.sampling.wang_landau import wang_landau

    r = wang_landau(model, n_chains=n_chains, seed=seed, device=device)
    return LogZEstimate(method=method, log_z=r.log_z(beta), stderr=r.stderr("log_z", beta), seed=r.seed,
                        seconds=time.perf_counter() - start)
