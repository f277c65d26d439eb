"""log_z_exact and energy_spectrum (Gray-code kernel) against brute-force sums over all states."""

import numpy as np
import pytest
from scipy.special import logsumexp

from ebmphys.models.ising import GraphIsing, LatticeIsing
from ebmphys.partition import (
    MAX_ENUMERATION_SPINS,
    boltzmann_probabilities,
    energy_spectrum,
    enumerate_states,
    log_z_exact,
)

BETAS = np.array([0.0, 0.3, 1.0, 4.0])


def _random_graph(n_spins, seed, with_fields):
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(size=(n_spins, n_spins)) * (rng.random((n_spins, n_spins)) < 0.5), 1)
    return GraphIsing(J + J.T, rng.normal(size=n_spins) if with_fields else 0.0)


MODELS = {
    "3x3-periodic": LatticeIsing((3, 3), J=1.0),
    "3x3-open-field": LatticeIsing((3, 3), J=-0.7, h=0.3, periodic=False),
    "2x2x3-periodic": LatticeIsing((2, 2, 3), J=0.5, h=-0.2),
    "graph-10-fields": _random_graph(10, seed=7, with_fields=True),
    "graph-10-no-fields": _random_graph(10, seed=8, with_fields=False),
}


def _brute_force_energies(model):
    """The obviously-correct reference: the model's own vectorised energy of every state."""
    return model.energy(enumerate_states(model.n_spins))


@pytest.mark.parametrize("name", list(MODELS))
def test_log_z_matches_brute_force(name):
    model = MODELS[name]
    energies = _brute_force_energies(model)
    reference = logsumexp(-BETAS[:, None] * energies[None, :], axis=1)
    # energies are grouped on a 1e-9 grid: relative error of Z <= beta * 1e-9
    np.testing.assert_allclose(log_z_exact(model, BETAS), reference, rtol=0, atol=4e-9)
    assert log_z_exact(model, 0.0) == pytest.approx(model.n_spins * np.log(2), rel=1e-15)


@pytest.mark.parametrize("name", list(MODELS))
def test_spectrum_matches_brute_force(name):
    model = MODELS[name]
    energies, counts = energy_spectrum(model)
    values, reference_counts = np.unique(np.round(_brute_force_energies(model), 9), return_counts=True)
    np.testing.assert_allclose(energies, values, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(counts, reference_counts)
    assert counts.sum() == 2**model.n_spins
    assert energies.dtype == np.float64 and counts.dtype == np.int64


def test_spectrum_of_4x6_torus():
    """24 spins, several chunks of the walk: ground states, level symmetry and total count."""
    energies, counts = energy_spectrum(LatticeIsing((4, 6)))
    assert counts.sum() == 2**24
    assert energies[0] == -48.0 and counts[0] == 2
    # even sides: the lattice is bipartite, so E -> -E maps states onto states
    np.testing.assert_array_equal(energies, -energies[::-1])
    np.testing.assert_array_equal(counts, counts[::-1])


def test_boltzmann_probabilities_sum_to_one():
    model = MODELS["3x3-open-field"]
    p = boltzmann_probabilities(model, 0.8)
    assert p.sum() == pytest.approx(1.0, rel=1e-14)
    np.testing.assert_allclose(np.log(p), -0.8 * _brute_force_energies(model) - log_z_exact(model, 0.8), atol=1e-8)


def test_refuses_more_than_30_spins():
    big = LatticeIsing((5, 7))
    message = f"n_spins=35 exceeds the limit of {MAX_ENUMERATION_SPINS}"
    for call in (lambda: energy_spectrum(big), lambda: log_z_exact(big, 1.0), lambda: enumerate_states(31)):
        with pytest.raises(ValueError, match=message.replace("35", r"3[15]")):
            call()


def test_rejects_other_models_and_bad_beta():
    with pytest.raises(TypeError, match="model must be a LatticeIsing or GraphIsing"):
        energy_spectrum(object())
    with pytest.raises(ValueError, match="beta must be finite and >= 0"):
        log_z_exact(MODELS["3x3-periodic"], -1.0)
    with pytest.raises(TypeError, match="beta must be a finite real number"):
        log_z_exact(MODELS["3x3-periodic"], "1")
