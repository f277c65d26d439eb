"""Per-epoch training monitors for binary RBMs (all deterministic, in nats or squared units)."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ebmphys.partition.rbm_exact import rbm_log_z_exact

#: monitor names accepted by :class:`ebmphys.training.RBMTrainer`
MONITORS = ("reconstruction_error", "pseudo_log_likelihood", "log_likelihood", "ais_log_likelihood")

#: forward AIS settings of the "ais_log_likelihood" monitor (about 0.01 nats on 64x20 digits RBMs)
AIS_CHAINS = 100
AIS_STEPS = 2000


def reconstruction_error(rbm, v) -> float:
    """Mean over samples of sum_i (v_i - p_i)^2 with p = p(v | h = p(h | v)) (mean-field reconstruction)."""
    vf = rbm.check_visible(v).astype(np.float64)
    recon = expit(rbm.b + rbm.hidden_probabilities(vf) @ rbm.W.T)
    return float(((vf - recon) ** 2).sum(axis=1).mean())


def pseudo_log_likelihood(rbm, v) -> float:
    """Mean over samples of sum_i log p(v_i | v_{-i}) in nats, summed over every unit (no sampling).

    log p(v_i | v_{-i}) = -softplus(F(v) - F(v with unit i flipped)).
    """
    vf = rbm.check_visible(v).astype(np.float64)
    hidden_in = rbm.c + vf @ rbm.W
    f = -(vf @ rbm.b) - np.logaddexp(0.0, hidden_in).sum(axis=1)
    total = np.zeros(vf.shape[0])
    for i in range(rbm.n_visible):
        sign = 1.0 - 2.0 * vf[:, i]
        flipped_in = hidden_in + sign[:, None] * rbm.W[i]
        f_flip = -(vf @ rbm.b) - sign * rbm.b[i] - np.logaddexp(0.0, flipped_in).sum(axis=1)
        total -= np.logaddexp(0.0, f - f_flip)
    return float(total.mean())


def log_likelihood(rbm, v) -> float:
    """Mean exact log p(v) in nats (needs min(n_visible, n_hidden) <= 20)."""
    return float((-rbm.free_energy(v) - rbm_log_z_exact(rbm)).mean())


def ais_log_likelihood(rbm, v, train_data, seed: int) -> float:
    """Mean log p(v) in nats with log Z from forward AIS (AIS_CHAINS chains, AIS_STEPS steps).

    The base-rate model's visible biases come from ``train_data``; AIS underestimates
    log Z on average, so this tends to overestimate the log-likelihood slightly.
    """
    from ebmphys.partition.ais import ais

    estimate = ais(rbm, n_chains=AIS_CHAINS, n_steps=AIS_STEPS, data=train_data, seed=seed)
    return float((-rbm.free_energy(v)).mean() - estimate.log_z)


def evaluate(names, rbm, v, *, train_data, seed: int) -> dict[str, float]:
    """Evaluate the named monitors on ``v`` (``train_data`` and ``seed`` serve the AIS monitor)."""
    functions = {"reconstruction_error": reconstruction_error, "pseudo_log_likelihood": pseudo_log_likelihood,
                 "log_likelihood": log_likelihood,
                 "ais_log_likelihood": lambda r, x: ais_log_likelihood(r, x, train_data, seed)}
    return {name: functions[name](rbm, v) for name in names}
