"""Recorded observables are those of the states: exactly, after every recorded sweep, for every lattice algorithm.

The kernels compute E and M during the sweep or in a cheap row pass (``lattice_cpu``,
``cluster_cpu``); here they are compared with ``LatticeIsing.energy`` and
``.magnetization`` of the states, which are recomputed independently with numpy.
Energies are integers times J plus h times M, so equality is exact, not approximate.
"""

import numpy as np
import pytest

import ebmphys
from ebmphys.kernels import lattice_cpu
from ebmphys.sampling import Chains

LOCAL_MODELS = {
    "2d-periodic": ebmphys.LatticeIsing((6, 8), J=0.7),
    "2d-open-field": ebmphys.LatticeIsing((5, 3), J=0.8, h=0.3, periodic=False),
    "3d-periodic-field": ebmphys.LatticeIsing((4, 2, 6), J=1.1, h=-0.45),
    "1d-periodic": ebmphys.LatticeIsing(10, J=1.3, h=0.2),
    "antiferro-field": ebmphys.LatticeIsing((4, 6), J=-1.0, h=0.5),
}
CLUSTER_MODELS = {
    "2d-periodic": ebmphys.LatticeIsing((6, 8), J=0.7),
    "2d-odd-periodic": ebmphys.LatticeIsing((5, 3)),
    "3d-open": ebmphys.LatticeIsing((3, 4, 5), periodic=False),
    "side-1-and-2": ebmphys.LatticeIsing((1, 2, 5)),
    "1d-periodic": ebmphys.LatticeIsing(7),
}
CASES = ([(name, algorithm) for name in LOCAL_MODELS for algorithm in ("metropolis", "heatbath")]
         + [(name, algorithm) for name in CLUSTER_MODELS for algorithm in ("wolff", "swendsen-wang")])


@pytest.mark.parametrize("name, algorithm", CASES)
def test_records_equal_the_energies_of_the_states_after_every_sweep(name, algorithm):
    model = (CLUSTER_MODELS if algorithm in ("wolff", "swendsen-wang") else LOCAL_MODELS)[name]
    args = dict(algorithm=algorithm, beta=0.5, n_chains=3, seed=11)
    recorded = Chains(model, **args)
    replay = Chains(model, **args)
    n_sweeps = 25
    records = recorded.run(n_sweeps)
    assert records["energy"].shape == (3, n_sweeps)
    for t in range(n_sweeps):
        replay.run(1, record=())
        np.testing.assert_array_equal(records["energy"][:, t], model.energy(replay.states))
        np.testing.assert_array_equal(records["magnetization"][:, t], model.magnetization(replay.states))
    np.testing.assert_array_equal(recorded.states, replay.states)
    # a run that records nothing leaves the same states (tracking changes no spin)
    silent = Chains(model, **args)
    silent.run(n_sweeps, record=())
    np.testing.assert_array_equal(silent.states, recorded.states)


@pytest.mark.parametrize("algorithm", ["metropolis", "wolff"])
def test_thinned_records_are_the_states_at_their_sweeps(algorithm):
    model = ebmphys.LatticeIsing((8, 6))
    args = dict(algorithm=algorithm, beta=0.44, n_chains=2, seed=3)
    recorded, replay = Chains(model, **args), Chains(model, **args)
    records = recorded.run(30, thin=3)
    for t in range(10):
        replay.run(3, record=())
        np.testing.assert_array_equal(records["energy"][:, t], model.energy(replay.states))
        np.testing.assert_array_equal(records["magnetization"][:, t], model.magnetization(replay.states))


@pytest.mark.parametrize("shape, periodic", [
    ((6, 8), True), ((5, 3), False), ((4, 2, 6), True), ((3, 4, 5), False), ((1, 2, 5), True), ((7,), True),
    ((7,), False), ((2, 2), True), ((3, 1, 2, 2), True),
])
def test_row_pass_equals_the_model_energy(shape, periodic):
    """The row pass counts every bond of ``LatticeIsing`` once (sides of length 2 twice, as the model does)."""
    model = ebmphys.LatticeIsing(shape, J=1.0, h=0.0, periodic=periodic)
    rng = np.random.default_rng(0)
    states = np.where(rng.random((20, model.n_spins)) < 0.5, -1, 1).astype(np.int8)
    padded = np.zeros((20, model.n_spins + shape[-1]), dtype=np.int8)
    padded[:, :model.n_spins] = states
    row_nbrs, _ = model.rows
    for k in range(20):
        bonds, mag = lattice_cpu.row_bond_sum_and_magnetization(padded[k], row_nbrs, shape[-1], periodic)
        assert -bonds == model.energy(states[k])
        assert mag == states[k].sum()
