"""Every CUDA kernel gives the CPU twin's bits, under numba-cuda's simulator (no GPU needed).

Run in a child process with ``NUMBA_ENABLE_CUDASIM=1`` (see ``conftest.py``).  The
simulator executes the kernels' Python source thread by thread, so these tests
check the kernels' logic, layout and counter addressing at tiny sizes: thread
indexing, colour and row bookkeeping, the union-find, the gradient order, the
records.  They cannot check what only a GPU compiler decides (fused
multiply-adds, libdevice): ``test_ptx.py`` inspects the compiled PTX for that and
``test_gpu.py`` repeats these comparisons on a real GPU.

Each comparison is exact (``assert_array_equal`` on integers, ``tobytes`` on floats).
"""

import numpy as np
import pytest

import ebmphys
from ebmphys.models import RBM
from ebmphys.sampling import Chains
from ebmphys.testing import frustrated_graph

pytestmark = pytest.mark.cudasim

LATTICES = {
    "2d-8x6-periodic": ebmphys.LatticeIsing((8, 6), J=1.0, h=0.0, periodic=True),
    "2d-8x6-open-field": ebmphys.LatticeIsing((8, 6), J=0.7, h=0.2, periodic=False),
    "3d-4x4x4-periodic": ebmphys.LatticeIsing((4, 4, 4), J=1.0, h=0.1, periodic=True),
    "3d-4x4x4-open": ebmphys.LatticeIsing((4, 4, 4), J=-0.8, h=0.0, periodic=False),
    "1d-9-open": ebmphys.LatticeIsing(9, J=1.0, h=0.3, periodic=False),
}
GRAPH = frustrated_graph(10)
RBM64 = RBM(6, 4, W=np.random.default_rng(0).normal(size=(6, 4)), b=np.linspace(-1, 1, 6), c=[0.5, -0.5, 0, 1])


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert a.tobytes() == b.tobytes()


def _twins(model, **kwargs):
    return Chains(model, device="cpu", **kwargs), Chains(model, device="cuda", **kwargs)


def _run_both(cpu, gpu, *args, **kwargs):
    a, b = cpu.run(*args, **kwargs), gpu.run(*args, **kwargs)
    _same_bits(cpu.states, gpu.states)
    assert cpu.sweep == gpu.sweep
    _same_bits(a.sweeps, b.sweeps)
    assert sorted(a.values) == sorted(b.values)
    for name in a.values:
        _same_bits(a[name], b[name])
    return a, b


@pytest.mark.parametrize("algorithm", ["metropolis", "heatbath"])
@pytest.mark.parametrize("name", sorted(LATTICES))
def test_lattice_sweeps_and_records(name, algorithm):
    cpu, gpu = _twins(LATTICES[name], algorithm=algorithm, beta=0.45, n_chains=2, seed=2**64 - 5, chain0=3)
    _run_both(cpu, gpu, 4, thin=2)
    _run_both(cpu, gpu, 1)  # continues from the device-resident state


def test_graph_colour_classes_both_rules():
    for algorithm in ("metropolis", "heatbath"):
        cpu, gpu = _twins(GRAPH, algorithm=algorithm, beta=0.8, n_chains=3, seed=11)
        _run_both(cpu, gpu, 4, thin=2)


def test_chain0_split_on_the_device_equals_the_cpu_batch():
    model = LATTICES["2d-8x6-periodic"]
    whole = Chains(model, algorithm="heatbath", beta=0.4, n_chains=3, seed=5)
    whole.run(3, record=())
    part = Chains(model, algorithm="heatbath", beta=0.4, n_chains=2, seed=5, chain0=1, device="cuda")
    part.run(3, record=())
    _same_bits(whole.states[1:], part.states)


def _no_host_energies(*args, **kwargs):
    raise AssertionError("an exchange round read energies on the host")


@pytest.mark.parametrize("model, algorithm, betas, every, n_chains", [
    (LATTICES["2d-8x6-periodic"], "metropolis", [0.2, 0.35, 0.5], 1, 2),
    (LATTICES["2d-8x6-open-field"], "heatbath", [0.2, 0.4, 0.7, 1.0], 2, 1),
    (GRAPH, "heatbath", [0.2, 0.6, 1.0], 1, 2),
])
def test_parallel_tempering_on_the_device(model, algorithm, betas, every, n_chains):
    """Exchange rounds (energies, decisions, bookkeeping, swaps) on the device: the CPU's replicas, states, records."""
    cpu, gpu = _twins(model, algorithm=algorithm, beta=betas, n_chains=n_chains, seed=4, exchange_every=every,
                      chain0=1)
    gpu._backend.observe = _no_host_energies  # rounds between records never call observe on the device
    attempts = accepted = 0
    for _ in range(2):  # the bookkeeping carries over between calls
        a, b = _run_both(cpu, gpu, 2 * every, record=())  # an even and an odd round
        _same_bits(cpu.replicas, gpu.replicas)
        for name in ("exchange_attempts", "exchange_accepted", "round_trips"):
            _same_bits(getattr(a, name), getattr(b, name))
        attempts, accepted = attempts + a.exchange_attempts, accepted + a.exchange_accepted
    assert (cpu.replicas != np.arange(len(betas))).any()  # the swap path ran
    assert (accepted < attempts).any()  # and so did rejection
    del gpu._backend.observe
    _run_both(cpu, gpu, every, thin=every)  # a round, then a record


def test_interrupted_parallel_tempering_keeps_labels_that_match_the_states():
    """A run stopped mid-way (Ctrl-C in a sweep) leaves the device's replica labels copied back, as on the CPU."""
    cpu, gpu = _twins(LATTICES["2d-8x6-periodic"], algorithm="metropolis", beta=[0.2, 0.35, 0.5], n_chains=2, seed=4)
    for chains in (cpu, gpu):
        run, calls = chains._backend.run, []

        def interrupted(*args, run=run, calls=calls):
            if len(calls) == 3:
                raise KeyboardInterrupt
            calls.append(1)
            run(*args)

        chains._backend.run = interrupted
        with pytest.raises(KeyboardInterrupt):
            chains.run(6, record=())
    assert cpu.sweep == gpu.sweep == 3
    _same_bits(cpu.states, gpu.states)
    _same_bits(cpu.replicas, gpu.replicas)
    assert (cpu.replicas != np.arange(3)).any()  # exchanges happened before the interruption


@pytest.mark.parametrize("periodic", [True, False])
def test_swendsen_wang_8x8(periodic):
    model = ebmphys.LatticeIsing((8, 8), periodic=periodic)
    cpu, gpu = _twins(model, algorithm="swendsen-wang", beta=0.44, n_chains=2, seed=9)
    a, _ = _run_both(cpu, gpu, 3)
    assert np.any(np.diff(a["magnetization"], axis=1) != 0)  # clusters flipped
    observed = {}
    for c in (cpu, gpu):  # observe (used by parallel tempering) gives the same records
        out = {"energy": np.zeros((2, 1)), "magnetization": np.zeros((2, 1))}
        c._backend.observe(c._kstate, out, 0)
        observed[c.device] = out
    for key in ("energy", "magnetization"):
        _same_bits(observed["cpu"][key], observed["cuda"][key])


def test_rbm_block_gibbs_and_latent_states():
    cpu, gpu = _twins(RBM64, algorithm="gibbs", beta=1.0, n_chains=3, seed=21, chain0=2)
    _run_both(cpu, gpu, 3)
    _same_bits(cpu.latent_states, gpu.latent_states)
    cpu, gpu = _twins(RBM64, algorithm="gibbs", beta=0.7, n_chains=2, seed=3)
    _run_both(cpu, gpu, 2)


@pytest.mark.parametrize("persistent, centered, k", [(True, False, 1), (False, True, 2)])
def test_rbm_training_epoch(persistent, centered, k):
    """One epoch (PCD-1; CD-2 centred with momentum and weight decay) on 7 rows in minibatches of 3."""
    from ebmphys.kernels import rbm_cpu, rbm_cuda

    rng = np.random.default_rng(1)
    data = (rng.random((7, 6)) < 0.4).astype(np.uint8)
    order = rng.permutation(7).astype(np.int64)

    def state():
        W = 0.3 * np.random.default_rng(2).normal(size=(6, 4))
        chains = (np.random.default_rng(3).random((3 if persistent else 0, 4)) < 0.5).astype(np.uint8)
        return dict(W=W, WT=np.ascontiguousarray(W.T), b=np.linspace(-0.5, 0.5, 6), c=np.zeros(4),
                    vel_W=np.zeros((6, 4)), vel_b=np.zeros(6), vel_c=np.zeros(4), chains=chains,
                    mu=data.mean(axis=0), lam=np.full(4, 0.5))

    results = []
    for epoch in (rbm_cpu.train_epoch, rbm_cuda.train_epoch):
        s = state()
        step = epoch(data, order, 3, s["W"], s["WT"], s["b"], s["c"], s["vel_W"], s["vel_b"], s["vel_c"], s["chains"],
                     persistent, k, 5, 100, 0.1, 0.5, 1e-3, centered, s["mu"], s["lam"], 0.1, 17, 23)
        results.append((step, s))
    (step_cpu, cpu), (step_gpu, gpu) = results
    assert step_cpu == step_gpu
    assert not np.array_equal(cpu["W"], state()["W"])
    for name in cpu:
        _same_bits(cpu[name], gpu[name])


def test_rbm_train_epoch_dispatcher():
    from ebmphys.kernels import rbm_cpu, rbm_cuda
    from ebmphys.sampling.cuda_backends import rbm_train_epoch

    assert rbm_train_epoch("cpu") is rbm_cpu.train_epoch
    assert rbm_train_epoch("cuda") is rbm_cuda.train_epoch


@pytest.mark.filterwarnings("ignore::ebmphys.partition.ais.AISWarning")
def test_ais_log_weights_lattice_graph_rbm():
    """Forward and reverse AIS through the public functions: the same log weights, log Z and final states."""
    from ebmphys.partition import ais, reverse_ais

    cases = [
        (LATTICES["2d-8x6-open-field"], dict(algorithm="heatbath")),
        (LATTICES["3d-4x4x4-periodic"], dict(algorithm="metropolis")),
        (GRAPH, dict(algorithm="heatbath")),
        (RBM64, {}),
    ]
    for model, options in cases:
        args = dict(n_chains=3, n_steps=4, seed=13, **options)
        beta = 1.0 if isinstance(model, RBM) else 0.4
        cpu, gpu = ais(model, beta, device="cpu", **args), ais(model, beta, device="cuda", **args)
        _same_bits(cpu.log_weights, gpu.log_weights)
        assert cpu.log_z == gpu.log_z and np.all(np.diff(cpu.log_weights) != 0)
    model = ebmphys.LatticeIsing((4, 4))  # reverse AIS starts from exact samples: at most 24 spins
    args = dict(n_chains=2, n_steps=3, seed=14, algorithm="heatbath")
    cpu, gpu = reverse_ais(model, 0.4, device="cpu", **args), reverse_ais(model, 0.4, device="cuda", **args)
    _same_bits(cpu.log_weights, gpu.log_weights)


def test_anneal_energies_and_states():
    for model, algorithm in ((LATTICES["3d-4x4x4-open"], "heatbath"), (GRAPH, "metropolis")):
        cpu, gpu = _twins(model, algorithm=algorithm, beta=0.3, n_chains=2, seed=8)
        betas = np.array([0.3, 0.35, 0.45, 0.5])
        a, b = cpu.anneal(betas), gpu.anneal(betas)
        for x, y in ((a.log_weights, b.log_weights), (a.energy_sum, b.energy_sum), (a.energy, b.energy)):
            _same_bits(x, y)
        _same_bits(cpu.states, gpu.states)


def test_sample_and_parallel_tempering_api():
    model = LATTICES["2d-8x6-periodic"]
    args = dict(beta=0.4, n_sweeps=2, burn_in=1, n_chains=2, seed=6, return_states=True)
    a, b = ebmphys.sample(model, device="cpu", **args), ebmphys.sample(model, device="cuda", **args)
    _same_bits(a.energy, b.energy)
    _same_bits(a.states, b.states)
    from ebmphys.sampling import parallel_tempering

    args = dict(beta=[0.3, 0.4, 0.5], n_sweeps=2, n_chains=1, seed=6, algorithm="heatbath")
    a, b = parallel_tempering(model, device="cpu", **args), parallel_tempering(model, device="cuda", **args)
    _same_bits(a.energy, b.energy)


def test_device_resident_state():
    chains = Chains(LATTICES["1d-9-open"], algorithm="metropolis", beta=0.5, n_chains=4, seed=1, device="cuda")
    assert not isinstance(chains._kstate, np.ndarray)  # a device array


def test_auto_picks_the_simulator_as_a_device():
    from ebmphys.sampling import registry

    assert registry.check_device("cuda") == "cuda"
    assert registry.cuda_status().simulator


STUDY = """
[study]
name = "gpu-mini"
[model]
dimension = 2
sizes = [4]
[temperatures]
values = [2.5]
[sampling]
n_sweeps = 4
burn_in = 2
n_chains = 2
device = "{device}"
[checkpoint]
sweeps = 2
seconds = 0
"""


def test_study_on_the_gpu_writes_the_cpu_file_and_gives_each_worker_a_gpu(tmp_path):
    from ebmphys.storage import StudyFile
    from ebmphys.study import parse_study, run_study
    from ebmphys.study.executors import default_workers, local_pool, visible_gpus

    data = {}
    for device in ("cpu", "cuda"):
        path = run_study(parse_study(STUDY.format(device=device)), tmp_path / f"{device}.h5", workers=1, quiet=True)
        with StudyFile(path) as f:
            data[device] = f.datasets()
    assert sorted(data["cpu"]) == sorted(data["cuda"])
    for name in data["cpu"]:
        _same_bits(data["cpu"][name], data["cuda"][name])
    assert visible_gpus() == ["0"] and default_workers(5, "cuda") == 1  # the simulator has one device
    with pytest.raises(ValueError, match=r"workers must be at most the number of GPUs \(1\)"):
        local_pool(2, "metropolis", "cuda")


@pytest.mark.filterwarnings("ignore::ebmphys.partition.ais.AISWarning")
def test_rbm_trainer_on_the_device_gives_the_cpu_model():
    """RBMTrainer(device="cuda"): PCD epochs, samples and the AIS monitor with the CPU's bits."""
    X = (np.random.default_rng(4).random((12, 6)) < 0.4).astype(np.uint8)
    args = dict(learning_rate=0.1, batch_size=4, n_iter=2, random_state=9, monitors=("ais_log_likelihood",))
    fitted = {}
    for device in ("cpu", "cuda"):
        trainer = ebmphys.RBMTrainer(3, device=device, **args)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("ebmphys.training.monitors.AIS_STEPS", 5)
            mp.setattr("ebmphys.training.monitors.AIS_CHAINS", 4)
            trainer.fit(X)
        fitted[device] = (trainer.rbm_.W, trainer.history_["ais_log_likelihood"], trainer.sample(3, 2, seed=1))
    for a, b in zip(fitted["cpu"], fitted["cuda"]):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="real-valued data in \\[0, 1\\] train on device='cpu' only"):
        ebmphys.RBMTrainer(3, device="cuda", **dict(args, monitors=())).fit(X * 0.5)
