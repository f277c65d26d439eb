"""Continuous models: energies against independent numpy formulas, gradients (x and theta) against finite
differences, a user's own energy, and clear errors for bad input."""

import numba
import numpy as np
import pytest

from ebmphys.models import (
    ContinuousEBM,
    DoubleWell,
    Gaussian,
    GaussianBernoulliRBM,
    GaussianMixture,
    MLPEnergy,
    Phi4Lattice,
    QuarticPotential,
)
from ebmphys.models.rbm import softplus

RNG = np.random.default_rng(3)
_A = RNG.normal(size=(4, 4))
COV = _A @ _A.T / 4 + 0.5 * np.eye(4)


def _models():
    return {
        "gaussian": Gaussian(RNG.normal(size=4), COV),
        "mixture": GaussianMixture([0.25, 0.75], [[-2.0, 0.0, 0.0, 1.0], [1.0, 1.0, -1.0, 0.0]], [COV, np.eye(4) * 0.7]),
        "quartic": QuarticPotential(3, [0.1, -0.3, 0.5, 0.2, 0.4]),
        "double-well": DoubleWell(2, barrier=2.0, tilt=0.5),
        "phi4": Phi4Lattice((4, 4), kappa=0.25, lam=0.9),
        "phi4-3d-open": Phi4Lattice((2, 3, 2), kappa=0.1, lam=0.5, periodic=False),
        "gb-rbm": GaussianBernoulliRBM(4, 3, sigma=[0.5, 1.0, 1.5, 2.0], W=RNG.normal(size=(4, 3)),
                                       b=RNG.normal(size=4), c=RNG.normal(size=3)),
        "mlp": MLPEnergy([3, 6, 4, 1], "swish", quadratic=0.2, seed=4),
    }


MODELS = _models()


@pytest.mark.parametrize("name", MODELS)
def test_gradients_match_finite_differences(name):
    model = MODELS[name]
    x = RNG.normal(size=(3, model.dim))
    model.check_gradient(x, rtol=1e-5, atol=1e-7)
    model.check_gradient(x, params=True, rtol=1e-5, atol=1e-7)


def test_gaussian_and_mixture_energies_against_scipy():
    from scipy.stats import multivariate_normal

    x = RNG.normal(size=(5, 4))
    g = MODELS["gaussian"]
    r = x - g.mean
    np.testing.assert_allclose(g.energy(x), 0.5 * np.einsum("ni,ij,nj->n", r, np.linalg.inv(COV), r), rtol=1e-12)
    m = MODELS["mixture"]
    density = 0.25 * multivariate_normal(m.means[0], COV).pdf(x) + 0.75 * multivariate_normal(m.means[1],
                                                                                                0.7 * np.eye(4)).pdf(x)
    np.testing.assert_allclose(m.energy(x), -np.log(density), rtol=1e-12)
    np.testing.assert_allclose(m.mode_weights, [0.25, 0.75])
    np.testing.assert_allclose(m.covs[0], COV, rtol=1e-12)


def test_quartic_and_double_well_energies():
    x = RNG.normal(size=(5, 2))
    dw = MODELS["double-well"]
    np.testing.assert_allclose(dw.energy(x), (2.0 * (x**2 - 1) ** 2 + 0.5 * x).sum(axis=1), rtol=1e-12)
    q = MODELS["quartic"]
    x3 = RNG.normal(size=(5, 3))
    np.testing.assert_allclose(q.energy(x3), np.polynomial.polynomial.polyval(x3, q.coefficients).sum(axis=1),
                               rtol=1e-12)


def test_phi4_action_against_a_numpy_roll():
    model = MODELS["phi4"]
    x = RNG.normal(size=(3, 16))
    phi = x.reshape(3, 4, 4)
    hop = sum((phi * np.roll(phi, -1, axis=a)).sum(axis=(1, 2)) for a in (1, 2))
    expected = -2 * 0.25 * hop + (phi**2).sum(axis=(1, 2)) + 0.9 * ((phi**2 - 1) ** 2).sum(axis=(1, 2))
    np.testing.assert_allclose(model.energy(x), expected, rtol=1e-12)
    np.testing.assert_allclose(model.magnetization(x), x.sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(model.grad_params(x)[:, 0], -2 * hop, rtol=1e-12)
    assert model.ising_beta == 0.5 and model.kind == "phi4"


def test_gb_rbm_free_energy_sums_the_joint_over_hidden_states():
    model = MODELS["gb-rbm"]
    v = RNG.normal(size=(4, 4))
    hs = np.array([[(k >> j) & 1 for j in range(3)] for k in range(8)], dtype=np.float64)
    joint = np.stack([model.joint_energy(v, np.tile(h, (4, 1))) for h in hs], axis=1)
    np.testing.assert_allclose(model.free_energy(v), -np.log(np.exp(-joint).sum(axis=1)), rtol=1e-12)
    a = model.c + (v / model.sigma) @ model.W
    np.testing.assert_allclose(model.energy(v), 0.5 * (((v - model.b) / model.sigma) ** 2).sum(1)
                               - softplus(a).sum(1), rtol=1e-12)


def test_mlp_energy_against_numpy_forward_pass():
    model = MLPEnergy([2, 3, 1], "tanh", quadratic=0.3, seed=9)
    t = model.theta
    W1, b1, W2, b2 = t[:6].reshape(2, 3), t[6:9], t[9:12].reshape(3, 1), t[12:13]
    x = RNG.normal(size=(4, 2))
    np.testing.assert_allclose(model.energy(x), (np.tanh(x @ W1 + b1) @ W2 + b2)[:, 0] + 0.15 * (x**2).sum(1),
                               rtol=1e-12)


@numba.njit(cache=True)
def _user_energy(x, params):
    a = params[0][0]
    r2 = np.sum(x * x, axis=1)
    return a * r2 * r2 / 4 - r2 / 2


@numba.njit(cache=True)
def _user_grad(x, params):
    a = params[0][0]
    r2 = np.sum(x * x, axis=1)
    return np.ascontiguousarray((a * r2 - 1.0)[:, None] * x)


@numba.njit(cache=True)
def _wrong_grad(x, params):
    return np.ascontiguousarray(2.0 * x)


@numba.njit(cache=True)
def _radius(x, params):
    return np.ascontiguousarray(np.sqrt(np.sum(x * x, axis=1))[:, None])


def test_user_model_in_a_few_lines():
    model = ContinuousEBM(energy=_user_energy, grad=_user_grad, params=np.array([1.0]), dim=2, check_gradient=True,
                          observables=_radius, observable_names=("radius",))
    x = RNG.normal(size=(3, 2))
    np.testing.assert_allclose(model.observables(x)["radius"], np.linalg.norm(x, axis=1), rtol=1e-12)
    theta = model.theta
    theta[0] = 5.0
    assert model.params[0][0] == 1.0  # theta is a copy
    # a plain Python function is compiled on the way in
    model2 = ContinuousEBM(energy=lambda x, p: np.sum(x * x, axis=1), grad=lambda x, p: 2.0 * x, params=np.zeros(0),
                           dim=3, check_gradient=True)
    np.testing.assert_allclose(model2.energy(np.ones((2, 3))), [3.0, 3.0])


def test_user_gradient_check_catches_a_wrong_gradient():
    with pytest.raises(ValueError, match="grad_energy disagrees with central finite differences.*coordinate"):
        ContinuousEBM(energy=_user_energy, grad=_wrong_grad, params=np.array([1.0]), dim=2, check_gradient=True)


def test_user_functions_with_wrong_return_types_are_refused():
    @numba.njit
    def column(x, params):
        return x[:, 0]

    @numba.njit
    def scalar(x, params):
        return x.sum()

    with pytest.raises(TypeError, match="energy must return a C-contiguous float64 array of shape \\(n,\\)"):
        ContinuousEBM(energy=column, grad=_user_grad, params=np.array([1.0]), dim=2)
    with pytest.raises(TypeError, match="energy must return"):
        ContinuousEBM(energy=scalar, grad=_user_grad, params=np.array([1.0]), dim=2)
    with pytest.raises(TypeError, match="grad must return"):
        ContinuousEBM(energy=_user_energy, grad=_user_energy, params=np.array([1.0]), dim=2)
    with pytest.raises(TypeError, match="energy must be a function"):
        ContinuousEBM(energy=3, grad=_user_grad, params=np.array([1.0]), dim=2)
    with pytest.raises(ValueError, match="observable_names must be distinct"):
        ContinuousEBM(energy=_user_energy, grad=_user_grad, params=np.array([1.0]), dim=2, observables=_radius,
                      observable_names=("energy",))


@pytest.mark.parametrize("make, message", [
    (lambda: Gaussian([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]]), "cov must be positive definite"),
    (lambda: Gaussian([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]]), "cov must be symmetric"),
    (lambda: Gaussian([0.0, 0.0], np.eye(3)), r"cov must have shape \(2, 2\)"),
    (lambda: Gaussian([0.0, np.nan]), "mean must contain only finite values"),
    (lambda: GaussianMixture([1.0, -1.0], [[0.0], [1.0]]), "weights must be a non-empty array of values > 0"),
    (lambda: GaussianMixture([1.0, 1.0], [[0.0, 1.0]]), r"means must have shape \(K, d\) with K = 2"),
    (lambda: GaussianMixture([1.0], [[0.0, 1.0]], [[[1.0, 0.0], [0.0, -1.0]]]), r"covs\[0\] must be positive"),
    (lambda: QuarticPotential(2, [0, 0, 1, 0, -1]), "normalisable"),
    (lambda: DoubleWell(1, barrier=0.0), "barrier must be a finite real number > 0"),
    (lambda: Phi4Lattice((4, 4), kappa=0.3, lam=0.0), r"kappa must satisfy \|kappa\| < 0.25"),
    (lambda: Phi4Lattice((4, 4), kappa=0.2, lam=-1.0), "lam must be >= 0"),
    (lambda: Phi4Lattice((4, 1), kappa=0.2, lam=1.0), "sides must be >= 2"),
    (lambda: Phi4Lattice((4, 4), kappa=np.inf, lam=1.0), "kappa must be a finite real number"),
    (lambda: GaussianBernoulliRBM(2, 2, sigma=[1.0, 0.0]), "sigma must be a number or an array of shape"),
    (lambda: GaussianBernoulliRBM(2, 2, W=np.zeros((3, 2))), r"W must have shape \(2, 2\)"),
    (lambda: MLPEnergy([2, 3, 2]), "layer_sizes must be"),
    (lambda: MLPEnergy([2, 3, 1], activation="relu"), "activation must be one of"),
    (lambda: MLPEnergy([2, 3, 1], quadratic=-1.0), "quadratic must be >= 0"),
])
def test_bad_parameters_give_clear_errors(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_bad_configurations_and_theta_give_clear_errors():
    model = MODELS["gaussian"]
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 4\)"):
        model.energy(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.energy(np.full((1, 4), np.nan))
    with pytest.raises(ValueError, match=r"theta must have shape"):
        model.theta = np.zeros(3)
    phi4 = Phi4Lattice((4, 4), kappa=0.2, lam=1.0)
    with pytest.raises(ValueError, match="lam must be >= 0"):
        phi4.theta = [0.2, -0.5]
    phi4.theta = [0.1, 2.0]
    assert (phi4.kappa, phi4.lam) == (0.1, 2.0)
    assert phi4.energy(np.zeros((4, 4))).shape == (1,)  # one configuration in the lattice shape
