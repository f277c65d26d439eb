"""Input validation shared by the analysis modules (messages name the parameter)."""

from __future__ import annotations

import numpy as np

from ebmphys.models._validate import finite_real, positive_int


def time_series(name: str, x, min_length: int = 2) -> np.ndarray:
    """Validate a time series; return it as float64 of shape (n_chains, n_samples).

    ``x`` has shape (n_samples,) (one chain) or (n_chains, n_samples), real
    entries, all finite, and at least ``min_length`` samples per chain.
    """
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real array, got dtype {arr.dtype}")
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name} must have shape (n_samples,) or (n_chains, n_samples), got {arr.shape}")
    arr = np.atleast_2d(arr).astype(np.float64)
    if arr.shape[0] < 1 or arr.shape[1] < min_length:
        raise ValueError(
            f"{name} must have at least 1 chain and at least {min_length} samples per chain, got shape {np.shape(x)}"
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} must contain only finite values; found {arr[where]} at (chain, step) {where}")
    return arr


def same_shape(names: list[str], arrays: list[np.ndarray]) -> None:
    """Raise a ValueError naming the arrays when their shapes differ."""
    shapes = [a.shape for a in arrays]
    if any(s != shapes[0] for s in shapes):
        listed = ", ".join(f"{n} {s}" for n, s in zip(names, shapes))
        raise ValueError(f"{', '.join(names)} must have the same shape, got {listed}")


def beta_value(name: str, beta) -> float:
    """A single inverse temperature: finite and >= 0."""
    b = finite_real(name, beta)
    if b < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {b}")
    return b


def real_vector(name: str, values, min_length: int = 1) -> np.ndarray:
    """A 1D float64 array of finite real numbers with at least ``min_length`` entries."""
    arr = np.asarray(values)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a 1D array of real numbers, got dtype {arr.dtype}")
    if arr.ndim != 1 or arr.size < min_length:
        raise ValueError(f"{name} must be a 1D array with at least {min_length} entries, got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values, got {arr}")
    return arr


def beta_grid(name: str, betas, min_length: int = 1, increasing: bool = False) -> np.ndarray:
    """A 1D array of inverse temperatures >= 0, strictly increasing when ``increasing``."""
    b = real_vector(name, np.atleast_1d(np.asarray(betas)), min_length)
    if np.any(b < 0):
        raise ValueError(f"{name} must be >= 0, got {b}")
    if increasing and np.any(np.diff(b) <= 0):
        raise ValueError(f"{name} must be strictly increasing, got {b}")
    return b


def positive_errors(name: str, errors, shape: tuple) -> np.ndarray:
    """Standard errors: finite, > 0, and of the given shape."""
    e = np.asarray(errors)
    if e.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an array of real numbers, got dtype {e.dtype}")
    if e.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {e.shape}")
    e = e.astype(np.float64)
    if not np.all(np.isfinite(e)) or np.any(e <= 0):
        raise ValueError(f"{name} must be finite and > 0, got {e}")
    return e


__all__ = [
    "beta_grid",
    "beta_value",
    "finite_real",
    "positive_errors",
    "positive_int",
    "real_vector",
    "same_shape",
    "time_series",
]
