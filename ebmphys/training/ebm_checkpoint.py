"""HDF5 checkpoints of an ``EBMTrainer`` run, written atomically.

Layout::

    /                    attrs: creator, creator_version, file_format, conventions, and any extra
                         attributes of the run (the CLI stores ``spec_toml`` there)
    /parameters          attrs: ``params_json`` (constructor parameters; the initial model as its
                         description, :func:`ebmphys.training.parameters.describe`, and
                         ``default_model``: true when ``model=None`` chose it)
    /model               theta (the trained parameters), initial_theta (those of the ``model`` parameter)
    /state               trainable, data_range; attrs epoch, update, seed, data_sha256, log_z0 (NaN if
                         none), nce_log_z (NaN if not NCE)
    /state/optimizer     velocity, first_moment, second_moment; attr n_steps
    /state/phase         the negative phase: walkers, log_weights, buffer (those it has); attrs sweep,
                         log_z_offset, n_resamplings (those it has)
    /history/<name>      one float64 value per monitored epoch ("epoch" and "update" hold the counters)

Every dataset carries HDF5's Fletcher-32 checksum; the file is written with
:func:`ebmphys.storage.atomic.atomic_hdf5` (temporary file, read back, then
``os.replace``), so a killed run leaves the previous or the new checkpoint, and a
failed write raises :class:`ebmphys.exceptions.WriteError` leaving the previous
one.  :func:`load_ebm_checkpoint` names any damaged or missing dataset
(:class:`ebmphys.exceptions.DamagedDataError`).
"""

from __future__ import annotations

import copy
import json
import os

import numpy as np

from ebmphys.training.checkpoint_io import (
    checkpoint_damage,
    extra_attrs,
    has_file_format,
    json_value,
    read_checkpoint,
    read_dataset,
    write_checkpoint,
)
from ebmphys.training.parameters import build, describe

FILE_FORMAT = "ebmphys-ebm-checkpoint-1"
CONVENTIONS = "p(x) = exp(-E_theta(x)) / Z_theta (beta = 1, k_B = 1); log-likelihoods in nats"
_PHASE_ARRAYS = ("walkers", "log_weights", "buffer")
_PHASE_SCALARS = ("sweep", "log_z_offset", "n_resamplings")
_OPTIMIZER_ARRAYS = ("velocity", "first_moment", "second_moment")


def checkpoint_params(trainer) -> dict:
    """Constructor parameters in JSON types; the model becomes its description, a RandomState the seed it gave."""
    params = {name: json_value(value) for name, value in trainer.get_params(deep=False).items() if name != "model"}
    params["random_state"] = None if trainer.random_state is None else trainer.seed_
    params["monitors"] = list(trainer._monitor_names())
    return params


def save_ebm_checkpoint(path, trainer) -> None:
    """Write ``trainer`` (fitted) to an HDF5 checkpoint atomically (see the module docstring)."""
    model = trainer.model_
    initial = trainer._initial_model(trainer.n_features_in_)
    state = trainer.training_state()
    arrays = {"model/theta": model._theta, "model/initial_theta": initial._theta,
              "state/trainable": trainer.trainable_, "state/data_range": trainer.data_range_}
    arrays.update({f"state/optimizer/{name}": np.asarray(state["optimizer"][name]) for name in _OPTIMIZER_ARRAYS})
    arrays.update({f"state/phase/{name}": np.asarray(state["phase"][name]) for name in _PHASE_ARRAYS
                   if name in state["phase"]})
    arrays.update({f"history/{name}": np.asarray(values, dtype=np.float64)
                   for name, values in trainer.history_.items()})
    description = json.dumps({"params": checkpoint_params(trainer), "model": describe(initial),
                              "default_model": trainer.model is None}, sort_keys=True)

    with write_checkpoint(path, file_format=FILE_FORMAT, conventions=CONVENTIONS, attrs=trainer.checkpoint_attrs,
                          params_json=description, groups=("model", "state/optimizer", "state/phase", "history"),
                          arrays=arrays) as f:
        s = f["state"]
        s.attrs["epoch"] = np.int64(trainer.epoch_)
        s.attrs["update"] = np.int64(trainer.update_)
        s.attrs["seed"] = np.uint64(trainer.seed_)
        s.attrs["data_sha256"] = trainer._data_sha256
        s.attrs["log_z0"] = np.nan if trainer._log_z0 is None else float(trainer._log_z0)
        s.attrs["nce_log_z"] = float(getattr(trainer, "nce_log_z_", np.nan))
        f["state/optimizer"].attrs["n_steps"] = np.int64(state["optimizer"]["n_steps"])
        for name in _PHASE_SCALARS:
            if name in state["phase"]:
                f["state/phase"].attrs[name] = state["phase"][name]


def is_ebm_checkpoint(path) -> bool:
    """True if ``path`` is an HDF5 file with this module's ``file_format``."""
    return has_file_format(path, FILE_FORMAT)


def verify_ebm_checkpoint(path) -> list[tuple[str, str]]:
    """Read every dataset; return (dataset, reason) for each damaged one (non-finite parameters included)."""
    return checkpoint_damage(path, required=("model/theta", "model/initial_theta", "state/trainable",
                                              "state/data_range"))


def read_ebm_checkpoint(path) -> dict:
    """Everything a checkpoint holds: params, model description, theta, initial_theta, state, history, attrs.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ebmphys.exceptions.FileDataError
        If it is not a readable ebmphys EBM checkpoint; ``DamagedDataError`` names a
        damaged or missing dataset.
    """
    path = os.fspath(path)
    with read_checkpoint(path, file_format=FILE_FORMAT, what="EBM") as f:
        stored = json.loads(f["parameters"].attrs["params_json"])
        s = f["state"]
        phase = {name: read_dataset(f, path, f"state/phase/{name}") for name in _PHASE_ARRAYS
                 if name in f["state/phase"]}
        for name in _PHASE_SCALARS:
            if name in f["state/phase"].attrs:
                phase[name] = f["state/phase"].attrs[name].item()
        optimizer = {name: read_dataset(f, path, f"state/optimizer/{name}") for name in _OPTIMIZER_ARRAYS}
        optimizer["n_steps"] = int(f["state/optimizer"].attrs["n_steps"])
        out = {
            "params": stored["params"], "model": stored["model"],
            "default_model": bool(stored.get("default_model", False)),
            "theta": read_dataset(f, path, "model/theta"),
            "initial_theta": read_dataset(f, path, "model/initial_theta"),
            "trainable": read_dataset(f, path, "state/trainable"),
            "data_range": read_dataset(f, path, "state/data_range"),
            "epoch": int(s.attrs["epoch"]), "update": int(s.attrs["update"]), "seed": int(s.attrs["seed"]),
            "data_sha256": str(s.attrs["data_sha256"]), "log_z0": float(s.attrs["log_z0"]),
            "nce_log_z": float(s.attrs["nce_log_z"]),
            "training_state": {"optimizer": optimizer, "phase": phase},
            "history": {name: read_dataset(f, path, f"history/{name}").tolist() for name in f["history"]},
        }
        out["attrs"] = extra_attrs(f)
    return out


def load_ebm_checkpoint(cls, path, model=None):
    """A trainer of class ``cls`` restored from ``path`` (continue it with ``fit(X, resume=True)``).

    ``model``: the initial model, needed when the checkpoint's model is a user's
    ``ContinuousEBM`` (its functions are not stored); it must have the stored dimension
    and number of parameters.
    """
    data = read_ebm_checkpoint(path)
    description = data["model"]
    if model is None:
        initial = build(description, data["initial_theta"])
    else:
        if model.dim != description.get("dim", model.dim) or model._theta.shape != data["theta"].shape:
            raise ValueError(f"model does not match the checkpoint's model {description} (dimension or number of "
                             f"parameters differ)")
        initial = model
    trainer = cls(model=None if data["default_model"] and model is None else initial, **data["params"])
    trained = build(description, data["theta"]) if model is None else _with_theta(model, data["theta"])
    history = {name: (list(map(int, values)) if name in ("epoch", "update") else values)
               for name, values in data["history"].items()}
    trainer.model_ = trained
    trainer.n_features_in_ = trained.dim
    trainer.seed_ = data["seed"]
    trainer.epoch_ = data["epoch"]
    trainer.update_ = data["update"]
    trainer.history_ = history
    trainer.log_z_estimate_ = None
    trainer.trainable_ = np.asarray(data["trainable"], dtype=np.int64)
    trainer.data_range_ = np.asarray(data["data_range"], dtype=np.float64)
    trainer._data_sha256 = data["data_sha256"]
    trainer._log_z0 = None if np.isnan(data["log_z0"]) else data["log_z0"]
    if not np.isnan(data["nce_log_z"]):
        trainer.nce_log_z_ = data["nce_log_z"]
    trainer._state = data["training_state"]
    trainer.checkpoint_attrs = data["attrs"]
    return trainer


def _with_theta(model, theta):
    out = copy.copy(model)
    out._theta = np.array(theta, dtype=np.float64)
    return out
