"""Sizes checked before allocating: a run's memory and disk estimates against what this machine has.

Every entry point that allocates in proportion to its parameters (study specs,
``sample``, ``Chains``, ``ais``, ``logz``, ``train``) estimates what it needs
first and calls :func:`require_memory` (and :func:`require_disk` for files), so
that an impossible request (``n_chains = 10**12``, a lattice of 10**12 spins)
is refused at once with the estimate and the limit, instead of a MemoryError
traceback after minutes or an attempt to allocate terabytes.  A request larger
than :data:`WARN_FRACTION` of the limit goes ahead with a
:class:`LargeRunWarning` stating the estimate.

Usage (the caller states what the bytes are for, naming the parameters a user
can change)::

    from ebmphys.limits import require_memory
    require_memory(n_chains * n_spins, f"sample: {n_chains} chains x {n_spins} spins (int8)")

Limits: the memory limit is the memory available now (Linux ``MemAvailable``,
capped by the cgroup limit of a container; the physical memory elsewhere), or
the environment variable ``EBMPHYS_MEMORY_LIMIT`` (bytes, or a number with a
K/M/G/T suffix, powers of 1024) when set.  The disk limit is the free space of
the file system that will hold the file.  This module imports nothing from
ebmphys but the exceptions, so every layer may use it.
"""

from __future__ import annotations

import math
import os
import shutil
import warnings
from pathlib import Path

from ebmphys.exceptions import ResourceError

WARN_FRACTION = 0.5
"""A request above this fraction of the limit gets a :class:`LargeRunWarning`."""

MEMORY_LIMIT_ENV = "EBMPHYS_MEMORY_LIMIT"
#: requests up to this many bytes pass :func:`require_memory` without asking the system (reading
#: /proc and the cgroup files costs about 0.2 ms, which a run recording every sweep would pay per sweep)
SMALL_REQUEST = 64 * 2**20

_SUFFIXES = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40, "P": 2**50}


class LargeRunWarning(UserWarning):
    """A run that will use a large part of this machine's memory or disk."""


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units, e.g. ``"7.3 TiB"``."""
    if not math.isfinite(n):
        return "an unbounded amount"
    units = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
    k = 0
    while abs(n) >= 1024 and k < len(units) - 1:
        n /= 1024
        k += 1
    return f"{int(n)} bytes" if k == 0 else f"{n:.3g} {units[k]}"


def _parse_bytes(text: str) -> int:
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    suffix = text[-1:] if text[-1:] in _SUFFIXES and text[-1:] else ""
    number = text[: len(text) - len(suffix)]
    try:
        value = float(number) * _SUFFIXES[suffix]
    except ValueError:
        raise ResourceError(f"{MEMORY_LIMIT_ENV} = {text!r} is not a number of bytes (e.g. 8G)") from None
    if not value > 0:
        raise ResourceError(f"{MEMORY_LIMIT_ENV} = {text!r} must be positive")
    return int(value)


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_available() -> int | None:
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            limit = Path(limit_file).read_text().strip()
            usage = int(Path(usage_file).read_text().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < 2**60:
            return max(0, int(limit) - usage)
    return None


def memory_limit() -> tuple[int | None, str]:
    """The memory a run may use now, in bytes, and where that figure comes from (None: unknown)."""
    env = os.environ.get(MEMORY_LIMIT_ENV)
    if env:
        return _parse_bytes(env), MEMORY_LIMIT_ENV
    figures = [x for x in (_meminfo_available(), _cgroup_available()) if x is not None]
    if figures:
        return min(figures), "available"
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"), "physical"
    except (AttributeError, ValueError, OSError):
        return None, "unknown"


def _check(n_bytes: float, limit: int | None, what: str, kind: str, source: str) -> None:
    if limit is None:
        return
    if not n_bytes <= limit:
        raise ResourceError(f"{what} needs about {format_bytes(n_bytes)} of {kind}, more than the "
                            f"{format_bytes(limit)} {source}", needed=n_bytes if math.isfinite(n_bytes) else 2**63,
                            limit=limit)
    if n_bytes > WARN_FRACTION * limit:
        warnings.warn(LargeRunWarning(f"{what} needs about {format_bytes(n_bytes)} of {kind}, "
                                      f"{100 * n_bytes / limit:.0f}% of the {format_bytes(limit)} {source}"),
                      stacklevel=3)


def require_memory(n_bytes: float, what: str) -> None:
    """Refuse a request of ``n_bytes`` of memory that cannot fit; warn when it is large.

    Parameters
    ----------
    n_bytes : int or float
        The estimate (Python ints do not overflow: compute it with them).
    what : str
        What needs the memory, naming the parameters to change, e.g.
        ``"sample: 10**12 chains x 64 spins"``; it starts the message.

    Raises
    ------
    ebmphys.exceptions.ResourceError
        (a ``ValueError``; exit status 2 from the CLI) if ``n_bytes`` exceeds
        :func:`memory_limit`: "WHAT needs about 7.28 TiB of memory, more than the
        22.1 GiB available".

    Warns
    -----
    LargeRunWarning
        If ``n_bytes`` exceeds :data:`WARN_FRACTION` of the limit.

    Requests of at most :data:`SMALL_REQUEST` bytes pass at once unless
    ``EBMPHYS_MEMORY_LIMIT`` is set.
    """
    if n_bytes <= SMALL_REQUEST and MEMORY_LIMIT_ENV not in os.environ:
        return
    limit, source = memory_limit()
    _check(n_bytes, limit, what, "memory", "available" if source == "available" else
           f"allowed by {MEMORY_LIMIT_ENV}" if source == MEMORY_LIMIT_ENV else "of physical memory")


def require_disk(n_bytes: float, path, what: str) -> None:
    """Refuse to write ``n_bytes`` more into the directory of ``path`` when they cannot fit; warn when large.

    Raises
    ------
    ebmphys.exceptions.ResourceError
        If ``n_bytes`` exceeds the free space of that file system.
    """
    path = Path(path)
    directory = path if path.is_dir() else path.parent
    try:
        free = shutil.disk_usage(directory).free
    except OSError:
        return
    _check(n_bytes, free, what, "disk", f"free on {directory}")
