"""Ising model classes: energies against brute-force sums, local fields, validation."""

import numpy as np
import pytest
from scipy import sparse

from ebmphys.models import GraphIsing, LatticeIsing, binary_to_spins, boltzmann_to_ising, spins_to_binary
from ebmphys.partition import enumerate_states, log_z_exact
from ebmphys.testing import frustrated_graph


def brute_force_energy(shape, J, h, periodic, s):
    """Energy by explicit loops over sites and positive directions."""
    e = 0.0
    for idx in np.ndindex(*shape):
        for axis, L in enumerate(shape):
            nb = list(idx)
            nb[axis] += 1
            if nb[axis] == L:
                if not periodic:
                    continue
                nb[axis] = 0
            e -= J * s[idx] * s[tuple(nb)]
        e -= h * s[idx]
    return e


@pytest.mark.parametrize(
    "shape,J,h,periodic",
    [((6,), 1.0, 0.0, True), ((4, 4), -0.7, 0.3, True), ((3, 5), 1.2, -0.4, False), ((2, 2, 4), 1.0, 0.1, False),
     ((4, 2, 2), 0.5, 0.0, True), ((3, 3), 1.0, 0.0, True)],
)
def test_energy_and_field_match_brute_force(shape, J, h, periodic):
    model = LatticeIsing(shape, J=J, h=h, periodic=periodic)
    rng = np.random.default_rng(1)
    states = rng.choice(np.array([-1, 1], np.int8), size=(5,) + shape)
    expected = [brute_force_energy(shape, J, h, periodic, s) for s in states]
    np.testing.assert_allclose(model.energy(states), expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(model.magnetization(states), states.reshape(5, -1).sum(axis=1))
    # flipping spin i changes the energy by 2 s_i f_i
    field = model.local_field(states)
    flat = states.reshape(5, -1).copy()
    flat[:, 0] *= -1
    np.testing.assert_allclose(model.energy(flat) - model.energy(states), 2 * states.reshape(5, -1)[:, 0] * field[:, 0])


def test_graph_energy_matches_dense_formula():
    model = frustrated_graph(10, seed=3)
    J = model.couplings.toarray()
    s = enumerate_states(10)[::37]
    expected = -0.5 * np.einsum("bi,ij,bj->b", s, J, s) - s @ model.fields
    np.testing.assert_allclose(model.energy(s), expected, atol=1e-12)
    np.testing.assert_allclose(model.local_field(s), s @ J + model.fields, atol=1e-12)


def test_graph_coloring_is_proper():
    model = frustrated_graph(12, seed=1)
    sites, offsets = model.coloring()
    color = np.empty(12, int)
    for c in range(len(offsets) - 1):
        color[sites[offsets[c]:offsets[c + 1]]] = c
    rows, cols = model.couplings.nonzero()
    assert np.all(color[rows] != color[cols])


def test_lattice_as_graph_agrees():
    lattice = LatticeIsing((4, 4), J=0.8, h=0.2)
    n = lattice.n_spins
    nb = lattice.neighbors
    J = sparse.coo_matrix((np.full(nb.size, 0.8), (np.repeat(np.arange(n), 4), nb.ravel())), shape=(n, n)).tocsr()
    graph = GraphIsing(J, 0.2)
    s = enumerate_states(16)[::101]
    np.testing.assert_allclose(graph.energy(s), lattice.energy(s), atol=1e-12)


def test_boltzmann_machine_mapping_is_exact():
    rng = np.random.default_rng(0)
    n = 6
    W = np.triu(rng.normal(size=(n, n)), 1)
    W = W + W.T
    b = rng.normal(size=n)
    model, constant = boltzmann_to_ising(W, b)
    x = (enumerate_states(n) + 1) // 2
    e_bm = -0.5 * np.einsum("bi,ij,bj->b", x, W, x) - x @ b
    np.testing.assert_allclose(model.energy(binary_to_spins(x)) + constant, e_bm, atol=1e-12)
    np.testing.assert_array_equal(spins_to_binary(binary_to_spins(x)), x)
    log_z_bm = np.log(np.exp(-e_bm).sum())
    # energy_spectrum groups energies on a 1e-9 grid, so log Z is exact to ~1e-9 for real couplings
    assert log_z_exact(model, 1.0) - constant == pytest.approx(log_z_bm, abs=1e-8)


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"shape": (0, 4)}, ValueError, r"shape\[0\] must be an integer >= 1"),
        ({"shape": (4, -2)}, ValueError, r"shape\[1\]"),
        ({"shape": (4.5, 4)}, TypeError, r"shape\[0\] must be an integer"),
        ({"shape": ()}, ValueError, "at least one"),
        ({"shape": (4, 4), "J": float("nan")}, ValueError, "J must be a finite"),
        ({"shape": (4, 4), "h": "x"}, TypeError, "h must be a finite"),
        ({"shape": (4, 4), "periodic": 1}, TypeError, "periodic"),
    ],
)
def test_lattice_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        LatticeIsing(**kwargs)


def test_odd_periodic_side_refused_for_checkerboard():
    model = LatticeIsing((3, 4))
    with pytest.raises(ValueError, match=r"even side lengths with periodic boundaries.*odd sides \[3\]"):
        model.coloring()
    assert LatticeIsing((3, 4), periodic=False).is_bipartite


def test_bad_states():
    model = LatticeIsing((4, 4))
    with pytest.raises(TypeError, match="dtype int8"):
        model.energy(np.ones((4, 4)))
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 4, 4\) or \(\.\.\., 16\)"):
        model.energy(np.ones((3, 5), np.int8))
    with pytest.raises(ValueError, match="-1 or \\+1"):
        model.energy(np.zeros((4, 4), np.int8))


def test_graph_bad_input():
    with pytest.raises(ValueError, match="symmetric"):
        GraphIsing(np.array([[0, 1.0], [0.5, 0]]))
    with pytest.raises(ValueError, match="zero diagonal"):
        GraphIsing(np.eye(2))
    with pytest.raises(ValueError, match="square"):
        GraphIsing(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"fields must be a scalar or have shape \(2,\)"):
        GraphIsing(np.zeros((2, 2)), [1.0, 2.0, 3.0])
