"""One writer per output file: an advisory lock held for the whole run.

``ebmphys run`` and ``ebmphys train`` hold :func:`exclusive_lock` on their output
from before they first look at it until their last write, so a second process
that would write the same file (even through another name: symbolic links are
resolved and the lock is taken at the target) is refused at once.  The lock is
an ``flock`` on ``TARGET.lock`` (POSIX only; elsewhere a no-op) and dies with
its process, so a killed run never blocks its resume.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from ebmphys.storage.atomic import output_target


class FileLockedError(RuntimeError):
    """Another process is writing the file."""


@contextlib.contextmanager
def exclusive_lock(path) -> Iterator[None]:
    """Hold an exclusive lock on the output ``path`` (at its target, links resolved).

    Raises
    ------
    FileLockedError
        If another process holds it.
    ebmphys.exceptions.UserError
        If the target is a directory.
    """
    target = output_target(path)
    try:
        import fcntl
    except ImportError:
        yield
        return
    lock_path = target.with_name(target.name + ".lock")
    while True:
        fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise FileLockedError(f"{os.fspath(path)} is being written by another process (lock {lock_path})") from None
        try:
            if os.fstat(fd).st_ino == os.stat(lock_path).st_ino:
                break  # the file we locked is still the one at lock_path
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock_path)
        os.close(fd)
