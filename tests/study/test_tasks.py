"""Sweep expansion and jobs: a task cut into jobs gives the bits of one uninterrupted ``sample`` call."""

import dataclasses

import numpy as np
import pytest

from ebmphys import LatticeIsing, sample
from ebmphys.storage import unpack_spins
from ebmphys.study.spec import parse_study
from ebmphys.study.tasks import Job, expand, run_job

SPEC = """
[study]
name = "t"
[model]
dimension = 2
sizes = [4, 6]
[temperatures]
values = [2.0, 2.5, 3.0]
[sampling]
algorithm = "{algorithm}"
n_sweeps = 40
burn_in = 10
n_chains = 2
seeds = [5, 6]
[record]
observables_every = 2
configurations_every = 10
"""


def tasks(algorithm="metropolis"):
    return expand(parse_study(SPEC.format(algorithm=algorithm)))


def test_expand_order_and_independent_keys():
    ts = tasks()
    assert len(ts) == 2 * 3 * 2
    assert [(t.size_index, t.temperature_index, t.seed_index) for t in ts[:3]] == [(0, 0, 0), (0, 0, 1), (0, 1, 0)]
    assert len({t.key for t in ts}) == len(ts)
    assert ts[0].beta == pytest.approx(0.5)
    np.testing.assert_array_equal(ts[0].record_sweeps(), 10 + 2 * np.arange(1, 21))
    np.testing.assert_array_equal(ts[0].configuration_sweeps(), [20, 30, 40, 50])


def test_job_stops_align_with_records_and_burn_in():
    t = tasks()[0]
    assert t.job_stops(7) == [10, 20, 30, 40, 50]  # rounded up to a multiple of lcm(2, 10)
    assert t.job_stops(1000) == [10, 50]
    assert t.job_stops(4)[-1] == t.total_sweeps


@pytest.mark.parametrize("algorithm, burn_in", [("metropolis", 10), ("swendsen-wang", 10), ("wolff", 0)])
def test_jobs_reproduce_one_uninterrupted_sample(algorithm, burn_in):
    t = dataclasses.replace(tasks(algorithm)[7], burn_in=burn_in)
    model = LatticeIsing((t.L, t.L))
    states, start = None, 0
    energy, magnetization, configurations = [], [], []
    for stop in t.job_stops(5):
        result = run_job(Job(task=t, start=start, stop=stop, states=states))
        energy.append(result.energy)
        magnetization.append(result.magnetization)
        configurations.append(result.configurations)
        states, start = result.states, stop
    ref = sample(model, beta=t.beta, n_sweeps=t.n_sweeps, burn_in=t.burn_in, thin=t.thin, n_chains=t.n_chains,
                 algorithm=algorithm, seed=t.key, return_states=True)
    np.testing.assert_array_equal(np.concatenate(energy, axis=1), ref.energy)
    np.testing.assert_array_equal(np.concatenate(magnetization, axis=1), ref.magnetization)
    np.testing.assert_array_equal(states, ref.states.reshape(t.n_chains, -1))
    stored = unpack_spins(np.concatenate(configurations, axis=1), t.n_spins)
    for k, sweep in enumerate(t.configuration_sweeps()):
        snap = sample(model, beta=t.beta, n_sweeps=int(sweep), n_chains=t.n_chains, algorithm=algorithm, seed=t.key,
                      return_states=True, record=())
        np.testing.assert_array_equal(stored[:, k], snap.states.reshape(t.n_chains, -1))
