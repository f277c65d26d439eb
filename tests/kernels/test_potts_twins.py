"""Potts kernels against their slow reference twins (tests/reference/potts_reference.py), bit for bit.

Small cases, several rows with different betas (as parallel tempering runs them),
a nonzero chain0, lattices with 2 and 3 colours, open boundaries with fields, a
general categorical graph.
"""


import numpy as np
import pytest

from ebmphys.kernels import potts_cluster_cpu, potts_cpu
from ebmphys.kernels.lattice_cpu import threshold_table
from ebmphys.kernels.potts_updates import HEATBATH, METROPOLIS, random_states
from ebmphys.kernels.rng import CLUSTER, INIT, split_seed
from ebmphys.models import GraphPotts, LatticePotts
from ebmphys.testing import random_categorical_graph

from tests.reference import potts_reference as ref

SEED = 2**63 + 12345
CHAIN0 = 7
RULES = {"heatbath": HEATBATH, "metropolis": METROPOLIS}
LATTICES = {
    "torus3x3_q3": LatticePotts((3, 3), q=3),
    "torus4x4_q5": LatticePotts((4, 4), q=5, J=1.3),
    "open2x2x3_field": LatticePotts((2, 2, 3), q=4, J=-0.7, h=[0.3, 0.0, -0.2, 0.5], periodic=False),
}
GRAPHS = {
    "categorical8": random_categorical_graph(8, 3, seed=1),
    "potts_graph": GraphPotts(np.array([[0, 1.0, 0, 0.5], [1.0, 0, -0.4, 0], [0, -0.4, 0, 2.0], [0.5, 0, 2.0, 0]]), 4,
                              fields=[0.2, 0.0, -0.1, 0.3]),
}
BETAS = np.array([0.3, 0.9, 1.6])


def _padded(model, states):
    return np.concatenate([states, np.full((states.shape[0], 1), model.q, np.uint8)], axis=1)


def test_random_states_twin():
    k0, k1 = split_seed(SEED)
    np.testing.assert_array_equal(random_states(3, 11, 7, k0, k1, INIT, CHAIN0), ref.random_states(3, 11, 7, SEED, CHAIN0))


@pytest.mark.parametrize("by_row", [True, False])
@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("name", sorted(LATTICES))
def test_lattice_sweeps_twin(name, rule, by_row):
    model = LATTICES[name]
    k0, k1 = split_seed(SEED)
    start = ref.random_states(3, model.n_spins, model.q, SEED + 1)
    kstate = _padded(model, start)
    bond, field = potts_cpu.update_tables(RULES[rule], model.J, model.h, model.coordination, BETAS)
    sites, offsets = model.coloring()
    e, m = np.zeros((3, 4)), np.zeros((3, 4))
    potts_cpu.lattice_sweeps(kstate, model.neighbors, sites, offsets, model.q, RULES[rule], bond, field, k0, k1, CHAIN0,
                             5, 4, 1, model.J, model.h, e, m, 0, by_row)
    expected = start.copy()
    for sweep in range(5, 9):
        ref.lattice_sweep(model, expected, BETAS, rule, sweep, SEED, CHAIN0)
    np.testing.assert_array_equal(kstate[:, :-1], expected)
    assert np.all(kstate[:, -1] == model.q)
    np.testing.assert_allclose(e[:, -1], model.energy(expected), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(m[:, -1], model.magnetization(expected))


@pytest.mark.parametrize("by_row", [True, False])
@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_graph_sweeps_twin(name, rule, by_row):
    model = GRAPHS[name]
    k0, k1 = split_seed(SEED)
    start = ref.random_states(3, model.n_spins, model.q, SEED + 2)
    kstate = start.copy()
    sites, offsets = model.coloring()
    e, m = np.zeros((3, 3)), np.zeros((3, 3))
    potts_cpu.graph_sweeps(kstate, *model.csr_tables(), model.fields, sites, offsets, RULES[rule], BETAS, k0, k1,
                           CHAIN0, 11, 3, 1, e, m, 0, by_row)
    expected = start.copy()
    for sweep in range(11, 14):
        ref.graph_sweep(model, expected, BETAS, rule, sweep, SEED, CHAIN0)
    np.testing.assert_array_equal(kstate, expected)
    np.testing.assert_allclose(e[:, -1], model.energy(expected), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(m[:, -1], model.magnetization(expected))


CLUSTER_LATTICES = {
    "torus3x3_q3": LatticePotts((3, 3), q=3),
    "torus6x5_q4": LatticePotts((6, 5), q=4, J=0.7),
    "open3x2x4_q10": LatticePotts((3, 2, 4), q=10, periodic=False),
}


@pytest.mark.parametrize("name", sorted(CLUSTER_LATTICES))
def test_wolff_twin(name):
    model = CLUSTER_LATTICES[name]
    k0, k1 = split_seed(SEED)
    start = ref.random_states(3, model.n_spins, model.q, SEED + 3)
    kstate = _padded(model, start)
    thresholds = threshold_table(-np.expm1(-BETAS * model.J))
    stack = np.zeros((3, model.n_spins + 1), np.int64)
    flipped = np.zeros(3, np.int64)
    e, m = np.zeros((3, 6)), np.zeros((3, 6))
    potts_cluster_cpu.wolff_steps(kstate, model.neighbors, model.q, thresholds, k0, k1, CHAIN0, 40, 6, 1, model.J,
                                  model.h, e, m, 0, CLUSTER, stack, flipped)
    expected = start.copy()
    sizes = np.zeros(3, np.int64)
    for row in range(3):
        for step in range(40, 46):
            sizes[row] += ref.wolff_step(model, expected[row], BETAS[row], step, SEED, CHAIN0 + row)
    np.testing.assert_array_equal(kstate[:, :-1], expected)
    np.testing.assert_array_equal(flipped, sizes)
    np.testing.assert_array_equal(e[:, -1], model.energy(expected))


@pytest.mark.parametrize("name", sorted(CLUSTER_LATTICES))
def test_swendsen_wang_twin(name):
    model = CLUSTER_LATTICES[name]
    k0, k1 = split_seed(SEED)
    start = ref.random_states(3, model.n_spins, model.q, SEED + 4)
    kstate = _padded(model, start)
    thresholds = threshold_table(-np.expm1(-BETAS * model.J))
    parent = np.zeros((3, model.n_spins), np.int64)
    e, m = np.zeros((3, 4)), np.zeros((3, 4))
    potts_cluster_cpu.swendsen_wang_steps(kstate, model.neighbors, model.q, thresholds, k0, k1, CHAIN0, 3, 4, 2,
                                          model.J, model.h, e, m, 0, CLUSTER, parent)
    expected = start.copy()
    for row in range(3):
        for step in range(3, 7):
            ref.swendsen_wang_step(model, expected[row], BETAS[row], step, SEED, CHAIN0 + row)
    np.testing.assert_array_equal(kstate[:, :-1], expected)
    np.testing.assert_array_equal(m[:, 1], model.magnetization(expected))


@pytest.mark.parametrize("model,window", [(LatticePotts((2, 3), q=3), None),
                                          (LatticePotts((2, 2, 2), q=5, J=-1.0, periodic=False), None),
                                          (LatticePotts((3, 4), q=4), (4, 12))])
def test_wang_landau_walker_twin(model, window):
    """Both phases of the schedule: 100000 trials reach the 1/t phase on these small lattices; one walk in a window."""
    k0, k1 = split_seed(SEED)
    n_trials = 100000
    start = ref.random_states(2, model.n_spins, model.q, SEED + 5)
    kstate = _padded(model, start)
    n_levels = model.n_bonds + 1
    lo, hi = (0, n_levels - 1) if window is None else window
    log_g, visited = np.zeros((2, n_levels)), np.zeros((2, n_levels), bool)
    trials, final = np.zeros(2, np.int64), np.zeros(2)
    potts_cpu.wang_landau_walkers(kstate, model.neighbors, model.q, lo, hi, 0.8, 100, 1e-300, n_trials, k0, k1,
                                  CHAIN0, log_g, visited, trials, final)
    assert np.all(trials == n_trials)
    for w in range(2):
        lg, vis, log_f, sp = ref.wang_landau_walker(model, start[w], n_trials, SEED, CHAIN0 + w, window=window)
        np.testing.assert_array_equal(log_g[w], lg)
        np.testing.assert_array_equal(visited[w], vis)
        np.testing.assert_array_equal(kstate[w, :-1], sp)
        assert final[w] == log_f and log_f == vis.sum() / n_trials  # in the 1/t phase
        assert not vis[:lo].any() and not vis[hi + 1:].any()
