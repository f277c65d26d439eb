"""Numba types of the continuous-model protocol (:mod:`ebmphys.models.continuous`).

A configuration batch is a C-contiguous float64 array (n, dim); the parameters
are the pair ``(theta, index)`` of a float64 and an int64 vector.  Kernels take
a model's functions as first-class function values of these signatures, so one
compiled kernel serves every model and is cached on disk.
"""

from numba import types

BATCH = types.float64[:, ::1]
PARAMS = types.Tuple((types.float64[::1], types.int64[::1]))
#: signature of ``energy(x, params)``
ENERGY_SIGNATURE = types.float64[::1](BATCH, PARAMS)
#: signature of ``grad_energy(x, params)``, ``observables(x, params)`` and ``grad_params(x, params)``
GRAD_SIGNATURE = types.float64[:, ::1](BATCH, PARAMS)
ENERGY_FUNCTION = types.FunctionType(ENERGY_SIGNATURE)
GRAD_FUNCTION = types.FunctionType(GRAD_SIGNATURE)
