"""Continuous energy-based models: the protocol, and a user's own energy in a few lines.

A continuous model has real configurations x in R^dim, an energy E(x) and the
density p(x) = exp(-beta E(x)) / Z(beta) (k_B = 1; beta = 1 unless a sampler is
given another).  Samplers (:mod:`ebmphys.sampling.continuous`) only call three
Numba-compiled functions of a batch of configurations, so a user's energy plugs
in like a built-in one:

``energy(x, params) -> float64 (n,)``
    E of every row of ``x``, a C-contiguous float64 array (n, dim).
``grad_energy(x, params) -> float64 (n, dim)``
    dE/dx of every row (C-contiguous).
``observables(x, params) -> float64 (n, k)`` (optional)
    Model observables recorded by the samplers (phi^4: the magnetisation).

``params`` is always the pair ``(theta, index)``: ``theta`` float64 (n_theta,)
holds every real parameter (the flat vector that training differentiates),
``index`` int64 (n_index,) integer data (sizes, neighbour tables).  Built-in
models also provide ``grad_params(x, params) -> float64 (n, n_theta)``, the
parameter gradient dE/dtheta of every row.

A user's model::

    import numba, numpy as np
    from ebmphys.models import ContinuousEBM

    @numba.njit
    def energy(x, params):                      # E(x) = a |x|^4 / 4 - |x|^2 / 2
        a = params[0][0]
        r2 = np.sum(x * x, axis=1)
        return a * r2 * r2 / 4 - r2 / 2

    @numba.njit
    def grad(x, params):
        a = params[0][0]
        r2 = np.sum(x * x, axis=1)
        return np.ascontiguousarray((a * r2 - 1.0)[:, None] * x)

    model = ContinuousEBM(energy=energy, grad=grad, params=np.array([1.0]), dim=2, check_gradient=True)
    ebmphys.sample(model, beta=1.0, algorithm="mala", n_sweeps=1000, n_chains=8, burn_in=500)

Plain Python functions are compiled with ``numba.njit`` on the way in.
"""

from __future__ import annotations

import numbers

import numba
import numpy as np
from numba.core.registry import CPUDispatcher

from ebmphys.kernels.continuous_types import BATCH, PARAMS
from ebmphys.kernels.energies import no_observables
from ebmphys.models._validate import positive_int

_EXPECTED_RETURN = {"energy": numba.types.float64[::1], "grad": numba.types.float64[:, ::1],
                    "observables": numba.types.float64[:, ::1], "grad_params": numba.types.float64[:, ::1]}
_RETURN_SHAPES = {"energy": "(n,)", "grad": "(n, dim)", "observables": "(n, k)", "grad_params": "(n, n_theta)"}


def real_array(name: str, value, shape: tuple | None = None, ndim: int | None = None) -> np.ndarray:
    """``value`` as a new C-contiguous float64 array with every entry finite (optionally of ``shape`` / ``ndim``)."""
    try:
        arr = np.array(value, dtype=np.float64, order="C")
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of real numbers, got {value!r}") from None
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {arr.shape}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-dimensional array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values")
    return arr


def compiled(name: str, function, kind: str):
    """``function`` as a Numba dispatcher compiled for (x, params), checking what it returns.

    ``kind`` is "energy", "grad", "observables" or "grad_params"; plain Python
    functions are compiled with ``numba.njit``.

    Raises
    ------
    TypeError
        If it is not callable, cannot be compiled for a float64 (n, dim) batch and
        ``params = (theta, index)``, or returns something other than a C-contiguous
        float64 array of the expected rank.
    """
    if not callable(function):
        raise TypeError(f"{name} must be a function f(x, params), got {function!r}")
    if not isinstance(function, CPUDispatcher):
        function = numba.njit(function)
    args = (BATCH, PARAMS)
    try:
        function.compile(args)
    except Exception as exc:  # noqa: BLE001 (Numba raises many kinds of typing errors)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TypeError(f"{name} cannot be compiled by Numba for x = float64 (n, dim) C array and params = "
                        f"(theta float64 (n_theta,), index int64 (n_index,)): {first}") from None
    returned = function.overloads[args].signature.return_type
    if returned != _EXPECTED_RETURN[kind]:
        raise TypeError(f"{name} must return a C-contiguous float64 array of shape {_RETURN_SHAPES[kind]}, "
                        f"its return type is {returned} (wrap it in np.ascontiguousarray)")
    return function


class ContinuousModel:
    """Base of the continuous models: parameters, batch evaluation and gradient checks.

    Subclasses set ``dim`` (int), ``_theta`` (float64), ``_index`` (int64) and the
    Numba functions ``_energy``, ``_grad``, ``_observables`` (default: none) and
    ``_grad_params`` (None where not provided).  Configurations are float64 rows
    of length ``dim``; ``site_shape`` is how one row is shaped for users.
    """

    #: registry key of the model family (:mod:`ebmphys.sampling.registry`)
    kind = "continuous"
    #: names of the columns of ``observables(x, params)``
    observable_names: tuple = ()
    _observables = staticmethod(no_observables)
    _grad_params = None

    # ------------------------------------------------------------------ parameters
    @property
    def site_shape(self) -> tuple:
        return (self.dim,)

    @property
    def n_sites(self) -> int:
        """Length of one configuration (``dim``), as the samplers count sites."""
        return self.dim

    @property
    def theta(self) -> np.ndarray:
        """All real parameters as one flat float64 vector (a copy; see the class docstring for the layout)."""
        return self._theta.copy()

    @theta.setter
    def theta(self, value) -> None:
        theta = real_array("theta", value, shape=self._theta.shape)
        self._check_theta(theta)
        self._theta = theta

    def _check_theta(self, theta: np.ndarray) -> None:
        """Raise for parameters outside the model's domain (subclasses override)."""

    @property
    def params(self) -> tuple[np.ndarray, np.ndarray]:
        """``(theta, index)`` as the Numba functions take them (the model's own arrays: do not modify)."""
        return self._theta, self._index

    @property
    def energy_function(self):
        return self._energy

    @property
    def grad_function(self):
        return self._grad

    @property
    def observables_function(self):
        return self._observables

    @property
    def grad_params_function(self):
        """Numba function (x, params) -> dE/dtheta (n, n_theta), or None if the model has none."""
        return self._grad_params

    # ------------------------------------------------------------------ evaluation
    def check_states(self, states, name: str = "x") -> np.ndarray:
        """Validate configurations of shape (..., dim) or (..., *site_shape); return float64 (..., dim), C order."""
        arr = np.asarray(states)
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be a real array, got dtype {arr.dtype}")
        shape = self.site_shape
        nd = len(shape)
        if arr.ndim >= nd and arr.shape[arr.ndim - nd:] == tuple(shape):
            batch = arr.shape[: arr.ndim - nd]
        elif arr.ndim >= 1 and arr.shape[-1] == self.dim:
            batch = arr.shape[:-1]
        else:
            want = ", ".join(map(str, shape))
            raise ValueError(f"{name} must have shape (..., {want}) (dim = {self.dim}), got {arr.shape}")
        flat = np.ascontiguousarray(arr.reshape(batch + (self.dim,)), dtype=np.float64)
        if not np.all(np.isfinite(flat)):
            raise ValueError(f"{name} contains NaN or infinite values")
        return flat

    def _batch(self, x) -> np.ndarray:
        flat = self.check_states(x)
        return flat.reshape(-1, self.dim) if flat.ndim != 2 else flat

    def energy(self, x) -> np.ndarray:
        """E(x) of every configuration, float64 (n,) (a single configuration gives shape (1,))."""
        return self._energy(self._batch(x), self.params)

    def grad_energy(self, x) -> np.ndarray:
        """dE/dx of every configuration, float64 (n, dim)."""
        return self._grad(self._batch(x), self.params)

    def grad_params(self, x) -> np.ndarray:
        """dE/dtheta of every configuration, float64 (n, n_theta)."""
        if self._grad_params is None:
            raise NotImplementedError(f"{type(self).__name__} provides no parameter gradient")
        return self._grad_params(self._batch(x), self.params)

    def observables(self, x) -> dict:
        """Model observables of every configuration: name -> float64 (n,)."""
        values = self._observables(self._batch(x), self.params)
        return {name: values[:, k].copy() for k, name in enumerate(self.observable_names)}

    # ------------------------------------------------------------------ checks
    def check_gradient(self, x=None, *, params: bool = False, eps: float = 1e-5, rtol: float = 1e-4,
                       atol: float = 1e-6, n_points: int = 3, seed: int = 0) -> float:
        """Compare ``grad_energy`` (or ``grad_params``) with central finite differences of ``energy``.

        Parameters
        ----------
        x : array (n, dim), optional
            Points to check at; default ``n_points`` standard-normal points (a host
            generator keyed by ``seed``).
        params : bool
            Check dE/dtheta instead of dE/dx.
        eps : float
            Finite-difference step.
        rtol, atol : float
            The check passes when |analytic - numeric| <= atol + rtol |numeric| everywhere.

        Returns
        -------
        float
            The largest absolute difference found.

        Raises
        ------
        ValueError
            Naming the configuration and coordinate of the worst disagreement.
        """
        from ebmphys.kernels.rng import host_generator

        if x is None:
            x = host_generator(seed, 0).standard_normal((n_points, self.dim))
        x = self._batch(x)
        theta = self._theta
        if params:
            analytic = self.grad_params(x)
            numeric = np.empty_like(analytic)
            for j in range(theta.shape[0]):
                up, down = theta.copy(), theta.copy()
                up[j] += eps
                down[j] -= eps
                numeric[:, j] = (self._energy(x, (up, self._index)) - self._energy(x, (down, self._index))) / (2 * eps)
            what = "grad_params"
        else:
            analytic = self.grad_energy(x)
            numeric = np.empty_like(analytic)
            for i in range(self.dim):
                up, down = x.copy(), x.copy()
                up[:, i] += eps
                down[:, i] -= eps
                numeric[:, i] = (self._energy(up, self.params) - self._energy(down, self.params)) / (2 * eps)
            what = "grad_energy"
        diff = np.abs(analytic - numeric)
        bad = diff > atol + rtol * np.abs(numeric)
        if np.any(bad) or not np.all(np.isfinite(analytic)):
            row, col = np.unravel_index(np.argmax(np.where(np.isfinite(diff), diff, np.inf)), diff.shape)
            raise ValueError(f"{what} disagrees with central finite differences of energy at configuration {row}, "
                             f"coordinate {col}: analytic {float(analytic[row, col])!r}, numeric "
                             f"{float(numeric[row, col])!r} (step {eps})")
        return float(diff.max()) if diff.size else 0.0


def _params_pair(params) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(params, tuple):
        if len(params) != 2:
            raise ValueError(f"params must be theta (a float array) or a pair (theta, index), got a tuple of "
                             f"length {len(params)}")
        theta, index = params
    else:
        theta, index = params, np.zeros(0, dtype=np.int64)
    theta = real_array("params theta", theta, ndim=1)
    index_arr = np.asarray(index)
    if index_arr.ndim != 1 or (index_arr.size and index_arr.dtype.kind not in "iu"):
        raise TypeError(f"params index must be a 1-D integer array, got {index!r}")
    return theta, np.ascontiguousarray(index_arr, dtype=np.int64)


class ContinuousEBM(ContinuousModel):
    """A continuous model from the user's own Numba functions (see the module docstring).

    Parameters
    ----------
    energy : function (x, params) -> float64 (n,)
        E of every row of ``x`` (float64 (n, dim), C order).
    grad : function (x, params) -> float64 (n, dim)
        dE/dx of every row.
    params : float array (n_theta,) or pair (theta, index)
        Parameters passed to the functions as ``(theta, index)`` (index: int64
        (n_index,), empty when only theta is given).
    dim : int >= 1
        Dimension of a configuration.
    grad_params : function (x, params) -> float64 (n, n_theta), optional
        dE/dtheta of every row (for training).
    observables : function (x, params) -> float64 (n, k), optional
        Model observables recorded by the samplers, named by ``observable_names``.
    observable_names : sequence of str
        One name per column of ``observables`` (not "energy", "acceptance", "divergent").
    check_gradient : bool
        Compare ``grad`` (and ``grad_params``) with finite differences of ``energy``
        at three random points now, raising ValueError if they disagree.
    """

    def __init__(self, energy, grad, params, dim: int, *, grad_params=None, observables=None,
                 observable_names=(), check_gradient: bool = False):
        self.dim = positive_int("dim", dim)
        self._theta, self._index = _params_pair(params)
        self._energy = compiled("energy", energy, "energy")
        self._grad = compiled("grad", grad, "grad")
        self._grad_params = None if grad_params is None else compiled("grad_params", grad_params, "grad_params")
        names = tuple(observable_names)
        if observables is None:
            if names:
                raise ValueError("observable_names given without an observables function")
        else:
            self._observables = compiled("observables", observables, "observables")
            reserved = {"energy", "acceptance", "divergent"} & set(names)
            if reserved or len(set(names)) != len(names) or not all(isinstance(n, str) and n for n in names):
                raise ValueError(f"observable_names must be distinct non-empty strings other than 'energy', "
                                 f"'acceptance', 'divergent', got {names}")
        self.observable_names = names
        self._check_shapes()
        if check_gradient:
            self.check_gradient()
            if self._grad_params is not None:
                self.check_gradient(params=True)

    def _check_shapes(self) -> None:
        x = np.zeros((2, self.dim))
        e = self._energy(x, self.params)
        if e.shape != (2,):
            raise ValueError(f"energy must return shape (n,) for a batch of n rows; for a (2, {self.dim}) batch it "
                             f"returned shape {e.shape}")
        g = self._grad(x, self.params)
        if g.shape != (2, self.dim):
            raise ValueError(f"grad must return shape (n, dim) = (2, {self.dim}) for a (2, {self.dim}) batch, "
                             f"got {g.shape}")
        obs = self._observables(x, self.params)
        if obs.shape != (2, len(self.observable_names)):
            raise ValueError(f"observables must return shape (n, {len(self.observable_names)}) (one column per "
                             f"name), got {obs.shape}")
        if self._grad_params is not None:
            gp = self._grad_params(x, self.params)
            if gp.shape != (2, self._theta.shape[0]):
                raise ValueError(f"grad_params must return shape (n, n_theta) = (2, {self._theta.shape[0]}), "
                                 f"got {gp.shape}")

    def __repr__(self) -> str:
        return f"ContinuousEBM(energy={self._energy.__name__}, dim={self.dim}, n_theta={self._theta.shape[0]})"


def check_positive(name: str, value) -> float:
    """A finite real number > 0."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not np.isfinite(value) \
            or value <= 0:
        raise ValueError(f"{name} must be a finite real number > 0, got {value!r}")
    return float(value)
