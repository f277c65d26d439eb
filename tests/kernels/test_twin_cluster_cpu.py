"""cluster_cpu (Wolff, Swendsen-Wang) equals its reference twin (tests/reference/cluster.py) bit for bit."""

import numpy as np
import pytest

from ebmphys.kernels import cluster_cpu, lattice_cpu
from ebmphys.kernels.rng import CLUSTER, INIT, split_seed
from ebmphys.models import LatticeIsing
from tests.reference import cluster as ref
from tests.reference.lattice import Lattice
from tests.reference.spins import random_spins

KEY = split_seed(0x0123456789ABCDEF)
# (shape, periodic): 2D and 3D, open and periodic, odd sides, a periodic side of 2
CASES = [((6, 6), False), ((3, 3, 4), False), ((6, 6), True), ((4, 2, 3), True), ((9,), False)]


def _kernel(algorithm, model, betas, states, chain0, step0, n_steps, record_every=1):
    """Run the fast kernel on ghost-padded copies; returns spins, E and M per record, and spins flipped (Wolff)."""
    n, N = states.shape[0], model.n_spins
    spins = np.zeros((n, N + model.shape[-1]), dtype=np.int8)
    spins[:, :N] = states
    thresholds = lattice_cpu.threshold_table(-np.expm1(-2.0 * np.asarray(betas) * model.J))
    n_records = n_steps // record_every if record_every else 0
    e, m = np.zeros((n, n_records)), np.zeros((n, n_records))
    row_nbrs, _ = model.rows
    common = (spins, model.neighbors, row_nbrs, model.shape[-1], model.periodic, thresholds, *KEY, chain0, step0,
              n_steps, record_every, model.J, e, m, 0, CLUSTER)
    flipped = np.zeros(n, dtype=np.int64)
    if algorithm == "wolff":
        cluster_cpu.wolff_steps(*common, np.zeros((n, N + 1), np.int64), flipped)
    else:
        cluster_cpu.swendsen_wang_steps(*common, np.zeros((n, N), np.int64))
    assert not spins[:, N:].any()
    return spins[:, :N], e, m, flipped


@pytest.mark.parametrize("algorithm", ["wolff", "swendsen-wang"])
@pytest.mark.parametrize("shape, periodic", CASES)
def test_steps_equal_reference(algorithm, shape, periodic):
    model = LatticeIsing(shape, J=0.9, periodic=periodic)
    betas = [0.2, 0.5, 0.9]  # small, medium and large clusters
    chain0, step0, n_steps = 4, 11, 5
    start = random_spins(3, model.n_spins, KEY, INIT, chain0)
    fast = _kernel(algorithm, model, betas, start, chain0, step0, n_steps)
    slow = ref.run(algorithm, Lattice(shape, periodic), start, model.J, betas, KEY, chain0, step0, n_steps, CLUSTER)
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a, b)
    if algorithm == "wolff":
        assert fast[3].min() >= n_steps and fast[3].max() > 3 * n_steps, "clusters of several sites were grown"


@pytest.mark.parametrize("algorithm", ["wolff", "swendsen-wang"])
def test_records_every_other_step(algorithm):
    """record_every = 2 writes the state after steps 2, 4, ...; without records Wolff skips the bookkeeping."""
    model, lattice = LatticeIsing((6, 6), periodic=False), Lattice((6, 6), False)
    start = random_spins(2, 36, KEY, INIT, 0)
    fast = _kernel(algorithm, model, [0.4, 0.6], start, 0, 0, 6, record_every=2)
    slow = ref.run(algorithm, lattice, start, 1.0, [0.4, 0.6], KEY, 0, 0, 6, CLUSTER)
    np.testing.assert_array_equal(fast[1], slow[1][:, 1::2])
    np.testing.assert_array_equal(fast[2], slow[2][:, 1::2])
    unrecorded = _kernel(algorithm, model, [0.4, 0.6], start, 0, 0, 6, record_every=0)
    np.testing.assert_array_equal(unrecorded[0], slow[0])
    np.testing.assert_array_equal(unrecorded[3], slow[3])


def test_wolff_seed_site_is_the_documented_exactly_uniform_draw():
    """At beta = 0 a Wolff cluster is its seed alone, so each step flips exactly the seed site.

    On a chain of N = 3 * 2**14 sites, q = floor(2**32 / N) leaves a fractional part 1/3, and
    about 9% of accepted words give a different site under the biased multiply-shift map
    (w N) >> 32 than under the documented w // q: 40 steps tell the two apart.
    """
    n = 3 * 2**14
    model = LatticeIsing(n, periodic=False)
    start = np.ones((1, n), dtype=np.int8)
    spins = start.copy()
    q = 2**32 // n
    differ = 0
    for step in range(40):
        seed = ref.seed_site(n, KEY, step, 7, CLUSTER)
        r = 0
        while (w := ref.word(r, step, 7, CLUSTER + 1, KEY)) >= q * n:
            r += 1
        differ += (w * n) >> 32 != seed
        spins[0, seed] *= -1
    assert differ > 0, "the case must distinguish the two maps"
    fast, _, _, flipped = _kernel("wolff", model, [0.0], start, 7, 0, 40, record_every=0)
    np.testing.assert_array_equal(fast, spins)
    assert flipped[0] == 40


@pytest.mark.parametrize("algorithm", ["wolff", "swendsen-wang"])
def test_chain0_split_equals_whole_batch(algorithm):
    model = LatticeIsing((3, 3, 4), periodic=False)
    betas = [0.3, 0.4, 0.5, 0.6]
    start = random_spins(4, model.n_spins, KEY, INIT, 0)
    whole = _kernel(algorithm, model, betas, start, 0, 0, 6)
    first = _kernel(algorithm, model, betas[:1], start[:1], 0, 0, 6)
    rest = _kernel(algorithm, model, betas[1:], start[1:], 1, 0, 6)
    for a, b, c in zip(whole, first, rest):
        np.testing.assert_array_equal(a, np.concatenate([b, c]))
