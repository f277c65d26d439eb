"""Checks of trainer parameters and training data shared by the estimators (RBMTrainer, EBMTrainer, JEM).

Every check raises a one-line error that names the parameter and what is
allowed (``ValueError``, or ``TypeError`` for a value of the wrong kind), as
scikit-learn estimators do when ``fit`` validates the constructor's arguments.
"""

from __future__ import annotations

import hashlib
import numbers

import numpy as np
from sklearn.utils.validation import check_array, validate_data

from ebmphys.kernels.rng import resolve_seed
from ebmphys.models._validate import finite_real


def choice(name: str, value, allowed) -> None:
    """ValueError unless ``value`` is one of the strings ``allowed``."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")


def flag(name: str, value) -> None:
    """TypeError unless ``value`` is a Python or numpy bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")


def in_range(name: str, value, low: float, high: float, low_open: bool, high_open: bool) -> float:
    """``value`` as a finite float, checked to lie in the interval from ``low`` to ``high`` (open ends as flagged)."""
    value = finite_real(name, value)
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value}")
    return value


def positive(name: str, value) -> float:
    """``value`` as a finite float > 0."""
    value = finite_real(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return value


def resolve_random_state(random_state) -> int:
    """The 64-bit seed of a fit: the integer itself, fresh OS entropy for None, or a draw from a RandomState."""
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.uint64).max, dtype=np.uint64))
    if random_state is not None and (isinstance(random_state, (bool, np.bool_))
                                     or not isinstance(random_state, numbers.Integral)):
        raise TypeError(f"random_state must be an integer in [0, 2**64), a numpy RandomState or None, "
                        f"got {random_state!r}")
    try:
        return resolve_seed(random_state)
    except ValueError:
        raise ValueError(f"random_state must be an integer in [0, 2**64), a numpy RandomState or None, "
                         f"got {random_state}") from None


def fingerprint(X: np.ndarray) -> str:
    """sha256 of the rows and their shape (the training data of a run being resumed must be the same)."""
    return hashlib.sha256(np.ascontiguousarray(X).tobytes() + str(X.shape).encode()).hexdigest()


def real_rows(name: str, X, dim: int | None) -> np.ndarray:
    """Validated rows: a 2-D array of finite real numbers with ``dim`` columns, as float64 C order."""
    if np.ndim(X) != 2:
        raise ValueError(f"{name} must be a 2-D array (n_samples, n_features), got shape {np.shape(X)}")
    X = check_array(X, dtype=np.float64, ensure_all_finite=False, input_name=name, order="C")
    return _finite_rows(name, X, dim)


def estimator_rows(estimator, X, y="no_validation", *, reset: bool, dim: int | None = None):
    """Rows ``X`` (and labels ``y``) through scikit-learn's ``validate_data``, then :func:`real_rows`' checks.

    ``validate_data`` sets ``n_features_in_`` (and ``feature_names_in_``) when ``reset``, else
    checks ``X`` against them; it accepts any array-like, ravels a column vector ``y`` with
    a ``DataConversionWarning`` and refuses ``y=None`` when the estimator's tags require
    labels.  Returns float64 C-order rows with ``dim`` columns (if given), or (rows, y).
    """
    try:
        out = validate_data(estimator, X, y, reset=reset, dtype=np.float64, order="C", ensure_all_finite=False)
    except ValueError as exc:
        if str(exc).startswith("Expected 2D array"):        # sklearn's message spans lines: one line instead
            raise ValueError(f"X must be a 2-D array (n_samples, n_features), got shape {np.shape(np.asarray(X))}; "
                             f"Reshape your data: X.reshape(-1, 1) for one feature, X.reshape(1, -1) for one "
                             f"sample") from None
        raise
    if isinstance(y, str) and y == "no_validation":
        return _finite_rows("X", out, dim)
    return _finite_rows("X", out[0], dim), out[1]


def _finite_rows(name: str, X: np.ndarray, dim: int | None) -> np.ndarray:
    if not np.all(np.isfinite(X)):
        row = int(np.flatnonzero(~np.isfinite(X).all(axis=1))[0])
        raise ValueError(f"{name} contains NaN or infinite values (first in row {row})")
    if dim is not None and X.shape[1] != dim:
        raise ValueError(f"{name} has {X.shape[1]} features (columns), but the model has dim = {dim}")
    return X


def monitor_names(monitors) -> tuple:
    """The ``monitors`` parameter as a tuple of names (one string is one name)."""
    if isinstance(monitors, str):
        return (monitors,)
    try:
        return tuple(monitors)
    except TypeError:
        raise TypeError(f"monitors must be a sequence of monitor names, got {monitors!r}") from None
