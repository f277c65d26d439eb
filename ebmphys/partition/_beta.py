"""Validation of inverse temperatures shared by the partition-function modules."""

from __future__ import annotations

import numpy as np


def beta_array(beta, name: str = "beta") -> np.ndarray:
    """Return ``beta`` as a float64 array of its own shape, raising unless every entry is finite and >= 0."""
    b = np.asarray(beta)
    if b.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a finite real number >= 0 or an array of them, got {beta!r}")
    b = b.astype(np.float64)
    bad = ~(np.isfinite(b) & (b >= 0))
    if np.any(bad):
        raise ValueError(f"{name} must be finite and >= 0, got {b[bad].ravel()[0]}")
    return b
