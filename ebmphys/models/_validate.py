"""Validation helpers shared by the model classes (messages name the parameter)."""

import numbers

import numpy as np


def finite_real(name: str, value) -> float:
    """Return ``value`` as a float, raising if it is not a finite real number."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a finite real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value}")
    return value


def positive_int(name: str, value, minimum: int = 1) -> int:
    """Return ``value`` as an int, raising unless it is an integer >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return value


def spin_states(name: str, states, n_spins: int, site_shape: tuple) -> np.ndarray:
    """Validate a batch of Ising configurations; return an int8 array of shape (batch, n_spins).

    ``states`` must have dtype int8 and shape ``(*batch, *site_shape)`` or
    ``(*batch, n_spins)`` with entries in {-1, +1}.
    """
    states = np.asarray(states)
    if states.dtype != np.int8:
        raise TypeError(f"{name} must have dtype int8 with entries in {{-1, +1}}, got dtype {states.dtype}")
    nd = len(site_shape)
    if states.ndim >= nd and states.shape[states.ndim - nd :] == tuple(site_shape):
        batch = states.shape[: states.ndim - nd]
    elif states.ndim >= 1 and states.shape[-1] == n_spins:
        batch = states.shape[:-1]
    else:
        raise ValueError(
            f"{name} must have shape (..., {', '.join(map(str, site_shape))}) or (..., {n_spins}), "
            f"got {states.shape}"
        )
    flat = states.reshape(batch + (n_spins,))
    if flat.size and not np.all(np.abs(flat) == 1):
        raise ValueError(f"{name} entries must be -1 or +1")
    return flat
