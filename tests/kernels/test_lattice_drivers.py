"""The three checkerboard sweep drivers of ``lattice_cpu`` give the same bits and records, on any thread count."""

import numba
import numpy as np
import pytest

import ebmphys
from ebmphys.kernels import lattice_cpu
from ebmphys.kernels.spin_updates import HEATBATH, METROPOLIS

DRIVERS = (lattice_cpu.sweeps_serial, lattice_cpu.sweeps_chain_parallel, lattice_cpu.sweeps_row_parallel)


@pytest.mark.parametrize("shape, J, h, periodic, rule", [
    ((6, 8), 1.0, 0.0, True, METROPOLIS),
    ((5, 3), 0.8, 0.3, False, HEATBATH),
    ((4, 2, 6), 1.1, -0.45, True, METROPOLIS),
    ((3, 4, 5), -1.0, 0.2, False, HEATBATH),
    ((2, 2, 2, 4), 1.0, 0.1, True, METROPOLIS),
    ((10,), 1.3, 0.2, True, HEATBATH),
    ((1,), 1.0, 0.5, False, METROPOLIS),
    ((70, 66), 1.0, 0.0, True, METROPOLIS),
])
def test_drivers_agree(shape, J, h, periodic, rule):
    model = ebmphys.LatticeIsing(shape, J=J, h=h, periodic=periodic)
    row_nbrs, row_parity = model.rows
    n_chains, n_sweeps = 3, 6
    betas = np.array([0.2, 0.45, 0.7])
    thresholds = lattice_cpu.update_thresholds(rule, J, h, model.coordination, betas)
    start = np.zeros((n_chains, model.n_spins + shape[-1]), dtype=np.int8)
    start[:, :model.n_spins] = np.where(np.random.default_rng(1).random((n_chains, model.n_spins)) < 0.5, -1, 1)
    results = []
    threads = numba.get_num_threads()
    for n_threads in sorted({1, threads}):
        numba.set_num_threads(n_threads)
        try:
            for driver in DRIVERS:
                spins = start.copy()
                energy = np.zeros((n_chains, 1 + n_sweeps // 2))
                mag = np.zeros_like(energy)
                driver(spins, row_nbrs, row_parity, shape[-1], periodic, thresholds, 5, 7, 11, 100, n_sweeps, 2, J, h,
                       energy, mag, 1)
                results.append((spins, energy, mag))
        finally:
            numba.set_num_threads(threads)
    for spins, energy, mag in results[1:]:
        np.testing.assert_array_equal(spins, results[0][0])
        np.testing.assert_array_equal(energy, results[0][1])
        np.testing.assert_array_equal(mag, results[0][2])
    spins, energy, mag = results[0]
    assert np.all(spins[:, model.n_spins:] == 0)  # the ghost row stays zero
    np.testing.assert_array_equal(energy[:, 0], 0)  # column0 = 1: nothing written before it
    np.testing.assert_array_equal(energy[:, -1], model.energy(spins[:, :model.n_spins]))
    np.testing.assert_array_equal(mag[:, -1], model.magnetization(spins[:, :model.n_spins]))
