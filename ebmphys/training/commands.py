"""``ebmphys train SPEC.toml``: train a binary RBM described by a TOML spec.

Specs of continuous energy-based models (``model.type`` = "mixture", "gaussian",
"double-well", "mlp", "gb-rbm"), of JEM classifiers (``model.type = "jem"``) and
method comparisons (a ``[comparison]`` table) go to
:mod:`ebmphys.training.ebm_commands`, with the same locking, size checks and
one-line errors.

The spec is checked with the shared validator of :mod:`ebmphys.study.spec`
(errors name the key, the value and what is allowed, with a did-you-mean for
misspelt keys).  The output is the HDF5 checkpoint of the run
(:mod:`ebmphys.training.checkpoint`), rewritten atomically every
``checkpoint_every`` epochs, with the spec text in its ``spec_toml`` attribute;
``--resume`` continues it to the same result as an uninterrupted run.  The
output is locked for the whole run (a second trainer writing the same file is
refused, even with ``--overwrite``; symbolic links are resolved and the lock is
taken at the target); memory and disk are estimated before training starts;
a failed write stops the run with one line naming the intact checkpoint.

Example spec::

    [data]
    source = "digits"          # or a .npy/.npz file of 0/1 rows (or -1/+1 spins with spins = true)
    test_fraction = 0.2

    [model]
    n_hidden = 16

    [training]
    method = "pcd"
    learning_rate = 0.05
    n_epochs = 20
    seed = 1
    monitors = ["log_likelihood"]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import h5py
import numpy as np

from ebmphys.datasets import load_binary_digits
from ebmphys.exceptions import UserError, WriteError
from ebmphys.limits import format_bytes, require_disk, require_memory
from ebmphys.partition.rbm_exact import exact_is_feasible
from ebmphys.storage import FileLockedError, exclusive_lock, output_target
from ebmphys.study.spec import Key, SpecError, parse_toml, validate
from ebmphys.training import monitors as _monitors
from ebmphys.training.command_common import read_rows, resume_trainer, split_rows
from ebmphys.training.ebm_commands import EBM_MODEL_TYPES, RUNNERS, spec_kind, validated
from ebmphys.training.estimator import METHODS, VISIBLE_BIAS_INITS, RBMTrainer
from ebmphys.training.schedules import SCHEDULES

TRAIN_SCHEMA = {
    "data": {
        "source": Key("str", "digits", doc="'digits' (binarised 8x8 digits) or a .npy/.npz file of rows."),
        "spins": Key("bool", False, doc="The file holds Ising spins -1/+1 (mapped to units (1 + s) / 2)."),
        "test_fraction": Key("float", 0.2, minimum=0.0, maximum=0.9, doc="Fraction held out for monitors and the test score."),
        "split_seed": Key("int", 0, minimum=0, doc="Seed of the train/test split."),
    },
    "model": {
        "type": Key("str", "rbm", choices=("rbm", *EBM_MODEL_TYPES, "jem"),
                    doc="'rbm' (this schema); continuous models and 'jem' use ebmphys.training.ebm_commands."),
        "n_hidden": Key("int", minimum=1, doc="Number of hidden units."),
    },
    "training": {
        "method": Key("str", "pcd", choices=METHODS, doc="PCD-k or CD-k."),
        "k": Key("int", 1, minimum=1, doc="Gibbs steps per update."),
        "learning_rate": Key("float", 0.05, minimum=0.0, exclusive_minimum=True, doc="Step size."),
        "batch_size": Key("int", 10, minimum=1, doc="Examples per minibatch."),
        "n_epochs": Key("int", 20, minimum=1, doc="Passes over the training data."),
        "n_chains": Key("int", 0, minimum=0, doc="Persistent chains (0: batch_size)."),
        "momentum": Key("float", 0.0, minimum=0.0, maximum=0.999, doc="Momentum."),
        "weight_decay": Key("float", 0.0, minimum=0.0, doc="L2 penalty on W."),
        "learning_rate_schedule": Key("str", "constant", choices=SCHEDULES, doc="Schedule."),
        "visible_bias_init": Key("str", "data", choices=VISIBLE_BIAS_INITS, doc="Initial visible biases."),
        "centering": Key("bool", False, doc="Centred gradient."),
        "offset_rate": Key("float", 0.01, minimum=0.0, exclusive_minimum=True, maximum=1.0, doc="Hidden-offset rate."),
        "seed": Key("int", 0, minimum=0, maximum=2**64 - 1, doc="Seed of everything random."),
        "monitors": Key("str_list", ["reconstruction_error"], choices=_monitors.MONITORS, doc="Monitors."),
        "monitor_every": Key("int", 1, minimum=1, doc="Epochs between monitor evaluations."),
        "checkpoint_every": Key("int", 1, minimum=1, doc="Epochs between checkpoints."),
        "device": Key("str", "cpu", doc="Where the training kernels run: 'cpu', 'cuda' or 'auto'."),
        "dtype": Key("str", "float64", choices=("float64", "float32"),
                     doc="Precision of the epoch kernel: float32 epochs are faster (BENCHMARKS.md), CPU only."),
    },
}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train",
        help="train an RBM or a continuous energy-based model from a TOML spec (checkpoints, resume)",
        description="Train a binary RBM (E = -b.v - c.h - v.W.h, units in {0, 1}), a continuous energy-based model "
        "(model.type = mixture, gaussian, double-well, mlp, gb-rbm; CD, PCD, replay, Jarzynski, score matching, "
        "NCE), a JEM classifier (model.type = jem) or a method comparison ([comparison]) described by a TOML spec; "
        "the output HDF5 file is the run's checkpoint (or result file) and holds the trained model.",
    )
    p.add_argument("spec", help="TOML spec file")
    p.add_argument("--out", help="output HDF5 file (default: SPEC_NAME.h5 in the current directory, as for run)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true", help="continue the run saved in the output file")
    mode.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    p.set_defaults(func=run_train)


def read_spec(path: Path) -> tuple[dict, str, str]:
    """Parse a training spec; return (parsed TOML, spec text, kind: "rbm", "ebm", "jem" or "comparison")."""
    if not path.exists():
        raise UserError(f"spec file {str(path)!r} does not exist")
    text = path.read_text()
    try:
        raw = parse_toml(text, str(path))
    except SpecError as exc:
        raise UserError(f"{path}: {exc}") from None
    return raw, text, spec_kind(raw)


def load_spec(path: Path) -> tuple[dict, str]:
    """Read and validate an RBM training spec; return (validated dict, spec text)."""
    raw, text, _ = read_spec(path)
    try:
        return validate(raw, TRAIN_SCHEMA), text
    except SpecError as exc:
        raise UserError(f"{path}: {exc}") from None


def load_data(data: dict, base: Path) -> tuple[np.ndarray, np.ndarray]:
    """Training and test rows (uint8 0/1) from the [data] table; file paths are relative to ``base``."""
    if data["source"] == "digits":
        X = load_binary_digits()
    else:
        path = (base / data["source"]) if not Path(data["source"]).is_absolute() else Path(data["source"])
        if path.suffix not in (".npy", ".npz"):
            raise UserError(f"data.source = {data['source']!r} is not allowed: expected 'digits' or a .npy/.npz file")
        X = read_rows(path, data["source"])
        if X.ndim > 2:
            X = X.reshape(X.shape[0], -1)
        if data["spins"]:
            if not np.all(np.abs(X) == 1):
                raise UserError(f"data.spins = true but {path} holds values other than -1 and +1")
            X = ((X.astype(np.int16) + 1) // 2).astype(np.uint8)
    return split_rows(X, None, data)


def _trainer(spec: dict, out: Path, verbose: bool, spec_text: str) -> RBMTrainer:
    t = spec["training"]
    trainer = RBMTrainer(
        spec["model"]["n_hidden"], learning_rate=t["learning_rate"], batch_size=t["batch_size"],
        n_iter=t["n_epochs"], random_state=t["seed"], method=t["method"], k=t["k"],
        n_chains=t["n_chains"] or None, momentum=t["momentum"], weight_decay=t["weight_decay"],
        learning_rate_schedule=t["learning_rate_schedule"], visible_bias_init=t["visible_bias_init"],
        centering=t["centering"], offset_rate=t["offset_rate"], monitors=tuple(t["monitors"]),
        monitor_every=t["monitor_every"], checkpoint_path=out, checkpoint_every=t["checkpoint_every"],
        device=t["device"], dtype=t["dtype"], verbose=verbose,
    )
    trainer.checkpoint_attrs = {"spec_toml": spec_text}
    return trainer


def training_memory(n_samples: int, n_visible: int, n_hidden: int, batch_size: int, n_chains: int) -> int:
    """Bytes an RBM training run needs: parameters with their momentum, transposed and gradient copies
    (5 x n_visible x n_hidden float64), batch and chain activations, and the data."""
    units = n_visible + n_hidden
    return 8 * (5 * n_visible * n_hidden + 4 * units + 6 * (batch_size + n_chains) * units) + 2 * n_samples * n_visible


def checkpoint_bytes(n_visible: int, n_hidden: int, n_chains: int, n_epochs: int, n_monitors: int) -> int:
    """Bytes of a training checkpoint (weights twice: model and momentum)."""
    return 8 * (2 * n_visible * n_hidden + 4 * (n_visible + n_hidden) + n_epochs * (n_monitors + 1)) \
        + n_chains * n_hidden + 2**16


def _check_resources(spec: dict, train: np.ndarray, out: Path) -> None:
    t = spec["training"]
    nv, nh = train.shape[1], spec["model"]["n_hidden"]
    chains = t["n_chains"] or t["batch_size"]
    require_memory(training_memory(len(train), nv, nh, t["batch_size"], chains),
                   f"training an RBM of {nv} visible x {nh} hidden units (model.n_hidden, training.batch_size, "
                   f"training.n_chains)")
    size = checkpoint_bytes(nv, nh, chains, t["n_epochs"], len(t["monitors"]))
    require_disk(2 * size, output_target(out), f"the checkpoint {out} ({format_bytes(size)}, written twice per save)")


def _intact(out: Path) -> str:
    """What survives a failed checkpoint write, for the error message."""
    try:
        with h5py.File(out, "r") as f:
            epoch = int(f["state"].attrs["epoch"])
            params = json.loads(f["parameters"].attrs["params_json"])
            n_iter = params.get("n_iter", params.get("params", {}).get("n_iter"))
    except (OSError, KeyError, ValueError):
        return "no checkpoint was written"
    return (f"the last complete checkpoint, at epoch {epoch} of {n_iter}, is intact; free space and continue "
            f"it with ebmphys train SPEC --resume")


def run_train(args: argparse.Namespace) -> int:
    spec_path = Path(args.spec)
    raw, text, kind = read_spec(spec_path)
    out = Path(args.out) if args.out else Path(spec_path.stem + ".h5")
    output_target(out)  # a directory is refused before anything is read or written
    if kind != "rbm":
        spec = validated(raw, kind, spec_path)
        try:
            with exclusive_lock(out):
                return RUNNERS[kind](args, spec_path, spec, text, out)
        except FileLockedError as exc:
            raise UserError(str(exc)) from None
        except WriteError as exc:
            raise exc.with_context(_intact(out) if kind == "ebm" else "the previous output file is intact") from None
    spec, text = load_spec(spec_path)
    train, test = load_data(spec["data"], spec_path.parent)
    _check_resources(spec, train, out)
    try:
        with exclusive_lock(out):
            return _train_locked(args, spec_path, spec, text, out, train, test)
    except FileLockedError as exc:
        raise UserError(str(exc)) from None
    except WriteError as exc:
        raise exc.with_context(_intact(out)) from None


def _train_locked(args, spec_path: Path, spec: dict, text: str, out: Path, train: np.ndarray,
                  test: np.ndarray) -> int:
    if args.resume:
        trainer = resume_trainer(RBMTrainer.from_checkpoint, out, spec_path, text, not args.quiet)
    else:
        if out.exists() and not args.overwrite:
            raise UserError(f"output file {str(out)!r} exists; use --resume to continue it or --overwrite to replace it")
        trainer = _trainer(spec, out, not args.quiet, text)
    validation = test if len(test) else None
    try:
        trainer.fit(train, validation_data=validation, resume=args.resume)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if not args.quiet:
        scored = test if len(test) else train
        lines = [f"trained RBM {train.shape[1]} visible x {trainer.n_components} hidden, "
                 f"{trainer.method.upper()}-{trainer.k}, {trainer.epoch_} epochs on {len(train)} rows"]
        for name, values in trainer.history_.items():
            if name != "epoch":
                lines.append(f"  {name} (last epoch): {values[-1]:.6g}")
        if exact_is_feasible(trainer.rbm_):
            which = "test" if len(test) else "training"
            lines.append(f"  exact mean log-likelihood on {which} data: {trainer.score_samples(scored).mean():.6g} nats")
        lines.append(f"wrote {out}")
        print("\n".join(lines))
    return 0
