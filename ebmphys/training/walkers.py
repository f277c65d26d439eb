"""Moving negative samples with the sampler kernels while the parameters change between moves.

Training changes the parameters theta after every update, so the negative phase
needs Markov moves at a new theta each time.  :class:`Mover` builds the
registered backend of ``(model kind, algorithm, device)`` once, exactly as
:class:`ebmphys.sampling.Chains` does (same factory, same option checks, same
kernels), and before every move hands it the current theta through the
backend's ``set_params``.  Rebuilding a ``Chains`` at every update would give the
same bits but costs about 2 ms per update (the kernel's function addresses are
looked up anew), more than the moves themselves on the small problems training
runs on.

Random numbers: row m of a move is chain m of the counter layout and the sweeps
are numbered ``sweep0 .. sweep0 + n_sweeps - 1``: with theta fixed, a move equals
``Chains(model, algorithm=..., seed=seed, initial_states=x, sweep=sweep0).run(n_sweeps)``
bit for bit (tested).  Trainers keep one sweep counter per negative phase and
advance it by every move, so no two moves share random numbers.

A mover pickles (trainers are pickled, e.g. by scikit-learn's model selection): the
registry's factory and the built backends are dropped and rebuilt on first use, from
the same model, seed and options, so an unpickled mover makes the same moves.
"""

from __future__ import annotations

import numpy as np

from ebmphys.kernels.rng import split_seed
from ebmphys.sampling.backends import threads_for
from ebmphys.sampling.registry import lookup


class Mover:
    """Moves of a continuous model's configurations by one registered sampler.

    Parameters
    ----------
    model : ContinuousModel
        The model being trained (its kind selects the kernel; its parameters are
        replaced at every move).
    algorithm : str
        A registered algorithm of the model's kind ("langevin", "mala", "hmc",
        "rwmh"; "gibbs" for a ``GaussianBernoulliRBM``; "metropolis" for ``Phi4Lattice``).
    seed : int
        Key of the counter-based generator.
    device : str
        Already checked device ("cpu": the continuous kernels run on the CPU).
    options : dict
        Sampler options (``step_size``, ``noise_scale``, ...), checked by the backend now.
    """

    def __init__(self, model, algorithm: str, *, seed: int, device: str, options: dict):
        self.model = model
        self.algorithm = algorithm
        self.device = device
        self._factory = lookup(model, algorithm, device)
        self._k0, self._k1 = split_seed(seed)
        self._options = dict(options)
        self._backends: dict[int, object] = {}
        self._backend(1)  # the backend validates the options here

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["_factory"], state["_backends"]     # closures of the registry: rebuilt on unpickling
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._factory = lookup(self.model, self.algorithm, self.device)
        self._backends = {}

    def _backend(self, n_rows: int):
        backend = self._backends.get(n_rows)
        if backend is None:
            backend = self._factory(self.model, np.ones(n_rows), self._k0, self._k1, 0, **dict(self._options))
            self._backends[n_rows] = backend
        return backend

    def move(self, x: np.ndarray, theta: np.ndarray, sweep0: int, n_sweeps: int) -> None:
        """Move every row of ``x`` (float64 (n, dim), C order) by ``n_sweeps`` sweeps at ``theta``, in place."""
        backend = self._backend(x.shape[0])
        backend.set_params(theta)
        with threads_for(backend.updates_per_sweep(x.shape[0])):
            backend.run(x, sweep0, n_sweeps, 0, {}, 0, False)
