"""The common result of every log Z estimate: exact, AIS, reverse AIS, thermodynamic integration, Wang-Landau."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LogZEstimate:
    """An estimate of log Z (natural log, k_B = 1, Z = sum exp(-beta E)) and how it was made.

    Every estimator returns this (or a subclass with more fields), so callers read
    the same four numbers whatever the method.

    Attributes
    ----------
    method : str
        "exact" (enumeration), "kaufman", "ais", "reverse-ais", "ti" or "wang-landau".
    log_z : float
        The estimate (nats).
    stderr : float
        Its statistical standard error (0 for exact results).
    seed : int or None
        Seed of the random numbers (None for exact results).
    seconds : float
        Wall time of the computation.
    """

    method: str
    log_z: float
    stderr: float
    seed: int | None
    seconds: float
