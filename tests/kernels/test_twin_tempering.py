"""Replica exchanges of Chains (parallel tempering) equal their reference twin (tests/reference/tempering.py)."""

import numpy as np
import pytest

from ebmphys.kernels.rng import INIT, split_seed
from ebmphys.models import LatticeIsing
from ebmphys.sampling import Chains
from tests.reference import tempering as ref
from tests.reference.lattice import Lattice
from tests.reference.spins import random_spins

SEED = 0xABCDEF0123456789


@pytest.mark.parametrize("shape, periodic, h, betas, every, chain0", [
    ((4, 4), True, 0.0, [0.2, 0.3, 0.45, 0.6, 0.8], 1, 0),
    ((5, 3), False, 0.3, [0.1, 0.5, 0.9], 2, 3),
    ((6,), False, -0.2, [0.3, 0.6, 0.9, 1.2, 1.5, 1.8], 3, 0),
])
def test_exchange_rounds_equal_reference(shape, periodic, h, betas, every, chain0):
    model = LatticeIsing(shape, J=1.0, h=h, periodic=periodic)
    n_chains, n_betas = 2, len(betas)
    start = random_spins(n_chains * n_betas, model.n_spins, split_seed(SEED), INIT, 0).reshape(n_chains, n_betas, -1)
    chains = Chains(model, algorithm="heatbath", beta=betas, n_chains=n_chains, seed=SEED, exchange_every=every,
                    initial_states=start.reshape((n_chains, n_betas) + shape), sweep=1, chain0=chain0)
    records = chains.run(6 * every)
    states, replicas, accepted = ref.run(Lattice(shape, periodic), start, "heatbath", 1.0, h, betas, split_seed(SEED),
                                         chain0, 1, 6 * every, every)
    np.testing.assert_array_equal(chains.states.reshape(states.shape), states)
    np.testing.assert_array_equal(chains.replicas, replicas)
    np.testing.assert_array_equal(records.exchange_accepted, accepted)
    assert accepted.sum() > 0 and (replicas != np.arange(n_betas)).any(), "exchanges happened"
    assert (records.exchange_accepted < records.exchange_attempts).any(), "and some were rejected"


def test_ladder_split_with_chain0_equals_whole_batch():
    model = LatticeIsing((4, 4))
    args = dict(algorithm="heatbath", beta=[0.2, 0.4, 0.6], seed=7, exchange_every=1)
    start = random_spins(9, 16, (1, 2), INIT, 0).reshape(3, 3, 4, 4)
    whole = Chains(model, n_chains=3, initial_states=start, **args)
    first = Chains(model, n_chains=1, initial_states=start[:1], **args)
    rest = Chains(model, n_chains=2, chain0=1, initial_states=start[1:], **args)
    for c in (whole, first, rest):
        c.run(6)
    np.testing.assert_array_equal(whole.states, np.concatenate([first.states, rest.states]))
