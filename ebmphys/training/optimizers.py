"""Gradient-descent optimisers on a flat parameter vector: SGD with momentum and Adam.

Both minimise a loss L(theta) from its gradient g = dL/dtheta (for maximum
likelihood L is the negative mean log-likelihood), updating only the entries
listed in ``trainable``.  Their state is a dict of float64 arrays and integers,
which checkpoints store and restore exactly, so a resumed run takes the same
steps bit for bit.

* ``"sgd"``: v <- momentum v - lr g;  theta <- theta + v  (plain gradient descent at momentum 0).
* ``"adam"`` (Kingma and Ba 2015): m <- b1 m + (1 - b1) g, s <- b2 s + (1 - b2) g^2,
  theta <- theta - lr (m / (1 - b1^t)) / (sqrt(s / (1 - b2^t)) + eps), t the step count.
"""

from __future__ import annotations

import numpy as np

#: optimiser names accepted by the trainers
OPTIMIZERS = ("sgd", "adam")
#: Adam's epsilon
ADAM_EPS = 1e-8


class Optimizer:
    """SGD with momentum or Adam on the ``trainable`` entries of a parameter vector of length ``n_theta``.

    Parameters
    ----------
    name : {"sgd", "adam"}
    n_theta : int
        Length of the parameter vector.
    trainable : int array
        Indices of the entries that move.
    momentum : float in [0, 1)
        SGD momentum.
    adam_beta1, adam_beta2 : float in [0, 1)
        Adam's decay rates of the first and second moments.
    state : dict, optional
        A state from :attr:`state` to continue from.
    """

    def __init__(self, name: str, n_theta: int, trainable: np.ndarray, *, momentum: float = 0.0,
                 adam_beta1: float = 0.9, adam_beta2: float = 0.999, state: dict | None = None):
        if name not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(map(repr, OPTIMIZERS))}, got {name!r}")
        self.name = name
        self.trainable = np.asarray(trainable, dtype=np.int64)
        self.momentum = float(momentum)
        self.beta1, self.beta2 = float(adam_beta1), float(adam_beta2)
        n = self.trainable.shape[0]
        if state is None:
            state = {"velocity": np.zeros(n), "first_moment": np.zeros(n), "second_moment": np.zeros(n),
                     "n_steps": 0}
        for key in ("velocity", "first_moment", "second_moment"):
            if np.shape(state[key]) != (n,):
                raise ValueError(f"optimizer state {key!r} must have shape ({n},) (one value per trainable "
                                 f"parameter), got {np.shape(state[key])}")
        self.state = {key: (np.array(value, dtype=np.float64) if key != "n_steps" else int(value))
                      for key, value in state.items()}

    def step(self, theta: np.ndarray, grad: np.ndarray, learning_rate: float) -> np.ndarray:
        """The parameters after one step on the loss gradient ``grad`` (full length); ``theta`` is not modified."""
        g = grad[self.trainable]
        s = self.state
        s["n_steps"] += 1
        if self.name == "sgd":
            s["velocity"] = self.momentum * s["velocity"] - learning_rate * g
            delta = s["velocity"]
        else:
            t = s["n_steps"]
            s["first_moment"] = self.beta1 * s["first_moment"] + (1.0 - self.beta1) * g
            s["second_moment"] = self.beta2 * s["second_moment"] + (1.0 - self.beta2) * g * g
            m_hat = s["first_moment"] / (1.0 - self.beta1**t)
            v_hat = s["second_moment"] / (1.0 - self.beta2**t)
            delta = -learning_rate * m_hat / (np.sqrt(v_hat) + ADAM_EPS)
        out = theta.copy()
        out[self.trainable] += delta
        return out


def clip_gradient(grad: np.ndarray, max_norm: float | None) -> np.ndarray:
    """``grad`` rescaled to Euclidean norm at most ``max_norm`` (None: unchanged)."""
    if max_norm is None:
        return grad
    norm = float(np.sqrt(np.dot(grad, grad)))
    return grad * (max_norm / norm) if norm > max_norm else grad
