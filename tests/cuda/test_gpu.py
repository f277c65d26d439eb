"""On a real GPU: the CPU twins' bits at realistic sizes, and the exact distributions of enumerable systems.

Marked ``gpu``: skipped with the device check's reason wherever no GPU is usable
(CI, the simulator).  These are the comparisons of ``test_sim_twins.py`` where a
GPU compiler (fused multiply-adds, libdevice, scheduling of thousands of threads,
atomics) could break what the simulator cannot see, plus chi-square tests of the
GPU samplers against enumeration (independent chains, ALPHA as in
``tests/sampling/test_exactness.py``: a correct sampler fails one check with
probability ALPHA; seeds fixed).  About a minute on one data-centre GPU, most of it
in the CPU halves of the comparisons.
"""

import numpy as np
import pytest

import ebmphys
from ebmphys.models import RBM
from ebmphys.partition import ais, ising2d_log_z
from ebmphys.partition.rbm_exact import rbm_log_z_exact
from ebmphys.sampling import Chains
from ebmphys.testing import SMALL_SYSTEMS, fit_to_boltzmann, frustrated_graph

pytestmark = pytest.mark.gpu

ALPHA = 1e-4
N_CHAINS = 20000


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _compare(model, n_sweeps, thin=1, **kwargs):
    cpu, gpu = Chains(model, device="cpu", **kwargs), Chains(model, device="cuda", **kwargs)
    a, b = cpu.run(n_sweeps, thin=thin), gpu.run(n_sweeps, thin=thin)
    _same_bits(cpu.states, gpu.states)
    for name in a.values:
        _same_bits(a[name], b[name])


@pytest.mark.parametrize("algorithm", ["metropolis", "heatbath"])
@pytest.mark.parametrize("model", [
    ebmphys.LatticeIsing((256, 256)), ebmphys.LatticeIsing((200, 130), J=0.9, h=0.1, periodic=False),
    ebmphys.LatticeIsing((32, 32, 32)), ebmphys.LatticeIsing(4096, h=0.2),
], ids=repr)
def test_lattice_bits_at_realistic_sizes(model, algorithm):
    _compare(model, 20, thin=5, algorithm=algorithm, beta=0.44, n_chains=4, seed=1, chain0=7)


def test_graph_bits_on_a_large_sparse_graph():
    from scipy import sparse

    rng = np.random.default_rng(3)
    n = 5000
    upper = sparse.triu(sparse.random(n, n, density=6 / n, random_state=4, data_rvs=rng.standard_normal), k=1)
    model = ebmphys.GraphIsing((upper + upper.T).tocsr(), rng.normal(scale=0.3, size=n))
    for algorithm in ("metropolis", "heatbath"):
        _compare(model, 10, thin=2, algorithm=algorithm, beta=1.3, n_chains=8, seed=2)


@pytest.mark.parametrize("L", [128, 256])
def test_swendsen_wang_bits(L):
    _compare(ebmphys.LatticeIsing((L, L)), 10, thin=2, algorithm="swendsen-wang", beta=0.4406868, n_chains=3, seed=3)
    _compare(ebmphys.LatticeIsing((24, 24, 24), periodic=False), 5, algorithm="swendsen-wang", beta=0.22, n_chains=2,
             seed=4)


def test_parallel_tempering_bits():
    """Exchange rounds on the device (energies, decisions, bookkeeping, swaps): the CPU's bits."""
    args = dict(algorithm="heatbath", beta=np.linspace(0.3, 0.5, 8), n_chains=4, seed=5, exchange_every=2)
    model = ebmphys.LatticeIsing((64, 64))
    cpu, gpu = Chains(model, device="cpu", **args), Chains(model, device="cuda", **args)
    a, b = cpu.run(30, thin=3), gpu.run(30, thin=3)
    _same_bits(cpu.states, gpu.states)
    _same_bits(cpu.replicas, gpu.replicas)
    for name in ("energy", "magnetization"):
        _same_bits(a[name], b[name])
    for name in ("exchange_attempts", "exchange_accepted", "round_trips"):
        _same_bits(getattr(a, name), getattr(b, name))
    assert a.exchange_accepted.sum() > 0


def test_rbm_gibbs_and_training_bits():
    from ebmphys.kernels import rbm_cpu, rbm_cuda

    rng = np.random.default_rng(6)
    rbm = RBM(784, 500, W=0.05 * rng.standard_normal((784, 500)), b=rng.normal(size=784), c=rng.normal(size=500))
    _compare(rbm, 10, algorithm="gibbs", beta=1.0, n_chains=64, seed=7)
    data = (rng.random((2000, 784)) < 0.2).astype(np.uint8)
    order = rng.permutation(2000).astype(np.int64)
    out = []
    for epoch in (rbm_cpu.train_epoch, rbm_cuda.train_epoch):
        W = 0.01 * np.random.default_rng(8).standard_normal((784, 64))
        s = dict(W=W, WT=np.ascontiguousarray(W.T), b=np.zeros(784), c=np.zeros(64), vel_W=np.zeros((784, 64)),
                 vel_b=np.zeros(784), vel_c=np.zeros(64), chains=np.zeros((100, 64), np.uint8),
                 mu=data.mean(axis=0), lam=np.full(64, 0.5))
        step = epoch(data, order, 100, s["W"], s["WT"], s["b"], s["c"], s["vel_W"], s["vel_b"], s["vel_c"],
                     s["chains"], True, 1, 1, 0, 0.05, 0.5, 1e-4, True, s["mu"], s["lam"], 0.01, 9, 10)
        out.append((step, s))
    assert out[0][0] == out[1][0]
    for name in out[0][1]:
        _same_bits(out[0][1][name], out[1][1][name])


@pytest.mark.parametrize("algorithm", ["metropolis", "heatbath"])
@pytest.mark.parametrize("name", ["square4x4", "square3x4_open_field", "cubic2x2x4_open", "frustrated_graph10"])
def test_gpu_samplers_match_boltzmann(name, algorithm):
    model, betas = SMALL_SYSTEMS[name]
    for beta in betas:
        result = ebmphys.sample(model, beta=beta, n_sweeps=1, n_chains=N_CHAINS, burn_in=400, algorithm=algorithm,
                                seed=2024, record=(), return_states=True, device="cuda")
        key = "state" if model.n_spins <= 12 else "energy-magnetization"
        fit = fit_to_boltzmann(model, beta, result.states, key=key)
        assert fit.p_value > ALPHA, f"{name} beta={beta} {algorithm} on the GPU: {fit}"


def test_gpu_swendsen_wang_matches_boltzmann():
    for model, beta in ((ebmphys.LatticeIsing((4, 4)), 0.44), (ebmphys.LatticeIsing((3, 5), periodic=False), 0.6)):
        result = ebmphys.sample(model, beta=beta, n_sweeps=1, n_chains=N_CHAINS, burn_in=100,
                                algorithm="swendsen-wang", seed=11, record=(), return_states=True, device="cuda")
        fit = fit_to_boltzmann(model, beta, result.states, key="energy-magnetization")
        assert fit.p_value > ALPHA, f"{model} beta={beta} Swendsen-Wang on the GPU: {fit}"


def test_gpu_ais_brackets_exact_log_z():
    """Forward AIS on the GPU: log Z within 5 of its standard errors of the exact value (lattice and RBM)."""
    result = ais(ebmphys.LatticeIsing((16, 16)), 0.4, n_chains=2000, n_steps=400, seed=12, device="cuda")
    exact = ising2d_log_z(16, 16, beta=0.4)
    assert abs(result.log_z - exact) < 5 * result.stderr + 1e-9, (result.log_z, result.stderr, exact)
    rng = np.random.default_rng(13)
    rbm = RBM(12, 8, W=0.5 * rng.standard_normal((12, 8)), b=rng.normal(size=12), c=rng.normal(size=8))
    result = ais(rbm, n_chains=2000, n_steps=500, seed=14, device="cuda")
    exact = rbm_log_z_exact(rbm)
    assert abs(result.log_z - exact) < 5 * result.stderr + 1e-9, (result.log_z, result.stderr, exact)
    graph = frustrated_graph(10)
    cpu = ais(graph, 1.0, n_chains=500, n_steps=200, seed=15)
    gpu = ais(graph, 1.0, n_chains=500, n_steps=200, seed=15, device="cuda")
    _same_bits(cpu.log_weights, gpu.log_weights)
