"""lattice_cpu and spin_updates.random_spins equal their reference twins (tests/reference/) bit for bit."""

import numpy as np
import pytest

from ebmphys.kernels import lattice_cpu, spin_updates
from ebmphys.kernels.rng import INIT, split_seed
from ebmphys.models import LatticeIsing
from tests.reference import lattice as ref
from tests.reference.spins import HEATBATH, METROPOLIS, random_spins

RULES = {METROPOLIS: spin_updates.METROPOLIS, HEATBATH: spin_updates.HEATBATH}
SEED = 2**64 - 12345  # both key words non-zero
KEY = split_seed(SEED)

# (shape, periodic, J, h): 1D/2D/3D, open and periodic, one and two word blocks per row, a side of 2
CASES = [
    ((7,), False, 1.0, 0.0),
    ((8,), True, -0.7, 0.25),
    ((4, 6), False, 1.0, 0.3),
    ((5, 3), False, 0.8, -0.2),
    ((6, 4), True, 1.0, 0.0),
    ((2, 10), True, 0.6, 0.1),
    ((3, 9), False, -1.0, 0.0),
    ((4, 4, 4), True, 1.0, 0.0),
    ((3, 2, 5), False, 0.5, 0.4),
]


def _kernel_sweeps(model, rule, betas, states, chain0, sweep0, n_sweeps, driver=lattice_cpu.sweeps_serial):
    """A sweep driver (default: serial) on ghost-padded copies of ``states``; returns spins, energies, magnetisations."""
    n, L = states.shape[0], model.shape[-1]
    spins = np.zeros((n, model.n_spins + L), dtype=np.int8)
    spins[:, : model.n_spins] = states
    thresholds = lattice_cpu.update_thresholds(RULES[rule], model.J, model.h, model.coordination, np.asarray(betas))
    row_nbrs, parity = model.rows
    e, m = np.zeros((n, n_sweeps)), np.zeros((n, n_sweeps))
    driver(spins, row_nbrs, parity, L, model.periodic, thresholds, *KEY, chain0, sweep0, n_sweeps, 1, model.J, model.h,
           e, m, 0)
    assert not spins[:, model.n_spins:].any(), "the ghost row must stay zero"
    return spins[:, : model.n_spins], e, m


def test_random_spins_equal_reference():
    for n_spins, chain0 in ((1, 0), (7, 3), (13, 2**32 - 4)):
        fast = spin_updates.random_spins(4, n_spins, *KEY, INIT, chain0)
        np.testing.assert_array_equal(fast, random_spins(4, n_spins, KEY, INIT, chain0))
    # top bit: about half up
    assert 0.3 < (spin_updates.random_spins(8, 64, *KEY, INIT, 0) > 0).mean() < 0.7


@pytest.mark.parametrize("rule", [METROPOLIS, HEATBATH])
@pytest.mark.parametrize("shape, periodic, J, h", CASES)
def test_threshold_tables_equal_reference(rule, shape, periodic, J, h):
    z = 2 * len(shape)
    betas = np.array([0.0, 0.3, 0.4406868, 1.7])
    fast = lattice_cpu.update_thresholds(RULES[rule], J, h, z, betas)
    for k, beta in enumerate(betas):
        np.testing.assert_array_equal(fast[k], ref.threshold_table(rule, J, h, z, beta))


@pytest.mark.parametrize("rule", [METROPOLIS, HEATBATH])
@pytest.mark.parametrize("shape, periodic, J, h", CASES)
def test_sweeps_equal_reference(rule, shape, periodic, J, h):
    model = LatticeIsing(shape, J=J, h=h, periodic=periodic)
    lattice = ref.Lattice(shape, periodic)
    betas = [0.2, 0.45, 1.0]
    chain0, sweep0, n_sweeps = 5, 17, 3
    start = random_spins(3, model.n_spins, KEY, INIT, chain0)
    spins, e, m = _kernel_sweeps(model, rule, betas, start, chain0, sweep0, n_sweeps)
    ref_spins, ref_e, ref_m = ref.sweeps(lattice, start, rule, J, h, betas, KEY, chain0, sweep0, n_sweeps)
    np.testing.assert_array_equal(spins, ref_spins)
    np.testing.assert_array_equal(e, ref_e)
    np.testing.assert_array_equal(m, ref_m)
    assert not np.array_equal(spins, start), "a test of a sweep that changes nothing cannot fail"


def test_reference_geometry_matches_the_model():
    """The twin's coordinates-based neighbours equal LatticeIsing.neighbors (as multisets per site)."""
    for shape, periodic, _, _ in CASES:
        model, lattice = LatticeIsing(shape, periodic=periodic), ref.Lattice(shape, periodic)
        for i in range(model.n_spins):
            fast = sorted(int(j) for j in model.neighbors[i] if j < model.n_spins)
            assert fast == sorted(lattice.neighbors(i))


@pytest.mark.parametrize("driver", [lattice_cpu.sweeps_chain_parallel, lattice_cpu.sweeps_row_parallel])
def test_parallel_path_equals_reference(driver):
    """Enough updates per sweep (>= PARALLEL_MIN_UPDATES) for the parallel drivers (prange): still the reference's bits."""
    shape, n = (64, 64), 8
    assert n * shape[0] * shape[1] >= lattice_cpu.PARALLEL_MIN_UPDATES
    model, lattice = LatticeIsing(shape, J=1.0, h=0.1), ref.Lattice(shape, True)
    start = random_spins(n, model.n_spins, KEY, INIT, 0)
    spins, _, _ = _kernel_sweeps(model, HEATBATH, [0.44] * n, start, 0, 3, 1, driver)
    ref_spins, _, _ = ref.sweeps(lattice, start, HEATBATH, 1.0, 0.1, [0.44] * n, KEY, 0, 3, 1)
    np.testing.assert_array_equal(spins, ref_spins)


@pytest.mark.parametrize("shape, periodic", [((5, 3), False), ((4, 4, 4), True)])
def test_chain0_split_equals_whole_batch(shape, periodic):
    model = LatticeIsing(shape, J=1.0, h=0.2, periodic=periodic)
    betas = [0.3, 0.5, 0.7, 0.9, 1.1]
    start = random_spins(5, model.n_spins, KEY, INIT, 0)
    whole = _kernel_sweeps(model, METROPOLIS, betas, start, 0, 0, 4)
    first = _kernel_sweeps(model, METROPOLIS, betas[:2], start[:2], 0, 0, 4)
    rest = _kernel_sweeps(model, METROPOLIS, betas[2:], start[2:], 2, 0, 4)
    for a, b, c in zip(whole, first, rest):
        np.testing.assert_array_equal(a, np.concatenate([b, c]))
