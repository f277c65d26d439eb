"""EBMTrainer: every method learns, Jarzynski is unbiased where CD is not, the unequal mixture, reproducibility,
resume, the kernels used for negative samples, bad input."""

import numpy as np
import pytest
from sklearn.base import clone

import ebmphys
from ebmphys.kernels.rng import host_generator
from ebmphys.models import DoubleWell, GaussianBernoulliRBM, GaussianMixture, MLPEnergy
from ebmphys.partition.continuous_exact import continuous_log_z, exact_samples
from ebmphys.sampling import Chains
from ebmphys.training.ebm_estimator import EBMTrainer
from ebmphys.training.ebm_monitors import log_z_of
from ebmphys.training.negative import JarzynskiWalkers, NoiseSource, effective_sample_size, systematic_resample
from ebmphys.training.optimizers import Optimizer, clip_gradient
from ebmphys.training.parameters import trainable_indices
from ebmphys.training.walkers import Mover

TRUE = GaussianMixture([0.4, 0.6], [[-2.0, 0.0], [2.0, 1.0]])
INIT = GaussianMixture([0.5, 0.5], [[-0.3, 0.0], [0.3, 0.0]])


@pytest.fixture(scope="module")
def data():
    return exact_samples(TRUE, 500, host_generator(11, 0))


def _trainer(method, **extra):
    params = dict(method=method, step_size=0.05, learning_rate=0.05, batch_size=100, n_iter=10, random_state=1,
                  trainable=["log_weights", "means"])
    params.update(extra)
    return EBMTrainer(INIT, **params)


# ---------------------------------------------------------------------------- the machinery


@pytest.mark.parametrize("model, algorithm, options", [
    (INIT, "langevin", {"step_size": 0.05, "noise_scale": 0.2}),
    (INIT, "mala", {"step_size": 0.3, "adapt_step_size": False}),
    (GaussianBernoulliRBM(3, 2, sigma=[0.8, 1.0, 1.2], W=[[0.5, -1.0], [0.3, 0.2], [-0.7, 1.1]]), "gibbs", {}),
])
def test_a_move_equals_chains_bit_for_bit(model, algorithm, options):
    """With theta fixed, Mover.move is Chains(..., sweep=sweep0).run(n) of the same seed: same kernel, same counters."""
    x0 = host_generator(3, 0).normal(size=(5, model.dim))
    chains = Chains(model, algorithm=algorithm, beta=1.0, n_chains=5, seed=99, initial_states=x0, sweep=7, **options)
    chains.run(4, record=())
    mover = Mover(model, algorithm, seed=99, device="cpu", options=options)
    x = x0.copy()
    theta = model.theta
    theta_other = theta + 0.5
    mover.move(x.copy(), theta_other, 0, 2)           # a move at other parameters does not leak into the next
    mover.move(x, theta, 7, 4)
    np.testing.assert_array_equal(x, chains.states)


def test_optimizers_and_clipping():
    """SGD with momentum and Adam against their textbook updates; only trainable entries move."""
    theta = np.array([1.0, 2.0, 3.0])
    g = np.array([0.5, -1.0, 2.0])
    sgd = Optimizer("sgd", 3, np.array([0, 2]), momentum=0.5)
    t1 = sgd.step(theta, g, 0.1)
    t2 = sgd.step(t1, g, 0.1)
    np.testing.assert_allclose(t1, [0.95, 2.0, 2.8])
    np.testing.assert_allclose(t2, [0.95 - 0.075, 2.0, 2.8 - 0.3])
    adam = Optimizer("adam", 3, np.arange(3))
    a1 = adam.step(theta, g, 0.1)
    np.testing.assert_allclose(a1, theta - 0.1 * np.sign(g), rtol=1e-6)   # first Adam step: lr * sign(g)
    np.testing.assert_allclose(clip_gradient(np.array([3.0, 4.0]), 1.0), [0.6, 0.8])
    np.testing.assert_array_equal(clip_gradient(np.array([0.3, 0.4]), 1.0), [0.3, 0.4])


def test_trainable_groups_and_indices():
    mix = GaussianMixture([1.0, 1.0], [[0.0, 0.0], [1.0, 1.0]])
    np.testing.assert_array_equal(trainable_indices(mix, ["log_weights"]), [0, 1])
    np.testing.assert_array_equal(trainable_indices(mix, "means"), [2, 3, 4, 5])
    np.testing.assert_array_equal(trainable_indices(DoubleWell(1), ["tilt"]), [1])
    np.testing.assert_array_equal(trainable_indices(mix, np.arange(14) == 3), [3])
    with pytest.raises(ValueError, match="trainable names 'weights', not a parameter group of a GaussianMixture"):
        trainable_indices(mix, ["weights"])
    with pytest.raises(ValueError, match=r"trainable indices must lie in \[0, 14\)"):
        trainable_indices(mix, [20])


def test_resampling_and_effective_sample_size():
    log_w = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    assert effective_sample_size(log_w) == pytest.approx(1.0 / np.sum(np.array([0.1, 0.2, 0.3, 0.4]) ** 2))
    assert effective_sample_size(np.zeros(7)) == pytest.approx(7.0)
    # systematic resampling with u = 0.5: points (0.5 + j) / 4 = 0.125, 0.375, 0.625, 0.875 against cumsum 0.1 .3 .6 1
    np.testing.assert_array_equal(systematic_resample(log_w, 0.5), [1, 2, 3, 3])


# ---------------------------------------------------------------------------- learning


@pytest.mark.parametrize("method, extra", [
    ("cd", dict(k=5)), ("pcd", {}), ("replay", dict(buffer_size=1000)), ("jarzynski", {}),
    ("score_matching", dict(dsm_sigma=0.3)), ("nce", dict(nce_noise_scale=1.5)),
])
def test_every_method_raises_the_exact_log_likelihood(data, method, extra):
    """2-D mixture, means and weights trained from nearly coincident means: the exact mean log-likelihood
    (Z = sum w) of the 500 training rows rises from -5.06 to near that of the true model (-3.51).

    The values are deterministic functions of the parameters (no estimator noise); 1 nat is a third of the
    possible gain, and the final value must be within 0.25 nats of the true model's.
    """
    ll0 = float(np.mean(-INIT.energy(data)) - continuous_log_z(INIT))
    ll_true = float(np.mean(-TRUE.energy(data)) - continuous_log_z(TRUE))
    monitors = ["log_likelihood"] + (["log_z_estimate", "log_z_ratio", "ess"] if method == "jarzynski" else [])
    trainer = _trainer(method, monitors=monitors, **extra).fit(data)
    ll = trainer.history_["log_likelihood"][-1]
    if method == "jarzynski":   # log Z0 = 0 (weights 1/2, 1/2): the estimate is the ratio
        assert trainer.history_["log_z_estimate"] == trainer.history_["log_z_ratio"]
        assert 0 < min(trainer.history_["ess"]) <= 1
    assert ll > ll0 + 1.0, (ll0, ll)
    assert ll > ll_true - 0.25, (ll, ll_true)
    assert trainer.score(data) == pytest.approx(ll, abs=1e-12)
    np.testing.assert_array_equal(INIT.theta, GaussianMixture([0.5, 0.5], [[-0.3, 0.0], [0.3, 0.0]]).theta)


def test_an_mlp_energy_learns_by_grid_quadrature(data):
    """MLPEnergy in 2-D: log Z by quadrature on a grid over three times the data's range; score matching raises it."""
    model = MLPEnergy([2, 16, 1], "swish", quadratic=0.1, seed=0)
    data_range = np.stack([data.min(axis=0), data.max(axis=0)])
    ll0 = float(np.mean(-model.energy(data))) - log_z_of(model, data_range)[0]
    trainer = EBMTrainer(model, method="score_matching", dsm_sigma=0.3, learning_rate=0.01, batch_size=100,
                         n_iter=10, random_state=1, trainable="weights", monitors=["log_likelihood"],
                         monitor_every=5).fit(data)
    ll = trainer.history_["log_likelihood"]
    assert trainer.log_z()[1] == "grid"
    assert ll[-1] > ll0 + 1.0 and ll[-1] > -3.9, (ll0, ll)


def _jarzynski_path(n_walkers, seed, k_steps=200):
    """Jarzynski walkers along a prescribed path: weights 1/2, 1/2 -> 0.3, 1.2 (mode probabilities 0.2, 0.8, Z from 1
    to 1.5) with the means at -+3 moving to -2.5, +3.5 (Langevin walkers cannot cross between the modes).  Returns
    the walkers' phase and the start and end models."""
    start = GaussianMixture([0.5, 0.5], [[-3.0], [3.0]])
    end = GaussianMixture([0.3, 1.2], [[-2.5], [3.5]])
    X = np.zeros((4, 1))
    settings = dict(sampler="langevin", options={"step_size": 0.05}, k=1, n_walkers=n_walkers, init="model",
                    noise=NoiseSource("gaussian", X + np.arange(4)[:, None]), seed=seed, device="cpu",
                    ess_threshold=1e-9)
    phase = JarzynskiWalkers(start, settings, X)
    theta0, theta1 = start.theta, end.theta
    theta = theta0
    for t in range(k_steps):
        new = theta0 + (theta1 - theta0) * (t + 1) / k_steps
        phase.samples(theta, None, t)
        phase.advance(theta, new, t)
        theta = new
    return phase, start, end


def test_jarzynski_gradient_is_unbiased_where_short_run_cd_is_not():
    """At the end of a prescribed parameter path the Jarzynski-weighted estimate of E_theta[dE/dtheta] agrees with
    the exact value within 5 standard errors, and log Z_theta / Z_theta0 (exact: log 1.5) within 5 of its own.

    The walkers start from exact samples of theta0 and are never resampled (ess_threshold ~ 0), so they are
    independent and the delta-method error bar of the self-normalised estimate, sqrt(sum w_i^2 (f_i - f_w)^2), is
    valid.  The exact expectation of dE/dlog w_k = -rho_k is -w_k / sum w (= -0.2, -0.8) and that of dE/dmean_k
    is 0.  Short-run CD (5 Langevin steps from 2000 "data" rows drawn from the start model, equal weights) sees
    the data's proportion instead: its estimate of the minor weight's entry sits near -0.5, dozens of its own
    standard errors from -0.2, which is the known bias of CD with a barrier between the modes.
    """
    phase, start, end = _jarzynski_path(4000, seed=5)
    g = end.grad_params(phase.walkers)[:, :4]
    w = phase.weights
    estimate = w @ g
    stderr = np.sqrt((w[:, None] ** 2 * (g - estimate) ** 2).sum(axis=0))
    exact = np.array([-0.2, -0.8, 0.0, 0.0])
    assert np.all(np.abs(estimate - exact) < 5 * stderr), (estimate, exact, stderr)
    assert phase.ess_fraction > 0.3
    log_w = phase.log_w
    lz_stderr = np.sqrt(np.var(np.exp(log_w - log_w.max())) / log_w.size) / np.mean(np.exp(log_w - log_w.max()))
    assert abs(phase.log_z_ratio - (continuous_log_z(end) - continuous_log_z(start))) < 5 * lz_stderr
    # short-run CD at the end point from data of the start model
    data = exact_samples(start, 2000, host_generator(6, 0))
    mover = Mover(end, "langevin", seed=7, device="cpu", options={"step_size": 0.05})
    x = data.copy()
    mover.move(x, end.theta, 0, 5)
    g_cd = end.grad_params(x)[:, 0]
    cd, cd_stderr = g_cd.mean(), g_cd.std() / np.sqrt(g_cd.size)
    assert abs(cd - (-0.2)) > 20 * cd_stderr, (cd, cd_stderr)
    assert abs(cd - (-0.5)) < 0.05


def test_unequal_mixture_jarzynski_recovers_the_minor_weight_and_pcd_does_not():
    """The Carbone et al. mixture in d = 2: modes at -10 and +6 with weights 1/4, 3/4; the model starts from equal
    weights and means at -+0.1, means and log-weights trained by full-batch gradient descent (2000 rows, 1000
    walkers, Langevin h = 0.1, 1200 updates).  Jarzynski's minor-mode weight ends within 0.05 of 1/4; PCD's walkers
    cannot cross the barrier that forms, and its weight drifts more than 0.1 away.
    """
    true = GaussianMixture([0.25, 0.75], [[-10.0, 0.0], [6.0, 0.0]])
    X = exact_samples(true, 2000, host_generator(1, 0))
    init = GaussianMixture([0.5, 0.5], [[-0.1, 0.0], [0.1, 0.0]])
    weights = {}
    for method in ("jarzynski", "pcd"):
        trainer = EBMTrainer(init, method=method, k=1, step_size=0.1, n_walkers=1000, batch_size=2000, n_iter=1200,
                             optimizer="sgd", learning_rate=0.005, trainable=["log_weights", "means"],
                             random_state=0).fit(X)
        weights[method] = trainer.model_.mode_weights[0]
    assert abs(weights["jarzynski"] - 0.25) < 0.05, weights
    assert abs(weights["pcd"] - 0.25) > 0.1, weights


# ---------------------------------------------------------------------------- reproducibility


@pytest.mark.parametrize("method", ["replay", "jarzynski", "nce"])
def test_training_is_a_pure_function_of_random_state(data, method):
    params = dict(n_iter=3, monitors=["log_likelihood"])
    a = _trainer(method, **params).fit(data)
    b = clone(_trainer(method, **params)).fit(data)
    c = _trainer(method, **dict(params, random_state=2)).fit(data)
    np.testing.assert_array_equal(a.model_.theta, b.model_.theta)
    assert a.history_ == b.history_
    assert not np.array_equal(a.model_.theta, c.model_.theta)


def test_partial_fit_continues_and_sample_draws_from_the_model(data):
    trainer = _trainer("pcd", n_iter=5)
    trainer.partial_fit(data)
    first = trainer.model_.theta
    trainer.partial_fit(data)
    assert trainer.epoch_ == 2 and trainer.update_ == 10
    assert not np.array_equal(first, trainer.model_.theta)
    x = trainer.sample(200, n_steps=200, seed=3)
    assert x.shape == (200, 2) and np.all(np.isfinite(x))


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("extra, X, error, message", [
    ({}, np.array([[0.0, np.nan], [1.0, 2.0]]), ValueError, r"X contains NaN or infinite values \(first in row 0\)"),
    ({}, np.array([[0.0, np.inf], [1.0, 2.0]]), ValueError, "X contains NaN or infinite values"),
    ({}, np.zeros((5, 3)), ValueError, r"X has 3 features \(columns\), but the model has dim = 2"),
    ({}, np.zeros(5), ValueError, r"X must be a 2-D array \(n_samples, n_features\), got shape \(5,\)"),
    (dict(method="sgld"), None, ValueError, "method must be one of 'cd', 'pcd', 'replay', 'jarzynski', "
                                            "'score_matching', 'nce', got 'sgld'"),
    (dict(method="replay", buffer_size=50), None, ValueError,
     r"buffer_size must be >= the negative samples per update \(n_walkers, default batch_size\) = 100, got 50"),
    (dict(method="jarzynski", ess_threshold=0.0), None, ValueError, r"ess_threshold must be in \(0.0, 1.0\], got 0.0"),
    (dict(method="jarzynski", ess_threshold=1.5), None, ValueError, r"ess_threshold must be in \(0.0, 1.0\], got 1.5"),
    (dict(method="jarzynski", noise_scale=0.1), None, ValueError, "method='jarzynski' couples the Langevin noise"),
    (dict(method="jarzynski", sampler="mala"), None, ValueError, "method='jarzynski' needs sampler='langevin'"),
    (dict(sampler="gibbs"), None, ValueError, "sampler must be one of 'hmc', 'langevin', 'mala', 'rwmh' for a "
                                              "GaussianMixture"),
    (dict(sampler="mala", noise_scale=0.1), None, ValueError, "noise_scale applies to sampler='langevin' only"),
    (dict(step_size=-1.0), None, ValueError, "step_size must be a finite number > 0, got -1.0"),
    (dict(monitors=["ess"]), None, ValueError, "the 'ess' monitor applies to method='jarzynski'"),
    (dict(device="tpu"), None, ValueError, "device"),
])
def test_bad_input_gives_one_line_errors(data, extra, X, error, message):
    trainer = _trainer(extra.pop("method", "pcd"), **extra)
    with pytest.raises(error, match=message) as info:
        trainer.fit(data if X is None else X)
    assert "\n" not in str(info.value)
    assert not hasattr(trainer, "model_")


def test_models_without_parameter_gradient_or_exact_samples_are_refused(data):
    import numba

    @numba.njit
    def energy(x, params):
        return 0.5 * np.sum(x * x, axis=1)

    @numba.njit
    def grad(x, params):
        return np.ascontiguousarray(x.copy())

    user = ebmphys.ContinuousEBM(energy=energy, grad=grad, params=np.zeros(1), dim=2)
    with pytest.raises(ValueError, match="model must provide the parameter gradient grad_params"):
        EBMTrainer(user).fit(data)
    with pytest.raises(TypeError, match="model must be a continuous model"):
        EBMTrainer("mixture").fit(data)
    mlp = MLPEnergy([2, 4, 1], quadratic=0.5)
    with pytest.raises(ValueError, match="init='model' needs samples of the initial model, which a MLPEnergy of dim 2"):
        EBMTrainer(mlp, method="jarzynski").fit(data)
    with pytest.raises(ValueError, match="the 'log_likelihood' monitor needs an exact log Z"):
        EBMTrainer(MLPEnergy([3, 4, 1], quadratic=0.5), monitors=["log_likelihood"]).fit(np.zeros((4, 3)))


# ---------------------------------------------------------------------------- checkpoints


@pytest.mark.parametrize("method, extra", [
    ("jarzynski", dict(ess_threshold=0.9)), ("replay", dict(buffer_size=300)), ("pcd", dict(optimizer="sgd",
                                                                                       momentum=0.5)),
    ("nce", {}), ("cd", dict(init="noise", learning_rate_schedule="linear")),
])
def test_killed_and_resumed_training_equals_the_uninterrupted_run(tmp_path, monkeypatch, data, method, extra):
    """Train 4 epochs in one go; train again with a checkpoint every epoch, killed (KeyboardInterrupt) right after
    the checkpoint of epoch 2, restore the checkpoint in a new trainer and continue: parameters, history,
    optimiser and negative-phase state equal the uninterrupted run's bit for bit."""
    params = dict(n_iter=4, monitors=["log_likelihood", "mode_weights"], **extra)
    whole = _trainer(method, **params).fit(data)
    path = tmp_path / "run.h5"
    save = EBMTrainer.save

    def save_then_die(self, target):
        save(self, target)
        if self.epoch_ == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(EBMTrainer, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        _trainer(method, **dict(params, checkpoint_path=path)).fit(data)
    monkeypatch.setattr(EBMTrainer, "save", save)
    resumed = EBMTrainer.from_checkpoint(path)
    assert resumed.epoch_ == 2 and resumed.get_params()["method"] == method
    resumed.fit(data, resume=True)
    np.testing.assert_array_equal(resumed.model_.theta, whole.model_.theta)
    assert resumed.history_ == whole.history_
    a, b = resumed.training_state(), whole.training_state()
    for part in ("optimizer", "phase"):
        assert a[part].keys() == b[part].keys()
        for key in a[part]:
            np.testing.assert_array_equal(a[part][key], b[part][key])
    with pytest.raises(ValueError, match="X is not the training data of the run being resumed"):
        EBMTrainer.from_checkpoint(path).fit(data[:-1], resume=True)


def test_checkpoints_are_checksummed_and_damage_is_named(tmp_path, data):
    import h5py

    from ebmphys.exceptions import DamagedDataError
    from ebmphys.training.ebm_checkpoint import verify_ebm_checkpoint

    path = tmp_path / "run.h5"
    _trainer("jarzynski", n_iter=1, checkpoint_path=path).fit(data)
    with h5py.File(path, "r") as f:
        assert all(f[name].fletcher32 for name in ("model/theta", "state/phase/walkers", "state/optimizer/velocity"))
        info = f["state/phase/walkers"].id.get_chunk_info(0)
    assert verify_ebm_checkpoint(path) == []
    with open(path, "r+b") as fh:       # flip bytes inside the walkers' first chunk
        fh.seek(info.byte_offset + 16)
        original = fh.read(8)
        fh.seek(info.byte_offset + 16)
        fh.write(bytes(255 - b for b in original))
    assert [name for name, _ in verify_ebm_checkpoint(path)] == ["state/phase/walkers"]
    with pytest.raises(DamagedDataError, match="state/phase/walkers is damaged: checksum mismatch"):
        EBMTrainer.from_checkpoint(path)


def test_phi4_hopping_parameter_is_learnt_from_field_samples():
    """Inverse problem on a 4x4 periodic free field (lam = 0 fixed): 400 exact samples at kappa = 0.15; kappa trains
    from 0.05 by PCD (Langevin, 100 walkers, 3 steps per update, gradient descent).  The maximum-likelihood kappa
    of the sample solves <sum_<xy> phi_x phi_y>_data = 32 G_kappa(e_1) (exact free-field propagator); the mean of
    the last ten recorded kappas lies within 0.02 of it (their spread is about 0.01, the stationary noise of the
    stochastic gradient at this learning rate), and the exact log-likelihood ends above its initial value."""
    from scipy.optimize import brentq

    from ebmphys.models import Phi4Lattice
    from ebmphys.partition.continuous_exact import phi4_free_propagator

    true = Phi4Lattice((4, 4), kappa=0.15, lam=0.0)
    X = exact_samples(true, 400, host_generator(2, 0)).reshape(400, 16)
    fields = X.reshape(-1, 4, 4)
    hopping = (fields * (np.roll(fields, -1, axis=1) + np.roll(fields, -1, axis=2))).sum(axis=(1, 2)).mean()
    mle = brentq(lambda k: 32 * phi4_free_propagator(Phi4Lattice((4, 4), kappa=k, lam=0.0))[1, 0] - hopping,
                 -0.24, 0.24)
    start = Phi4Lattice((4, 4), kappa=0.05, lam=0.0)
    ll0 = float(np.mean(-start.energy(X)) - continuous_log_z(start))
    trainer = EBMTrainer(start, method="pcd", step_size=0.05, k=3, n_walkers=100, batch_size=400, n_iter=200,
                         optimizer="sgd", learning_rate=0.002, trainable=["kappa"],
                         monitors=["log_likelihood", "parameters"], monitor_every=10, random_state=0).fit(X)
    kappa = np.asarray(trainer.history_["theta_0"])
    assert abs(kappa[10:].mean() - mle) < 0.02, (kappa, mle)
    assert trainer.history_["log_likelihood"][-1] > ll0
    assert trainer.model_.lam == 0.0


@pytest.mark.parametrize("model", [GaussianMixture([0.3, 0.7], [[-1.0, 0.5], [1.0, -0.5]], [0.8, 1.3]),
                                   MLPEnergy([2, 5, 1], "swish", quadratic=0.3, seed=4)],
                         ids=["mixture", "mlp"])
def test_score_matching_and_nce_gradients_match_finite_differences_of_their_losses(data, model):
    """With the noise fixed, the DSM gradient (central difference of grad_params along the residual) and the NCE
    gradient in (theta, log Z) equal central differences of the losses themselves (relative 1e-5)."""
    from ebmphys.training import objectives

    X = np.ascontiguousarray(data[:50])
    rng = np.random.default_rng(0)
    eps = rng.standard_normal(X.shape)
    theta = model.theta
    grad, loss = objectives.score_matching_gradient(model, theta, X, 0.4, eps)
    noise = objectives.GaussianNoise(X, 1.3)
    rows = noise.draw(100, rng)
    grad_nce, grad_c, loss_nce = objectives.nce_gradient(model, theta, 0.2, X, rows, noise)

    def dsm(t):
        return objectives.score_matching_gradient(model, t, X, 0.4, eps)[1]

    def nce(t, c=0.2):
        return objectives.nce_gradient(model, t, c, X, rows, noise)[2]

    step = 1e-6
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = step
        assert grad[j] == pytest.approx((dsm(theta + e) - dsm(theta - e)) / (2 * step), rel=1e-5, abs=1e-7)
        assert grad_nce[j] == pytest.approx((nce(theta + e) - nce(theta - e)) / (2 * step), rel=1e-5, abs=1e-7)
    assert grad_c == pytest.approx((nce(theta, 0.2 + step) - nce(theta, 0.2 - step)) / (2 * step), rel=1e-6)
    assert loss == pytest.approx(dsm(theta)) and loss_nce == pytest.approx(nce(theta))
