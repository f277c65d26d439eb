"""ebmphys.sample: reproducibility, chain independence, continuation, recorded values, validation."""

import os
import subprocess
import sys

import numpy as np
import pytest

import ebmphys
from ebmphys.sampling import registry
from ebmphys.testing import frustrated_graph

MODELS = [ebmphys.LatticeIsing((8, 8)), ebmphys.LatticeIsing((4, 4, 4), h=0.2, periodic=False), frustrated_graph(10)]


@pytest.mark.parametrize("model", MODELS, ids=repr)
@pytest.mark.parametrize("algorithm", ["metropolis", "heatbath"])
def test_same_seed_same_bits_and_continuation(model, algorithm):
    kw = dict(beta=0.4, n_chains=3, algorithm=algorithm, seed=11, return_states=True)
    a = ebmphys.sample(model, n_sweeps=40, **kw)
    b = ebmphys.sample(model, n_sweeps=40, **kw)
    np.testing.assert_array_equal(a.states, b.states)
    np.testing.assert_array_equal(a.energy, b.energy)
    first = ebmphys.sample(model, n_sweeps=15, **kw)
    rest = ebmphys.sample(model, n_sweeps=25, initial_states=first.states, sweep_offset=first.final_sweep, **kw)
    np.testing.assert_array_equal(rest.states, a.states)
    np.testing.assert_array_equal(np.concatenate([first.energy, rest.energy], axis=1), a.energy)
    np.testing.assert_array_equal(np.concatenate([first.sweeps, rest.sweeps]), a.sweeps)


def test_recorded_observables_match_model():
    model = ebmphys.LatticeIsing((6, 4), J=-1.0, h=0.3, periodic=False)
    r = ebmphys.sample(model, beta=0.7, n_sweeps=30, thin=3, burn_in=5, n_chains=4, seed=3, return_states=True)
    assert r.energy.shape == (4, 10)
    np.testing.assert_array_equal(r.sweeps, 5 + 3 * np.arange(1, 11))
    np.testing.assert_allclose(r.energy[:, -1], model.energy(r.states))
    np.testing.assert_array_equal(r.magnetization[:, -1], model.magnetization(r.states))


def test_chain_depends_only_on_seed_and_index():
    """Chain c's trajectory is a function of (seed, c): adding chains does not change it."""
    model = ebmphys.LatticeIsing((8, 8))
    small = ebmphys.sample(model, beta=0.3, n_sweeps=20, n_chains=2, seed=5, return_states=True)
    large = ebmphys.sample(model, beta=0.3, n_sweeps=20, n_chains=7, seed=5, return_states=True)
    np.testing.assert_array_equal(small.states, large.states[:2])
    other = ebmphys.sample(model, beta=0.3, n_sweeps=20, n_chains=2, seed=6, return_states=True)
    assert not np.array_equal(small.states, other.states)


def test_chains_are_uncorrelated():
    """Chain-to-chain correlation of the magnetisation is zero within 5 standard errors.

    With n = 400 chains the sample correlation of independent pairs has standard error
    about 1/sqrt(n) = 0.05; we test the mean over 50 adjacent pairs, error 0.05/sqrt(50).
    """
    model = ebmphys.LatticeIsing((8, 8))
    r = ebmphys.sample(model, beta=0.2, n_sweeps=400, n_chains=101, seed=9, thin=4)
    m = r.magnetization
    m = (m - m.mean(axis=1, keepdims=True)) / m.std(axis=1, keepdims=True)
    corr = (m[:-1] * m[1:]).mean(axis=1)  # 100 adjacent-chain correlations over 100 nearly independent records
    assert abs(corr.mean()) < 5 * 0.1 / np.sqrt(100)


def test_thread_count_does_not_change_bits(tmp_path):
    code = (
        "import ebmphys, numpy as np, sys;"
        "r = ebmphys.sample(ebmphys.LatticeIsing((16, 16)), beta=0.44, n_sweeps=30, n_chains=4, seed=1, return_states=True);"
        "np.save(sys.argv[1], r.states)"
    )
    for threads in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        subprocess.run([sys.executable, "-c", code, str(tmp_path / f"t{threads}.npy")], env=env, check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "t1.npy"), np.load(tmp_path / "t2.npy"))


def test_high_temperature_limit_is_uniform():
    """At beta = 0 every spin is an independent fair coin: <M> = 0, <M^2> = N within 5 s.e."""
    model = ebmphys.LatticeIsing((8, 8))
    r = ebmphys.sample(model, beta=0.0, n_sweeps=200, n_chains=50, seed=4, algorithm="heatbath")
    m = r.magnetization.ravel()
    n = m.size
    assert abs(m.mean()) < 5 * np.sqrt(64 / n)
    assert abs((m**2).mean() - 64) < 5 * np.sqrt(2 * 64**2 / n)


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"beta": -0.1}, ValueError, "beta must be finite and >= 0"),
        ({"beta": float("inf")}, ValueError, "beta must be a finite"),
        ({"beta": "hot"}, TypeError, "beta must be a finite"),
        ({"n_sweeps": 0}, ValueError, "n_sweeps must be an integer >= 1"),
        ({"n_sweeps": 2.5}, TypeError, "n_sweeps must be an integer"),
        ({"n_chains": 0}, ValueError, "n_chains must be an integer >= 1"),
        ({"burn_in": -1}, ValueError, "burn_in must be an integer >= 0"),
        ({"thin": 3}, ValueError, "n_sweeps must be a multiple of thin=3"),
        ({"algorithm": "glauber"}, ValueError, r"algorithm must be one of 'heatbath', 'metropolis', .* got 'glauber'"),
        ({"record": ("entropy",)}, ValueError, "record must name observables"),
        ({"seed": -3}, ValueError, "seed must be an integer"),
        ({"device": "cuda"}, ValueError, "device='cuda' is not available"),
            ({"device": "gpu"}, ValueError, "device must be one of 'cpu', 'cuda', 'auto'"),
        ({"initial_states": np.ones((2, 8, 8), np.int8)}, ValueError, r"initial_states must have shape \(n_chains, ...\) = \(1, 8, 8\)"),
        ({"initial_states": np.ones((1, 8, 8), np.int32)}, TypeError, "initial_states must have dtype int8"),
        ({"initial_states": np.ones((1, 7, 8), np.int8)}, ValueError, r"initial_states must have shape"),
    ],
)
def test_bad_input(kwargs, exc, match, monkeypatch):
    # device="cuda" takes the no-GPU path on every machine: the CUDA probe reports no device
    monkeypatch.setattr(registry, "_cuda_status", registry.CudaStatus("device", "forced by the test"))
    args = dict(beta=0.4, n_sweeps=10)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        ebmphys.sample(ebmphys.LatticeIsing((8, 8)), **args)


def test_odd_periodic_lattice_refused():
    with pytest.raises(ValueError, match="even side lengths"):
        ebmphys.sample(ebmphys.LatticeIsing((5, 4)), beta=0.4, n_sweeps=10)
