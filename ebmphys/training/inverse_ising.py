"""Inverse Ising problem (fully visible Boltzmann machine): learn couplings and fields from samples.

Model (k_B = 1, beta = 1): spins s_i in {-1, +1},

    E(s) = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i,    p(s) = exp(-E(s)) / Z,

the convention of :class:`ebmphys.models.GraphIsing`.  The parameters
theta = (J_ij for i < j, h_i) are natural parameters of an exponential family
with sufficient statistics phi(s) = (s_i s_j, s_i), so the mean log-likelihood
is concave with gradient <phi>_data - <phi>_model.  Three estimators:

- :func:`fit_ising_exact`: maximum likelihood, model moments by enumerating all
  2**N states (N <= 16), L-BFGS;
- :func:`fit_ising_pseudolikelihood`: maximum pseudo-likelihood
  sum_i log p(s_i | s_{-i}) = sum_i log sigmoid(2 s_i H_i), H_i = h_i + sum_j J_ij s_j,
  L-BFGS (consistent, no partition function, any N);
- :func:`fit_ising_mcmc`: gradient ascent with model moments from persistent
  Markov chains run by :func:`ebmphys.sample`, with the parameters averaged over
  the second half of the iterations (Polyak averaging).

An optional L2 penalty ``l2 / 2 * sum_{i<j} J_ij**2`` acts on the couplings only.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_expit, logsumexp

from ebmphys.kernels.rng import resolve_seed
from ebmphys.models._validate import finite_real, positive_int
from ebmphys.models.ising import GraphIsing
from ebmphys.partition.exact import enumerate_states
from ebmphys.sampling.chains import Chains
from ebmphys.sampling.registry import check_device

MAX_EXACT_SPINS = 16


def _check_samples(samples) -> tuple[np.ndarray, np.ndarray]:
    """Validate spin samples; return the distinct rows (float64) and their counts."""
    arr = np.asarray(samples)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"samples must be a numeric array of spins -1/+1, got dtype {arr.dtype}")
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise ValueError(f"samples must have shape (n_samples, n_spins) with n_spins >= 2, got {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError("samples must contain at least one configuration, got 0 rows")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError("samples contain NaN or infinite values; spins must be -1 or +1")
    if not np.all(np.abs(arr) == 1):
        raise ValueError("samples must contain only spins -1 and +1 (map 0/1 units with binary_to_spins)")
    rows, counts = np.unique(arr.astype(np.int8), axis=0, return_counts=True)
    return rows.astype(np.float64), counts.astype(np.float64)


def _check_l2(l2) -> float:
    l2 = finite_real("l2", l2)
    if l2 < 0:
        raise ValueError(f"l2 must be finite and >= 0, got {l2}")
    return l2


def sufficient_statistics(states: np.ndarray) -> np.ndarray:
    """phi(s) = (s_i s_j for i < j in row-major order, s_i) for each row of ``states``."""
    s = np.asarray(states, dtype=np.float64)
    iu = np.triu_indices(s.shape[1], k=1)
    return np.concatenate([s[:, iu[0]] * s[:, iu[1]], s], axis=1)


def theta_to_model(theta: np.ndarray, n_spins: int) -> GraphIsing:
    """GraphIsing with couplings and fields from theta = (J_ij for i < j, h_i)."""
    iu = np.triu_indices(n_spins, k=1)
    J = np.zeros((n_spins, n_spins))
    J[iu] = theta[: len(iu[0])]
    return GraphIsing(J + J.T, theta[len(iu[0]) :])


def model_to_theta(model: GraphIsing) -> np.ndarray:
    """theta = (J_ij for i < j, h_i) of a GraphIsing model."""
    J = model.couplings.toarray()
    return np.concatenate([J[np.triu_indices(model.n_spins, k=1)], model.fields])


def _penalty(theta: np.ndarray, n_pairs: int, l2: float) -> tuple[float, np.ndarray]:
    grad = np.zeros_like(theta)
    grad[:n_pairs] = l2 * theta[:n_pairs]
    return 0.5 * l2 * float(theta[:n_pairs] @ theta[:n_pairs]), grad


def exact_objective(theta: np.ndarray, phi_all: np.ndarray, phi_data_mean: np.ndarray) -> tuple[float, np.ndarray]:
    """Negative mean log-likelihood and its gradient, model moments from all states' statistics ``phi_all``."""
    log_w = phi_all @ theta
    log_z = logsumexp(log_w)
    p = np.exp(log_w - log_z)
    return log_z - float(phi_data_mean @ theta), p @ phi_all - phi_data_mean


def pseudolikelihood_objective(theta: np.ndarray, rows: np.ndarray, counts: np.ndarray) -> tuple[float, np.ndarray]:
    """Negative mean pseudo-log-likelihood and its gradient over distinct ``rows`` with ``counts``."""
    n = rows.shape[1]
    iu = np.triu_indices(n, k=1)
    J = np.zeros((n, n))
    J[iu] = theta[: len(iu[0])]
    J = J + J.T
    weights = counts / counts.sum()
    margin = 2.0 * rows * (rows @ J + theta[len(iu[0]) :])            # 2 s_i H_i
    value = -float(weights @ log_expit(margin).sum(axis=1))
    g = -2.0 * rows * np.exp(log_expit(-margin)) * weights[:, None]    # d(-pll)/dH_i
    m = g.T @ rows                                                     # sum_samples g_i s_j
    return value, np.concatenate([(m + m.T)[iu], g.sum(axis=0)])


def _minimize(objective, theta0, n_pairs, l2, tol, max_iter) -> np.ndarray:
    def total(theta):
        value, grad = objective(theta)
        pv, pg = _penalty(theta, n_pairs, l2)
        return value + pv, grad + pg

    result = minimize(total, theta0, jac=True, method="L-BFGS-B", options={"gtol": tol, "maxiter": max_iter})
    if not np.all(np.isfinite(result.x)):
        raise RuntimeError(f"inverse Ising optimisation diverged ({result.message}); try l2 > 0")
    return result.x


def fit_ising_exact(samples, *, l2: float = 0.0, tol: float = 1e-9, max_iter: int = 1000) -> GraphIsing:
    """Maximum-likelihood couplings and fields by the exact gradient (enumeration of 2**N states).

    Parameters
    ----------
    samples : array (n_samples, N) of spins -1/+1, N <= 16
    l2 : float >= 0, L2 penalty on the couplings
    tol : float > 0, gradient tolerance of L-BFGS
    max_iter : int >= 1

    Returns
    -------
    GraphIsing with dense couplings J (symmetric, zero diagonal) and fields h.
    """
    rows, counts = _check_samples(samples)
    n = rows.shape[1]
    if n > MAX_EXACT_SPINS:
        raise ValueError(f"fit_ising_exact enumerates 2**N states; N={n} exceeds {MAX_EXACT_SPINS} "
                         f"(use fit_ising_pseudolikelihood or fit_ising_mcmc)")
    l2, max_iter = _check_l2(l2), positive_int("max_iter", max_iter)
    phi_all = sufficient_statistics(enumerate_states(n))
    phi_mean = (counts / counts.sum()) @ sufficient_statistics(rows)
    theta = _minimize(lambda t: exact_objective(t, phi_all, phi_mean), np.zeros(phi_all.shape[1]),
                      n * (n - 1) // 2, l2, tol, max_iter)
    return theta_to_model(theta, n)


def fit_ising_pseudolikelihood(samples, *, l2: float = 0.0, tol: float = 1e-9, max_iter: int = 1000) -> GraphIsing:
    """Maximum pseudo-likelihood couplings and fields (Besag), any N; same parameters as :func:`fit_ising_exact`."""
    rows, counts = _check_samples(samples)
    n = rows.shape[1]
    l2, max_iter = _check_l2(l2), positive_int("max_iter", max_iter)
    theta = _minimize(lambda t: pseudolikelihood_objective(t, rows, counts), np.zeros(n * (n + 1) // 2),
                      n * (n - 1) // 2, l2, tol, max_iter)
    return theta_to_model(theta, n)


def fit_ising_mcmc(samples, *, n_iter: int = 200, learning_rate: float = 0.1, n_chains: int = 1000,
                   n_sweeps: int = 1, l2: float = 0.0, algorithm: str = "heatbath",
                   seed: int | None = None, initial: GraphIsing | None = None, device: str = "cpu") -> GraphIsing:
    """Couplings and fields by stochastic gradient ascent with model moments from persistent chains.

    Each iteration advances ``n_chains`` persistent chains of the current model by
    ``n_sweeps`` sweeps (:class:`ebmphys.sampling.Chains`, continued from the previous
    iteration's states and sweep counter; counter-based RNG, so the run is a pure
    function of ``seed``), estimates <phi>_model from their states and steps
    theta += learning_rate * (<phi>_data - <phi>_model - l2 penalty gradient).  The
    returned parameters are the average of the iterates of the second half.

    Parameters
    ----------
    samples : array (n_samples, N) of spins -1/+1
    n_iter : int >= 2, gradient steps
    learning_rate : float > 0
    n_chains, n_sweeps : int >= 1
    l2 : float >= 0
    algorithm : "heatbath" or "metropolis"
    seed : int in [0, 2**64) or None
    initial : GraphIsing, optional starting parameters (default: the independent-spin
        model matching the data magnetisations)
    device : {"cpu", "cuda", "auto"}
    """
    rows, counts = _check_samples(samples)
    n = rows.shape[1]
    n_iter = positive_int("n_iter", n_iter, minimum=2)
    n_chains, n_sweeps = positive_int("n_chains", n_chains), positive_int("n_sweeps", n_sweeps)
    learning_rate = finite_real("learning_rate", learning_rate)
    if learning_rate <= 0:
        raise ValueError(f"learning_rate must be a finite number > 0, got {learning_rate}")
    l2 = _check_l2(l2)
    if algorithm not in ("heatbath", "metropolis"):
        raise ValueError(f"algorithm must be 'heatbath' or 'metropolis', got {algorithm!r}")
    seed = resolve_seed(seed)
    device = check_device(device)
    n_pairs = n * (n - 1) // 2
    weights = counts / counts.sum()
    phi_mean = weights @ sufficient_statistics(rows)
    if initial is None:
        m = np.clip(phi_mean[n_pairs:], -1 + 1e-6, 1 - 1e-6)
        theta = np.concatenate([np.zeros(n_pairs), np.arctanh(m)])
    else:
        if not isinstance(initial, GraphIsing) or initial.n_spins != n:
            raise ValueError(f"initial must be a GraphIsing with {n} spins")
        theta = model_to_theta(initial)
    states, sweep, average = None, 0, np.zeros_like(theta)
    for it in range(n_iter):
        chains = Chains(theta_to_model(theta, n), algorithm=algorithm, beta=1.0, n_chains=n_chains, seed=seed,
                        device=device, initial_states=states, sweep=sweep)
        chains.run(n_sweeps, record=())
        states, sweep = chains.states, chains.sweep
        grad = phi_mean - sufficient_statistics(states).mean(axis=0)
        grad -= _penalty(theta, n_pairs, l2)[1]
        theta = theta + learning_rate * grad
        if it >= n_iter // 2:
            average += theta
    return theta_to_model(average / (n_iter - n_iter // 2), n)
