"""rbm_cpu (initial_visible, start_chains, block_gibbs) equals its reference twin bit for bit.

train_epoch has its own twin (tests/reference/rbm_training.py, tests/kernels/test_rbm_train_epoch_reference.py).
"""

import numpy as np
import pytest

from ebmphys.kernels import rbm_cpu
from ebmphys.kernels.rng import split_seed
from tests.reference import rbm as ref

KEY = split_seed(0xFEDCBA9876543210)


def _rbm(nv=6, nh=4, seed=0, scale=1.5):
    rng = np.random.default_rng(seed)
    return scale * rng.normal(size=(nv, nh)), rng.normal(size=nv), rng.normal(size=nh)


def test_initial_visible_equals_reference():
    _, b, _ = _rbm()
    b[0], b[1] = 40.0, -40.0  # saturated units: p = 1 exactly, and p below 2**-32
    fast = rbm_cpu.initial_visible(b, 5, 3, *KEY)
    np.testing.assert_array_equal(fast, ref.initial_visible(b, 5, 3, KEY))
    assert fast[:, 0].all() and not fast[:, 1].any()


@pytest.mark.parametrize("step", [0, 1, 37, 2**32 - 1])
def test_start_chains_equal_reference_at_any_step(step):
    W, b, c = _rbm()
    v = ref.initial_visible(b, 5, 0, KEY)
    h = np.empty((5, 4), dtype=np.uint8)
    rbm_cpu.start_chains(W, b, c, v, h, step, 2, *KEY)
    np.testing.assert_array_equal(h, ref.start_chains(W, c, v, step, 2, KEY))


@pytest.mark.parametrize("shape", [(6, 4), (3, 9)])
def test_block_gibbs_equals_reference(shape):
    W, b, c = _rbm(*shape, seed=1)
    chain0, step0, n_steps = 6, 5, 4
    v = ref.initial_visible(b, 4, chain0, KEY)
    h = ref.start_chains(W, c, v, step0 - 1, chain0, KEY)
    ref_h, ref_v = ref.block_gibbs(W, b, c, h, v, step0, n_steps, chain0, KEY)
    rbm_cpu.block_gibbs(W, np.ascontiguousarray(W.T), b, c, h, v, step0, n_steps, chain0, *KEY)
    np.testing.assert_array_equal(v, ref_v)
    np.testing.assert_array_equal(h, ref_h)
    assert 0 < v.mean() < 1 and 0 < h.mean() < 1


def test_chain0_split_equals_whole_batch():
    W, b, c = _rbm()
    WT = np.ascontiguousarray(W.T)

    def run(n_chains, chain0):
        v = rbm_cpu.initial_visible(b, n_chains, chain0, *KEY)
        h = np.empty((n_chains, 4), np.uint8)
        rbm_cpu.start_chains(W, b, c, v, h, 0, chain0, *KEY)
        rbm_cpu.block_gibbs(W, WT, b, c, h, v, 1, 5, chain0, *KEY)
        return v, h

    whole, first, rest = run(6, 0), run(2, 0), run(4, 2)
    for a, x, y in zip(whole, first, rest):
        np.testing.assert_array_equal(a, np.concatenate([x, y]))
