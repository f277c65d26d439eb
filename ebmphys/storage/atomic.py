"""Atomic file writes: the one way ebmphys replaces a file.

Every output (study files, training checkpoints, summary tables, figures) is
written to a temporary file next to its target (``TARGET.tmp``, same directory,
so same file system), flushed and closed, optionally verified, fsynced, moved
over the target with :func:`os.replace` (atomic on POSIX and Windows) and the
directory fsynced.  A kill at any instant leaves either the previous or the new
file at the target.  On any failure the temporary file is removed and the
target is untouched; an ``OSError`` (no space left, quota, I/O error) becomes a
:class:`ebmphys.exceptions.WriteError` whose message names the reason and the
file ("no space left on device while writing FILE").

A target that is a symbolic link is resolved first: the file it points to is
replaced and the link stays (:func:`output_target`).

HDF5 writes (:func:`atomic_hdf5`) need more care, because the HDF5 library
buffers data and metadata and may report a failed write only when it flushes,
or only at close (h5py then prints "Exception ignored in __dealloc__" and
carries on), and because a file whose flush failed makes HDF5 2.0 crash when
the interpreter exits.  So the file is flushed and closed explicitly inside the
guarded block, and HDF5's writes go through a file object that never reports
a failure to the library (it keeps the first error, drops later writes, and the
error is raised once HDF5 has closed the file cleanly); finally ``verify``
reads the closed temporary copy back before it may replace the target.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import h5py
import numpy as np

from ebmphys.exceptions import UserError, WriteError

HDF5_LIBVER = ("v110", "v110")
"""HDF5 file-format versions of every file ebmphys writes: 1.10 object headers,
superblock and chunk indexes, which carry their own checksums (readable by
HDF5 >= 1.10)."""

HDF5_CHECKSUM = {"fletcher32": True}
"""Dataset-creation options that make HDF5 store a Fletcher-32 checksum with every
chunk and verify it on every read (datasets must be chunked)."""


def output_target(path) -> Path:
    """The file a write to ``path`` replaces: ``path`` with symbolic links resolved.

    Raises
    ------
    UserError
        If the target is a directory.
    """
    target = Path(os.path.realpath(os.fspath(path)))
    if target.is_dir():
        raise UserError(f"cannot write {os.fspath(path)}: it is a directory")
    return target


def temporary_path(target) -> Path:
    """The temporary file next to ``target`` (``TARGET.tmp``) that an atomic write goes through."""
    target = Path(target)
    return target.with_name(target.name + ".tmp")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    if os.name == "posix":
        _fsync(path.parent)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@contextlib.contextmanager
def atomic_path(path, *, copy_from=None, verify: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """Write a file atomically: yield a temporary path to write, then swap it in.

    Parameters
    ----------
    path : path-like
        The target; a symbolic link is resolved (:func:`output_target`).
    copy_from : path-like, optional
        Start the temporary file as a copy of this file (for updates in place).
    verify : callable(Path), optional
        Called with the temporary path once the caller's block has finished; it
        raises to refuse the file (which is then removed).

    Yields
    ------
    Path
        The temporary file (``TARGET.tmp``); the caller writes and closes it.

    Raises
    ------
    WriteError
        For any ``OSError`` while copying, writing, verifying, syncing or renaming;
        the target is left as it was and the temporary file removed.
    UserError
        If the target is a directory.
    """
    target = output_target(path)
    tmp = temporary_path(target)
    try:
        if copy_from is not None:
            shutil.copyfile(copy_from, tmp)
        yield tmp
        if verify is not None:
            verify(tmp)
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync_dir(target)
    except BaseException as exc:
        _remove(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise WriteError.from_os_error(exc, target) from exc
        raise


class _GuardedFile:
    """A binary file for h5py's file-object driver that never reports a failed write to HDF5.

    HDF5 handles a failed write badly: it may report it only when a dataset is
    garbage-collected (h5py prints "Exception ignored in __dealloc__" and carries
    on), and a file whose flush failed leaves the library in a state that crashes
    the interpreter (HDF5 2.0, segmentation fault) when the file or the process is
    closed.  So writes go through this object: the first failed write is kept in
    :attr:`error`, later writes are dropped, and HDF5 always sees success.  The
    caller checks :attr:`error` once HDF5 has closed the file, and a file with an
    error is never used.
    """

    def __init__(self, path: Path, mode: str):
        self._file = open(path, mode, buffering=0)  # noqa: SIM115 (closed by close())
        self.error: OSError | None = None

    def _guard(self, exc: OSError) -> None:
        if self.error is None:
            self.error = exc

    def readinto(self, buffer) -> int:
        return self._file.readinto(buffer)

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        if self.error is None:
            try:
                done = 0
                while done < len(view):
                    done += self._file.write(view[done:])
            except OSError as exc:
                self._guard(exc)
        return len(view)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def truncate(self, size: int | None = None) -> int:
        if self.error is None:
            try:
                return self._file.truncate(size)
            except OSError as exc:
                self._guard(exc)
        return self._file.tell() if size is None else size

    def flush(self) -> None:
        pass  # unbuffered: nothing to flush; durability comes from the fsync of the closed file

    def close(self) -> None:
        try:
            self._file.close()
        except OSError as exc:
            self._guard(exc)


@contextlib.contextmanager
def atomic_hdf5(path, *, copy_from=None, verify: Callable[[h5py.File], None] | None = None) -> Iterator[h5py.File]:
    """Create (or, with ``copy_from``, update a copy of) an HDF5 file atomically.

    Yields the open temporary file (mode ``"w"``, or ``"r+"`` on the copy, file
    format :data:`HDF5_LIBVER`), whose writes go through a guard that HDF5 never
    sees fail.  When the block ends the file is flushed and closed; if any write
    failed a :class:`WriteError` is raised; otherwise the file is reopened
    read-only and passed to ``verify`` (which reads back what it must and raises
    to refuse the file), then swapped in as in :func:`atomic_path`.

    Raises
    ------
    WriteError
        For any failed write, flush, close or read-back (no space left, quota, I/O
        error): the target is left as it was and the temporary file removed.
    """

    def check(tmp: Path) -> None:
        if verify is None:
            return
        try:
            with h5py.File(tmp, "r") as g:
                verify(g)
        except OSError:
            raise
        except Exception as exc:
            raise WriteError(f"the data read back from {tmp} differ from what was written ({exc})",
                             errno.EIO, tmp) from exc

    with atomic_path(path, copy_from=copy_from, verify=check) as tmp:
        guard = _GuardedFile(tmp, "r+b" if copy_from is not None else "w+b")
        try:
            f = h5py.File(guard, "r+" if copy_from is not None else "w", libver=HDF5_LIBVER)
        except BaseException:
            guard.close()
            raise
        try:
            yield f
        except BaseException as exc:
            with contextlib.suppress(Exception):  # HDF5 cannot fail a write any more: the guard keeps it
                f.close()
            guard.close()
            if guard.error is not None and isinstance(exc, Exception):
                raise WriteError.from_os_error(guard.error, output_target(path)) from exc
            raise
        try:
            f.flush()
            f.close()
        finally:
            with contextlib.suppress(Exception):
                f.close()
            guard.close()
            if guard.error is not None:
                raise WriteError.from_os_error(guard.error, output_target(path)) from None


def create_dataset(group: h5py.Group, name: str, data=None, **options) -> h5py.Dataset:
    """Create a dataset with a Fletcher-32 checksum on every chunk (the way every ebmphys dataset is made).

    ``options`` go to :meth:`h5py.Group.create_dataset`; ``chunks`` defaults to
    h5py's choice (the checksum filter needs a chunked layout, small arrays
    included).  Scalars are stored as arrays of shape (1,).
    """
    if data is not None:
        data = np.asarray(data)
        if data.ndim == 0:
            data = data.reshape(1)
    options.setdefault("chunks", True)
    return group.create_dataset(name, data=data, **HDF5_CHECKSUM, **options)
