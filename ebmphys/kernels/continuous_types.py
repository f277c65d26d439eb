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


class BoundFunction(types.WrapperAddressProtocol):
    """A model function compiled for one of the signatures above, its address looked up once.

    Passing a Numba dispatcher to a kernel costs a compilation-cache lookup per call
    (about 0.2 ms each); this wrapper passes the same compiled code at no cost.
    The ``dispatcher`` keeps the compiled code alive.
    """

    def __init__(self, dispatcher, signature):
        from numba.experimental.function_type import _get_wrapper_address

        dispatcher.compile(signature.args)
        self.dispatcher = dispatcher
        self._signature = signature
        self._address = _get_wrapper_address(dispatcher, signature)
        #: the Numba type, built once (typeof would build it at every call)
        self._numba_type_ = types.FunctionType(signature)

    def __wrapper_address__(self) -> int:
        return self._address

    def signature(self):
        return self._signature
