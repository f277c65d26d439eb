"""rbm_cpu.train_epoch equals its slow reference twin (tests/reference/rbm_training.py) bit for bit.

Binary (uint8) and real-valued (float64 in [0, 1]) data, CD-k and PCD-k, centring,
momentum and weight decay, a last minibatch shorter than the others, CD chain
indices that wrap around 2**32 and a seed near 2**64; then the real path on 0/1
rows must give the bits of the uint8 path.
"""

import numpy as np
import pytest

from ebmphys.kernels import rbm_cpu
from ebmphys.kernels.rng import split_seed
from tests.reference import rbm_training as reference

NV, NH, N = 7, 5, 11


def _data(kind: str) -> np.ndarray:
    rng = np.random.default_rng(8)
    binary = (rng.random((N, NV)) < 0.4).astype(np.uint8)
    if kind == "binary":
        return binary
    real = rng.random((N, NV))
    real[rng.random((N, NV)) < 0.3] = 0.0          # exact zeros are skipped, as sparse rows
    real[rng.random((N, NV)) < 0.2] = 1.0
    return np.ascontiguousarray(real)


def _run(train_epoch, data, persistent, k, centered, momentum, weight_decay, seed, example0, n_epochs=2,
         dtype=np.float64):
    rng = np.random.default_rng(3)
    W = (0.8 * rng.normal(size=(NV, NH))).astype(dtype)
    b, c = (0.3 * rng.normal(size=NV)).astype(dtype), (0.3 * rng.normal(size=NH)).astype(dtype)
    vel = [(0.1 * rng.normal(size=x.shape)).astype(dtype) for x in (W, b, c)]
    chains = (rng.random((4 if persistent else 0, NH)) < 0.5).astype(np.uint8)
    mu, lam = data.mean(axis=0).astype(dtype), np.full(NH, 0.45, dtype=dtype)
    WT = np.ascontiguousarray(W.T)
    k0, k1 = split_seed(seed)
    chain_step = 1
    for epoch in range(n_epochs):
        order = np.random.default_rng(epoch).permutation(N).astype(np.int64)
        chain_step = train_epoch(data, order, 4, W, WT, b, c, *vel, chains, persistent, k, chain_step,
                                 example0 + epoch * N, 0.3, momentum, weight_decay, centered, mu, lam, 0.05, k0, k1)
    return [W, WT, b, c, *vel, chains, lam, np.array(chain_step)]


CASES = [
    dict(persistent=True, k=1, centered=False, momentum=0.0, weight_decay=0.0, seed=5, example0=0),
    dict(persistent=True, k=2, centered=True, momentum=0.5, weight_decay=0.01, seed=2**64 - 1, example0=0),
    dict(persistent=False, k=1, centered=False, momentum=0.0, weight_decay=0.0, seed=17, example0=0),
    dict(persistent=False, k=3, centered=True, momentum=0.9, weight_decay=0.001, seed=2**63 + 7,
         example0=2**32 - 15),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["binary", "real"])
@pytest.mark.parametrize("case", CASES, ids=["pcd1", "pcd2-centred", "cd1", "cd3-centred-wrapping"])
def test_train_epoch_equals_reference_bit_for_bit(kind, case, dtype):
    data = _data(kind)
    fast = _run(rbm_cpu.train_epoch, data, **case, dtype=dtype)
    slow = _run(reference.train_epoch, data, **case, dtype=dtype)
    for name, a, b in zip(["W", "WT", "b", "c", "vel_W", "vel_b", "vel_c", "chains", "lam", "chain_step"], fast, slow):
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert fast[0].dtype == dtype
    assert not np.array_equal(fast[0], _run(rbm_cpu.train_epoch, data, **dict(case, seed=case["seed"] - 1),
                                            dtype=dtype)[0])


@pytest.mark.parametrize("case", CASES[1:4:2], ids=["pcd2-centred", "cd3-centred-wrapping"])
def test_real_path_on_binary_rows_gives_the_uint8_bits(case):
    binary = _data("binary")
    as_uint8 = _run(rbm_cpu.train_epoch, binary, **case)
    as_float = _run(rbm_cpu.train_epoch, binary.astype(np.float64), **case)
    for a, b in zip(as_uint8, as_float):
        np.testing.assert_array_equal(a, b)


def test_real_rows_differ_from_their_binarisation():
    """The real path really uses the probabilities (a guard against silently rounding them)."""
    real = _data("real")
    case = CASES[0]
    assert not np.array_equal(_run(rbm_cpu.train_epoch, real, **case)[0],
                              _run(rbm_cpu.train_epoch, (real > 0.5).astype(np.uint8), **case)[0])
