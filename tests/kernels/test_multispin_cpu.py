"""multispin_cpu equals its reference twin (tests/reference/multispin.py) bit for bit, and its pieces are exact."""

import numba
import numpy as np
import pytest

from ebmphys.kernels import lattice_cpu, multispin_cpu
from ebmphys.kernels.rng import philox4x32
from ebmphys.kernels.spin_updates import HEATBATH, METROPOLIS
from ebmphys.models import LatticeIsing
from tests.reference import multispin as ref

KEY = (0x89ABCDEF, 0x01234567)
DRIVERS = (multispin_cpu.sweeps_serial, multispin_cpu.sweeps_group_parallel, multispin_cpu.sweeps_row_parallel)


def _start(n_rows, n_spins, seed=0):
    return np.where(np.random.default_rng(seed).random((n_rows, n_spins)) < 0.5, -1, 1).astype(np.int8)


def _kernel(driver, model, thresholds, states, chain0, sweep0, n_sweeps, record_every=1):
    words = multispin_cpu.pack(states, model.shape[-1])
    constants, planes = multispin_cpu.class_constants(thresholds, model.coordination)
    row_nbrs, parity = model.rows
    n_records = n_sweeps // record_every if record_every else 0
    e, m = np.zeros((states.shape[0], n_records)), np.zeros((states.shape[0], n_records))
    driver(words, row_nbrs, parity, model.shape[-1], constants, planes, *KEY, chain0, sweep0, n_sweeps, record_every,
           model.J, model.h, e, m, 0)
    return multispin_cpu.unpack(words, model.shape[-1]), e, m


def test_reference_philox_is_the_kernels():
    for c in [(0, 0, 0, 0), (1, 2, 3, 4), (2**32 - 1, 7, 2**31, 1797)]:
        assert ref.philox4x32(*c, *KEY) == tuple(int(w) for w in philox4x32(*c, *KEY))


@pytest.mark.parametrize("shape, J, h, rule, betas", [
    ((4, 4), 1.0, 0.0, METROPOLIS, "one"),
    ((2, 6), 0.8, 0.3, HEATBATH, "one"),
    ((4, 2), -1.0, 0.5, METROPOLIS, "ladder"),
    ((2, 2, 4), 1.0, 0.2, HEATBATH, "ladder"),
])
def test_sweeps_equal_reference(shape, J, h, rule, betas):
    """Every replica's final state equals the twin's, for one beta and for a beta per replica (two groups)."""
    model = LatticeIsing(shape, J=J, h=h)
    n_rows = 128 if betas == "ladder" else 64
    beta = np.linspace(0.05, 1.5, n_rows) if betas == "ladder" else np.full(n_rows, 0.44)
    thresholds = lattice_cpu.update_thresholds(rule, J, h, model.coordination, beta)
    start = _start(n_rows, model.n_spins)
    chain0, sweep0, n_sweeps = 64, 9, 2
    slow = ref.sweeps(shape, start, thresholds, KEY, chain0, sweep0, n_sweeps)
    fast, e, m = _kernel(multispin_cpu.sweeps_serial, model, thresholds, start, chain0, sweep0, n_sweeps)
    np.testing.assert_array_equal(fast, slow)
    np.testing.assert_array_equal(e[:, -1], model.energy(slow))
    np.testing.assert_array_equal(m[:, -1], model.magnetization(slow))
    assert (fast != start).any(axis=1).mean() > 0.5, "most replicas moved"


@pytest.mark.parametrize("shape", [(6, 8), (4, 4, 6), (70, 68)])
def test_drivers_agree_and_records_are_exact(shape):
    """Serial, group-parallel and row-parallel drivers: same bits on 1 and 2 threads; records equal the states'."""
    model = LatticeIsing(shape, J=0.9, h=-0.1)
    n_rows = 192
    beta = np.linspace(0.2, 0.8, n_rows)
    thresholds = lattice_cpu.update_thresholds(METROPOLIS, model.J, model.h, model.coordination, beta)
    start = _start(n_rows, model.n_spins, seed=3)
    results = []
    threads = numba.get_num_threads()
    for n_threads in sorted({1, threads}):
        numba.set_num_threads(n_threads)
        try:
            results += [_kernel(driver, model, thresholds, start, 0, 0, 4, record_every=2) for driver in DRIVERS]
        finally:
            numba.set_num_threads(threads)
    for fast in results[1:]:
        for a, b in zip(fast, results[0]):
            np.testing.assert_array_equal(a, b)
    states, e, m = results[0]
    np.testing.assert_array_equal(e[:, -1], model.energy(states))
    np.testing.assert_array_equal(m[:, -1], model.magnetization(states))


def test_pack_unpack_and_swap():
    model = LatticeIsing((4, 6))
    states = _start(128, model.n_spins, seed=5)
    words = multispin_cpu.pack(states, 6)
    np.testing.assert_array_equal(multispin_cpu.unpack(words, 6), states)
    rows_a, rows_b = np.array([0, 5, 70]), np.array([64, 6, 127])
    multispin_cpu.swap_replicas(words, rows_a, rows_b)
    swapped = states.copy()
    swapped[np.r_[rows_a, rows_b]] = states[np.r_[rows_b, rows_a]]
    np.testing.assert_array_equal(multispin_cpu.unpack(words, 6), swapped)
    e, m = np.zeros((128, 1)), np.zeros((128, 1))
    multispin_cpu.observables(words, model.rows[0], 6, 1.3, 0.7, e, m, 0)
    np.testing.assert_array_equal(e[:, 0], LatticeIsing((4, 6), J=1.3, h=0.7).energy(swapped))
    np.testing.assert_array_equal(m[:, 0], model.magnetization(swapped))
