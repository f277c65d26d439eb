"""Single- and multi-histogram reweighting against exact enumeration of a periodic 4x4 Ising model.

Samples are i.i.d. draws from the exact Boltzmann distribution, so the block
jackknife errors are valid; tolerances are 4 of those standard errors.
"""

import numpy as np
import pytest

from ebmphys.analysis import multi_histogram, reweight
from ebmphys.models import LatticeIsing
from ebmphys.partition import boltzmann_probabilities, energy_spectrum, enumerate_states, log_z_exact

MODEL = LatticeIsing((4, 4))


@pytest.fixture(scope="module")
def exact():
    states = enumerate_states(MODEL.n_spins)
    return MODEL.energy(states), MODEL.magnetization(states)


def draw(exact, beta, shape, seed):
    """Energies and |M| of i.i.d. exact Boltzmann samples at beta."""
    e_all, m_all = exact
    idx = np.random.default_rng(seed).choice(e_all.size, size=shape, p=boltzmann_probabilities(MODEL, beta))
    return e_all[idx], np.abs(m_all[idx])


def exact_mean(exact, values, beta):
    return float(boltzmann_probabilities(MODEL, beta) @ values)


def exact_energy_from_spectrum(beta):
    energies, counts = energy_spectrum(MODEL)
    w = counts * np.exp(-beta * (energies - energies.min()))
    return float(w @ energies / w.sum())


def test_single_histogram_energy_and_magnetisation(exact):
    beta0 = 0.4
    e, abs_m = draw(exact, beta0, (4, 10_000), seed=20)
    targets = [0.37, 0.39, 0.41, 0.43]
    r_e = reweight(e, e, beta0, targets)
    r_m = reweight(e, abs_m, beta0, targets)
    for i, beta in enumerate(targets):
        assert abs(r_e.value[i] - exact_energy_from_spectrum(beta)) < 4 * r_e.error[i]
        assert abs(r_m.value[i] - exact_mean(exact, np.abs(exact[1]), beta)) < 4 * r_m.error[i]
    assert np.all(r_e.n_effective < e.size)


def test_reweighting_to_the_sampled_beta_is_the_plain_mean(exact):
    e, abs_m = draw(exact, 0.3, 2000, seed=21)
    r = reweight(e, abs_m, 0.3, 0.3, n_blocks=None)
    assert r.value[0] == pytest.approx(abs_m.mean(), rel=1e-12)
    assert r.n_effective[0] == pytest.approx(e.size, rel=1e-12)
    assert r.error is None


def test_reach_rule(exact):
    e, _ = draw(exact, 0.4, 5000, seed=22)
    sigma = e.std()
    inside, outside = 0.4 + 0.9 / sigma, 0.4 + 1.1 / sigma
    reweight(e, e, 0.4, inside)
    with pytest.raises(ValueError, match="too far outside"):
        reweight(e, e, 0.4, outside)
    reweight(e, e, 0.4, outside, max_shift=1.2)


def test_error_is_infinite_when_one_block_holds_all_the_weight():
    # every sample but those of the last block has E = 0; far enough away the last block's
    # E = -50 samples carry all the weight, and leaving that block out leaves nothing
    energy = np.zeros(1000)
    energy[-50:] = -50.0
    energy[::7] += 1.0
    r = reweight(energy, energy, 0.0, [0.0, 30.0], n_blocks=20, max_shift=1e6)
    assert np.isfinite(r.error[0])
    assert r.error[1] == np.inf


def test_single_histogram_bad_input(exact):
    e, m = draw(exact, 0.4, 1000, seed=23)
    with pytest.raises(ValueError, match="same shape"):
        reweight(e, m[:500], 0.4, 0.41)
    with pytest.raises(ValueError, match="energy must contain only finite"):
        reweight(np.r_[e[:-1], np.nan], m, 0.4, 0.41)
    with pytest.raises(ValueError, match="beta0 must be finite and >= 0"):
        reweight(e, m, -0.4, 0.41)
    with pytest.raises(ValueError, match="betas must contain only finite"):
        reweight(e, m, 0.4, [0.41, np.nan])
    with pytest.raises(ValueError, match="betas must be >= 0"):
        reweight(e, m, 0.0, [-0.01])
    with pytest.raises(ValueError, match="max_shift must be > 0"):
        reweight(e, m, 0.4, 0.41, max_shift=0.0)
    with pytest.raises(ValueError, match="n_blocks"):
        reweight(e, m, 0.4, 0.41, n_blocks=1)


@pytest.fixture(scope="module")
def runs(exact):
    betas = [0.3, 0.4, 0.5]
    samples = [draw(exact, b, (2, 10_000), seed=30 + k) for k, b in enumerate(betas)]
    return betas, [s[0] for s in samples], [s[1] for s in samples]


def test_multi_histogram_log_z_and_energy(runs):
    betas, energies, _ = runs
    mh = multi_histogram(energies, betas, n_blocks=20)
    targets = np.array([0.33, 0.37, 0.4, 0.45, 0.5, 0.52])
    log_z = mh.log_z(targets)
    expected = log_z_exact(MODEL, targets) - log_z_exact(MODEL, betas[0])
    assert np.all(np.abs(log_z.value - expected) < 4 * log_z.error)
    energy = mh.expectation(targets)
    for i, beta in enumerate(targets):
        assert abs(energy.value[i] - exact_energy_from_spectrum(beta)) < 4 * energy.error[i]
    sampled = mh.log_z_sampled - (log_z_exact(MODEL, np.array(betas)) - log_z_exact(MODEL, betas[0]))
    assert sampled[0] == 0.0
    assert np.all(np.abs(sampled[1:]) < 4 * mh.log_z(betas[1:]).error)


def test_multi_histogram_observable(runs, exact):
    betas, energies, abs_m = runs
    mh = multi_histogram(energies, betas, n_blocks=10)
    r = mh.expectation([0.35, 0.45], abs_m)
    for i, beta in enumerate([0.35, 0.45]):
        assert abs(r.value[i] - exact_mean(exact, np.abs(exact[1]), beta)) < 4 * r.error[i]


def test_one_run_multi_histogram_is_single_histogram(runs):
    betas, energies, abs_m = runs
    targets = [0.38, 0.4, 0.42]
    mh = multi_histogram([energies[1]], [betas[1]])
    single = reweight(energies[1], abs_m[1], betas[1], targets, n_blocks=None)
    np.testing.assert_allclose(mh.expectation(targets, [abs_m[1]]).value, single.value, rtol=1e-12)
    assert mh.expectation(targets).error is None


def test_multi_histogram_reach_and_bad_input(runs):
    betas, energies, abs_m = runs
    mh = multi_histogram(energies, betas)
    with pytest.raises(ValueError, match="too far outside the sampled range"):
        mh.log_z(0.8)
    with pytest.raises(ValueError, match="too far outside the sampled range"):
        mh.expectation(0.1)
    with pytest.raises(ValueError, match="strictly increasing"):
        multi_histogram(energies, [0.4, 0.3, 0.5])
    with pytest.raises(ValueError, match="one array per beta"):
        multi_histogram(energies[:2], betas)
    with pytest.raises(ValueError, match=r"energies_list\[1\] must contain only finite"):
        multi_histogram([energies[0], np.full(10, np.nan), energies[2]], betas)
    with pytest.raises(ValueError, match="fewer than n_blocks"):
        multi_histogram([e[:, :5] for e in energies], betas, n_blocks=10)
    with pytest.raises(ValueError, match="one per run"):
        mh.expectation(0.4, abs_m[:2])
    with pytest.raises(ValueError, match=r"observables\[1\] must have the shape of energies_list\[1\]"):
        mh.expectation(0.4, [abs_m[0], abs_m[1][:, :10], abs_m[2]])
