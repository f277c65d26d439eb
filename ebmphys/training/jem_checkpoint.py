"""HDF5 checkpoints of a ``JEMClassifier`` run, written atomically.

Layout::

    /                    attrs: creator, creator_version, file_format, conventions, and any extra
                         attributes of the run (the CLI stores ``spec_toml`` there)
    /parameters          attrs: ``params_json`` (constructor parameters, the network's description
                         :func:`ebmphys.training.parameters.describe`, and ``classes_`` with its dtype)
    /model               theta (the trained weights of the SoftmaxMLP)
    /state               attrs epoch, update, seed, data_sha256 (of X and the class indices of y)
    /state/optimizer     velocity, first_moment, second_moment; attr n_steps
    /state/phase         buffer (the SGLD replay buffer; generative training only); attr sweep
    /history/<name>      one float64 value per epoch ("epoch" holds the epoch numbers)

The file is written and read with the helpers of :mod:`ebmphys.training.checkpoint_io`
(the ones :mod:`ebmphys.training.ebm_checkpoint` uses): every dataset carries HDF5's
Fletcher-32 checksum, the file is written with :func:`ebmphys.storage.atomic.atomic_hdf5`
(temporary file, read back, then ``os.replace``), so a killed run leaves the previous or
the new checkpoint, and :func:`load_jem_checkpoint` refuses a damaged or incomplete file
with one line (:class:`ebmphys.exceptions.DamagedDataError` naming the dataset, or
:class:`ebmphys.exceptions.FileDataError`).
"""

from __future__ import annotations

import json
import os

import numpy as np

from ebmphys.exceptions import DamagedDataError
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

FILE_FORMAT = "ebmphys-jem-checkpoint-1"
CONVENTIONS = "E(x) = -logsumexp_y f(x)[y], p(y | x) = softmax(f(x)) (beta = 1, k_B = 1)"
_OPTIMIZER_ARRAYS = ("velocity", "first_moment", "second_moment")


def checkpoint_params(clf) -> dict:
    """Constructor parameters in JSON types; a RandomState becomes the seed it gave (``seed_``)."""
    params = {name: json_value(value) for name, value in clf.get_params(deep=False).items()}
    params["random_state"] = None if clf.random_state is None else clf.seed_
    return params


def save_jem_checkpoint(path, clf) -> None:
    """Write the fitted ``clf`` to an HDF5 checkpoint atomically (see the module docstring)."""
    state = clf.training_state()
    arrays = {"model/theta": clf.model_._theta}
    arrays.update({f"state/optimizer/{name}": np.asarray(state["optimizer"][name]) for name in _OPTIMIZER_ARRAYS})
    if "buffer" in state["phase"]:
        arrays["state/phase/buffer"] = np.asarray(state["phase"]["buffer"])
    arrays.update({f"history/{name}": np.asarray(values, dtype=np.float64) for name, values in clf.history_.items()})
    classes = {"values": clf.classes_.tolist(), "dtype": clf.classes_.dtype.str}
    description = json.dumps({"params": checkpoint_params(clf), "model": describe(clf.model_), "classes": classes},
                             sort_keys=True)
    with write_checkpoint(path, file_format=FILE_FORMAT, conventions=CONVENTIONS, attrs=clf.checkpoint_attrs,
                          params_json=description, groups=("model", "state/optimizer", "state/phase", "history"),
                          arrays=arrays) as f:
        s = f["state"]
        s.attrs["epoch"] = np.int64(clf.epoch_)
        s.attrs["update"] = np.int64(clf.update_)
        s.attrs["seed"] = np.uint64(clf.seed_)
        s.attrs["data_sha256"] = clf._data_sha256
        f["state/optimizer"].attrs["n_steps"] = np.int64(state["optimizer"]["n_steps"])
        if "sweep" in state["phase"]:
            f["state/phase"].attrs["sweep"] = np.int64(state["phase"]["sweep"])


def is_jem_checkpoint(path) -> bool:
    """True if ``path`` is an HDF5 file with this module's ``file_format``."""
    return has_file_format(path, FILE_FORMAT)


def verify_jem_checkpoint(path) -> list[tuple[str, str]]:
    """Read every dataset; return (dataset, reason) for each damaged one (non-finite weights included)."""
    return checkpoint_damage(path, required=("model/theta",))


def read_jem_checkpoint(path) -> dict:
    """Everything a checkpoint holds: params, model description, classes, theta, state, history, attrs.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ebmphys.exceptions.FileDataError
        If it is not a readable ebmphys JEM checkpoint; ``DamagedDataError`` names a
        damaged or missing dataset.
    """
    path = os.fspath(path)
    with read_checkpoint(path, file_format=FILE_FORMAT, what="JEM") as f:
        stored = json.loads(f["parameters"].attrs["params_json"])
        s = f["state"]
        phase = {}
        if "buffer" in f["state/phase"]:
            phase["buffer"] = read_dataset(f, path, "state/phase/buffer")
        if "sweep" in f["state/phase"].attrs:
            phase["sweep"] = int(f["state/phase"].attrs["sweep"])
        optimizer = {name: read_dataset(f, path, f"state/optimizer/{name}") for name in _OPTIMIZER_ARRAYS}
        optimizer["n_steps"] = int(f["state/optimizer"].attrs["n_steps"])
        theta = read_dataset(f, path, "model/theta")
        if not np.all(np.isfinite(theta)):
            raise DamagedDataError(f"{path}: dataset model/theta is damaged: non-finite parameters",
                                   path, ["model/theta"], "non-finite parameters")
        out = {
            "params": stored["params"], "model": stored["model"], "classes": stored["classes"], "theta": theta,
            "epoch": int(s.attrs["epoch"]), "update": int(s.attrs["update"]), "seed": int(s.attrs["seed"]),
            "data_sha256": str(s.attrs["data_sha256"]),
            "training_state": {"optimizer": optimizer, "phase": phase},
            "history": {name: read_dataset(f, path, f"history/{name}").tolist() for name in f["history"]},
        }
        out["attrs"] = extra_attrs(f)
    return out


def load_jem_checkpoint(cls, path):
    """A classifier of class ``cls`` restored from ``path`` (continue it with ``fit(X, y, resume=True)``)."""
    data = read_jem_checkpoint(path)
    params = dict(data["params"])
    if isinstance(params["hidden_layer_sizes"], list):
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    clf = cls(**params)
    model = build(data["model"], data["theta"])
    classes = data["classes"]
    clf.classes_ = np.asarray(classes["values"], dtype=np.dtype(classes["dtype"]))
    clf.model_ = model
    clf.n_features_in_ = model.dim
    clf.seed_ = data["seed"]
    clf.epoch_ = data["epoch"]
    clf.update_ = data["update"]
    clf.history_ = {name: (list(map(int, values)) if name == "epoch" else values)
                    for name, values in data["history"].items()}
    clf.replay_buffer_ = data["training_state"]["phase"].get("buffer")
    clf._data_sha256 = data["data_sha256"]
    clf._state = data["training_state"]
    clf.checkpoint_attrs = data["attrs"]
    return clf
