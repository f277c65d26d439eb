"""What the ``ebmphys train`` commands of every model family share (:mod:`commands`, :mod:`ebm_commands`).

Reading a data file of rows, the train/test split of the [data] table, and the
checks of ``--resume`` (the output file exists, is intact, and was written from
the same spec).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ebmphys.exceptions import DamagedDataError, UserError


def read_rows(path: Path, source: str) -> np.ndarray:
    """The array of rows in the .npy or .npz file ``path`` (named ``data.source = source`` in the spec).

    An .npz file must hold one array or name the training array ``X``.
    """
    if not path.exists():
        raise UserError(f"data.source = {source!r}: file {str(path)!r} does not exist")
    loaded = np.load(path)
    if isinstance(loaded, np.lib.npyio.NpzFile):
        names = loaded.files
        X = loaded["X"] if "X" in names else loaded[names[0]] if len(names) == 1 else None
        if X is None:
            raise UserError(f"{path} holds several arrays {names}; name the training array 'X'")
    else:
        X = loaded
    return np.asarray(X)


def split_rows(X: np.ndarray, y, data: dict):
    """(X_train, X_test), or with labels ``y`` (X_train, X_test, y_train, y_test).

    A fraction ``data["test_fraction"]`` of the rows (rounded) is held out, chosen by
    a permutation from ``np.random.default_rng(data["split_seed"])``.
    """
    order = np.random.default_rng(data["split_seed"]).permutation(len(X))
    n_test = int(round(data["test_fraction"] * len(X)))
    train, test = order[n_test:], order[:n_test]
    if y is None:
        return X[train], X[test]
    return X[train], X[test], y[train], y[test]


def resume_trainer(load: Callable[[Path], object], out: Path, spec_path: Path, text: str, verbose: bool):
    """The trainer that ``--resume`` continues: ``load(out)`` (e.g. a trainer class's ``from_checkpoint``).

    Refuses (``UserError``) a missing output file and one written from another spec
    than ``text`` (the spec at ``spec_path``); a damaged one raises ``DamagedDataError``
    saying that the run cannot continue from it.  The trainer then writes its
    checkpoints to ``out`` and shows progress when ``verbose``.
    """
    if not out.exists():
        raise UserError(f"--resume: output file {str(out)!r} does not exist (run without --resume first)")
    try:
        trainer = load(out)
    except DamagedDataError as exc:
        raise DamagedDataError(f"--resume: {exc}; the run cannot continue from it: start again with --overwrite",
                               exc.path, exc.datasets, exc.reason) from None
    if trainer.checkpoint_attrs.get("spec_toml") != text:
        raise UserError(f"--resume: {spec_path} differs from the spec stored in {out}; "
                        f"use --overwrite to start a new run")
    trainer.set_params(verbose=verbose, checkpoint_path=out)
    return trainer
