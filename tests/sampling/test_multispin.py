"""layout="multispin": exact distributions, agreement with the int8 kernel, independent replicas, the Chains contract.

The kernel itself equals its slow twin bit for bit (tests/kernels/test_multispin_cpu.py);
here the statistics.  Chi-square checks use one final configuration per chain (i.i.d.
draws), comparisons of means use the scatter of per-chain means (independent chains),
and every tolerance is 5 standard errors of the estimator, with fixed seeds.
"""

import numpy as np
import pytest

import ebmphys
from ebmphys.partition import BETA_C, ising2d_energy
from ebmphys.sampling import Chains
from ebmphys.testing import fit_to_boltzmann

ALPHA = 1e-4


@pytest.mark.parametrize("model, beta, algorithm", [
    (ebmphys.LatticeIsing((4, 4)), 0.44, "metropolis"),
    (ebmphys.LatticeIsing((4, 4)), 0.44, "heatbath"),
    (ebmphys.LatticeIsing((4, 4)), 1.0, "heatbath"),
    (ebmphys.LatticeIsing((4, 4), J=-1.0, h=0.5), 0.6, "metropolis"),
    (ebmphys.LatticeIsing((4, 4), J=-1.0, h=0.5), 0.6, "heatbath"),
    (ebmphys.LatticeIsing((2, 2, 4), J=0.7, h=0.2), 0.5, "metropolis"),
    (ebmphys.LatticeIsing((2, 2, 4), J=0.7, h=0.2), 0.5, "heatbath"),
])
def test_matches_enumeration(model, beta, algorithm):
    """The joint (E, M) distribution of 313 x 64 independent chains matches exact enumeration.

    Not checkerboard Metropolis at beta = 1 on the 4x4 torus: there, in both layouts,
    about 1 chain in 2000 from a random start ends in a configuration where every
    site has neighbour sum 0, which checkerboard Metropolis maps to itself
    deterministically (each colour flips with probability 1, dE = 0), a cycle of
    negligible Boltzmann weight at beta = 1 that the chi-square test detects.
    """
    result = ebmphys.sample(model, beta=beta, n_sweeps=1, n_chains=313 * 64, burn_in=400, algorithm=algorithm,
                            seed=2024, record=(), return_states=True, layout="multispin")
    fit = fit_to_boltzmann(model, beta, result.states, key="energy-magnetization")
    assert fit.p_value > ALPHA, f"{model} beta={beta} {algorithm}: {fit}"


def test_check_has_power():
    """The same check rejects multispin samples at beta = 0.44 against beta = 0.40."""
    model = ebmphys.LatticeIsing((4, 4))
    result = ebmphys.sample(model, beta=0.44, n_sweeps=1, n_chains=313 * 64, burn_in=400, seed=7, record=(),
                            return_states=True, layout="multispin")
    assert fit_to_boltzmann(model, 0.40, result.states, key="energy-magnetization").p_value < ALPHA


def test_ladder_rungs_match_enumeration():
    """Parallel tempering with one beta per replica: every rung has its Boltzmann distribution."""
    model = ebmphys.LatticeIsing((4, 4), h=0.1)
    betas = [0.2, 0.44, 0.7]
    result = ebmphys.sample(model, beta=betas, n_sweeps=1, n_chains=64 * 110, burn_in=300, seed=3, record=(),
                            return_states=True, layout="multispin")
    assert result.exchange_accepted.sum() > 0
    for i, beta in enumerate(betas):
        fit = fit_to_boltzmann(model, beta, result.states[:, i], key="energy-magnetization")
        assert fit.p_value > ALPHA, f"rung {i} (beta={beta}): {fit}"


def _chain_means(layout, observable, seed):
    model = ebmphys.LatticeIsing((32, 32))
    result = ebmphys.sample(model, beta=BETA_C, n_sweeps=3000, n_chains=128, burn_in=3000, seed=seed,
                            layout=layout)
    series = result.energy if observable == "energy" else np.abs(result.magnetization)
    return series.mean(axis=1) / model.n_spins


@pytest.mark.parametrize("observable", ["energy", "abs_magnetization"])
def test_matches_int8_kernel_at_beta_c(observable):
    """32x32 at beta_c: <E>/N and <|M|>/N of 128 multispin chains agree with 128 int8 chains (and E with Kaufman)."""
    fast = _chain_means("multispin", observable, seed=11)
    slow = _chain_means("int8", observable, seed=12)
    se = np.hypot(fast.std(ddof=1) / np.sqrt(fast.size), slow.std(ddof=1) / np.sqrt(slow.size))
    assert abs(fast.mean() - slow.mean()) < 5 * se, (fast.mean(), slow.mean(), se)
    assert se < 0.01 * abs(slow.mean()), "the comparison resolves differences of a few per cent"
    if observable == "energy":
        exact = ising2d_energy(32, 32, BETA_C)
        assert abs(fast.mean() - exact) < 5 * fast.std(ddof=1) / np.sqrt(fast.size), (fast.mean(), exact)


def test_replicas_are_uncorrelated():
    """Energies of different replicas of a word are uncorrelated: mean pair correlation within 5 s.e. of 0.

    128 replicas (two words) at beta = 0.3 on 8x8, 200 records 5 sweeps apart (tau_E
    is below one sweep there).  For independent series each pair correlation has
    standard error 1/sqrt(200); the mean over P pairs 1/sqrt(200 P) (pairs share
    series, which keeps the mean's error of this order).  A shared-noise coding,
    whose replicas see the same random numbers, correlates them strongly.
    """
    model = ebmphys.LatticeIsing((8, 8))
    r = ebmphys.sample(model, beta=0.3, n_sweeps=1000, thin=5, n_chains=128, seed=9, burn_in=100, layout="multispin")
    e = (r.energy - r.energy.mean(axis=1, keepdims=True)) / r.energy.std(axis=1, keepdims=True)
    corr = e @ e.T / e.shape[1]
    n_records = e.shape[1]
    for name, pairs in (("neighbouring lanes", [(b, b + 1) for b in range(127) if b != 63]),
                        ("all pairs in a word", [(a, b) for g in (0, 64) for a in range(g, g + 64)
                                                 for b in range(a + 1, g + 64)]),
                        ("same lane of the two words", [(b, b + 64) for b in range(64)])):
        values = np.array([corr[a, b] for a, b in pairs])
        assert abs(values.mean()) < 5 / np.sqrt(n_records * len(pairs)), (name, values.mean())
        assert np.abs(values).max() < 5.5 / np.sqrt(n_records), (name, np.abs(values).max())


# ---------------------------------------------------------------- the Chains contract

def _chains(**kwargs):
    args = dict(algorithm="heatbath", beta=0.45, n_chains=128, seed=2**64 - 5, layout="multispin")
    args.update(kwargs)
    return Chains(ebmphys.LatticeIsing((6, 4), J=0.8, h=0.1), **args)


def test_split_runs_equal_one_run_and_records_are_exact():
    whole = _chains()
    a = whole.run(12, thin=2)
    split = _chains()
    b = [split.run(4, thin=2), split.run(8, thin=2)]
    np.testing.assert_array_equal(whole.states, split.states)
    for obs in ("energy", "magnetization"):
        np.testing.assert_array_equal(a[obs], np.concatenate([r[obs] for r in b], axis=-1))
    model = whole.model
    np.testing.assert_array_equal(a["energy"][:, -1], model.energy(whole.states))
    np.testing.assert_array_equal(a["magnetization"][:, -1], model.magnetization(whole.states))
    resumed = _chains(initial_states=split.states, sweep=split.sweep)
    whole.run(3)
    resumed.run(3)
    np.testing.assert_array_equal(whole.states, resumed.states)


def test_batches_split_at_multiples_of_64_equal_the_whole():
    whole = _chains(n_chains=192)
    whole.run(5)
    parts = [_chains(n_chains=64), _chains(n_chains=128, chain0=64)]
    for part in parts:
        part.run(5)
    np.testing.assert_array_equal(whole.states, np.concatenate([p.states for p in parts]))
    assert whole.states.dtype == np.int8 and whole.states.shape == (192, 6, 4)


def test_ladder_with_multispin_continues_bit_for_bit():
    args = dict(beta=[0.2, 0.35, 0.5, 0.7], n_chains=32, exchange_every=2)
    whole, split = _chains(**args), _chains(**args)
    a = whole.run(10, thin=2)
    b = [split.run(4, thin=2), split.run(6, thin=2)]
    np.testing.assert_array_equal(whole.states, split.states)
    np.testing.assert_array_equal(whole.replicas, split.replicas)
    np.testing.assert_array_equal(a["energy"], np.concatenate([r["energy"] for r in b], axis=-1))
    np.testing.assert_array_equal(a["energy"][..., -1], whole.model.energy(whole.states))


def test_same_start_as_the_int8_layout():
    """Default initial states are those of the int8 layout (stream rng.INIT); trajectories then differ."""
    multi, plain = _chains(), _chains(layout="int8")
    np.testing.assert_array_equal(multi.states, plain.states)
    multi.run(2)
    plain.run(2)
    assert not np.array_equal(multi.states, plain.states)


@pytest.mark.parametrize("model, kwargs, exc, match", [
    (ebmphys.LatticeIsing((4, 4)), dict(n_chains=10), ValueError, "multiple of 64"),
    (ebmphys.LatticeIsing((4, 4)), dict(n_chains=48, beta=[0.1, 0.2]), ValueError, "multiple of 64"),
    (ebmphys.LatticeIsing((4, 4), periodic=False), {}, ValueError, "periodic 2D or 3D lattice with even sides"),
    (ebmphys.LatticeIsing((4, 6, 5)), {}, ValueError, "even sides"),
    (ebmphys.LatticeIsing(8), {}, ValueError, "2D or 3D"),
    (ebmphys.LatticeIsing((2, 2, 2, 2)), {}, ValueError, "2D or 3D"),
    (ebmphys.LatticeIsing((4, 4)), dict(layout="bits"), ValueError, "layout must be one of 'int8', 'multispin'"),
    (ebmphys.LatticeIsing((4, 4)), dict(algorithm="wolff"), TypeError, "layout"),
])
def test_bad_input(model, kwargs, exc, match):
    args = dict(algorithm="metropolis", beta=0.4, n_chains=64, seed=1, layout="multispin")
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        Chains(model, **args)


def test_no_annealing_kernel():
    with pytest.raises(ValueError, match="layout='multispin' has no annealing kernel"):
        _chains().anneal(np.linspace(0.1, 0.4, 5))
