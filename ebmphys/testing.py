"""Small systems with exact answers, and goodness-of-fit checks for samplers.

Every model here has few enough spins to enumerate, so its Boltzmann
distribution, log Z and moments are known exactly (``ebmphys.partition``).
Use them to check any sampler::

    model, beta = SMALL_SYSTEMS["square4x4"]()[0], 0.44
    result = ebmphys.sample(model, beta=beta, n_sweeps=..., n_chains=20000, return_states=True)
    check_distribution(model, beta, result.states, key="energy-magnetization")
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse, stats

from ebmphys.models.ising import GraphIsing, LatticeIsing
from ebmphys.models.potts import LatticePotts, PairwisePotts
from ebmphys.partition.exact import boltzmann_probabilities, enumerate_states, is_potts, state_index
from ebmphys.partition.potts_exact import enumerate_potts_states, potts_state_index


def frustrated_graph(n_spins: int = 10, seed: int = 0) -> GraphIsing:
    """Spin glass on a random graph: each pair bonded with probability 1/2, J_ij ~ N(0, 1), h_i ~ N(0, 0.3^2).

    Mixed-sign couplings on odd cycles make it frustrated; the fixed ``seed`` makes it reproducible.
    """
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.normal(size=(n_spins, n_spins)) * (rng.random((n_spins, n_spins)) < 0.5), k=1)
    return GraphIsing(sparse.csr_matrix(upper + upper.T), rng.normal(scale=0.3, size=n_spins))


#: Named enumerable systems of the core tests: name -> (model, betas to check at)
SMALL_SYSTEMS = {
    "square4x4": (LatticeIsing((4, 4)), (0.2, 0.44, 1.0)),
    "square3x4_open_field": (LatticeIsing((3, 4), J=1.0, h=0.3, periodic=False), (0.5,)),
    "cubic2x2x4_open": (LatticeIsing((2, 2, 4), periodic=False), (0.4,)),
    "antiferro4x4_field": (LatticeIsing((4, 4), J=-1.0, h=0.5), (0.6,)),
    "frustrated_graph10": (frustrated_graph(10, seed=0), (0.5, 1.0)),
}


def random_categorical_graph(n_sites: int = 8, q: int = 3, seed: int = 0) -> PairwisePotts:
    """Pairwise categorical model on a random graph: each pair joined with probability 1/2,
    J_e(a, b) ~ N(0, 0.6^2) independently for every pair of states, h_i(a) ~ N(0, 0.3^2).

    Frustrated and without any symmetry between states; the fixed ``seed`` makes it reproducible.
    """
    rng = np.random.default_rng(seed)
    pairs = np.array([(i, j) for i in range(n_sites) for j in range(i + 1, n_sites)])
    edges = pairs[rng.random(len(pairs)) < 0.5]
    return PairwisePotts(edges, rng.normal(scale=0.6, size=(len(edges), q, q)),
                         rng.normal(scale=0.3, size=(n_sites, q)))


#: Enumerable Potts systems of the issue's tests: name -> (model, betas to check at)
POTTS_SYSTEMS = {
    "torus3x3_q3": (LatticePotts((3, 3), q=3), (0.6, 1.0)),
    "open2x2x3_q3_field": (LatticePotts((2, 2, 3), q=3, J=0.8, h=[0.3, 0.0, -0.2], periodic=False), (0.9,)),
    "graph8_q3_categorical": (random_categorical_graph(8, 3, seed=1), (1.0,)),
}


def _labels(rows: np.ndarray) -> np.ndarray:
    """Integer label of each row of (rounded) statistics."""
    return np.unique(np.round(rows, 8), axis=0, return_inverse=True)[1].ravel()


@dataclass
class FitResult:
    """Outcome of a chi-square goodness-of-fit test."""

    statistic: float
    dof: int
    p_value: float
    total_variation: float
    n_samples: int


def chi_square_fit(observed: np.ndarray, probabilities: np.ndarray, min_expected: float = 5.0) -> FitResult:
    """Pearson chi-square test of category counts against exact probabilities.

    Categories whose expected count is below ``min_expected`` are pooled into one,
    so the chi-square approximation holds.  The samples must be independent
    (e.g. one configuration from each of many independent chains).
    """
    observed = np.asarray(observed, dtype=np.float64)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    n = observed.sum()
    expected = n * probabilities
    small = expected < min_expected
    obs = np.append(observed[~small], observed[small].sum())
    exp = np.append(expected[~small], expected[small].sum())
    keep = exp > 0
    obs, exp = obs[keep], exp[keep]
    statistic = float(((obs - exp) ** 2 / exp).sum())
    dof = len(obs) - 1
    return FitResult(
        statistic=statistic,
        dof=dof,
        p_value=float(stats.chi2.sf(statistic, dof)),
        total_variation=0.5 * float(np.abs(observed / n - probabilities).sum()),
        n_samples=int(n),
    )


def fit_to_boltzmann(model, beta: float, states: np.ndarray, key: str = "state") -> FitResult:
    """Chi-square test of independent configurations against the exact Boltzmann distribution.

    Parameters
    ----------
    model : enumerable LatticeIsing, GraphIsing or Potts model
    beta : float
    states : array (n_samples, *model.shape), independent draws (int8 spins or uint8 Potts states)
    key : {"state", "energy-magnetization"}
        Compare frequencies of whole configurations, or of the joint (E, M) values
        (fewer categories: use it beyond ~12 spins; for Potts models M is the order parameter).
    """
    flat = model.check_states(states)
    probabilities = boltzmann_probabilities(model, beta)
    potts = is_potts(model)
    if key == "state":
        index = potts_state_index(flat, model.q) if potts else state_index(flat)
        counts = np.bincount(index, minlength=probabilities.size)
        return chi_square_fit(counts, probabilities)
    if key == "energy-magnetization":
        everything = enumerate_potts_states(model.n_spins, model.q) if potts else enumerate_states(model.n_spins)
        rows = np.concatenate([
            np.stack([model.energy(everything), model.magnetization(everything)], axis=1),
            np.stack([model.energy(flat), model.magnetization(flat)], axis=1),
        ])
        labels = _labels(rows)
        n_labels = labels.max() + 1
        exact = np.bincount(labels[: everything.shape[0]], weights=probabilities, minlength=n_labels)
        counts = np.bincount(labels[everything.shape[0]:], minlength=n_labels)
        return chi_square_fit(counts, exact)
    raise ValueError(f"key must be 'state' or 'energy-magnetization', got {key!r}")
