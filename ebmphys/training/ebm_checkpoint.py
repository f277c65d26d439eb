"""HDF5 checkpoints of an ``EBMTrainer`` run, written atomically.

Layout::

    /                    attrs: creator, creator_version, file_format, conventions, and any extra
                         attributes of the run (the CLI stores ``spec_toml`` there)
    /parameters          attrs: ``params_json`` (constructor parameters; the model as its description,
                         :func:`ebmphys.training.parameters.describe`)
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

import h5py
import numpy as np

from ebmphys import __version__
from ebmphys.exceptions import DamagedDataError, FileDataError
from ebmphys.storage.atomic import atomic_hdf5, create_dataset
from ebmphys.training.parameters import build, describe

FILE_FORMAT = "ebmphys-ebm-checkpoint-1"
CONVENTIONS = "p(x) = exp(-E_theta(x)) / Z_theta (beta = 1, k_B = 1); log-likelihoods in nats"
_PHASE_ARRAYS = ("walkers", "log_weights", "buffer")
_PHASE_SCALARS = ("sweep", "log_z_offset", "n_resamplings")
_OPTIMIZER_ARRAYS = ("velocity", "first_moment", "second_moment")


def _json_value(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


def checkpoint_params(trainer) -> dict:
    """Constructor parameters in JSON types; the model becomes its description, a RandomState the seed it gave."""
    params = {name: _json_value(value) for name, value in trainer.get_params(deep=False).items() if name != "model"}
    params["random_state"] = None if trainer.random_state is None else trainer.seed_
    params["monitors"] = list(trainer._monitor_names())
    return params


def save_ebm_checkpoint(path, trainer) -> None:
    """Write ``trainer`` (fitted) to an HDF5 checkpoint atomically (see the module docstring)."""
    model = trainer.model_
    state = trainer.training_state()
    arrays = {"model/theta": model._theta, "model/initial_theta": trainer.model._theta,
              "state/trainable": trainer.trainable_, "state/data_range": trainer.data_range_}
    arrays.update({f"state/optimizer/{name}": np.asarray(state["optimizer"][name]) for name in _OPTIMIZER_ARRAYS})
    arrays.update({f"state/phase/{name}": np.asarray(state["phase"][name]) for name in _PHASE_ARRAYS
                   if name in state["phase"]})
    arrays.update({f"history/{name}": np.asarray(values, dtype=np.float64)
                   for name, values in trainer.history_.items()})
    description = json.dumps({"params": checkpoint_params(trainer), "model": describe(trainer.model)}, sort_keys=True)

    def verify(g: h5py.File) -> None:
        for name, data in arrays.items():
            stored = g[name][()]
            if not np.array_equal(stored, data, equal_nan=stored.dtype.kind == "f"):
                raise ValueError(f"{name} does not hold the data written")

    with atomic_hdf5(path, verify=verify) as f:
        f.attrs["creator"] = "ebmphys"
        f.attrs["creator_version"] = __version__
        f.attrs["file_format"] = FILE_FORMAT
        f.attrs["conventions"] = CONVENTIONS
        for name, value in trainer.checkpoint_attrs.items():
            f.attrs[name] = value
        f.create_group("parameters").attrs["params_json"] = description
        for group in ("model", "state/optimizer", "state/phase", "history"):
            f.require_group(group)
        for name, data in arrays.items():
            create_dataset(f, name, data=data)
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


def _read(f: h5py.File, path, name: str) -> np.ndarray:
    try:
        return f[name][()]
    except KeyError:
        reason = "missing"
    except (OSError, RuntimeError) as exc:
        text = str(exc)
        reason = ("checksum mismatch (Fletcher-32)" if "filter returned failure" in text
                  else f"unreadable ({text.split('(')[0].strip()})")
    raise DamagedDataError(f"{path}: dataset {name} is damaged: {reason} (ebmphys inspect --verify lists all damage)",
                           path, [name], reason)


def is_ebm_checkpoint(path) -> bool:
    """True if ``path`` is an HDF5 file with this module's ``file_format``."""
    try:
        with h5py.File(path, "r") as f:
            return f.attrs.get("file_format") == FILE_FORMAT
    except OSError:
        return False


def verify_ebm_checkpoint(path) -> list[tuple[str, str]]:
    """Read every dataset; return (dataset, reason) for each damaged one (non-finite parameters included)."""
    damage = []
    with h5py.File(path, "r") as f:
        names = []
        f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
        for required in ("model/theta", "model/initial_theta", "state/trainable", "state/data_range"):
            if required not in names:
                damage.append((required, "missing"))
        for name in names:
            try:
                values = _read(f, path, name)
            except DamagedDataError as exc:
                damage.append((name, exc.reason))
                continue
            if name.startswith("model/") and not np.all(np.isfinite(values)):
                damage.append((name, "non-finite parameters"))
    return damage


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
    if not os.path.exists(path):
        raise FileNotFoundError(f"checkpoint {path!r} does not exist")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        reason = str(exc).split("(")[0].strip().rstrip(":") or type(exc).__name__
        raise FileDataError(f"{path} is not a readable HDF5 file (truncated or corrupt?): {reason}") from None
    with f:
        try:
            if f.attrs.get("file_format") != FILE_FORMAT:
                raise FileDataError(f"{path!r} is not an ebmphys EBM checkpoint (file_format != {FILE_FORMAT!r})")
            stored = json.loads(f["parameters"].attrs["params_json"])
            s = f["state"]
            phase = {name: _read(f, path, f"state/phase/{name}") for name in _PHASE_ARRAYS
                     if name in f["state/phase"]}
            for name in _PHASE_SCALARS:
                if name in f["state/phase"].attrs:
                    phase[name] = f["state/phase"].attrs[name].item()
            optimizer = {name: _read(f, path, f"state/optimizer/{name}") for name in _OPTIMIZER_ARRAYS}
            optimizer["n_steps"] = int(f["state/optimizer"].attrs["n_steps"])
            out = {
                "params": stored["params"], "model": stored["model"],
                "theta": _read(f, path, "model/theta"), "initial_theta": _read(f, path, "model/initial_theta"),
                "trainable": _read(f, path, "state/trainable"), "data_range": _read(f, path, "state/data_range"),
                "epoch": int(s.attrs["epoch"]), "update": int(s.attrs["update"]), "seed": int(s.attrs["seed"]),
                "data_sha256": str(s.attrs["data_sha256"]), "log_z0": float(s.attrs["log_z0"]),
                "nce_log_z": float(s.attrs["nce_log_z"]),
                "training_state": {"optimizer": optimizer, "phase": phase},
                "history": {name: _read(f, path, f"history/{name}").tolist() for name in f["history"]},
            }
            reserved = ("creator", "creator_version", "file_format", "conventions")
            out["attrs"] = {name: str(value) for name, value in f.attrs.items() if name not in reserved}
        except (KeyError, OSError, RuntimeError) as exc:
            raise FileDataError(f"{path} is damaged or incomplete: {exc}") from None
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
    trainer = cls(model=initial, **data["params"])
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
