"""Run a study: tasks through an executor, results into one checkpointed HDF5 file.

Only this process writes the file (:class:`ebmphys.storage.CheckpointedFile`);
workers run :func:`ebmphys.study.tasks.run_job` and send their results back.
Each task has at most one job in flight; a finished job's result is kept in
memory until the next checkpoint, which writes all pending results at once
(at most every ``checkpoint.seconds``, and at the end).  On ``resume`` each task
restarts from the sweep and configurations of the last checkpoint, so the
finished file holds the same bits as an uninterrupted run.

Fault injection for tests: with ``EBMPHYS_KILL_AT="point:n"`` the process kills
itself with SIGKILL the n-th time it reaches ``point``: ``job`` (a job result
arrived, not yet written), ``copied`` (checkpoint copy made, nothing written)
or ``written`` (checkpoint data written into the temporary file, not yet closed).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from pathlib import Path

import numpy as np

from ebmphys.progress import Progress
from ebmphys.storage import Block, CheckpointedFile, FileLockedError, StudyFile, StudyLayout, pack_states
from ebmphys.study.executors import default_workers, local_pool
from ebmphys.study.spec import StudySpec
from ebmphys.study.tasks import Job, JobResult, Task, expand, run_job

KILL_ENV = "EBMPHYS_KILL_AT"


class RunError(ValueError):
    """A run that cannot start or continue (existing output, foreign file, ...)."""


def study_layout(spec: StudySpec, tasks: list[Task]) -> StudyLayout:
    """The file layout of ``spec`` (sizes, temperatures, seeds, record times, task keys)."""
    keys = np.zeros((len(spec.sizes), len(spec.temperatures), len(spec.seeds)), dtype=np.uint64)
    for t in tasks:
        keys[t.size_index, t.temperature_index, t.seed_index] = t.key
    first = tasks[0]
    return StudyLayout(
        name=spec.name, spec_toml=spec.text, fingerprint=spec.fingerprint(), dimension=spec.dimension,
        J=spec.data["model"]["J"], h=spec.data["model"].get("h", 0.0), sizes=tuple(spec.sizes), temperatures=spec.temperatures, seeds=tuple(spec.seeds),
        n_chains=spec.data["sampling"]["n_chains"], task_keys=keys, total_sweeps=first.total_sweeps,
        record_steps=first.record_sweeps(), configuration_steps=first.configuration_sweeps(),
        compression=spec.data["record"]["compression"], q=spec.q,
    )


def _kill_hook() -> Callable[[str], None]:
    target = os.environ.get(KILL_ENV, "")
    point, _, count = target.partition(":")
    remaining = {point: int(count or 1)} if point else {}

    def hook(name: str) -> None:
        if name in remaining:
            remaining[name] -= 1
            if remaining[name] == 0:
                os.kill(os.getpid(), signal.SIGKILL)

    return hook


def log(message: str) -> None:
    """A plain progress line on stderr."""
    print(f"ebmphys run: {message}", file=sys.stderr, flush=True)


def _block(task: Task, result: JobResult) -> Block:
    return Block(
        size_index=task.size_index, temperature_index=task.temperature_index, seed_index=task.seed_index,
        start=result.start, stop=result.stop, energy=result.energy, magnetization=result.magnetization,
        configurations=result.configurations, states=pack_states(result.states, task.q),
    )


def _resume_points(path: Path, spec: StudySpec, tasks: list[Task]) -> tuple[list[int], list]:
    """Sweep counters and configurations of every task at the file's last checkpoint."""
    with StudyFile(path) as f:
        if f.fingerprint != spec.fingerprint():
            raise RunError(f"cannot resume {path}: it was written by a different spec "
                           f"(study {f.name!r}); use --overwrite to replace it or another --out")
        sweeps = {L: f.sweeps_done(L) for L in f.sizes}
        states = {L: f.checkpoint_states(L) for L in f.sizes}
    done, initial = [], []
    for t in tasks:
        s = int(sweeps[t.L][t.temperature_index, t.seed_index])
        done.append(s)
        chains = slice(t.seed_index * t.n_chains, (t.seed_index + 1) * t.n_chains)
        initial.append(states[t.L][t.temperature_index, chains] if s else None)
    return done, initial


def run_study(spec: StudySpec, output, *, mode: str = "new", workers: int | None = None, quiet: bool = False,
              executor: Executor | None = None) -> Path:
    """Run (or resume) a study and return the path of its complete HDF5 file.

    Parameters
    ----------
    spec : StudySpec
    output : path-like
        The study file.
    mode : {"new", "resume", "overwrite"}
        ``new`` refuses an existing file, ``resume`` continues one written from the same
        spec, ``overwrite`` replaces it.
    workers : int, optional
        Worker processes (1: run in this process); default all cores, at most one per task.
        With ``executor``, the number of jobs kept in flight is twice this.
    quiet : bool
        No progress output.
    executor : concurrent.futures.Executor, optional
        Runs the jobs instead of a local pool (e.g. ``distributed.Client.get_executor()``);
        it must run :func:`ebmphys.study.tasks.run_job` and is not shut down here.

    Raises
    ------
    RunError
        Existing output without ``resume``/``overwrite``; nothing to resume; a file
        from a different spec; another process writing the file.
    ebmphys.storage.StudyFileError
        A file to resume that is unreadable.
    """
    path = Path(output)
    if mode not in ("new", "resume", "overwrite"):
        raise ValueError(f"mode must be 'new', 'resume' or 'overwrite', got {mode!r}")
    if not path.parent.is_dir():
        raise RunError(f"cannot write {path}: directory {str(path.parent)!r} does not exist")
    store = CheckpointedFile(path, hook=_kill_hook())
    try:
        with store.lock():
            _run_locked(spec, store, mode, workers, quiet, executor)
    except FileLockedError as exc:
        raise RunError(str(exc)) from None
    return path


def _run_locked(spec: StudySpec, store: CheckpointedFile, mode: str, workers: int | None, quiet: bool,
                executor: Executor | None) -> None:
    path = store.path
    tasks = expand(spec)
    if mode == "resume":
        if not path.exists():
            raise RunError(f"cannot resume {path}: the file does not exist (run without --resume to start it)")
        done, states = _resume_points(path, spec, tasks)
    else:
        if path.exists() and mode == "new":
            raise RunError(f"{path} already exists; use --resume to continue it or --overwrite to replace it")
        store.create(study_layout(spec, tasks))
        done, states = [0] * len(tasks), [None] * len(tasks)

    job_sweeps = spec.data["checkpoint"]["sweeps"]
    seconds = spec.data["checkpoint"]["seconds"]
    stops = [deque(s for s in t.job_stops(job_sweeps) if s > d) for t, d in zip(tasks, done)]
    ready = deque(t.index for t in tasks if stops[t.index])
    work = [t.n_spins * t.n_chains for t in tasks]
    # work is counted in spin-sweeps (sweeps x spins x chains), so the estimate of the time left
    # holds when the large lattices run last
    progress = Progress(sum(t.total_sweeps * w for t, w in zip(tasks, work)), enabled=not quiet, desc=spec.name,
                        unit="spin-sweep", initial=sum(d * w for d, w in zip(done, work)))
    n_workers = workers or default_workers(len(ready) or 1)
    if ready and not quiet and not sys.stderr.isatty():
        log(f"{len(ready)} of {len(tasks)} tasks to run on {n_workers} worker(s), writing {path}")
    own = executor is None and bool(ready)
    if own:
        executor = local_pool(n_workers, spec.data["sampling"]["algorithm"])
    in_flight, pending = {}, []
    last_commit = time.monotonic()
    try:
        while in_flight or ready:
            while ready and len(in_flight) < 2 * n_workers:
                i = ready.popleft()
                job = Job(task=tasks[i], start=done[i], stop=stops[i].popleft(), states=states[i])
                in_flight[executor.submit(run_job, job)] = i
            finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for future in finished:
                i = in_flight.pop(future)
                result = future.result()
                store.hook("job")
                progress.update((result.stop - done[i]) * work[i])
                done[i], states[i] = result.stop, result.states
                pending.append(_block(tasks[i], result))
                if stops[i]:
                    ready.appendleft(i)
            if (ready or in_flight) and time.monotonic() - last_commit >= seconds:
                store.commit(pending)
                pending, last_commit = [], time.monotonic()
        store.commit(pending, complete=True)
    except KeyboardInterrupt:
        if pending:  # keep the finished jobs: --resume continues from them
            store.commit(pending)
        raise
    finally:
        if own:
            executor.shutdown(wait=False, cancel_futures=True)
        progress.close()
