"""``ebmphys train SPEC.toml`` for continuous energy-based models, JEM classifiers and method comparisons.

:mod:`ebmphys.training.commands` reads the spec and sends it here when it is not a
binary-RBM spec (:func:`spec_kind`):

* ``model.type`` in :data:`EBM_MODEL_TYPES` (schema :data:`EBM_TRAIN_SCHEMA`): one
  :class:`~ebmphys.training.EBMTrainer` run; the output file is its checkpoint
  (:mod:`ebmphys.training.ebm_checkpoint`), rewritten atomically every
  ``checkpoint_every`` epochs, with the spec in its ``spec_toml`` attribute, and
  ``--resume`` continues it bit for bit.
* ``model.type = "jem"`` (:data:`JEM_SCHEMA`): a :class:`~ebmphys.training.JEMClassifier`
  on the grey-level digits and, with ``compare_plain``, the same network trained as a
  plain classifier; the output (file_format ``ebmphys-jem-1``) holds both networks, their
  histories, test accuracy, expected calibration error and energy AUROCs against
  uniform noise and pixel-shuffled digits, and generated digits.  Each classifier
  checkpoints its training (:mod:`ebmphys.training.jem_checkpoint`, atomic and checksummed)
  every ``checkpoint_every`` epochs into ``OUT.jem-checkpoint.h5`` and
  ``OUT.plain-checkpoint.h5`` next to the output (:func:`jem_checkpoint_path`), with the
  spec in ``spec_toml``; ``--resume`` continues them bit for bit (a plain classifier whose
  checkpoint was never written starts afresh), and the output is written, atomically,
  only when both are trained.
* a ``[comparison]`` table (:data:`ebmphys.training.comparison.COMPARISON_SCHEMA`): the
  method comparison of :mod:`ebmphys.training.comparison` (``studies/jarzynski_mixture.toml``),
  resumable run by run.

As for RBM specs the output is locked for the whole run, memory and disk are
estimated before training starts, and errors are one line naming the key.
Example (a 2-D mixture learnt by Jarzynski-weighted walkers)::

    [data]
    source = "mixture"
    weights = [0.25, 0.75]
    centers = [-4.0, 4.0]

    [model]
    type = "mixture"
    trainable = ["log_weights", "means"]

    [training]
    method = "jarzynski"
    step_size = 0.05
    optimizer = "sgd"
    learning_rate = 0.01
    batch_size = 2000
    n_epochs = 1500
    monitors = ["log_likelihood", "mode_weights", "ess"]
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from ebmphys import __version__
from ebmphys.datasets import GREY_SCALES, load_grey_digits
from ebmphys.exceptions import UserError
from ebmphys.kernels.mlp_cpu import ACTIVATIONS
from ebmphys.kernels.rng import HOST_EBM_DATA, HOST_MLP_INIT, host_generator
from ebmphys.limits import format_bytes, require_disk, require_memory
from ebmphys.storage.atomic import atomic_hdf5, create_dataset, output_target
from ebmphys.study.spec import Key, SpecError, validate
from ebmphys.training.command_common import read_rows, resume_trainer, split_rows
from ebmphys.training.ebm_estimator import METHODS, SAMPLER_OPTIONS, EBMTrainer
from ebmphys.training.ebm_monitors import EBM_MONITORS, quadrature_samples
from ebmphys.training.negative import INITS, NOISE_INITS
from ebmphys.training.optimizers import OPTIMIZERS
from ebmphys.training.schedules import SCHEDULES

EBM_MODEL_TYPES = ("mixture", "gaussian", "double-well", "mlp", "gb-rbm")
JEM_FORMAT = "ebmphys-jem-1"
_POSITIVE = {"minimum": 0.0, "exclusive_minimum": True}

EBM_TRAIN_SCHEMA = {
    "data": {
        "source": Key("str", "mixture", doc="'mixture' or 'double-well' (drawn from the true model of this table), "
                                            "'digits' (grey-level 8x8 digits) or a .npy/.npz file of rows."),
        "n_samples": Key("int", 2000, minimum=2, doc="Rows drawn from a synthetic source."),
        "dim": Key("int", 2, minimum=1, doc="Dimension of the synthetic mixture or double well."),
        "weights": Key("float_list", [0.25, 0.75], **_POSITIVE, doc="Mixture: mode weights."),
        "centers": Key("float_list", [-4.0, 4.0], doc="Mixture: mode centres on the first axis (unit covariances)."),
        "barrier": Key("float", 3.0, **_POSITIVE, doc="Double well: a of a (x^2 - 1)^2 + c x."),
        "tilt": Key("float", 0.5, doc="Double well: c."),
        "scale": Key("str", "unit", choices=GREY_SCALES, doc="Digits: grey / 16 ('unit') or grey / 8 - 1."),
        "seed": Key("int", 0, minimum=0, maximum=2**64 - 1, doc="Seed of the synthetic data."),
        "test_fraction": Key("float", 0.0, minimum=0.0, maximum=0.9, doc="Rows held out for the monitors."),
        "split_seed": Key("int", 0, minimum=0, doc="Seed of the train/test split."),
    },
    "model": {
        "type": Key("str", choices=EBM_MODEL_TYPES, doc="The energy model trained."),
        "n_modes": Key("int", 2, minimum=1, doc="Mixture: modes."),
        "initial_centers": Key("float_list", None, doc="Mixture: initial means on the first axis (default "
                                                       "evenly spread over [-0.1, 0.1])."),
        "hidden": Key("int_list", [32], minimum=1, doc="MLP: hidden widths."),
        "activation": Key("str", "swish", choices=tuple(ACTIVATIONS), doc="MLP: activation."),
        "quadratic": Key("float", 0.1, minimum=0.0, doc="MLP: confinement alpha |x|^2 / 2."),
        "n_hidden": Key("int", 16, minimum=1, doc="GB-RBM: hidden units."),
        "sigma": Key("float", 0.3, **_POSITIVE, doc="GB-RBM: visible standard deviations."),
        "barrier": Key("float", 3.0, **_POSITIVE, doc="Double well: a."),
        "tilt": Key("float", 0.0, doc="Double well: initial c."),
        "init_seed": Key("int", 0, minimum=0, maximum=2**64 - 1, doc="Seed of the initial weights (MLP, GB-RBM)."),
        "trainable": Key("str_list", None, doc="Parameter groups that train (default: all)."),
    },
    "training": {
        "method": Key("str", "pcd", choices=METHODS, doc="Training method."),
        "sampler": Key("str", "langevin", choices=tuple(SAMPLER_OPTIONS), doc="Negative-phase sampler."),
        "k": Key("int", 10, minimum=1, doc="Sampler sweeps per update."),
        "step_size": Key("float", 0.01, **_POSITIVE, doc="Sampler step size h."),
        "noise_scale": Key("float", None, minimum=0.0, doc="Langevin noise s (default sqrt(2 h))."),
        "n_walkers": Key("int", 0, minimum=0, doc="Negative samples per update (0: batch_size)."),
        "init": Key("str", "", choices=("",) + INITS, doc="Chain starts (empty: the method's default)."),
        "noise_init": Key("str", "gaussian", choices=NOISE_INITS, doc="Noise starts."),
        "buffer_size": Key("int", 10000, minimum=1, doc="Replay-buffer entries."),
        "reinit_prob": Key("float", 0.05, minimum=0.0, maximum=1.0, doc="Replay restarts from noise."),
        "ess_threshold": Key("float", 0.5, **_POSITIVE, maximum=1.0, doc="Jarzynski resampling threshold."),
        "dsm_sigma": Key("float", 0.1, **_POSITIVE, doc="Denoising score matching: noise."),
        "nce_noise_ratio": Key("int", 1, minimum=1, doc="NCE: noise rows per data row."),
        "nce_noise_scale": Key("float", 1.0, **_POSITIVE, doc="NCE: noise model width."),
        "optimizer": Key("str", "adam", choices=OPTIMIZERS, doc="Optimiser."),
        "learning_rate": Key("float", 0.01, **_POSITIVE, doc="Learning rate."),
        "momentum": Key("float", 0.0, minimum=0.0, maximum=0.999, doc="SGD momentum."),
        "learning_rate_schedule": Key("str", "constant", choices=SCHEDULES, doc="Schedule (per update)."),
        "batch_size": Key("int", 100, minimum=1, doc="Rows per update."),
        "n_epochs": Key("int", 10, minimum=1, doc="Passes over the training rows."),
        "energy_l2": Key("float", 0.0, minimum=0.0, doc="Energy regularisation."),
        "weight_decay": Key("float", 0.0, minimum=0.0, doc="L2 penalty on theta."),
        "clip_grad": Key("float", None, **_POSITIVE, doc="Largest gradient norm (default: no clipping)."),
        "seed": Key("int", 0, minimum=0, maximum=2**64 - 1, doc="Seed of everything random in training."),
        "monitors": Key("str_list", ["log_likelihood"], choices=EBM_MONITORS, doc="Monitors."),
        "monitor_every": Key("int", 1, minimum=1, doc="Epochs between monitor evaluations."),
        "checkpoint_every": Key("int", 1, minimum=1, doc="Epochs between checkpoints."),
        "device": Key("str", "cpu", doc="'cpu', 'cuda' or 'auto' (the continuous kernels run on the CPU)."),
    },
}

JEM_SCHEMA = {
    "data": {
        "source": Key("str", "digits", choices=("digits",), doc="The grey-level 8x8 digits with their labels."),
        "scale": Key("str", "symmetric", choices=GREY_SCALES, doc="grey / 16 ('unit') or grey / 8 - 1."),
        "test_fraction": Key("float", 0.25, minimum=0.05, maximum=0.9, doc="Rows held out for the test scores."),
        "split_seed": Key("int", 0, minimum=0, doc="Seed of the train/test split."),
    },
    "model": {
        "type": Key("str", choices=("jem",), doc="Joint energy model of a softmax MLP."),
        "hidden": Key("int_list", [64], minimum=1, doc="Hidden widths."),
        "activation": Key("str", "swish", choices=tuple(ACTIVATIONS), doc="Activation."),
    },
    "training": {
        "generative_weight": Key("float", 1.0, minimum=0.0, doc="Weight of the log p(x) term."),
        "sgld_steps": Key("int", 10, minimum=1, doc="SGLD steps per update."),
        "sgld_step_size": Key("float", 1.0, **_POSITIVE, doc="SGLD step h."),
        "sgld_noise": Key("float", 0.01, minimum=0.0, doc="SGLD noise s."),
        "buffer_size": Key("int", 10000, minimum=1, doc="Replay-buffer entries."),
        "reinit_prob": Key("float", 0.05, minimum=0.0, maximum=1.0, doc="Restarts from noise."),
        "noise_init": Key("str", "uniform", choices=NOISE_INITS, doc="Noise of the buffer."),
        "energy_l2": Key("float", 0.0, minimum=0.0, doc="Energy regularisation."),
        "optimizer": Key("str", "adam", choices=OPTIMIZERS, doc="Optimiser."),
        "learning_rate": Key("float", 3e-3, **_POSITIVE, doc="Learning rate."),
        "batch_size": Key("int", 64, minimum=1, doc="Rows per update."),
        "n_epochs": Key("int", 30, minimum=1, doc="Epochs."),
        "seed": Key("int", 0, minimum=0, maximum=2**64 - 1, doc="Seed of everything random."),
        "checkpoint_every": Key("int", 1, minimum=1, doc="Epochs between checkpoints."),
        "compare_plain": Key("bool", True, doc="Also train the same network as a plain classifier."),
        "n_generated": Key("int", 64, minimum=1, doc="Digits generated by SGLD from noise."),
        "generate_steps": Key("int", 200, minimum=1, doc="SGLD steps of the generated digits."),
        "device": Key("str", "cpu", doc="'cpu', 'cuda' or 'auto'."),
    },
}


def spec_kind(raw: dict) -> str:
    """"comparison", "jem", "ebm" or "rbm": which trainer a parsed spec describes."""
    if "comparison" in raw:
        return "comparison"
    model_type = raw.get("model", {}).get("type", "rbm") if isinstance(raw.get("model"), dict) else "rbm"
    if model_type == "jem":
        return "jem"
    if model_type in EBM_MODEL_TYPES:
        return "ebm"
    return "rbm"


def schema_of(kind: str) -> dict:
    from ebmphys.training.comparison import COMPARISON_SCHEMA

    return {"ebm": EBM_TRAIN_SCHEMA, "jem": JEM_SCHEMA, "comparison": COMPARISON_SCHEMA}[kind]


def validated(raw: dict, kind: str, path: Path) -> dict:
    try:
        return validate(raw, schema_of(kind))
    except SpecError as exc:
        raise UserError(f"{path}: {exc}") from None


# ---------------------------------------------------------------------------- data and models


def ebm_data(data: dict, base: Path) -> tuple[np.ndarray, np.ndarray]:
    """Training and test rows (float64) from the [data] table; file paths are relative to ``base``."""
    from ebmphys.models import DoubleWell, GaussianMixture

    source = data["source"]
    rng = host_generator(data["seed"], HOST_EBM_DATA, 0)
    if source == "mixture":
        if len(data["weights"]) != len(data["centers"]):
            raise UserError(f"data.weights and data.centers must have one value per mode, got {len(data['weights'])} "
                            f"and {len(data['centers'])}")
        centers = np.zeros((len(data["centers"]), data["dim"]))
        centers[:, 0] = data["centers"]
        from ebmphys.partition.continuous_exact import exact_samples

        X = exact_samples(GaussianMixture(data["weights"], centers), data["n_samples"], rng)
    elif source == "double-well":
        if data["dim"] != 1:
            raise UserError(f"data.dim = {data['dim']} is not allowed for source 'double-well': expected 1")
        X = quadrature_samples(DoubleWell(1, data["barrier"], data["tilt"]), np.array([[-1.5], [1.5]]),
                               data["n_samples"], rng)
    elif source == "digits":
        X = load_grey_digits(data["scale"])
    else:
        path = Path(source) if Path(source).is_absolute() else base / source
        if path.suffix not in (".npy", ".npz"):
            raise UserError(f"data.source = {source!r} is not allowed: expected 'mixture', 'double-well', 'digits' or "
                            f"a .npy/.npz file")
        X = np.asarray(read_rows(path, source), dtype=np.float64)
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim > 2:
            X = X.reshape(X.shape[0], -1)
    return split_rows(np.ascontiguousarray(X, dtype=np.float64), None, data)


def ebm_model(model: dict, X: np.ndarray):
    """The initial model of the [model] table for rows ``X``."""
    from ebmphys.models import DoubleWell, Gaussian, GaussianBernoulliRBM, GaussianMixture, MLPEnergy

    d = X.shape[1]
    kind = model["type"]
    if kind == "gaussian":
        return Gaussian(np.zeros(d), 1.0)
    if kind == "mixture":
        k = model["n_modes"]
        centers = model["initial_centers"] if model["initial_centers"] is not None else np.linspace(-0.1, 0.1, k)
        if len(centers) != k:
            raise UserError(f"model.initial_centers must have model.n_modes = {k} values, got {len(centers)}")
        means = np.zeros((k, d))
        means[:, 0] = centers
        return GaussianMixture(np.full(k, 1.0 / k), means)
    if kind == "double-well":
        return DoubleWell(d, barrier=model["barrier"], tilt=model["tilt"])
    if kind == "mlp":
        return MLPEnergy([d, *model["hidden"], 1], model["activation"], quadratic=model["quadratic"],
                         seed=model["init_seed"])
    W = host_generator(model["init_seed"], HOST_MLP_INIT).normal(0.0, 0.01, size=(d, model["n_hidden"]))
    return GaussianBernoulliRBM(d, model["n_hidden"], sigma=model["sigma"], W=W, b=X.mean(axis=0))


def ebm_trainer(spec: dict, model, out: Path, verbose: bool, text: str) -> EBMTrainer:
    t = spec["training"]
    trainer = EBMTrainer(
        model, method=t["method"], sampler=t["sampler"], k=t["k"], step_size=t["step_size"],
        noise_scale=t["noise_scale"], n_walkers=t["n_walkers"] or None, init=t["init"] or None,
        noise_init=t["noise_init"], buffer_size=t["buffer_size"], reinit_prob=t["reinit_prob"],
        ess_threshold=t["ess_threshold"], dsm_sigma=t["dsm_sigma"], nce_noise_ratio=t["nce_noise_ratio"],
        nce_noise_scale=t["nce_noise_scale"], optimizer=t["optimizer"], learning_rate=t["learning_rate"],
        momentum=t["momentum"], learning_rate_schedule=t["learning_rate_schedule"], batch_size=t["batch_size"],
        n_iter=t["n_epochs"], energy_l2=t["energy_l2"], weight_decay=t["weight_decay"], clip_grad=t["clip_grad"],
        trainable=spec["model"]["trainable"], monitors=tuple(t["monitors"]), monitor_every=t["monitor_every"],
        checkpoint_path=out, checkpoint_every=t["checkpoint_every"], random_state=t["seed"], device=t["device"],
        verbose=verbose)
    trainer.checkpoint_attrs = {"spec_toml": text}
    return trainer


def ebm_memory(n_samples: int, dim: int, n_theta: int, batch: int, walkers: int, buffer: int) -> int:
    """Bytes of an EBM run: data, walkers or buffer, and the per-row parameter gradients of a batch and the walkers."""
    return 8 * (n_samples * dim + (walkers + buffer) * dim + 3 * (batch + walkers) * n_theta + 8 * n_theta)


def _check_resources(spec: dict, train: np.ndarray, model, out: Path) -> None:
    t = spec["training"]
    walkers = t["n_walkers"] or t["batch_size"]
    buffer = t["buffer_size"] if t["method"] == "replay" else 0
    n_theta = model.theta.shape[0]
    require_memory(ebm_memory(len(train), train.shape[1], n_theta, t["batch_size"], walkers, buffer),
                   f"training a {type(model).__name__} with {n_theta} parameters (training.batch_size, "
                   f"training.n_walkers, training.buffer_size)")
    size = 8 * (2 * n_theta + 3 * n_theta + (walkers + buffer) * train.shape[1] + 16 * t["n_epochs"]) + 2**16
    require_disk(2 * size, output_target(out), f"the checkpoint {out} ({format_bytes(size)}, written twice per save)")


# ---------------------------------------------------------------------------- runs


def _load_ebm_checkpoint(out: Path) -> EBMTrainer:
    from ebmphys.training.ebm_checkpoint import is_ebm_checkpoint

    if not is_ebm_checkpoint(out):
        raise UserError(f"--resume: {out} is not an ebmphys EBM checkpoint")
    return EBMTrainer.from_checkpoint(out)


def run_ebm(args, spec_path: Path, spec: dict, text: str, out: Path) -> int:
    """One EBMTrainer run (the lock is held by the caller)."""
    train, test = ebm_data(spec["data"], spec_path.parent)
    if args.resume:
        trainer = resume_trainer(_load_ebm_checkpoint, out, spec_path, text, not args.quiet)
    else:
        if out.exists() and not args.overwrite:
            raise UserError(f"output file {str(out)!r} exists; use --resume to continue it or --overwrite to "
                            f"replace it")
        model = ebm_model(spec["model"], train)
        _check_resources(spec, train, model, out)
        trainer = ebm_trainer(spec, model, out, not args.quiet, text)
    try:
        trainer.fit(train, validation_data=test if len(test) else None, resume=args.resume)
    except (ValueError, TypeError, FloatingPointError) as exc:
        raise UserError(str(exc)) from None
    if not args.quiet:
        model = trainer.model_
        lines = [f"trained {type(model).__name__} (dim {model.dim}, {len(trainer.trainable_)} trained parameters) "
                 f"by {trainer.method}, {trainer.epoch_} epochs ({trainer.update_} updates) on {len(train)} rows"]
        for name, values in trainer.history_.items():
            if name not in ("epoch", "update"):
                lines.append(f"  {name} (last): {values[-1]:.6g}")
        lines.append(f"wrote {out}")
        print("\n".join(lines))
    return 0


def jem_checkpoint_path(out: Path, name: str) -> Path:
    """The training checkpoint of the classifier ``name`` ("jem" or "plain") of the run writing ``out``."""
    return out.with_name(f"{out.name}.{name}-checkpoint.h5")


def _load_jem_checkpoint(path: Path):
    from ebmphys.training.jem import JEMClassifier
    from ebmphys.training.jem_checkpoint import is_jem_checkpoint

    if not is_jem_checkpoint(path):
        raise UserError(f"--resume: {path} is not an ebmphys JEM checkpoint")
    return JEMClassifier.from_checkpoint(path)


def run_jem(args, spec_path: Path, spec: dict, text: str, out: Path) -> int:
    """A JEM classifier and, with compare_plain, the plain classifier; metrics and samples into ``out``."""
    from ebmphys.training.jem import JEMClassifier, energy_auroc, expected_calibration_error

    checkpoints = {name: jem_checkpoint_path(out, name) for name in ("jem", "plain")}
    if not args.resume and not args.overwrite:
        for path in (out, checkpoints["jem"]):
            if path.exists():
                raise UserError(f"output file {str(path)!r} exists; use --resume to continue the run or --overwrite "
                                f"to replace it")
    if not args.resume:
        for path in checkpoints.values():       # a fresh run: no stale checkpoint of an earlier run is resumed
            path.unlink(missing_ok=True)
    d, m, t = spec["data"], spec["model"], spec["training"]
    X, y = load_grey_digits(d["scale"], return_targets=True)
    X_train, X_test, y_train, y_test = split_rows(X, y, d)
    rng = host_generator(t["seed"], HOST_EBM_DATA, 1)
    low, high = X.min(), X.max()
    noise = rng.uniform(low, high, size=X_test.shape)
    shuffled = np.array([row[rng.permutation(row.shape[0])] for row in X_test])
    results = {}
    for name, weight in (("jem", t["generative_weight"]), ("plain", 0.0)):
        if name == "plain" and not t["compare_plain"]:
            continue
        resume = args.resume and (name == "jem" or checkpoints[name].exists())
        if resume:
            clf = resume_trainer(_load_jem_checkpoint, checkpoints[name], spec_path, text, not args.quiet)
        else:
            clf = JEMClassifier(tuple(m["hidden"]), activation=m["activation"], generative_weight=weight,
                                sgld_steps=t["sgld_steps"], sgld_step_size=t["sgld_step_size"],
                                sgld_noise=t["sgld_noise"], buffer_size=t["buffer_size"], reinit_prob=t["reinit_prob"],
                                noise_init=t["noise_init"], energy_l2=t["energy_l2"], optimizer=t["optimizer"],
                                learning_rate=t["learning_rate"], batch_size=t["batch_size"], n_iter=t["n_epochs"],
                                checkpoint_path=checkpoints[name], checkpoint_every=t["checkpoint_every"],
                                random_state=t["seed"], device=t["device"], verbose=not args.quiet)
            clf.checkpoint_attrs = {"spec_toml": text}
        try:
            clf.fit(X_train, y_train, resume=resume)
        except (ValueError, TypeError, FloatingPointError) as exc:
            raise UserError(str(exc)) from None
        proba = clf.predict_proba(X_test)
        score = clf.score_samples(X_test)
        results[name] = {
            "clf": clf,
            "metrics": {"accuracy": float(clf.score(X_test, y_test)),
                        "ece": expected_calibration_error(proba, np.searchsorted(clf.classes_, y_test)),
                        "auroc_noise": energy_auroc(score, clf.score_samples(noise)),
                        "auroc_shuffled": energy_auroc(score, clf.score_samples(shuffled))},
        }
    jem = results["jem"]["clf"]
    generated = jem.sample(t["n_generated"], t["generate_steps"]) if t["generative_weight"] > 0 else None

    def verify(g: h5py.File) -> None:
        for name, r in results.items():
            if not np.array_equal(g[f"{name}/theta"][()], r["clf"].model_.theta):
                raise ValueError(f"{name}/theta does not hold the data written")

    with atomic_hdf5(out, verify=verify) as f:
        f.attrs["creator"] = "ebmphys"
        f.attrs["creator_version"] = __version__
        f.attrs["file_format"] = JEM_FORMAT
        f.attrs["spec_toml"] = text
        f.attrs["conventions"] = "E(x) = -logsumexp_y f(x)[y], p(y | x) = softmax(f(x)); AUROC of -E(x)"
        f.attrs["image_shape"] = [8, 8]
        for name, r in results.items():
            g = f.create_group(name)
            clf = r["clf"]
            create_dataset(g, "theta", data=clf.model_.theta)
            g.attrs["layer_sizes"] = list(clf.model_.layer_sizes)
            g.attrs["metrics_json"] = json.dumps(r["metrics"])
            for key, values in clf.history_.items():
                create_dataset(g, f"history/{key}", data=np.asarray(values, dtype=np.float64))
        if generated is not None:
            create_dataset(f, "generated", data=generated)
            create_dataset(f, "buffer_sample", data=jem.replay_buffer_[:t["n_generated"]])
    from ebmphys.training.ebm_files import figure_jem

    figure = figure_jem(out, "png")
    if not args.quiet:
        lines = [f"{name}: " + ", ".join(f"{k} {v:.4f}" for k, v in r["metrics"].items())
                 for name, r in results.items()]
        print("\n".join(lines + [f"wrote {out} and {figure}"]))
    return 0


def run_compare(args, spec_path: Path, spec: dict, text: str, out: Path) -> int:
    """The method comparison of :mod:`ebmphys.training.comparison` and its figure next to ``out``."""
    from ebmphys.plotting import plot_comparison
    from ebmphys.training.comparison import FILE_FORMAT, run_comparison

    if args.resume:
        if not out.exists():
            raise UserError(f"--resume: output file {str(out)!r} does not exist (run without --resume first)")
        with h5py.File(out, "r") as f:
            if f.attrs.get("file_format") != FILE_FORMAT:
                raise UserError(f"--resume: {out} is not an ebmphys comparison file")
            if f.attrs.get("spec_toml") != text:
                raise UserError(f"--resume: {spec_path} differs from the spec stored in {out}; use --overwrite")
    elif out.exists() and not args.overwrite:
        raise UserError(f"output file {str(out)!r} exists; use --resume to continue it or --overwrite to "
                        f"replace it")
    lines = run_comparison(spec, text, out, resume=args.resume, quiet=args.quiet)
    figure = plot_comparison(out, out.with_suffix(".png"))
    if not args.quiet:
        print("\n".join(lines + [f"wrote {out} and {figure}"]))
    return 0


RUNNERS = {"ebm": run_ebm, "jem": run_jem, "comparison": run_compare}
