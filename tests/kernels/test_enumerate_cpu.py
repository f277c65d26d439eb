"""The Gray-code energy walk against the model's vectorised energy, state by state."""

import numpy as np
import pytest

from ebmphys.kernels.enumerate_cpu import REANCHOR, gray_code_energies
from ebmphys.models.ising import GraphIsing, LatticeIsing
from ebmphys.partition.exact import _csr_couplings


def _gray_states(n_spins, start, stop):
    """State visited at Gray-code step k: spin i = +1 when bit i of k ^ (k >> 1) is set."""
    k = np.arange(start, stop, dtype=np.int64)
    g = k ^ (k >> 1)
    return (2 * ((g[:, None] >> np.arange(n_spins)) & 1) - 1).astype(np.int8)


def _graph(n_spins, seed):
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(size=(n_spins, n_spins)), 1)
    return GraphIsing(J + J.T, rng.normal(size=n_spins))


@pytest.mark.parametrize(
    "model",
    [_graph(13, seed=3), LatticeIsing((3, 4), J=-1.2, h=0.4, periodic=False), LatticeIsing((2, 7), J=0.8, h=0.1)],
    ids=["graph-13", "open-3x4", "torus-2x7-double-bonds"],
)
@pytest.mark.parametrize("start, length", [(0, None), (4000, 300), (5, 1)])
def test_walk_energies_match_model(model, start, length):
    n = model.n_spins
    length = 2**n - start if length is None else length
    out = np.empty(length)
    gray_code_energies(*_csr_couplings(model), start, out)
    expected = model.energy(_gray_states(n, start, start + length))
    # incremental sums are re-anchored every REANCHOR steps; drift stays at the 1e-13 level
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-11)


def test_walk_visits_every_state_once():
    states = _gray_states(12, 0, 2**12)
    index = ((states > 0) * (1 << np.arange(12))).sum(axis=1)
    assert np.array_equal(np.sort(index), np.arange(2**12))
    assert np.all((states[1:] != states[:-1]).sum(axis=1) == 1)
    assert REANCHOR < 2**13  # the 13-spin walk above crosses a re-anchoring step
