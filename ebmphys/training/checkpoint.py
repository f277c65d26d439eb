"""HDF5 checkpoints of an RBM training run, written atomically.

Layout::

    /                 attrs: creator, creator_version, file_format, conventions, and any
                      extra attributes of the run (the CLI stores ``spec_toml`` there)
    /parameters       attrs: trainer parameters as JSON (``params_json``)
    /model            W (n_visible, n_hidden), b (n_visible,), c (n_hidden,)   float64
    /state            vel_W, vel_b, vel_c (momentum), chains (uint8 hidden states of
                      the persistent chains), mu, lam (centring offsets);
                      attrs epoch, chain_step, examples_seen, seed, data_sha256
    /history/<name>   one float64 value per epoch (``epoch`` holds the epoch numbers)

Every dataset carries HDF5's Fletcher-32 checksum.  A checkpoint is written
with :func:`ebmphys.storage.atomic.atomic_hdf5`: into ``PATH.tmp``, read back,
then moved over ``PATH`` with :func:`os.replace`, so a killed run leaves either
the previous or the new file, never a broken one, and a failed write (no space
left, quota, I/O error) raises :class:`ebmphys.exceptions.WriteError` and leaves
the previous checkpoint.  :func:`load_checkpoint` raises
:class:`ebmphys.exceptions.DamagedDataError` naming any dataset that fails its
checksum or is missing.
"""

from __future__ import annotations

import json
import os

import h5py
import numpy as np

from ebmphys.training.checkpoint_io import (
    dataset_damage,
    extra_attrs,
    read_checkpoint,
    read_dataset,
    write_checkpoint,
)

FILE_FORMAT = "ebmphys-rbm-checkpoint-1"
CONVENTIONS = "E(v, h) = -b.v - c.h - v.W.h, units in {0, 1}; log-likelihoods in nats"
_STATE_ARRAYS = ("vel_W", "vel_b", "vel_c", "chains", "mu", "lam")
_STATE_SCALARS = ("epoch", "chain_step", "examples_seen")


def save_checkpoint(path, params: dict, model: dict, state: dict, history: dict, attrs: dict | None = None) -> None:
    """Write a checkpoint atomically (temporary file, then ``os.replace``).

    ``model`` maps W, b, c to arrays; ``state`` maps the names in the module
    docstring to arrays or scalars (``seed`` an int < 2**64, ``data_sha256`` a str);
    ``history`` maps monitor names to lists of floats; ``attrs`` (str values) are
    extra root attributes.  A symbolic link at ``path`` is resolved (its target is
    replaced).

    Raises
    ------
    ebmphys.exceptions.WriteError
        If the write fails (no space left, quota, I/O error); the previous
        checkpoint at ``path`` is left as it was.
    """
    arrays = {f"model/{name}": np.asarray(model[name]) for name in ("W", "b", "c")}
    arrays.update({f"state/{name}": np.asarray(state[name]) for name in _STATE_ARRAYS})
    arrays.update({f"history/{name}": np.asarray(values, dtype=np.float64) for name, values in history.items()})

    with write_checkpoint(path, file_format=FILE_FORMAT, conventions=CONVENTIONS, attrs=attrs or {},
                          params_json=json.dumps(params, sort_keys=True), groups=("model", "state", "history"),
                          arrays=arrays) as f:
        s = f["state"]
        for name in _STATE_SCALARS:
            s.attrs[name] = np.int64(state[name])
        s.attrs["seed"] = np.uint64(state["seed"])
        s.attrs["data_sha256"] = state["data_sha256"]


def verify_checkpoint(path) -> list[tuple[str, str]]:
    """Read every dataset of a checkpoint; return (dataset, reason) for each damaged or missing one."""
    damage = []
    with h5py.File(path, "r") as f:
        names = [f"model/{n}" for n in ("W", "b", "c")] + [f"state/{n}" for n in _STATE_ARRAYS]
        if "history" in f:
            names += [f"history/{n}" for n in f["history"]]
        else:
            damage.append(("history", "missing"))
        damage += dataset_damage(f, path, names)
    return damage


def load_checkpoint(path) -> tuple[dict, dict, dict, dict, dict]:
    """Read a checkpoint; return (params, model, state, history, attrs) as in :func:`save_checkpoint`.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ebmphys.exceptions.FileDataError
        (a ``ValueError``) if the file is not a readable ebmphys RBM checkpoint;
        :class:`ebmphys.exceptions.DamagedDataError` names a dataset that fails its
        checksum or is missing.
    """
    path = os.fspath(path)
    with read_checkpoint(path, file_format=FILE_FORMAT, what="RBM") as f:
        params = json.loads(f["parameters"].attrs["params_json"])
        model = {name: read_dataset(f, path, f"model/{name}") for name in ("W", "b", "c")}
        s = f["state"]
        state = {name: read_dataset(f, path, f"state/{name}") for name in _STATE_ARRAYS}
        state.update({name: int(s.attrs[name]) for name in _STATE_SCALARS})
        state["seed"] = int(s.attrs["seed"])
        state["data_sha256"] = str(s.attrs["data_sha256"])
        history = {name: read_dataset(f, path, f"history/{name}").tolist() for name in f["history"]}
        attrs = extra_attrs(f)
    return params, model, state, history, attrs
