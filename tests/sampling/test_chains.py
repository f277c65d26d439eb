"""Chains: split runs equal whole runs, split batches equal whole batches, one device check everywhere."""

import numpy as np
import pytest

import ebmphys
from ebmphys.exceptions import DeviceError
from ebmphys.models import RBM
from ebmphys.sampling import Chains, algorithms, registry
from ebmphys.testing import frustrated_graph

MODELS = {
    "lattice-2d-periodic": ebmphys.LatticeIsing((6, 4), J=1.0, h=0.0),
    "lattice-3d-periodic": ebmphys.LatticeIsing((4, 4, 4)),
    "lattice-1d-open": ebmphys.LatticeIsing(9, periodic=False),
    "lattice-2d-open-field": ebmphys.LatticeIsing((5, 3), J=0.8, h=0.3, periodic=False),
    "graph": frustrated_graph(10),
    "rbm": RBM(6, 4, W=np.random.default_rng(0).normal(size=(6, 4)), b=np.linspace(-1, 1, 6), c=[0.5, -0.5, 0, 1]),
}
CASES = [(name, algorithm) for name, model in MODELS.items() for algorithm in algorithms(model.kind)
         if not (algorithm in ("wolff", "swendsen-wang") and model.h != 0)]


def _chains(name, algorithm, **kwargs):
    args = dict(algorithm=algorithm, beta=0.45, n_chains=5, seed=2**64 - 5)
    args.update(kwargs)
    return Chains(MODELS[name], **args)


@pytest.mark.parametrize("name, algorithm", CASES)
def test_split_runs_equal_one_run(name, algorithm):
    whole = _chains(name, algorithm)
    a = whole.run(12, thin=2)
    split = _chains(name, algorithm)
    b1 = split.run(4, thin=2)
    b2 = split.run(8, thin=2)
    np.testing.assert_array_equal(whole.states, split.states)
    assert whole.sweep == split.sweep == 12
    np.testing.assert_array_equal(a.sweeps, np.concatenate([b1.sweeps, b2.sweeps]))
    for obs in whole.observables:
        np.testing.assert_array_equal(a[obs], np.concatenate([b1[obs], b2[obs]], axis=-1))
    # rebuilt from states and sweep counter (a checkpoint): the same continuation
    resumed = _chains(name, algorithm, initial_states=split.states, sweep=split.sweep)
    np.testing.assert_array_equal(whole.run(3).sweeps, resumed.run(3).sweeps)
    np.testing.assert_array_equal(whole.states, resumed.states)


@pytest.mark.parametrize("name, algorithm", CASES)
def test_chain0_split_equals_whole_batch(name, algorithm):
    whole = _chains(name, algorithm, n_chains=5)
    whole.run(7)
    first = _chains(name, algorithm, n_chains=2)
    rest = _chains(name, algorithm, n_chains=3, chain0=2)
    first.run(7)
    rest.run(7)
    np.testing.assert_array_equal(whole.states, np.concatenate([first.states, rest.states]))


def test_ladder_split_runs_equal_one_run():
    model = MODELS["lattice-2d-periodic"]
    args = dict(algorithm="heatbath", beta=[0.2, 0.35, 0.5], n_chains=3, seed=4, exchange_every=3)
    whole, split = Chains(model, **args), Chains(model, **args)
    a = whole.run(12, thin=2)
    b = [split.run(6, thin=2), split.run(6, thin=2)]
    np.testing.assert_array_equal(whole.states, split.states)
    np.testing.assert_array_equal(whole.replicas, split.replicas)
    np.testing.assert_array_equal(a["energy"], np.concatenate([r["energy"] for r in b], axis=-1))
    np.testing.assert_array_equal(a.exchange_accepted, b[0].exchange_accepted + b[1].exchange_accepted)
    assert a["energy"].shape == (3, 3, 6)


def test_records_are_the_energies_of_the_states():
    model = MODELS["lattice-2d-open-field"]
    chains = _chains("lattice-2d-open-field", "metropolis")
    for _ in range(3):
        r = chains.run(2, thin=2)
        np.testing.assert_allclose(r["energy"][:, -1], model.energy(chains.states), rtol=0, atol=1e-12)
        np.testing.assert_array_equal(r["magnetization"][:, -1], model.magnetization(chains.states))


def test_anneal_advances_the_sweep_counter_by_the_schedule_length():
    chains = _chains("graph", "heatbath", beta=0.0)
    result = chains.anneal(np.linspace(0.0, 0.5, 11))
    assert chains.sweep == 10 and result.log_weights.shape == (5,)
    np.testing.assert_allclose(result.energy, MODELS["graph"].energy(chains.states))


def test_rbm_latent_states_belong_to_the_visible_states():
    chains = _chains("rbm", "gibbs")
    chains.run(3)
    h = chains.latent_states
    again = _chains("rbm", "gibbs", initial_states=chains.states, sweep=chains.sweep)
    np.testing.assert_array_equal(h, again.latent_states)
    with pytest.raises(AttributeError, match="no latent units"):
        _chains("graph", "heatbath").latent_states  # noqa: B018


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"algorithm": "wolff", "model": "graph"}, ValueError, "algorithm must be one of 'heatbath', 'metropolis' for a GraphIsing"),
    ({"algorithm": "metropolis", "model": "rbm"}, ValueError, "algorithm must be one of 'gibbs' for a RBM"),
    ({"initial_states": np.ones((5, 6, 4), np.int16)}, TypeError, "initial_states must have dtype int8"),
    ({"initial_states": np.full((5, 6, 4), 2, np.int8)}, ValueError, "initial_states entries must be -1 or"),
    ({"initial_states": np.ones((4, 6, 4), np.int8)}, ValueError, r"initial_states must have shape \(n_chains"),
    ({"beta": -1.0}, ValueError, "beta must be finite and >= 0"),
    ({"beta": [0.5, 0.4]}, ValueError, "strictly increasing"),
    ({"exchange_every": 2}, ValueError, "exchange_every applies to parallel tempering only"),
    ({"sweep": 2**32}, ValueError, "sweep must be below 2"),
    ({"chain0": -1}, ValueError, "chain0 must be an integer >= 0"),
    ({"step_size": 0.1}, TypeError, "unexpected keyword argument"),
])
def test_bad_input(kwargs, exc, match):
    model = MODELS[kwargs.pop("model", "lattice-2d-periodic")]
    args = dict(algorithm="metropolis", beta=0.4, n_chains=5)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        Chains(model, **args)


def test_run_arguments_are_checked():
    chains = _chains("lattice-2d-periodic", "metropolis")
    with pytest.raises(ValueError, match="n_sweeps must be a multiple of thin=3"):
        chains.run(4, thin=3)
    with pytest.raises(ValueError, match="record must name observables"):
        chains.run(2, record=("entropy",))
    late = _chains("lattice-2d-periodic", "metropolis", sweep=2**32 - 3)
    with pytest.raises(ValueError, match="sweep counter would pass"):
        late.run(5)


def _device_calls():
    from ebmphys.partition import ais, reverse_ais, thermodynamic_integration, wang_landau
    from ebmphys.partition.ais import adaptive_schedule
    from ebmphys.training import fit_ising_mcmc, sample_rbm

    lattice, rbm = ebmphys.LatticeIsing((4, 4)), MODELS["rbm"]
    return {
        "Chains": lambda d: Chains(lattice, algorithm="metropolis", beta=0.4, device=d),
        "sample": lambda d: ebmphys.sample(lattice, beta=0.4, n_sweeps=1, device=d),
        "parallel_tempering": lambda d: ebmphys.sampling.parallel_tempering(lattice, beta=[0.1, 0.2], n_sweeps=1,
                                                                            device=d),
        "tune_ladder": lambda d: ebmphys.sampling.tune_ladder(lattice, beta_min=0.1, beta_max=0.4, n_betas=3, device=d),
        "ais": lambda d: ais(lattice, 0.4, n_chains=2, n_steps=2, device=d),
        "reverse_ais": lambda d: reverse_ais(lattice, 0.4, n_chains=2, n_steps=2, device=d),
        "adaptive_schedule": lambda d: adaptive_schedule(lattice, 0.4, n_steps=2, device=d),
        "thermodynamic_integration": lambda d: thermodynamic_integration(lattice, 0.4, n_betas=5, device=d),
        "wang_landau": lambda d: wang_landau(lattice, device=d),
        "sample_rbm": lambda d: sample_rbm(rbm, 2, 1, device=d),
        "fit_ising_mcmc": lambda d: fit_ising_mcmc(np.ones((4, 3), np.int8), n_iter=2, device=d),
        "RBMTrainer": lambda d: ebmphys.RBMTrainer(2, n_iter=1, device=d).fit(np.eye(4)),
    }


@pytest.mark.parametrize("function", sorted(_device_calls()))
@pytest.mark.parametrize("device, message", [
    ("tpu", "device must be one of 'cpu', 'cuda', 'auto', got 'tpu'"),
    ("cuda", "device='cuda' is not available"),
])
def test_every_function_gives_the_same_device_error(function, device, message, monkeypatch):
    # the no-GPU path on every machine: the CUDA probe reports no device
    monkeypatch.setattr(registry, "_cuda_status", registry.CudaStatus("device", "forced by the test"))
    with pytest.raises(DeviceError) as info:
        _device_calls()[function](device)
    assert str(info.value).startswith(message)


def test_impossible_sizes_are_refused_before_allocating():
    from ebmphys.exceptions import ResourceError

    model = MODELS["lattice-2d-periodic"]
    with pytest.raises(ResourceError, match=r"Chains: 1000000000000 chain\(s\) x 1 beta\(s\) x 24 variables .* needs "
                                            r"about .* of memory, more than"):
        Chains(model, algorithm="metropolis", beta=0.4, n_chains=10**12)
    with pytest.raises(ResourceError, match=r"run: 2147483648 records x 5 chain\(s\)"):
        _chains("lattice-2d-periodic", "metropolis").run(2**31)
    with pytest.raises(ResourceError, match="needs about"):
        ebmphys.sample(model, beta=0.4, n_sweeps=10, n_chains=10**12)
