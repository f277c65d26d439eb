"""Configurations stored by ``run_job``: packed in place during one ``Chains.run``, the bits of a plain unpacked run."""

import numpy as np
import pytest

from ebmphys import LatticeIsing
from ebmphys.sampling.chains import Chains
from ebmphys.storage import pack_states
from ebmphys.study.spec import parse_study
from ebmphys.study.tasks import Job, _chains, expand, run_job

ISING = """
[study]
name = "t"
[model]
dimension = 2
sizes = [6]
[temperatures]
values = [2.5]
[sampling]
algorithm = "metropolis"
n_sweeps = 48
burn_in = 6
n_chains = 3
seeds = [5]
[record]
observables_every = 2
configurations_every = 6
"""

POTTS = """
[study]
name = "p"
[model]
type = "potts"
q = 5
dimension = 2
sizes = [5]
[temperatures]
values = [0.9]
[sampling]
algorithm = "heatbath"
burn_in = 4
n_sweeps = 36
n_chains = 2
seeds = [3]
[record]
configurations_every = 4
"""


def _expected(task):
    """Configurations after every recording sweep, from one-sweep runs and ``pack_states`` of ``Chains.states``."""
    chains = _chains(Job(task, 0, task.total_sweeps, None))
    packed = []
    for sweep in task.configuration_sweeps():
        chains.run(int(sweep) - chains.sweep, record=())
        packed.append(pack_states(chains.states.reshape(task.n_chains, -1), task.q))
    return np.stack(packed, axis=1)


@pytest.mark.parametrize("spec", (ISING, POTTS))
@pytest.mark.parametrize("stops", ([6, 54], [6, 10, 20, 32, 54], [2, 4, 6, 8, 12, 14, 30, 44, 46, 54]))
def test_jobs_cut_anywhere_store_the_configurations_of_one_run(spec, stops):
    task = expand(parse_study(spec))[0]
    stops = sorted({s for s in stops if s < task.total_sweeps} | {task.burn_in, task.total_sweeps})  # as job_stops
    start, states, stored, energy = 0, None, [], []
    for stop in stops:
        result = run_job(Job(task, start, stop, states))
        assert result.configurations.shape[::2] == (task.n_chains, pack_states(result.states[:1], task.q).shape[1])
        stored.append(result.configurations)
        energy.append(result.energy)
        start, states = stop, result.states
    np.testing.assert_array_equal(np.concatenate(stored, axis=1), _expected(task))
    assert np.concatenate(energy, axis=1).shape == (task.n_chains, task.n_sweeps // task.thin)


def test_run_every_calls_back_without_changing_bits():
    model = LatticeIsing((6, 6))
    plain = Chains(model, algorithm="metropolis", beta=0.4, n_chains=2, seed=9)
    records = plain.run(40, thin=2)
    seen = []
    called = Chains(model, algorithm="metropolis", beta=0.4, n_chains=2, seed=9)
    rec = called.run(40, thin=2, every=6, call=lambda c: seen.append((c.sweep, c.state_rows()[:, :36].copy())))
    np.testing.assert_array_equal(rec["energy"], records["energy"])
    np.testing.assert_array_equal(called.states, plain.states)
    assert [s for s, _ in seen] == [6, 12, 18, 24, 30, 36]
    again = Chains(model, algorithm="metropolis", beta=0.4, n_chains=2, seed=9)
    for sweep, rows in seen:
        again.run(sweep - again.sweep)
        np.testing.assert_array_equal(rows, again.states.reshape(2, -1))
    assert not called.state_rows().flags.writeable
    with pytest.raises(ValueError, match="every must be a multiple of thin=2"):
        called.run(8, thin=2, every=3, call=print)
    with pytest.raises(ValueError, match="single beta only"):
        Chains(model, algorithm="metropolis", beta=[0.3, 0.4], n_chains=1, seed=1).run(4, every=2, call=print)
