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

With ``device = "cuda"`` (or ``"auto"`` on a machine with a GPU) every worker process
owns one GPU: the pool has at most as many workers as visible GPUs, and worker k
sees only the k-th (its ``CUDA_VISIBLE_DEVICES`` is set before CUDA starts in it).
Results do not depend on which GPU, or whether a GPU, ran a job.  On a Dask cluster,
start one worker per GPU with its own ``CUDA_VISIBLE_DEVICES`` (``dask cuda worker``
of the dask-cuda package does this).
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
from ebmphys.sampling.registry import algorithms, check_device


class SerialExecutor(Executor):
    """Run every submitted call at once, in this process (``--workers 1``; on ``device`` "cuda": its default GPU)."""

    def __init__(self, algorithm: str = "metropolis", device: str = "cpu"):
        _prepare(algorithm, device)

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 (delivered through the future, as a pool would)
            future.set_exception(exc)
        return future


def _prepare(algorithm: str, device: str = "cpu") -> None:
    """One Numba thread per worker; compile (or load from cache) the kernels of ``algorithm`` on ``device``.

    Where ``algorithm`` has no kernel on the resolved device, the CPU kernels are warmed
    (the jobs themselves then report the missing kernel).
    """
    numba.set_num_threads(1)
    device = check_device(device)
    if algorithm not in algorithms(LatticeIsing.kind, device):
        device = "cpu"
    sample(LatticeIsing((4, 4)), beta=0.5, n_sweeps=1, algorithm=algorithm, seed=0, return_states=True,
           device=device)


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _init_worker(algorithm: str, parent: int, device: str, gpus) -> None:
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    if gpus is not None:  # before anything starts CUDA in this process
        os.environ["CUDA_VISIBLE_DEVICES"] = gpus.get()
    _prepare(algorithm, device)


def visible_gpus() -> list[str]:
    """The GPUs this process may use, as ``CUDA_VISIBLE_DEVICES`` entries (indices or UUIDs), in order."""
    from numba import cuda

    n = len(cuda.list_devices())
    listed = [g.strip() for g in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if g.strip()]
    return listed[:n] if "CUDA_VISIBLE_DEVICES" in os.environ else [str(k) for k in range(n)]


def local_pool(workers: int, algorithm: str = "metropolis", device: str = "cpu") -> Executor:
    """A pool of ``workers`` processes (spawned, one Numba thread each) with warm kernels.

    On ``device`` "cuda" (also "auto" where a GPU is usable) each worker gets its own
    GPU; asking for more workers than there are GPUs is an error.
    """
    gpus = None
    if check_device(device) == "cuda" and workers > 1:
        listed = visible_gpus()
        if workers > len(listed):
            raise ValueError(f"workers must be at most the number of GPUs ({len(listed)}) with device={device!r} "
                             f"(one GPU per worker process), got {workers}")
        context = multiprocessing.get_context("spawn")
        gpus = context.Queue()
        for gpu in listed[:workers]:
            gpus.put(gpu)
    if workers == 1:
        return SerialExecutor(algorithm, device)
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker, initargs=(algorithm, os.getpid(), device, gpus),
    )


#: how long to keep trying to reach a Dask scheduler before giving up
DASK_CONNECT_TIMEOUT = "20s"


@contextmanager
def dask_executor(address: str, algorithm: str = "metropolis", device: str = "cpu"):
    """A ``concurrent.futures`` executor on the Dask cluster at ``address``, and its thread count.

    Every worker is set to one Numba thread and has its kernels warmed (on ``device``)
    before any job runs.
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
        client.run(_prepare, algorithm, device)
        yield client.get_executor(pure=False), sum(client.nthreads().values())


def default_workers(n_tasks: int, device: str = "cpu") -> int:
    """All cores this process may use (on a GPU device: all GPUs), but no more workers than tasks."""
    if check_device(device) == "cuda":
        return max(1, min(len(visible_gpus()), n_tasks))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, n_tasks))
