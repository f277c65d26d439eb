"""Thermodynamic observables on i.i.d. data with exactly known answers."""

import numpy as np
import pytest

from ebmphys.analysis import thermo_observables
from ebmphys.models import LatticeIsing
from ebmphys.partition import boltzmann_probabilities, enumerate_states


def test_gaussian_energy_and_magnetisation():
    # E ~ N(mu, s_e), M ~ N(0, s_m): <E>/N = mu/N, C = beta^2 s_e^2 / N, <|M|> = s_m sqrt(2/pi),
    # chi = beta s_m^2 (1 - 2/pi) / N, chi_m2 = beta s_m^2 / N, U4 = 0 (Gaussian: <m^4> = 3 <m^2>^2)
    rng = np.random.default_rng(10)
    n_spins, beta, mu, s_e, s_m = 50, 0.5, -100.0, 5.0, 10.0
    energy = rng.normal(mu, s_e, (4, 50_000))
    magnetization = rng.normal(0.0, s_m, (4, 50_000))
    obs = thermo_observables(energy, magnetization, beta, n_spins)
    exact = {
        "energy": mu / n_spins,
        "abs_magnetization": s_m * np.sqrt(2 / np.pi) / n_spins,
        "specific_heat": beta**2 * s_e**2 / n_spins,
        "susceptibility": beta * s_m**2 * (1 - 2 / np.pi) / n_spins,
        "susceptibility_m2": beta * s_m**2 / n_spins,
        "binder": 0.0,
    }
    for name, value in exact.items():
        est = getattr(obs, name)
        assert abs(est.value - value) < 4 * est.error, name  # 4 jackknife standard errors
    # the error itself: sd of the mean energy per spin is s_e / sqrt(n) / N, to 4/sqrt(2 (B - 1))
    n_blocks = 4 * 5  # 4 chains cut into ceil(20 / 4) = 5 segments
    exact_error = s_e / np.sqrt(energy.size) / n_spins
    assert abs(obs.energy.error - exact_error) < 4 * exact_error / np.sqrt(2 * (n_blocks - 1))


def test_fixed_magnitude_magnetisation():
    # M = +-M0 exactly: <|M|> = M0, chi = 0, U4 = 2/3, all without error
    rng = np.random.default_rng(11)
    m = 12.0 * rng.choice([-1.0, 1.0], 1000)
    obs = thermo_observables(rng.normal(size=1000), m, beta=1.0, n_spins=16)
    assert obs.abs_magnetization.value == pytest.approx(0.75, abs=1e-12)
    assert obs.susceptibility.value == pytest.approx(0.0, abs=1e-9)
    assert obs.binder.value == pytest.approx(2.0 / 3.0, abs=1e-12)
    assert obs.binder.error == pytest.approx(0.0, abs=1e-12)


def test_exact_boltzmann_samples_of_small_lattice():
    # i.i.d. states of a periodic 4x4 Ising model drawn from the exact Boltzmann distribution
    model = LatticeIsing((4, 4))
    beta = 0.4
    states = enumerate_states(model.n_spins)
    e_all, m_all = model.energy(states), model.magnetization(states)
    p = boltzmann_probabilities(model, beta)
    idx = np.random.default_rng(12).choice(p.size, size=(4, 25_000), p=p)
    obs = thermo_observables(e_all[idx], m_all[idx], beta, model.n_spins)
    n = model.n_spins

    def mean(values):
        return float(p @ values)

    exact = {
        "energy": mean(e_all) / n,
        "abs_magnetization": mean(np.abs(m_all)) / n,
        "specific_heat": beta**2 * (mean(e_all**2) - mean(e_all) ** 2) / n,
        "susceptibility": beta * (mean(m_all**2) - mean(np.abs(m_all)) ** 2) / n,
        "susceptibility_m2": beta * mean(m_all**2) / n,
        "binder": 1 - mean(m_all**4) / (3 * mean(m_all**2) ** 2),
    }
    for name, value in exact.items():
        est = getattr(obs, name)
        assert abs(est.value - value) < 4 * est.error, name


def test_one_chain_and_many_chains_agree_on_values():
    rng = np.random.default_rng(13)
    e, m = rng.normal(size=(2, 6, 500))
    a = thermo_observables(e, m, 0.3, 10)
    b = thermo_observables(e.ravel(), m.ravel(), 0.3, 10)
    assert a.energy.value == pytest.approx(b.energy.value, rel=1e-12)


def test_bad_input():
    e = np.random.default_rng(14).normal(size=100)
    m = np.random.default_rng(15).normal(size=100)
    with pytest.raises(ValueError, match="beta must be finite and >= 0"):
        thermo_observables(e, m, -0.1, 4)
    with pytest.raises(ValueError, match="beta"):
        thermo_observables(e, m, float("nan"), 4)
    with pytest.raises(ValueError, match="n_spins must be an integer >= 1"):
        thermo_observables(e, m, 0.5, 0)
    with pytest.raises(ValueError, match="same shape"):
        thermo_observables(e, m[:50], 0.5, 4)
    with pytest.raises(ValueError, match="energy must contain only finite"):
        thermo_observables(np.r_[e[:-1], np.nan], m, 0.5, 4)
    with pytest.raises(ValueError, match="Binder cumulant is undefined"):
        thermo_observables(e, np.zeros(100), 0.5, 4)
    with pytest.raises(ValueError, match="n_blocks"):
        thermo_observables(e, m, 0.5, 4, n_blocks=1)
