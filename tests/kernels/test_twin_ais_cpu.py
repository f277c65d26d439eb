"""ais_cpu (lattice, graph and RBM annealing, independent initial units) equals its reference twin bit for bit."""

import numpy as np
import pytest

from ebmphys.kernels import ais_cpu, spin_updates
from ebmphys.kernels.rng import INIT, split_seed
from ebmphys.models import LatticeIsing
from ebmphys.testing import frustrated_graph
from tests.reference import ais as ref
from tests.reference.graph import Graph
from tests.reference.lattice import Lattice
from tests.reference.spins import HEATBATH, METROPOLIS, random_spins

RULES = {METROPOLIS: spin_updates.METROPOLIS, HEATBATH: spin_updates.HEATBATH}
KEY = split_seed(0x5EED5EED5EED5EED)
SCHEDULES = {
    "forward": np.array([0.0, 0.2, 0.45, 0.7, 1.0]),
    "constant": np.full(4, 0.44),
    "reverse": np.array([0.8, 0.5, 0.25, 0.0]),
}


def _lattice_kernel(model, rule, betas, states, step0, chain0):
    n, N, L = states.shape[0], model.n_spins, model.shape[-1]
    spins = np.zeros((n, N + L), dtype=np.int8)
    spins[:, :N] = states
    log_w, energy, energy_sum = np.zeros(n), np.zeros(n), np.zeros(n)
    row_nbrs, parity = model.rows
    ais_cpu.lattice_anneal(spins, model.neighbors, row_nbrs, parity, L, model.periodic, model.J, model.h, RULES[rule],
                           betas, step0, *KEY, chain0, log_w, energy, energy_sum)
    return spins[:, :N], log_w, energy, energy_sum


def _graph_kernel(model, rule, betas, states, step0, chain0):
    spins = np.array(states, dtype=np.int8)
    n = spins.shape[0]
    log_w, energy, energy_sum = np.zeros(n), np.zeros(n), np.zeros(n)
    J = model.couplings
    ais_cpu.graph_anneal(spins, J.indptr.astype(np.int64), J.indices.astype(np.int64), J.data, model.fields,
                         *model.coloring(), RULES[rule], betas, step0, *KEY, chain0, log_w, energy, energy_sum)
    return spins, log_w, energy, energy_sum


def _rbm(nv=6, nh=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(nv, nh)), rng.normal(size=nv), rng.normal(size=nh), 0.5 * rng.normal(size=nv)


def _rbm_kernel(W, b, c, a, betas, v, step0, chain0):
    v = np.array(v, dtype=np.uint8)
    log_w = np.zeros(v.shape[0])
    ais_cpu.rbm_anneal(W, np.ascontiguousarray(W.T), b, c, a, betas, 1.0 - betas / betas.max(), v, log_w, step0, *KEY,
                       chain0)
    return v, log_w


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("rule", [METROPOLIS, HEATBATH])
@pytest.mark.parametrize("shape, periodic, h", [((5, 3), False, 0.3), ((4, 4, 4), True, 0.0), ((7,), False, -0.2)])
def test_lattice_anneal_equals_reference(shape, periodic, h, rule, schedule):
    model = LatticeIsing(shape, J=1.0, h=h, periodic=periodic)
    betas = SCHEDULES[schedule]
    start = random_spins(3, model.n_spins, KEY, INIT, 1)
    fast = _lattice_kernel(model, rule, betas, start, 40, 1)
    slow = ref.lattice_anneal(Lattice(shape, periodic), start, rule, 1.0, h, betas, 40, KEY, 1)
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(fast[0], start)


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("rule", [METROPOLIS, HEATBATH])
def test_graph_anneal_equals_reference(rule, schedule):
    model = frustrated_graph(10)
    betas = SCHEDULES[schedule]
    start = random_spins(3, 10, KEY, INIT, 2)
    fast = _graph_kernel(model, rule, betas, start, 2**32 - 2, 2)  # the step word wraps mod 2**32
    slow = ref.graph_anneal(Graph.from_model(model), start, rule, betas, 2**32 - 2, KEY, 2)
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("schedule", ["forward", "constant"])
def test_rbm_anneal_equals_reference(schedule):
    W, b, c, a = _rbm()
    betas = SCHEDULES[schedule] if schedule == "forward" else np.full(4, 1.0)
    v = ref.independent_units(np.full(6, 0.5), 4, KEY, 3)
    fast = _rbm_kernel(W, b, c, a, betas, v, 7, 3)
    slow = ref.rbm_anneal(W, b, c, a, betas, 1.0 - betas / betas.max(), v, 7, KEY, 3)
    for x, y in zip(fast, slow):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(fast[0], v)


def test_independent_units_equal_reference():
    prob = np.array([0.0, 1.0, 0.5, 0.1, 0.9, 2.0**-33])
    fast = ais_cpu.independent_units(prob, 5, *KEY, 4)
    np.testing.assert_array_equal(fast, ref.independent_units(prob, 5, KEY, 4))
    assert not fast[:, 0].any() and fast[:, 1].all()


def test_chain0_split_equals_whole_batch():
    model = LatticeIsing((4, 6), h=0.1, periodic=False)
    betas = SCHEDULES["forward"]
    start = random_spins(4, 24, KEY, INIT, 0)
    parts = [(_lattice_kernel, model, HEATBATH, betas), (_graph_kernel, frustrated_graph(10), METROPOLIS, betas)]
    for kernel, m, rule, bs in parts:
        s = start if kernel is _lattice_kernel else start[:, :10]
        whole = kernel(m, rule, bs, s, 0, 0)
        first, rest = kernel(m, rule, bs, s[:1], 0, 0), kernel(m, rule, bs, s[1:], 0, 1)
        for x, y, z in zip(whole, first, rest):
            np.testing.assert_array_equal(x, np.concatenate([y, z]))
    W, b, c, a = _rbm()
    v = ais_cpu.independent_units(np.full(6, 0.5), 4, *KEY, 0)
    np.testing.assert_array_equal(v, np.concatenate([ais_cpu.independent_units(np.full(6, 0.5), n, *KEY, c0)
                                                     for n, c0 in ((3, 0), (1, 3))]))
    whole, first, rest = (_rbm_kernel(W, b, c, a, betas, v[sl], 0, c0) for sl, c0 in
                          ((slice(None), 0), (slice(0, 3), 0), (slice(3, None), 3)))
    for x, y, z in zip(whole, first, rest):
        np.testing.assert_array_equal(x, np.concatenate([y, z]))
