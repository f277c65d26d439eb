"""graph_cpu equals its reference twin (tests/reference/graph.py) bit for bit."""

import numpy as np
import pytest
from scipy import sparse

from ebmphys.kernels import graph_cpu, spin_updates
from ebmphys.kernels.rng import INIT, split_seed
from ebmphys.models import GraphIsing
from ebmphys.testing import frustrated_graph
from tests.reference import graph as ref
from tests.reference.spins import HEATBATH, METROPOLIS, random_spins

RULES = {METROPOLIS: spin_updates.METROPOLIS, HEATBATH: spin_updates.HEATBATH}
KEY = split_seed(0xDEADBEEF12345678)


def _ring(n, seed=0):
    """A ring with random couplings and fields: two colour classes of n/2 sites (several word blocks each)."""
    rng = np.random.default_rng(seed)
    J = np.zeros((n, n))
    for i in range(n):
        J[i, (i + 1) % n] = J[(i + 1) % n, i] = rng.normal()
    return GraphIsing(sparse.csr_matrix(J), rng.normal(scale=0.5, size=n))


GRAPHS = {"frustrated10": frustrated_graph(10), "frustrated13": frustrated_graph(13, seed=3), "ring18": _ring(18)}


def _kernel_sweeps(model, rule, betas, states, chain0, sweep0, n_sweeps):
    spins = np.array(states, dtype=np.int8)
    J = model.couplings
    sites, offsets = model.coloring()
    n = spins.shape[0]
    e, m = np.zeros((n, n_sweeps)), np.zeros((n, n_sweeps))
    graph_cpu.graph_sweeps(spins, J.indptr.astype(np.int64), J.indices.astype(np.int64), J.data, model.fields, sites,
                           offsets, np.asarray(betas, dtype=np.float64), RULES[rule], *KEY, chain0, sweep0, n_sweeps,
                           1, e, m, 0)
    return spins, e, m


@pytest.mark.parametrize("rule", [METROPOLIS, HEATBATH])
@pytest.mark.parametrize("name", GRAPHS)
def test_sweeps_equal_reference(name, rule):
    model = GRAPHS[name]
    graph = ref.Graph.from_model(model)
    betas = [0.1, 0.5, 1.0, 2.5]
    chain0, sweep0, n_sweeps = 9, 3, 4
    start = random_spins(4, model.n_spins, KEY, INIT, chain0)
    fast = _kernel_sweeps(model, rule, betas, start, chain0, sweep0, n_sweeps)
    slow = ref.sweeps(graph, start, rule, betas, KEY, chain0, sweep0, n_sweeps)
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(fast[0], start)


def test_ring_has_multi_block_colour_classes():
    sites, offsets = GRAPHS["ring18"].coloring()
    assert np.diff(offsets).max() > 8


def test_chain0_split_equals_whole_batch():
    model = GRAPHS["frustrated13"]
    betas = [0.3, 0.6, 0.9, 1.2, 1.5]
    start = random_spins(5, model.n_spins, KEY, INIT, 0)
    whole = _kernel_sweeps(model, HEATBATH, betas, start, 0, 0, 5)
    first = _kernel_sweeps(model, HEATBATH, betas[:3], start[:3], 0, 0, 5)
    rest = _kernel_sweeps(model, HEATBATH, betas[3:], start[3:], 3, 0, 5)
    for a, b, c in zip(whole, first, rest):
        np.testing.assert_array_equal(a, np.concatenate([b, c]))
