"""Per-epoch training monitors for binary RBMs (in nats or squared units).

All are deterministic given the model, except the AIS estimate of log Z, which is
a pure function of its seed.  ``reconstruction_error`` also takes rows of
probabilities in [0, 1]; the likelihood monitors need binary rows.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ebmphys.partition.rbm_exact import rbm_log_z_exact

#: monitor names accepted by :class:`ebmphys.training.RBMTrainer`
MONITORS = ("reconstruction_error", "pseudo_log_likelihood", "log_likelihood", "ais_log_likelihood")
#: the monitors that are defined for binary data only
BINARY_MONITORS = ("pseudo_log_likelihood", "log_likelihood", "ais_log_likelihood")

#: forward AIS settings of the "ais_log_likelihood" monitor (about 0.01 nats on 64x20 digits RBMs)
AIS_CHAINS = 100
AIS_STEPS = 2000


def reconstruction_error(rbm, v) -> float:
    """Mean over samples of sum_i (v_i - p_i)^2 with p = p(v | h = p(h | v)) (mean-field reconstruction).

    ``v``: rows of 0/1, or of probabilities in [0, 1], shape (n_samples, n_visible).
    """
    vf = np.asarray(v, dtype=np.float64)
    if vf.ndim != 2 or vf.shape[1] != rbm.n_visible:
        raise ValueError(f"v must have shape (n_samples, {rbm.n_visible}), got {vf.shape}")
    if not np.all((vf >= 0) & (vf <= 1)):
        raise ValueError("v must have entries in [0, 1] (binary units, or probabilities that a unit is 1)")
    recon = expit(rbm.b + expit(rbm.c + vf @ rbm.W) @ rbm.W.T)
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
    """Mean exact log p(v) in nats, binary ``v`` (needs min(n_visible, n_hidden) <= 20)."""
    return float((-rbm.free_energy(v) - rbm_log_z_exact(rbm)).mean())


def ais_log_likelihood(rbm, v, log_z: float) -> float:
    """Mean log p(v) = mean(-F(v)) - log_z in nats, binary ``v``, with ``log_z`` an estimate (:func:`ais_log_z`)."""
    return float((-rbm.free_energy(v)).mean() - log_z)


def ais_log_z(rbm, train_data, seed: int, device: str = "cpu") -> float:
    """Forward AIS estimate of log Z with AIS_CHAINS chains and AIS_STEPS steps.

    The base-rate model's visible biases come from ``train_data`` (binary rows).  AIS
    underestimates log Z on average, so a log-likelihood computed with it tends to be
    slightly high.
    """
    from ebmphys.partition.ais import ais

    return float(ais(rbm, n_chains=AIS_CHAINS, n_steps=AIS_STEPS, data=train_data, seed=seed, device=device).log_z)


def evaluate(names, rbm, v, *, ais_log_z: float | None = None) -> dict[str, float]:
    """Evaluate the named monitors on ``v``; "ais_log_likelihood" uses ``ais_log_z`` (see :func:`ais_log_z`)."""
    if "ais_log_likelihood" in names and ais_log_z is None:
        raise ValueError("the 'ais_log_likelihood' monitor needs ais_log_z (an AIS estimate of log Z)")
    functions = {"reconstruction_error": reconstruction_error, "pseudo_log_likelihood": pseudo_log_likelihood,
                 "log_likelihood": log_likelihood,
                 "ais_log_likelihood": lambda r, x: ais_log_likelihood(r, x, ais_log_z)}
    return {name: functions[name](rbm, v) for name in names}
