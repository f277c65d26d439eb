"""Executors that run units of work: the ``concurrent.futures.Executor`` interface.

The runner only calls ``submit(fn, *args)`` and waits on the returned futures
with :func:`concurrent.futures.wait`, so any ``concurrent.futures`` executor
plugs in (a Dask cluster through ``distributed.Client.get_executor()``).

* :class:`SerialExecutor` runs each job in the calling process when it is submitted.
* :func:`local_pool` starts a process pool; each worker uses one Numba thread
  (so N workers use N cores), loads the compiled kernels once in its initialiser,
  and exits if the process that started it dies.
* :func:`dask_executor` connects to a Dask scheduler and prepares its workers the
  same way (start them with ``dask worker ADDRESS --nthreads 1``: threaded workers
  calling Numba's parallel kernels concurrently can abort).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager

import numba

from ebmphys.models import LatticeIsing
from ebmphys.sampling import sample


class SerialExecutor(Executor):
    """Run every submitted call at once, in this process (``--workers 1``)."""

    def __init__(self, algorithm: str = "metropolis"):
        _prepare(algorithm)

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 (delivered through the future, as a pool would)
            future.set_exception(exc)
        return future


def _prepare(algorithm: str) -> None:
    """One Numba thread per worker; compile (or load from cache) the kernels of ``algorithm``."""
    numba.set_num_threads(1)
    sample(LatticeIsing((4, 4)), beta=0.5, n_sweeps=1, algorithm=algorithm, seed=0, return_states=True)


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _init_worker(algorithm: str, parent: int) -> None:
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    _prepare(algorithm)


def local_pool(workers: int, algorithm: str = "metropolis") -> Executor:
    """A pool of ``workers`` processes (spawned, one Numba thread each) with warm kernels."""
    if workers == 1:
        return SerialExecutor(algorithm)
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker, initargs=(algorithm, os.getpid()),
    )


#: how long to keep trying to reach a Dask scheduler before giving up
DASK_CONNECT_TIMEOUT = "20s"


@contextmanager
def dask_executor(address: str, algorithm: str = "metropolis"):
    """A ``concurrent.futures`` executor on the Dask cluster at ``address``, and its thread count.

    Every worker is set to one Numba thread and has its kernels warmed before any job runs.
    Needs the ``distributed`` extra (``pip install "ebmphys[distributed]"``).

    Yields
    ------
    (executor, n_threads)
    """
    try:
        from distributed import Client
    except ImportError:
        raise ValueError("scheduler needs dask.distributed: pip install 'ebmphys[distributed]'") from None
    with Client(address, timeout=DASK_CONNECT_TIMEOUT) as client:
        client.run(_prepare, algorithm)
        yield client.get_executor(pure=False), sum(client.nthreads().values())


def default_workers(n_tasks: int) -> int:
    """All cores this process may use, but no more workers than tasks."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, n_tasks))
