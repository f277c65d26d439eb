"""wang_landau_cpu equals its reference twin (tests/reference/wang_landau.py) bit for bit."""

import numpy as np
import pytest

from ebmphys.kernels.rng import AIS_INIT, split_seed
from ebmphys.kernels.wang_landau_cpu import wang_landau_walkers
from ebmphys.models import LatticeIsing
from tests.reference import wang_landau as ref
from tests.reference.lattice import Lattice
from tests.reference.spins import random_spins

KEY = split_seed(0xC0FFEE0123456789)


def _kernel(model, states, flatness, check_every, log_f_final, max_trials, chain0):
    n, N = states.shape[0], model.n_spins
    spins = np.zeros((n, N + 1), dtype=np.int8)
    spins[:, :N] = states
    n_bonds = int((model.neighbors < N).sum()) // 2
    log_g, visited = np.empty((n, n_bonds + 1)), np.empty((n, n_bonds + 1), dtype=np.bool_)
    trials, final_log_f = np.empty(n, dtype=np.int64), np.empty(n)
    wang_landau_walkers(spins, model.neighbors, n_bonds, flatness, check_every, log_f_final, max_trials, *KEY, chain0,
                        log_g, visited, trials, final_log_f)
    return log_g, visited, trials, final_log_f, spins[:, :N]


def _reference(shape, periodic, states, flatness, check_every, log_f_final, max_trials, chain0):
    walks = [ref.walk(Lattice(shape, periodic), s, flatness, check_every, log_f_final, max_trials, KEY, chain0 + w)
             for w, s in enumerate(states)]
    return tuple(np.array([walk[k] for walk in walks]) for k in range(5))


# (shape, periodic, flatness, check_every, log_f_final, max_trials)
WALKS = {
    "4x4 periodic, phase 1 only": ((4, 4), True, 0.5, 32, 1e-6, 1500),
    "6-chain open, to convergence in phase 2": ((6,), False, 0.7, 12, 2e-3, 10**6),
    "3x3 open, odd max_trials": ((3, 3), False, 0.6, 18, 1e-6, 2001),
}


@pytest.mark.parametrize("name", WALKS)
def test_walk_equals_reference(name):
    shape, periodic, flatness, check_every, log_f_final, max_trials = WALKS[name]
    model = LatticeIsing(shape, periodic=periodic)
    states = random_spins(2, model.n_spins, KEY, AIS_INIT, 5)
    args = (flatness, check_every, log_f_final, max_trials, 5)
    fast = _kernel(model, states, *args)
    slow = _reference(shape, periodic, states, *args)
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a, b)
    log_g, visited, trials, final_log_f, _ = fast
    if max_trials < 10**6:
        assert (trials == max_trials + max_trials % 2).all(), "stopped at max_trials (rounded up to a pair)"
        assert (final_log_f < 1.0).all(), "at least one flat histogram was found"
    else:
        assert (final_log_f <= log_f_final).all() and (trials < max_trials).all(), "converged"
        np.testing.assert_array_equal(final_log_f, visited.sum(axis=1) / trials)  # ln f = 1/t: phase 2
    assert visited.sum(axis=1).min() > 3


def test_chain0_split_equals_whole_batch():
    model = LatticeIsing((4, 4), periodic=True)
    states = random_spins(3, 16, KEY, AIS_INIT, 0)
    args = (0.5, 32, 1e-6, 800)
    whole, first, rest = _kernel(model, states, *args, 0), _kernel(model, states[:2], *args, 0), \
        _kernel(model, states[2:], *args, 2)
    for a, b, c in zip(whole, first, rest):
        np.testing.assert_array_equal(a, np.concatenate([b, c]))
