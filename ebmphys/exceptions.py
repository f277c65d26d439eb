"""The package's error classes, in one place so that no layer imports a layer above it.

* :class:`UserError`: input a user can fix (bad spec, bad value, existing output); the
  ``ebmphys`` command prints its message as one line and exits with status 2.
* :class:`DeviceError`: an unknown device, or one that is not usable here (no GPU,
  no CUDA package); a ``ValueError`` so that callers validating arguments catch it
  with the other bad values.
* :class:`DivergenceError`: a continuous sampler met a non-finite energy or gradient.
"""

from __future__ import annotations


class EbmphysError(Exception):
    """Base class of the errors raised by ebmphys itself."""


class UserError(EbmphysError):
    """An error caused by the user's input; the CLI prints its message and exits with status 2."""


class DeviceError(EbmphysError, ValueError):
    """An unknown device, or a device that cannot be used on this machine."""


class DivergenceError(EbmphysError, FloatingPointError):
    """A sampler met a non-finite energy or gradient (the message names the chain and the sweep)."""
