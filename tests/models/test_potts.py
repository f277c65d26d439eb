"""Potts models: energies, the q = 2 <-> Ising map, the zero-sum gauge, exact results, bad input."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from ebmphys.models import GraphPotts, LatticePotts, PairwisePotts
from ebmphys.partition import log_z_exact
from ebmphys.partition.potts_critical import (
    potts_beta_c,
    potts_critical_energy,
    potts_latent_heat,
    potts_transition_energies,
)
from ebmphys.partition.potts_exact import (
    enumerate_potts_states,
    potts_boltzmann_probabilities,
    potts_energy_spectrum,
    potts_log_z_exact,
    potts_state_index,
)
from ebmphys.testing import random_categorical_graph


def _brute_energy(model, s):
    """E = -sum over bonds J delta - sum_i h[s_i], bonds from the neighbour table (each counted from both ends)."""
    e = -model.h[s].sum()
    for i in range(model.n_spins):
        for j in model.neighbors[i]:
            if j < model.n_spins and s[j] == s[i]:
                e -= model.J / 2
    return e


@pytest.mark.parametrize("model", [
    LatticePotts((3, 3), q=3),
    LatticePotts((2, 4), q=4, J=-0.5, h=[0.1, -0.3, 0.0, 0.7]),
    LatticePotts((2, 2, 3), q=3, J=0.8, h=[0.3, 0.0, -0.2], periodic=False),
    LatticePotts(5, q=6, periodic=True),
])
def test_lattice_energy_matches_brute_force(model):
    states = np.random.default_rng(0).integers(0, model.q, size=(20, model.n_spins)).astype(np.uint8)
    np.testing.assert_allclose(model.energy(states), [_brute_energy(model, s) for s in states], atol=1e-12)
    assert model.energy(states.reshape((20,) + model.shape)).shape == (20,)


def test_order_parameter():
    model = LatticePotts((2, 3), q=3)
    assert model.magnetization(np.zeros((2, 3), np.uint8)) == 6.0          # ordered: m = 1
    assert model.magnetization(np.array([[0, 1, 2], [2, 1, 0]], np.uint8)) == 0.0  # n_a = 2 each: m = 0
    # q max n_a / N - 1 over q - 1, times N: (3 * 3 - 6) / 2 = 1.5 for occupations (3, 2, 1)
    assert model.magnetization(np.array([[0, 0, 0], [1, 1, 2]], np.uint8)) == 1.5


@pytest.mark.parametrize("shape,periodic,h", [((3, 4), True, [0.0, 0.0]), ((2, 2, 3), False, [0.2, -0.5]),
                                              ((2, 3), True, [0.4, 0.1])])
def test_q2_potts_is_ising(shape, periodic, h):
    """E_Potts(sigma) = E_Ising(2 sigma - 1) + c for every state, and log Z_Potts = log Z_Ising - beta c."""
    potts = LatticePotts(shape, q=2, J=1.3, h=h, periodic=periodic)
    ising, c = potts.to_ising()
    assert ising.J == pytest.approx(0.65) and ising.h == pytest.approx((h[1] - h[0]) / 2)
    states = enumerate_potts_states(potts.n_spins, 2)
    spins = (2 * states.astype(np.int8) - 1).astype(np.int8)
    np.testing.assert_allclose(potts.energy(states), ising.energy(spins) + c, atol=1e-12)
    betas = np.array([0.1, 0.7, 2.0])
    # (spectra group energies on a 1e-9 grid, so log Z agrees to about that precision)
    np.testing.assert_allclose(log_z_exact(potts, betas), log_z_exact(ising, betas) - betas * c, rtol=1e-9)
    np.testing.assert_array_equal(potts.magnetization(states), np.abs(ising.magnetization(spins)))


def test_q2_graph_models_are_ising():
    model = random_categorical_graph(7, 2, seed=3)
    ising, c = model.to_ising()
    states = enumerate_potts_states(7, 2)
    np.testing.assert_allclose(model.energy(states), ising.energy((2 * states.astype(np.int8) - 1)) + c, atol=1e-12)
    np.testing.assert_allclose(log_z_exact(model, 0.8), log_z_exact(ising, 0.8) - 0.8 * c, rtol=1e-9)


def test_graph_potts_is_a_pairwise_model_with_delta_couplings():
    W = np.array([[0, 1.0, 0, 0.5], [1.0, 0, -0.4, 0], [0, -0.4, 0, 2.0], [0.5, 0, 2.0, 0]])
    model = GraphPotts(sp.csr_matrix(W), 3, fields=[0.2, 0.0, -0.1])
    states = enumerate_potts_states(4, 3)
    s = states.astype(int)
    expected = -0.5 * np.einsum("ij,bij->b", W, s[:, :, None] == s[:, None, :]) - np.array([0.2, 0, -0.1])[s].sum(1)
    np.testing.assert_allclose(model.energy(states), expected, atol=1e-12)
    np.testing.assert_allclose(GraphPotts(W, 3, fields=np.tile([0.2, 0.0, -0.1], (4, 1))).energy(states), expected)


def test_zero_sum_gauge_keeps_the_distribution():
    model = random_categorical_graph(6, 4, seed=5)
    gauged, c = model.zero_sum_gauge()
    states = enumerate_potts_states(6, 4)
    np.testing.assert_allclose(model.energy(states), gauged.energy(states) + c, atol=1e-10)
    np.testing.assert_allclose(gauged.pair_couplings.sum(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(gauged.pair_couplings.sum(axis=2), 0, atol=1e-12)
    np.testing.assert_allclose(gauged.fields.sum(axis=1), 0, atol=1e-12)
    again, c2 = gauged.zero_sum_gauge()
    np.testing.assert_allclose(again.pair_couplings, gauged.pair_couplings, atol=1e-12)
    assert abs(c2) < 1e-12


def test_enumeration_helpers():
    model = LatticePotts((2, 2), q=3, h=[0.5, 0.0, 0.0], periodic=False)
    states = enumerate_potts_states(4, 3)
    assert states.shape == (81, 4) and states[5].tolist() == [0, 0, 1, 2]
    np.testing.assert_array_equal(potts_state_index(states, 3), np.arange(81))
    energies, counts = potts_energy_spectrum(model)
    assert counts.sum() == 81
    beta = 0.7
    p = potts_boltzmann_probabilities(model, beta)
    assert p.sum() == pytest.approx(1.0)
    assert potts_log_z_exact(model, beta) == pytest.approx(math.log(np.sum(np.exp(-beta * model.energy(states)))))
    assert potts_log_z_exact(model, 0.0) == pytest.approx(4 * math.log(3))
    with pytest.raises(ValueError, match="states"):
        potts_log_z_exact(LatticePotts((6, 6), q=3), 0.5)


def test_critical_results():
    # q = 2 through the Ising map (J_Ising = J / 2): beta_c = 2 * ln(1 + sqrt 2) / 2, and the energy per
    # site is the Ising one at T_c, -sqrt 2 J_Ising, plus the constant -J (two bonds per site times -J / 2)
    assert potts_beta_c(2) == pytest.approx(math.log(1 + math.sqrt(2)), rel=1e-15)
    assert potts_critical_energy(2) == pytest.approx(-math.sqrt(2) / 2 - 1, rel=1e-15)
    assert potts_beta_c(3) == pytest.approx(1.0050525, abs=1e-7)
    assert potts_critical_energy(4, J=2.0) == pytest.approx(-3.0)
    # Baxter's latent heat at q = 10 and the ordered / disordered energies (literature: 0.696, -1.664, -0.968)
    assert potts_latent_heat(10) == pytest.approx(0.6960494, abs=1e-6)
    e_ord, e_dis = potts_transition_energies(10)
    assert e_ord == pytest.approx(-1.6642528, abs=1e-6) and e_dis == pytest.approx(-0.9682034, abs=1e-6)
    assert potts_latent_heat(4) == 0.0 and potts_latent_heat(5) == pytest.approx(0.0529, abs=1e-3)
    # large q: the ordered energy tends to -2 (every bond satisfied), and the latent heat grows with q
    heats = [potts_latent_heat(q) for q in range(5, 255)]
    assert np.all(np.diff(heats) > 0) and -2.0 < potts_transition_energies(254)[0] < -1.98
    with pytest.raises(ValueError, match="first-order"):
        potts_critical_energy(5)
    with pytest.raises(ValueError, match="J must be > 0"):
        potts_beta_c(3, J=-1.0)


def test_bad_input_gives_clear_errors():
    with pytest.raises(ValueError, match=r"q must be an integer >= 2"):
        LatticePotts((4, 4), q=1)
    with pytest.raises(TypeError, match="q must be an integer"):
        LatticePotts((4, 4), q=2.5)
    with pytest.raises(ValueError, match=r"q must be an integer in \[2, 254\]"):
        LatticePotts((4, 4), q=300)
    with pytest.raises(ValueError, match=r"h must be None or have shape \(q,\) = \(3,\)"):
        LatticePotts((4, 4), q=3, h=[0.1, 0.2])
    with pytest.raises(ValueError, match=r"fields must be None, a scalar, shape \(q,\)"):
        GraphPotts(np.zeros((3, 3)), q=3, fields=np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"couplings must have shape \(n_edges, q, q\)"):
        PairwisePotts([[0, 1]], np.zeros((1, 3, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="repeat"):
        PairwisePotts([[0, 1], [1, 0]], np.zeros((2, 2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="symmetric"):
        GraphPotts(np.array([[0, 1.0], [0.5, 0]]), q=3)
    model = LatticePotts((3, 3), q=3)
    with pytest.raises(ValueError, match=r"entries must be Potts states in 0..2, found 3"):
        model.energy(np.full((3, 3), 3))
    with pytest.raises(ValueError, match=r"found -1"):
        model.energy(np.full((3, 3), -1))
    with pytest.raises(TypeError, match="integer array"):
        model.energy(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 3, 3\) or \(\.\.\., 9\)"):
        model.energy(np.zeros((2, 4), np.uint8))
    with pytest.raises(ValueError, match="q = 2"):
        model.to_ising()
