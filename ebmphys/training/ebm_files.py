"""What ``ebmphys inspect`` and ``ebmphys plot`` do with the files of continuous-EBM training.

Four kinds, told apart by their ``file_format`` attribute (:data:`FORMATS`): an
``EBMTrainer`` checkpoint, a JEM result file, a ``JEMClassifier`` checkpoint and a
method comparison.  Each has a ``describe_*`` function (text, and the damaged
datasets as (name, reason) pairs) and all but the JEM checkpoint a ``figure_*``
function that redraws its figure next to it.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from ebmphys.training.comparison import FILE_FORMAT as COMPARISON_FORMAT
from ebmphys.training.ebm_checkpoint import FILE_FORMAT as EBM_FORMAT
from ebmphys.training.ebm_commands import JEM_FORMAT
from ebmphys.training.jem_checkpoint import FILE_FORMAT as JEM_CHECKPOINT_FORMAT

#: file_format -> kind
FORMATS = {EBM_FORMAT: "ebm", JEM_FORMAT: "jem", JEM_CHECKPOINT_FORMAT: "jem-checkpoint",
           COMPARISON_FORMAT: "ebm-comparison"}
#: model samples drawn for a figure (2-D landscapes, image grids) and their sweeps
FIGURE_SAMPLES, FIGURE_STEPS = 400, 1000


def _verify_all(path: Path) -> list[tuple[str, str]]:
    """Read every dataset of an HDF5 file; (name, reason) of each that fails (Fletcher-32 or unreadable)."""
    damage = []
    with h5py.File(path, "r") as f:
        names = []
        f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
        for name in names:
            try:
                f[name][()]
            except (OSError, RuntimeError) as exc:
                text = str(exc)
                damage.append((name, "checksum mismatch (Fletcher-32)" if "filter returned failure" in text
                               else "unreadable"))
    return damage


def _status(damage, done: bool, incomplete: str) -> str:
    if damage:
        return f"DAMAGED: {len(damage)} dataset(s) fail verification; start again with ebmphys train SPEC --overwrite"
    return "complete (every dataset verified)" if done else incomplete


def describe_ebm(path: Path) -> tuple[str, list]:
    """An EBMTrainer checkpoint: model, method, progress, last monitor values, damage."""
    from ebmphys.training.ebm_checkpoint import verify_ebm_checkpoint

    damage = verify_ebm_checkpoint(path)
    with h5py.File(path, "r") as f:
        stored = json.loads(f["parameters"].attrs["params_json"])
        s = f["state"].attrs
        epoch, update, seed = int(s["epoch"]), int(s["update"]), int(s["seed"])
        n_theta = f["model/theta"].shape[0] if "model/theta" in f else "?"
        last = {}
        for name in f.get("history", {}):
            if name in ("epoch", "update"):
                continue
            try:
                values = f["history"][name][()]
                last[name] = float(values[-1]) if values.shape[0] else None
            except (OSError, RuntimeError):
                last[name] = None
        version = f.attrs.get("creator_version", "?")
    params, model = stored["params"], stored["model"]
    n_iter = params.get("n_iter")
    shape = ", ".join(f"{k} {v}" for k, v in model.items() if k not in ("type", "repr"))
    lines = [f"{path}: ebmphys EBM training file (written by ebmphys {version})",
             f"  model: {model['type']} ({shape}), {n_theta} parameters, p(x) = exp(-E(x)) / Z",
             f"  training: {params.get('method')} with {params.get('sampler')} (k = {params.get('k')}, step "
             f"{params.get('step_size')}), {params.get('optimizer')} at learning rate {params.get('learning_rate')}, "
             f"batch size {params.get('batch_size')}, seed {seed}",
             f"  epochs: {epoch} of {n_iter} ({update} updates)",
             "  monitors: " + (", ".join(f"{n} (last {v:.6g})" if v is not None else n for n, v in last.items())
                               if last else "none")]
    lines += [f"  DAMAGED {name}: {reason}" for name, reason in damage]
    lines.append("  status: " + _status(damage, epoch >= (n_iter or 0),
                                        f"INCOMPLETE at epoch {epoch} of {n_iter} (continue it with ebmphys train "
                                        f"SPEC --resume)"))
    return "\n".join(lines), damage


def describe_jem_checkpoint(path: Path) -> tuple[str, list]:
    """A JEMClassifier checkpoint: network, classes, progress, last cross-entropy, damage."""
    from ebmphys.training.jem_checkpoint import verify_jem_checkpoint

    damage = verify_jem_checkpoint(path)
    with h5py.File(path, "r") as f:
        stored = json.loads(f["parameters"].attrs["params_json"])
        epoch, seed = int(f["state"].attrs["epoch"]), int(f["state"].attrs["seed"])
        try:
            values = f["history/cross_entropy"][()] if "history/cross_entropy" in f else np.zeros(0)
        except (OSError, RuntimeError):
            values = np.zeros(0)
        version = f.attrs.get("creator_version", "?")
    params, model = stored["params"], stored["model"]
    n_iter = params.get("n_iter")
    lines = [f"{path}: ebmphys JEM classifier checkpoint (written by ebmphys {version})",
             f"  network: SoftmaxMLP {model['layer_sizes']} ({model['activation']}), classes "
             f"{stored['classes']['values']}, generative weight {params.get('generative_weight')}, seed {seed}",
             f"  epochs: {epoch} of {n_iter}" + (f", cross-entropy (last) {values[-1]:.6g}" if values.shape[0] else "")]
    lines += [f"  DAMAGED {name}: {reason}" for name, reason in damage]
    lines.append("  status: " + _status(damage, epoch >= (n_iter or 0),
                                        f"INCOMPLETE at epoch {epoch} of {n_iter} (continue it with ebmphys train "
                                        f"SPEC --resume)"))
    return "\n".join(lines), damage


def describe_jem(path: Path) -> tuple[str, list]:
    """A JEM result file: the networks and their test metrics."""
    damage = _verify_all(path)
    with h5py.File(path, "r") as f:
        lines = [f"{path}: ebmphys JEM result file (written by ebmphys {f.attrs.get('creator_version', '?')})"]
        for name in ("jem", "plain"):
            if name in f:
                metrics = json.loads(f[name].attrs["metrics_json"])
                lines.append(f"  {name}: softmax MLP {[int(n) for n in f[name].attrs['layer_sizes']]}; "
                             + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
        if "generated" in f:
            lines.append(f"  generated digits: {f['generated'].shape[0]}")
    lines += [f"  DAMAGED {name}: {reason}" for name, reason in damage]
    lines.append("  status: " + _status(damage, True, ""))
    return "\n".join(lines), damage


def describe_comparison(path: Path) -> tuple[str, list]:
    """A method comparison: the runs done (of those the stored spec asks for) and their final values."""
    from ebmphys.study.spec import parse_toml, validate
    from ebmphys.training.comparison import COMPARISON_SCHEMA, cases

    damage = _verify_all(path)
    with h5py.File(path, "r") as f:
        spec = validate(parse_toml(str(f.attrs["spec_toml"])), COMPARISON_SCHEMA)
        lines = [f"{path}: ebmphys method comparison {spec['comparison']['name']!r} (written by ebmphys "
                 f"{f.attrs.get('creator_version', '?')})"]
        wanted = [(c, m) for c in cases(spec) for m in spec["comparison"]["methods"]]
        done = 0
        for case, method in wanted:
            g = f.get(f"cases/{case}/{method}")
            if g is None:
                continue
            done += 1
            try:
                h = g["history"]
                ll = float(h["log_likelihood"][-1])
                if "mode_weight_0" in h:
                    extra = f"mode-0 weight {float(h['mode_weight_0'][-1]):.3f}"
                else:
                    tilt = h["theta_1"][()]
                    late = tilt[-max(1, tilt.shape[0] // 4):]
                    extra = f"tilt {tilt[-1]:.4f}, last quarter {late.mean():.4f} +- {late.std():.4f}"
                lines.append(f"  {case:>12} {method:>9}: {extra}, exact log-likelihood {ll:.4f}, "
                             f"{float(g.attrs['seconds']):.1f} s")
            except (OSError, RuntimeError, KeyError):
                lines.append(f"  {case:>12} {method:>9}: unreadable")
    lines += [f"  DAMAGED {name}: {reason}" for name, reason in damage]
    lines.append("  status: " + _status(damage, done == len(wanted),
                                        f"INCOMPLETE: {done} of {len(wanted)} runs (continue it with ebmphys train "
                                        f"SPEC --resume)"))
    return "\n".join(lines), damage


def figure_ebm(path: Path, fmt: str) -> Path:
    """Learning curves and, where they apply, the landscape against the data or a grid of samples."""
    from ebmphys.plotting import image_shape, plot_ebm_training
    from ebmphys.study.spec import parse_toml, validate
    from ebmphys.training.ebm_commands import EBM_TRAIN_SCHEMA, ebm_data
    from ebmphys.training.ebm_estimator import EBMTrainer

    trainer = EBMTrainer.from_checkpoint(path)   # every dataset read: damage is refused here
    model = trainer.model_
    data = None
    text = trainer.checkpoint_attrs.get("spec_toml")
    if text is not None and model.dim <= 2:
        data, _ = ebm_data(validate(parse_toml(text), EBM_TRAIN_SCHEMA)["data"], path.parent)
    samples = None
    if model.dim <= 2 or image_shape(model.dim):
        samples = trainer.sample(FIGURE_SAMPLES if model.dim <= 2 else 64, FIGURE_STEPS, seed=0)
    title = (f"{path.name}: {type(model).__name__} (dim {model.dim}) by {trainer.method}, epoch {trainer.epoch_} "
             f"of {trainer.n_iter}")
    return plot_ebm_training(trainer.history_, model, data, samples, path.with_suffix("." + fmt), fmt, title)


def figure_jem(path: Path, fmt: str) -> Path:
    from ebmphys.plotting import plot_jem

    result = {}
    with h5py.File(path, "r") as f:
        for name in ("jem", "plain"):
            if name in f:
                result[name] = {"history": {k: f[name]["history"][k][()] for k in f[name]["history"]},
                                "metrics": json.loads(f[name].attrs["metrics_json"])}
        for key in ("generated", "buffer_sample"):
            result[key] = f[key][()] if key in f else None
        result["image_shape"] = tuple(np.asarray(f.attrs.get("image_shape", (8, 8))).tolist())
    return plot_jem(result, path.with_suffix("." + fmt), fmt, f"{path.name}: JEM against the plain classifier")


def figure_comparison(path: Path, fmt: str) -> Path:
    from ebmphys.plotting import plot_comparison

    return plot_comparison(path, path.with_suffix("." + fmt), fmt)


DESCRIBE = {"ebm": describe_ebm, "jem": describe_jem, "jem-checkpoint": describe_jem_checkpoint,
            "ebm-comparison": describe_comparison}
FIGURE = {"ebm": figure_ebm, "jem": figure_jem, "ebm-comparison": figure_comparison}
