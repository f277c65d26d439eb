"""The package's error classes, in one place so that no layer imports a layer above it.

The ``ebmphys`` command prints any of them as one line; the exit status tells
the kind:

* :class:`UserError` (exit status 2): input a user can fix (bad spec, bad value,
  existing output).  Subclasses:

  - :class:`FileDataError`: an input file that cannot be used (not HDF5, truncated,
    foreign), and :class:`DamagedDataError`, data that fails its checksum or a
    physical sanity check, or is missing; its ``datasets`` names every damaged
    dataset.
  - :class:`ResourceError`: a run whose estimated memory or disk exceeds what this
    machine has (see :mod:`ebmphys.limits`); ``needed`` and ``limit`` in bytes.

* :class:`DeviceError` (a ``ValueError``; exit status 2): an unknown device, or one
  that is not usable here (no GPU, no CUDA package).
* :class:`WriteError` (an ``OSError``; exit status 1): a write that failed (no space
  left, quota, I/O error).  The file being written is left as it was before the
  write began: the temporary copy is removed, never swapped in.
"""

from __future__ import annotations

import errno as _errno
import os


class EbmphysError(Exception):
    """Base class of the errors raised by ebmphys itself."""


class UserError(EbmphysError):
    """An error caused by the user's input; the CLI prints its message and exits with status 2."""


class DeviceError(EbmphysError, ValueError):
    """An unknown device, or a device that cannot be used on this machine."""


class FileDataError(UserError, ValueError):
    """An input file that is not a readable ebmphys file of the expected kind."""


class DamagedDataError(FileDataError):
    """Data in a file fails its checksum (HDF5 Fletcher-32) or a sanity check, or is missing.

    Attributes
    ----------
    path : str
        The file.
    datasets : list of str
        HDF5 paths of the damaged or missing datasets.
    reason : str
        What is wrong ("checksum mismatch (Fletcher-32)", "missing", ...).
    """

    def __init__(self, message: str, path=None, datasets=(), reason: str = ""):
        super().__init__(message)
        self.path = None if path is None else os.fspath(path)
        self.datasets = list(datasets)
        self.reason = reason


class ResourceError(UserError, ValueError):
    """A run that needs more memory or disk than this machine has (estimated before allocating).

    Attributes
    ----------
    needed, limit : int
        The estimate and the limit, in bytes.
    """

    def __init__(self, message: str, needed: int = 0, limit: int = 0):
        super().__init__(message)
        self.needed = int(needed)
        self.limit = int(limit)


class WriteError(EbmphysError, OSError):
    """A failed write (no space left on device, quota exceeded, I/O error); the CLI exits with status 1.

    The message reads "no space left on device while writing FILE" (the
    ``strerror`` of the failure, then the file), optionally followed by what is
    still intact; ``errno`` and ``filename`` are those of the failure.
    """

    def __init__(self, message: str, errno: int | None = None, filename=None):
        super().__init__(message)
        self.message = message
        self.errno = errno
        self.filename = None if filename is None else os.fspath(filename)

    def __str__(self) -> str:
        return self.message

    @classmethod
    def from_os_error(cls, exc: BaseException, filename) -> WriteError:
        """A WriteError for ``exc`` (an ``OSError`` from Python or h5py) while writing ``filename``."""
        code = getattr(exc, "errno", None)
        if isinstance(code, int) and code:
            reason = os.strerror(code)
        else:
            reason = str(exc).split("\n")[0].strip() or type(exc).__name__
            code = _errno.EIO if code is None else code
        reason = reason[:1].lower() + reason[1:]
        return cls(f"{reason} while writing {os.fspath(filename)}", code, filename)

    def with_context(self, context: str) -> WriteError:
        """The same error with ``"; " + context`` appended to its message."""
        return WriteError(f"{self.message}; {context}", self.errno, self.filename)
