"""Annealing schedules: increasing inverse temperatures from 0 to a target beta.

A schedule of ``n_steps`` steps is an array ``betas[0] = 0 < betas[1] < ... <
betas[n_steps] = beta`` (k_B = 1); AIS makes one weight update and one
transition per step, so it visits ``n_steps - 1`` intermediate distributions
between the base (beta = 0) and the target.

* ``linear``: equal steps in beta.
* ``geometric``: 0, then geometric spacing from ``beta * GEOMETRIC_START`` to beta
  (dense near the base, where a uniform start meets a slowly varying density).
* ``sigmoid``: beta * (s(t) - s(0)) / (s(1) - s(0)) with s(t) = sigmoid(delta (2t - 1)),
  t in [0, 1] equally spaced (Grosse, Maddison and Salakhutdinov 2013); dense at both ends.
* ``adaptive``: equal steps of estimated thermodynamic length, from a pilot run
  (:func:`ebmphys.partition.ais.adaptive_schedule`; :func:`equal_length_schedule` here).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ebmphys.models._validate import positive_int

SCHEDULES = ("linear", "geometric", "sigmoid", "adaptive")
#: first nonzero inverse temperature of a geometric schedule, as a fraction of the target
GEOMETRIC_START = 1e-3
#: steepness delta of the sigmoid schedule
SIGMOID_DELTA = 4.0


def linear(beta: float, n_steps: int) -> np.ndarray:
    """``n_steps + 1`` equally spaced inverse temperatures from 0 to ``beta``."""
    return np.linspace(0.0, beta, positive_int("n_steps", n_steps) + 1)


def geometric(beta: float, n_steps: int) -> np.ndarray:
    """0 followed by ``n_steps`` geometrically spaced values from ``beta * GEOMETRIC_START`` to ``beta``."""
    n_steps = positive_int("n_steps", n_steps)
    if n_steps == 1:
        return np.array([0.0, beta])
    return np.concatenate([[0.0], np.geomspace(beta * GEOMETRIC_START, beta, n_steps)])


def sigmoid(beta: float, n_steps: int, delta: float = SIGMOID_DELTA) -> np.ndarray:
    """Sigmoid schedule of ``n_steps`` steps (see the module docstring), exactly 0 and ``beta`` at the ends."""
    t = np.linspace(0.0, 1.0, positive_int("n_steps", n_steps) + 1)
    s = expit(delta * (2.0 * t - 1.0))
    out = beta * (s - s[0]) / (s[-1] - s[0])
    out[0], out[-1] = 0.0, beta
    return out


def equal_length_schedule(pilot_betas: np.ndarray, pilot_length: np.ndarray, n_steps: int) -> np.ndarray:
    """Place ``n_steps`` steps at equal increments of a cumulative length ``pilot_length(pilot_betas)``.

    ``pilot_length`` is nondecreasing with ``pilot_length[0] = 0``; beta as a
    function of length is interpolated linearly between the pilot points.
    """
    n_steps = positive_int("n_steps", n_steps)
    targets = np.linspace(0.0, pilot_length[-1], n_steps + 1)
    out = np.interp(targets, pilot_length, pilot_betas)
    out[0], out[-1] = 0.0, pilot_betas[-1]
    return out


def check_schedule(schedule, beta: float, name: str = "schedule") -> np.ndarray:
    """Validate an explicit schedule: finite, strictly increasing, from 0 to ``beta``; return float64 array.

    Raises
    ------
    TypeError, ValueError
        Naming ``name`` and what is wrong.
    """
    s = np.asarray(schedule)
    if s.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a name among {SCHEDULES} or an array of inverse temperatures, got {schedule!r}")
    s = s.astype(np.float64)
    if s.ndim != 1 or s.shape[0] < 2:
        raise ValueError(f"{name} must be a 1D array of at least 2 inverse temperatures, got shape {s.shape}")
    if not np.all(np.isfinite(s)):
        raise ValueError(f"{name} must be finite")
    if s[0] != 0.0:
        raise ValueError(f"{name} must start at beta = 0 (the base distribution), got {s[0]}")
    if np.any(np.diff(s) <= 0):
        k = int(np.argmax(np.diff(s) <= 0))
        raise ValueError(f"{name} must be strictly increasing, but {name}[{k + 1}] = {s[k + 1]} <= {name}[{k}] = {s[k]}")
    if not np.isclose(s[-1], beta, rtol=1e-12, atol=0.0):
        raise ValueError(f"{name} must end at the target beta = {beta}, got {s[-1]}")
    s[-1] = beta
    return s


def named_schedule(name: str, beta: float, n_steps: int) -> np.ndarray:
    """The schedule ``name`` among linear, geometric, sigmoid (adaptive needs a pilot run)."""
    builders = {"linear": linear, "geometric": geometric, "sigmoid": sigmoid}
    if name not in builders:
        raise ValueError(f"schedule must be one of {SCHEDULES} or an array of inverse temperatures, got {name!r}")
    return builders[name](beta, n_steps)
