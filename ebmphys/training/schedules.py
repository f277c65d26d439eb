"""Learning-rate schedules: the learning rate of epoch e (counted from 0) of n_iter."""

from __future__ import annotations

import math

#: schedule names accepted by :class:`ebmphys.training.RBMTrainer`
SCHEDULES = ("constant", "linear", "inverse_sqrt")


def learning_rate_at(schedule: str, learning_rate: float, epoch: int, n_iter: int) -> float:
    """Learning rate of ``epoch``.

    ``constant``: learning_rate; ``linear``: learning_rate * (n_iter - epoch) / n_iter,
    falling to learning_rate / n_iter in the last epoch and held there afterwards;
    ``inverse_sqrt``: learning_rate / sqrt(1 + epoch).
    """
    if schedule == "constant":
        return learning_rate
    if schedule == "linear":
        return learning_rate * max(n_iter - epoch, 1) / n_iter
    if schedule == "inverse_sqrt":
        return learning_rate / math.sqrt(1.0 + epoch)
    raise ValueError(f"learning_rate_schedule must be one of {SCHEDULES}, got {schedule!r}")
