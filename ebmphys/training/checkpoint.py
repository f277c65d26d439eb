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

A checkpoint is written to ``PATH.tmp`` and moved over ``PATH`` with
:func:`os.replace`, so a killed run leaves either the previous or the new file,
never a broken one.
"""

from __future__ import annotations

import json
import os

import h5py
import numpy as np

from ebmphys import __version__

FILE_FORMAT = "ebmphys-rbm-checkpoint-1"
CONVENTIONS = "E(v, h) = -b.v - c.h - v.W.h, units in {0, 1}; log-likelihoods in nats"
_STATE_ARRAYS = ("vel_W", "vel_b", "vel_c", "chains", "mu", "lam")
_STATE_SCALARS = ("epoch", "chain_step", "examples_seen")


def save_checkpoint(path, params: dict, model: dict, state: dict, history: dict, attrs: dict | None = None) -> None:
    """Write a checkpoint atomically (temporary file, then ``os.replace``).

    ``model`` maps W, b, c to arrays; ``state`` maps the names in the module
    docstring to arrays or scalars (``seed`` an int < 2**64, ``data_sha256`` a str);
    ``history`` maps monitor names to lists of floats; ``attrs`` (str values) are
    extra root attributes.
    """
    path = os.fspath(path)
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.attrs["creator"] = "ebmphys"
        f.attrs["creator_version"] = __version__
        f.attrs["file_format"] = FILE_FORMAT
        f.attrs["conventions"] = CONVENTIONS
        for name, value in (attrs or {}).items():
            f.attrs[name] = value
        f.create_group("parameters").attrs["params_json"] = json.dumps(params, sort_keys=True)
        g = f.create_group("model")
        for name in ("W", "b", "c"):
            g.create_dataset(name, data=model[name])
        s = f.create_group("state")
        for name in _STATE_ARRAYS:
            s.create_dataset(name, data=state[name])
        for name in _STATE_SCALARS:
            s.attrs[name] = np.int64(state[name])
        s.attrs["seed"] = np.uint64(state["seed"])
        s.attrs["data_sha256"] = state["data_sha256"]
        h = f.create_group("history")
        for name, values in history.items():
            h.create_dataset(name, data=np.asarray(values, dtype=np.float64))
    os.replace(tmp, path)


def load_checkpoint(path) -> tuple[dict, dict, dict, dict, dict]:
    """Read a checkpoint; return (params, model, state, history, attrs) as in :func:`save_checkpoint`.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not an ebmphys RBM checkpoint.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"checkpoint {path!r} does not exist")
    with h5py.File(path, "r") as f:
        if f.attrs.get("file_format") != FILE_FORMAT:
            raise ValueError(f"{path!r} is not an ebmphys RBM checkpoint (file_format != {FILE_FORMAT!r})")
        params = json.loads(f["parameters"].attrs["params_json"])
        model = {name: f["model"][name][()] for name in ("W", "b", "c")}
        s = f["state"]
        state = {name: s[name][()] for name in _STATE_ARRAYS}
        state.update({name: int(s.attrs[name]) for name in _STATE_SCALARS})
        state["seed"] = int(s.attrs["seed"])
        state["data_sha256"] = str(s.attrs["data_sha256"])
        history = {name: f["history"][name][()].tolist() for name in f["history"]}
        reserved = ("creator", "creator_version", "file_format", "conventions")
        attrs = {name: str(value) for name, value in f.attrs.items() if name not in reserved}
    return params, model, state, history, attrs
