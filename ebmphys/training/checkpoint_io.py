"""HDF5 plumbing shared by the training checkpoints (:mod:`checkpoint` for RBMs, :mod:`ebm_checkpoint`).

A checkpoint file has root attributes ``creator``, ``creator_version``,
``file_format``, ``conventions`` and any extra attributes of the run, the group
``/parameters`` with the attribute ``params_json``, and datasets that each carry
HDF5's Fletcher-32 checksum.  :func:`write_checkpoint` writes one atomically
(:func:`ebmphys.storage.atomic.atomic_hdf5`: temporary file, read back, then
``os.replace``); :func:`read_checkpoint` opens one for reading with one-line
errors, :func:`read_dataset` names a damaged or missing dataset and
:func:`dataset_damage` lists them all.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator

import h5py
import numpy as np

from ebmphys import __version__
from ebmphys.exceptions import DamagedDataError, FileDataError
from ebmphys.storage.atomic import atomic_hdf5, create_dataset

#: root attributes every checkpoint has; the others are the run's own (:func:`extra_attrs`)
RESERVED_ATTRS = ("creator", "creator_version", "file_format", "conventions")


class CheckpointAttrs:
    """Mixin of the trainers: ``checkpoint_attrs``, a dict of extra root attributes (str values) written
    into every checkpoint (the CLI stores ``spec_toml`` there); empty until set, copied when set; and
    the one rule for when a fit saves its checkpoint."""

    @property
    def checkpoint_attrs(self) -> dict:
        return self.__dict__.setdefault("_checkpoint_attrs", {})

    @checkpoint_attrs.setter
    def checkpoint_attrs(self, value: dict) -> None:
        self._checkpoint_attrs = dict(value)

    def _checkpoint_if_due(self) -> None:
        """Save to ``checkpoint_path`` (if set) after every ``checkpoint_every``-th epoch and the last one."""
        if self.checkpoint_path is not None and (self.epoch_ % int(self.checkpoint_every) == 0
                                                 or self.epoch_ == self.n_iter):
            self.save(self.checkpoint_path)


@contextlib.contextmanager
def write_checkpoint(path, *, file_format: str, conventions: str, attrs: dict, params_json: str,
                     groups: Iterable[str], arrays: dict[str, np.ndarray]) -> Iterator[h5py.File]:
    """Write a checkpoint atomically; yields the open file for the caller's own attributes.

    Writes the root attributes (``attrs``: extra str values), ``/parameters``, the
    ``groups`` (created with their parents) and every dataset of ``arrays`` (HDF5
    path -> array); on leaving, every dataset is read back and compared before the
    file replaces ``path``.

    Raises
    ------
    ebmphys.exceptions.WriteError
        If the write fails; the previous file at ``path`` is left as it was.
    """
    def verify(g: h5py.File) -> None:
        for name, data in arrays.items():
            stored = g[name][()]
            if not np.array_equal(stored, data, equal_nan=stored.dtype.kind == "f"):
                raise ValueError(f"{name} does not hold the data written")

    with atomic_hdf5(path, verify=verify) as f:
        f.attrs["creator"] = "ebmphys"
        f.attrs["creator_version"] = __version__
        f.attrs["file_format"] = file_format
        f.attrs["conventions"] = conventions
        for name, value in attrs.items():
            f.attrs[name] = value
        f.create_group("parameters").attrs["params_json"] = params_json
        for group in groups:
            f.require_group(group)
        for name, data in arrays.items():
            create_dataset(f, name, data=data)
        yield f


@contextlib.contextmanager
def read_checkpoint(path, *, file_format: str, what: str) -> Iterator[h5py.File]:
    """Open the checkpoint at ``path`` (a ``what`` checkpoint, e.g. "RBM") for reading.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ebmphys.exceptions.FileDataError
        If it is not a readable HDF5 file, has another ``file_format``, or a read in
        the ``with`` body meets a missing key or an HDF5 error ("damaged or incomplete").
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
            if f.attrs.get("file_format") != file_format:
                raise FileDataError(f"{path!r} is not an ebmphys {what} checkpoint (file_format != {file_format!r})")
            yield f
        except (KeyError, OSError, RuntimeError) as exc:
            raise FileDataError(f"{path} is damaged or incomplete: {exc}") from None


def json_value(value):
    """A constructor parameter in JSON types: numpy scalars and arrays, paths and sequences converted."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return value


def extra_attrs(f: h5py.File) -> dict[str, str]:
    """The run's own root attributes (all but :data:`RESERVED_ATTRS`), as str."""
    return {name: str(value) for name, value in f.attrs.items() if name not in RESERVED_ATTRS}


def read_dataset(f: h5py.File, path, name: str) -> np.ndarray:
    """The dataset ``name`` of the open file ``f`` (stored at ``path``).

    Raises
    ------
    ebmphys.exceptions.DamagedDataError
        If it is missing, fails its Fletcher-32 checksum or cannot be read.
    """
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


def dataset_damage(f: h5py.File, path, names: Iterable[str]) -> list[tuple[str, str]]:
    """(dataset, reason) for each of ``names`` that is damaged, or, under ``model/``, holds non-finite values."""
    damage = []
    for name in names:
        try:
            values = read_dataset(f, path, name)
        except DamagedDataError as exc:
            damage.append((name, exc.reason))
            continue
        if values.dtype.kind == "f" and name.startswith("model/") and not np.all(np.isfinite(values)):
            damage.append((name, "non-finite parameters"))
    return damage


def has_file_format(path, file_format: str) -> bool:
    """True if ``path`` is a readable HDF5 file whose ``file_format`` attribute is ``file_format``."""
    try:
        with h5py.File(path, "r") as f:
            return f.attrs.get("file_format") == file_format
    except OSError:
        return False


def checkpoint_damage(path, required: Iterable[str]) -> list[tuple[str, str]]:
    """Read every dataset of the file at ``path``: (dataset, reason) for each of ``required`` that is
    missing, then for each damaged dataset (:func:`dataset_damage`)."""
    with h5py.File(path, "r") as f:
        names = []
        f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
        missing = [(name, "missing") for name in required if name not in names]
        return missing + dataset_damage(f, path, names)
