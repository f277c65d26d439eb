"""The continuous-model kernels equal their slow reference twins (tests/reference/continuous.py) bit for bit.

Small cases: normals, every built-in energy and gradient, every gradient sampler
(with step-size and mass adaptation), annealing, phi^4 Metropolis and Wolff
sweeps, Gaussian-Bernoulli RBM block Gibbs; chain indices offset by chain0 and
seeds near 2**64.
"""

import numpy as np
import pytest

from ebmphys.kernels import continuous_cpu as kc
from ebmphys.kernels.normals import fill_normals
from ebmphys.kernels.rng import CONT_NOISE, split_seed
from ebmphys.models import (
    DoubleWell,
    Gaussian,
    GaussianBernoulliRBM,
    GaussianMixture,
    MLPEnergy,
    Phi4Lattice,
)
from ebmphys.sampling import Chains
from ebmphys.sampling.continuous import tuned_options
from tests.reference import continuous as reference

SEED = 2**64 - 77
RNG = np.random.default_rng(12)
_A = RNG.normal(size=(3, 3))
MODELS = {
    "gaussian": Gaussian([0.5, -1.0, 2.0], _A @ _A.T / 3 + 0.5 * np.eye(3)),
    "mixture": GaussianMixture([0.3, 1.1], [[-1.0, 0.0, 1.0], [1.5, 0.5, -0.5]],
                               [np.diag([1.0, 0.5, 2.0]), _A @ _A.T / 3 + 0.3 * np.eye(3)]),
    "double-well": DoubleWell(3, barrier=1.5, tilt=0.2),
    "phi4-open": Phi4Lattice((3, 4), kappa=0.3, lam=0.8, periodic=False),
    "phi4-periodic": Phi4Lattice((4, 2), kappa=0.2, lam=1.2),
    "gb-rbm": GaussianBernoulliRBM(3, 2, sigma=[0.8, 1.0, 1.3], W=RNG.normal(size=(3, 2)), b=[0.1, -0.2, 0.3],
                                   c=[0.5, -0.5]),
    "mlp-tanh": MLPEnergy([3, 4, 2, 1], "tanh", quadratic=0.5, seed=1),
    "mlp-softplus": MLPEnergy([3, 4, 1], "softplus", quadratic=0.5, seed=2),
    "mlp-swish": MLPEnergy([3, 5, 1], "swish", quadratic=0.5, seed=3),
}


def test_normals_equal_the_twin():
    k0, k1 = split_seed(SEED)
    for n in (1, 4, 7):
        out = np.empty(n)
        fill_normals(out, 12345, 2**32 - 1, CONT_NOISE, k0, k1)
        np.testing.assert_array_equal(out, reference.normals(n, 12345, 2**32 - 1, CONT_NOISE, k0, k1))


def test_normals_are_standard_normal():
    """Kolmogorov-Smirnov and moment checks of 400 000 draws (p-value above 1e-4 at a fixed seed)."""
    from scipy import stats

    z = kc.initial_normals(4000, 100, *split_seed(5), 0).ravel()
    assert stats.kstest(z, "norm").pvalue > 1e-4
    assert abs(z.mean()) < 5 / np.sqrt(z.size)
    assert abs(z.var() - 1) < 5 * np.sqrt(2 / z.size)


@pytest.mark.parametrize("name", MODELS)
def test_energies_and_gradients_equal_the_twins(name):
    model = MODELS[name]
    twin = reference.PythonModel(model)
    x = RNG.normal(size=(4, model.dim))
    e, g = model.energy(x), model.grad_energy(x)
    for m in range(4):
        e_ref, g_ref = twin.energy_grad(x[m])
        assert e[m] == e_ref
        np.testing.assert_array_equal(g[m], g_ref)


def _run_twin(model, algorithm, x0, chains_kwargs, n_sweeps, tune):
    backend_chains = Chains(model, algorithm=algorithm, seed=SEED, initial_states=x0, **chains_kwargs)
    b = backend_chains._backend
    x = x0.reshape(x0.shape[0], -1).astype(np.float64).copy()
    state, inv_mass = b.state.copy(), b.inv_mass.copy()
    k0, k1 = split_seed(SEED)
    rec, failure = reference.sweeps(reference.PythonModel(model), x, b.betas, b.code, b.step_size, b.noise_scale,
                                    b.n_leapfrog, inv_mass, tune, b.adapt_step, b.adapt_mass, b.target, state, k0, k1,
                                    b.chain0, 0, n_sweeps, 1)
    return x, state, inv_mass, rec, failure


@pytest.mark.parametrize("algorithm", ["rwmh", "langevin", "mala", "hmc"])
@pytest.mark.parametrize("name", ["mixture", "phi4-open", "mlp-tanh"])
def test_gradient_sweeps_equal_the_twin(name, algorithm):
    model = MODELS[name]
    x0 = RNG.normal(size=(2, model.dim))
    kwargs = dict(beta=0.8, n_chains=2, chain0=2**32 - 2, step_size=[0.02, 0.08])
    if algorithm == "hmc":
        kwargs["n_leapfrog"] = 3
    chains = Chains(model, algorithm=algorithm, seed=SEED, initial_states=x0, **kwargs)
    records = chains.run(15)
    x, _, _, rec, failure = _run_twin(model, algorithm, x0, kwargs, 15, False)
    assert np.all(failure[:, 0] == -1)
    np.testing.assert_array_equal(chains.states.reshape(2, -1), x)
    for name_ in ("energy", "acceptance", "divergent"):
        np.testing.assert_array_equal(records[name_], rec[name_])


@pytest.mark.parametrize("algorithm", ["rwmh", "mala", "hmc"])
def test_tuned_sweeps_equal_the_twin(algorithm):
    """Dual averaging (and, for HMC, one mass-adaptation window of 50 sweeps) equal the twin's."""
    model = MODELS["gaussian"]
    x0 = RNG.normal(size=(2, 3))
    kwargs = dict(beta=1.0, n_chains=2)
    if algorithm == "hmc":
        kwargs.update(n_leapfrog=2, adapt_mass=True)
    chains = Chains(model, algorithm=algorithm, seed=SEED, initial_states=x0, **kwargs)
    chains.run(60, tune=True)
    x, state, inv_mass, _, _ = _run_twin(model, algorithm, x0, kwargs, 60, True)
    np.testing.assert_array_equal(chains.states, x)
    tuned = tuned_options(chains)
    np.testing.assert_array_equal(tuned["adaptation_state"], state)
    if algorithm == "hmc":
        np.testing.assert_array_equal(tuned["inverse_mass"], inv_mass)
        assert not np.all(inv_mass == 1.0)
    np.testing.assert_array_equal(tuned["step_size"], np.exp(state[:, kc.ST_LOG_STEP_BAR]))


@pytest.mark.parametrize("algorithm", ["mala", "hmc", "rwmh"])
def test_anneal_equals_the_twin(algorithm):
    model, base = MODELS["mixture"], Gaussian(np.zeros(3), 4.0)
    x0 = RNG.normal(size=(3, 3)) * 2
    chains = Chains(model, algorithm=algorithm, beta=0.0, n_chains=3, seed=SEED, initial_states=x0, chain0=5,
                    step_size=0.3, **({"n_leapfrog": 4} if algorithm == "hmc" else {}))
    betas = np.linspace(0, 1, 8)
    weights = 1 - betas
    scale = np.linspace(1.5, 1.0, 8)
    base_sum = np.zeros(3)
    result_energy = chains._backend.anneal(chains._kstate, betas, 40, log_w := np.zeros(3), e_sum := np.zeros(3),
                                           base=base, base_weights=weights, step_scale=scale,
                                           base_energy_sum=base_sum)
    b = chains._backend
    x = x0.copy()
    k0, k1 = split_seed(SEED)
    ref = reference.anneal(reference.PythonModel(model), reference.PythonModel(base), x, betas, weights, scale, b.code,
                           b.step_size, b.n_leapfrog, b.inv_mass, k0, k1, 5, 40)
    np.testing.assert_array_equal(chains._kstate, x)
    for got, want in zip((log_w, e_sum, base_sum, result_energy), ref):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name, algorithm, n_clusters", [("phi4-periodic", "metropolis", 0),
                                                          ("phi4-periodic", "wolff", 2), ("phi4-open", "wolff", 1)])
def test_phi4_sweeps_equal_the_twin(name, algorithm, n_clusters):
    model = MODELS[name]
    x0 = RNG.normal(size=(3, model.dim))
    options = {"n_clusters": n_clusters} if algorithm == "wolff" else {}
    chains = Chains(model, algorithm=algorithm, beta=0.9, n_chains=3, seed=SEED, initial_states=x0, chain0=7,
                    step_size=0.7, **options)
    records = chains.run(6)
    x = x0.copy()
    flipped = reference.phi4_sweeps(model, x, np.full(3, 0.9), 0.7, n_clusters, *split_seed(SEED), 7, 0, 6)
    np.testing.assert_array_equal(chains.states.reshape(3, -1), x)
    np.testing.assert_array_equal(records["energy"][:, -1], model.energy(x))
    if n_clusters:
        np.testing.assert_array_equal(records.flipped, flipped)


def test_gb_rbm_gibbs_equals_the_twin():
    model = MODELS["gb-rbm"]
    v0 = RNG.normal(size=(3, 3))
    chains = Chains(model, algorithm="gibbs", beta=1.0, n_chains=3, seed=SEED, initial_states=v0, sweep=4)
    chains.run(5)
    v = v0.copy()
    h = reference.gb_rbm_gibbs(model, v, *split_seed(SEED), 0, 4, 5)
    np.testing.assert_array_equal(chains.states, v)
    np.testing.assert_array_equal(chains.latent_states, h)


def test_counter_streams_are_registered_once():
    """Every counter word c3 of the registry in rng.py is distinct (so no two kernels share random numbers)."""
    from ebmphys.kernels import rng

    words = {name: getattr(rng, name) for name in dir(rng) if name.isupper() and not name.startswith(("STREAM_", "HOST_"))
             and isinstance(getattr(rng, name), int)}
    # colour-indexed families use their word + colour: local sweeps (2 colours), AIS spin sweeps, phi^4 sweeps
    taken = {}
    for name, word in words.items():
        span = 2 if name in ("PHI4_LOCAL", "PHI4_CLUSTER", "LOCAL", "CLUSTER") else 1
        for w in range(word, word + span):
            assert w not in taken, (name, taken.get(w))
            taken[w] = name
