"""Named groups of a continuous model's parameter vector, and model descriptions that checkpoints store.

A trainer moves the entries of theta selected by ``trainable``: None (all), an
index or boolean array, or names of groups from :func:`parameter_groups`:

=========================  ==============================================================
model                      groups (slices of theta, layouts in the model docstrings)
=========================  ==============================================================
``Gaussian``               ``mean``, ``precision``
``GaussianMixture``        ``log_weights``, ``means``, ``precision_factors``
``QuarticPotential``       ``c0`` .. ``c4`` (``DoubleWell``: ``tilt`` is ``c1``)
``Phi4Lattice``            ``kappa``, ``lam``
``GaussianBernoulliRBM``   ``W``, ``b``, ``c``, ``sigma``
``MLPEnergy``              ``weights`` (every W_l and b_l), ``quadratic`` (alpha)
``SoftmaxMLP``             ``weights``
=========================  ==============================================================

:func:`describe` / :func:`build` turn a built-in model into a JSON-able dict and
back (its theta travels separately as an array), so a checkpoint alone restores
the model; a user's ``ContinuousEBM`` is described by name only and must be
passed again when a checkpoint is loaded.
"""

from __future__ import annotations

import numpy as np

from ebmphys.models.classifier import SoftmaxMLP
from ebmphys.models.continuous import ContinuousEBM, ContinuousModel
from ebmphys.models.gaussian import Gaussian, GaussianMixture
from ebmphys.models.gb_rbm import GaussianBernoulliRBM
from ebmphys.models.mlp import MLPEnergy
from ebmphys.models.phi4 import Phi4Lattice
from ebmphys.models.quartic import DoubleWell, QuarticPotential


def parameter_groups(model: ContinuousModel) -> dict[str, np.ndarray]:
    """Names of groups of theta entries -> int64 index arrays (see the module docstring)."""
    n = model._theta.shape[0]
    d = model.dim
    ranges: dict[str, range] = {}
    if isinstance(model, Gaussian):
        ranges = {"mean": range(d), "precision": range(d, n)}
    elif isinstance(model, GaussianMixture):
        k = model.n_modes
        ranges = {"log_weights": range(k), "means": range(k, k + k * d), "precision_factors": range(k + k * d, n)}
    elif isinstance(model, QuarticPotential):
        ranges = {f"c{p}": range(p, p + 1) for p in range(5)}
        if isinstance(model, DoubleWell):
            ranges["tilt"] = range(1, 2)
    elif isinstance(model, Phi4Lattice):
        ranges = {"kappa": range(0, 1), "lam": range(1, 2)}
    elif isinstance(model, GaussianBernoulliRBM):
        nv, nh = model.n_visible, model.n_hidden
        ranges = {"W": range(nv * nh), "b": range(nv * nh, nv * nh + nv), "c": range(nv * nh + nv, nv * nh + nv + nh),
                  "sigma": range(nv * nh + nv + nh, n)}
    elif isinstance(model, MLPEnergy):
        ranges = {"weights": range(n - 1), "quadratic": range(n - 1, n)}
    elif isinstance(model, SoftmaxMLP):
        ranges = {"weights": range(n)}
    return {name: np.arange(r.start, r.stop, dtype=np.int64) for name, r in ranges.items()}


def trainable_indices(model: ContinuousModel, trainable) -> np.ndarray:
    """The sorted int64 indices of theta selected by ``trainable`` (see the module docstring).

    Raises
    ------
    ValueError, TypeError
        For an unknown group name, an index out of range, a mask of the wrong
        length, or an empty selection.
    """
    n = model._theta.shape[0]
    if trainable is None:
        chosen = np.arange(n, dtype=np.int64)
    elif isinstance(trainable, str) or (np.ndim(trainable) == 1 and len(trainable)
                                        and all(isinstance(t, str) for t in trainable)):
        groups = parameter_groups(model)
        names = (trainable,) if isinstance(trainable, str) else tuple(trainable)
        unknown = [name for name in names if name not in groups]
        if unknown:
            allowed = ", ".join(map(repr, groups)) or "none (give indices)"
            raise ValueError(f"trainable names {unknown[0]!r}, not a parameter group of a {type(model).__name__}; "
                             f"groups: {allowed}")
        chosen = np.unique(np.concatenate([groups[name] for name in names]))
    else:
        arr = np.asarray(trainable)
        if arr.dtype == bool:
            if arr.shape != (n,):
                raise ValueError(f"trainable as a mask must have one entry per parameter ({n}), got shape {arr.shape}")
            chosen = np.flatnonzero(arr).astype(np.int64)
        elif arr.ndim == 1 and arr.dtype.kind in "iu":
            if arr.size and (arr.min() < 0 or arr.max() >= n):
                raise ValueError(f"trainable indices must lie in [0, {n}), got {arr.tolist()}")
            chosen = np.unique(arr.astype(np.int64))
        else:
            raise TypeError(f"trainable must be None, group names, indices or a boolean mask, got {trainable!r}")
    if chosen.size == 0:
        raise ValueError("trainable selects no parameter")
    return chosen


def describe(model: ContinuousModel) -> dict:
    """A JSON-able description of ``model`` without theta (see :func:`build`)."""
    if isinstance(model, Gaussian):
        return {"type": "Gaussian", "dim": model.dim}
    if isinstance(model, GaussianMixture):
        return {"type": "GaussianMixture", "n_modes": model.n_modes, "dim": model.dim}
    if isinstance(model, DoubleWell):
        return {"type": "DoubleWell", "dim": model.dim}
    if isinstance(model, QuarticPotential):
        return {"type": "QuarticPotential", "dim": model.dim}
    if isinstance(model, Phi4Lattice):
        return {"type": "Phi4Lattice", "shape": list(model.shape), "periodic": bool(model.periodic)}
    if isinstance(model, GaussianBernoulliRBM):
        return {"type": "GaussianBernoulliRBM", "n_visible": model.n_visible, "n_hidden": model.n_hidden}
    if isinstance(model, MLPEnergy):
        return {"type": "MLPEnergy", "layer_sizes": list(model.layer_sizes), "activation": model.activation}
    if isinstance(model, SoftmaxMLP):
        return {"type": "SoftmaxMLP", "layer_sizes": list(model.layer_sizes), "activation": model.activation}
    if isinstance(model, ContinuousEBM):
        return {"type": "ContinuousEBM", "dim": model.dim, "repr": repr(model)}
    raise TypeError(f"cannot describe a {type(model).__name__}")


def build(description: dict, theta: np.ndarray, index=None) -> ContinuousModel:
    """The model of ``description`` with parameters ``theta``.

    Raises
    ------
    ValueError
        For a ``ContinuousEBM`` (its functions are not stored: pass the model).
    """
    kind = description["type"]
    theta = np.asarray(theta, dtype=np.float64)
    if kind == "Gaussian":
        d = description["dim"]
        model = Gaussian(np.zeros(d), 1.0)
    elif kind == "GaussianMixture":
        model = GaussianMixture(np.ones(description["n_modes"]), np.zeros((description["n_modes"], description["dim"])))
    elif kind in ("DoubleWell", "QuarticPotential"):
        model = DoubleWell(description["dim"]) if kind == "DoubleWell" else QuarticPotential(description["dim"], theta)
    elif kind == "Phi4Lattice":
        model = Phi4Lattice(tuple(description["shape"]), kappa=0.0, lam=1.0, periodic=description["periodic"])
    elif kind == "GaussianBernoulliRBM":
        model = GaussianBernoulliRBM(description["n_visible"], description["n_hidden"])
    elif kind == "MLPEnergy":
        return MLPEnergy(description["layer_sizes"], activation=description["activation"], theta=theta)
    elif kind == "SoftmaxMLP":
        return SoftmaxMLP(description["layer_sizes"], activation=description["activation"], theta=theta)
    else:
        raise ValueError(f"a {kind} cannot be rebuilt from a checkpoint (its energy functions are not stored): "
                         f"pass model= when loading")
    model.theta = theta
    return model
