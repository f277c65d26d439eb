"""Run a study: tasks through an executor, results into one checkpointed HDF5 file.

Only this process writes the file (:class:`ebmphys.storage.CheckpointedFile`);
workers run :func:`ebmphys.study.tasks.run_job` and send their results back.
Each task has at most one job in flight; a finished job's result is kept in
memory until the next checkpoint, which writes all pending results at once
(at most every ``checkpoint.seconds``, and at the end).  On ``resume`` each task
restarts from the sweep and configurations of the last checkpoint, so the
finished file holds the same bits as an uninterrupted run.

Before anything is written the run's memory and disk are estimated and refused
when they cannot fit (:mod:`ebmphys.limits`).  A failed write (no space left,
quota, I/O error) stops the run with a :class:`ebmphys.exceptions.WriteError`
whose message names the last complete checkpoint, which stays on disk.  A resume
first verifies the whole file (checksums, physics): tasks whose data are damaged
or missing restart from sweep 0 in a rebuilt file.

Fault injection for tests: with ``EBMPHYS_KILL_AT="point:n"`` the process kills
itself with SIGKILL the n-th time it reaches ``point``: ``job`` (a job result
arrived, not yet written), ``copied`` (checkpoint copy made, nothing written)
or ``written`` (checkpoint data written into the temporary file, not yet closed).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from pathlib import Path

import numpy as np

from ebmphys.exceptions import DamagedDataError, WriteError
from ebmphys.limits import format_bytes, memory_limit, require_disk, require_memory
from ebmphys.progress import Progress
from ebmphys.storage import Block, CheckpointedFile, FileLockedError, StudyFile, StudyLayout, pack_states
from ebmphys.study.executors import default_workers, local_pool
from ebmphys.study.spec import StudySpec, study_resources
from ebmphys.study.tasks import Job, JobResult, Phi4Task, Task, expand, run_job

KILL_ENV = "EBMPHYS_KILL_AT"
#: with ``checkpoint.seconds > 0``, the time between checkpoints is also at least this many times the last
#: checkpoint's write (which copies the file so far), so writing costs at most about a tenth of a long run
CHECKPOINT_SPACING = 9.0


def checkpoint_due(elapsed: float, seconds: float, last_write: float) -> bool:
    """Whether to checkpoint ``elapsed`` seconds after the last one, whose write took ``last_write`` seconds.

    ``seconds`` is the spec's ``checkpoint.seconds``: 0 checkpoints after every unit of work,
    whatever it costs; otherwise at most every ``seconds`` and every ``CHECKPOINT_SPACING x
    last_write`` seconds, so that a file grown large is not copied more often than it pays.
    """
    return seconds == 0 or elapsed >= max(seconds, CHECKPOINT_SPACING * last_write)


class RunError(ValueError):
    """A run that cannot start or continue (existing output, foreign file, ...)."""


def study_layout(spec: StudySpec, tasks: list[Task]) -> StudyLayout:
    """The file layout of ``spec`` (sizes, temperatures, seeds, record times, task keys)."""
    keys = np.zeros((len(spec.sizes), spec.n_points, len(spec.seeds)), dtype=np.uint64)
    for t in tasks:
        keys[t.size_index, t.temperature_index, t.seed_index] = t.key
    first = tasks[0]
    if spec.model_type == "phi4":
        lams, kappas = spec.couplings
        model = dict(J=np.nan, h=np.nan, compression="none", model_type="phi4", lams=lams, kappas=kappas)
    else:
        model = dict(J=spec.data["model"]["J"], h=spec.data["model"].get("h", 0.0),
                     compression=spec.data["record"]["compression"])
    return StudyLayout(
        name=spec.name, spec_toml=spec.text, fingerprint=spec.fingerprint(), dimension=spec.dimension,
        sizes=tuple(spec.sizes), temperatures=spec.temperatures, seeds=tuple(spec.seeds),
        n_chains=spec.data["sampling"]["n_chains"], task_keys=keys, total_sweeps=first.total_sweeps,
        record_steps=first.record_sweeps(), configuration_steps=first.configuration_sweeps(), q=spec.q, **model,
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


def _submit(executor: Executor, job: Job):
    """Submit a job with SIGINT blocked, so that worker processes started here inherit a blocked SIGINT.

    Ctrl-C reaches every process of the terminal's process group; workers would print
    a KeyboardInterrupt traceback each (also while they import).  This way only this
    process answers it (an interrupt that arrives meanwhile is delivered on return),
    and it stops the workers itself.
    """
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        return executor.submit(run_job, job)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        return executor.submit(run_job, job)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _block(task: Task, result: JobResult) -> Block:
    return Block(
        size_index=task.size_index, temperature_index=task.temperature_index, seed_index=task.seed_index,
        start=result.start, stop=result.stop, energy=result.energy, magnetization=result.magnetization,
        configurations=result.configurations,
        states=result.states if isinstance(task, Phi4Task) else pack_states(result.states, task.q),
    )


def _resume_points(store: CheckpointedFile, spec: StudySpec, tasks: list[Task]) -> tuple[list[int], list]:
    """Sweep counters and configurations of every task at the file's last checkpoint.

    The whole file is verified first (checksums and physics, :meth:`StudyFile.verify`).
    Tasks whose data are damaged or missing restart from sweep 0: the file is rebuilt
    with the intact tasks' data only, and the run re-creates the rest bit for bit
    (every task's trajectory is a function of the spec alone).
    """
    path = store.path
    try:
        f = StudyFile(path)
    except DamagedDataError as exc:
        raise RunError(f"cannot resume: {exc}; use --overwrite to start again") from None
    with f:
        if f.fingerprint != spec.fingerprint():
            raise RunError(f"cannot resume {path}: it was written by a different spec "
                           f"(study {f.name!r}); use --overwrite to replace it or another --out")
        damage = f.verify()
        lost = set().union(*(d.tasks for d in damage)) if damage else set()
        sweeps, states = {}, {}
        for L in f.sizes:
            try:
                sweeps[L] = f.sweeps_done(L)
            except DamagedDataError:
                sweeps[L] = np.zeros((len(spec.temperatures), len(spec.seeds)), dtype=np.int64)
            try:
                states[L] = f.checkpoint_states(L) if not lost else None
            except DamagedDataError:
                states[L] = None
    done = [0 if (t.size_index, t.temperature_index, t.seed_index) in lost
            else int(sweeps[t.L][t.temperature_index, t.seed_index]) for t in tasks]
    if damage:
        names = ", ".join(f"{d.dataset} ({d.reason})" for d in damage)
        log(f"{path} is damaged: {names}; {len(lost)} of {len(tasks)} tasks restart from sweep 0, "
            f"the file is rebuilt from the intact data")
        store.rebuild(study_layout(spec, tasks), [(t.size_index, t.temperature_index, t.seed_index, d)
                                                  for t, d in zip(tasks, done)])
        with StudyFile(path) as f:
            states = {L: f.checkpoint_states(L) for L in f.sizes}
    initial = []
    for t, s in zip(tasks, done):
        chains = slice(t.seed_index * t.n_chains, (t.seed_index + 1) * t.n_chains)
        initial.append(states[t.L][t.temperature_index, chains] if s else None)
    return done, initial


def _checkpoint_context(tasks: list[Task], committed: list[int] | None, spec: StudySpec) -> str:
    """What is still intact after a failed write, for the error message."""
    if committed is None:
        return "nothing was written (an existing file is unchanged)"
    finished = sum(c == t.total_sweeps for t, c in zip(tasks, committed))
    i = min(range(len(tasks)), key=lambda k: committed[k] / tasks[k].total_sweeps)
    t = tasks[i]
    where = (f"the last complete checkpoint, at sweep {committed[i]} of {t.total_sweeps} of task L = {t.L}, "
             f"T = {spec.temperatures[t.temperature_index]:g}, seed {spec.seeds[t.seed_index]} (the least advanced; "
             f"{finished} of {len(tasks)} tasks finished), is intact")
    return where + "; free space and continue it with ebmphys run SPEC --resume"


def run_study(spec: StudySpec, output, *, mode: str = "new", workers: int | None = None, quiet: bool = False,
              executor: Executor | None = None, after: Callable[[Path], None] | None = None) -> Path:
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
    after : callable(Path), optional
        Called with the path of the finished file while the lock is still held (the
        ``ebmphys run`` command writes the summary table and the figure there).

    Output that is a symbolic link is resolved: the file it points to is locked and
    written, the link stays.

    Raises
    ------
    RunError
        Existing output without ``resume``/``overwrite``; nothing to resume; a file
        from a different spec; another process writing the file; output that is a
        directory or in a directory that does not exist.
    ebmphys.exceptions.ResourceError
        The run needs more memory or disk than this machine has (estimated first).
    ebmphys.exceptions.WriteError
        A failed write (no space left, quota, I/O error); the message says which
        checkpoint is intact.  ``resume`` continues from it.
    ebmphys.storage.StudyFileError
        A file to resume that is unreadable.
    """
    path = Path(output)
    if mode not in ("new", "resume", "overwrite"):
        raise ValueError(f"mode must be 'new', 'resume' or 'overwrite', got {mode!r}")
    if path.is_dir():
        raise RunError(f"cannot write {path}: it is a directory")
    store = CheckpointedFile(path, hook=_kill_hook())
    if not store.target.parent.is_dir():
        raise RunError(f"cannot write {path}: directory {str(store.target.parent)!r} does not exist")
    try:
        with store.lock():
            _run_locked(spec, store, mode, workers, quiet, executor)
            if after is not None:
                after(path)
    except FileLockedError as exc:
        raise RunError(str(exc)) from None
    return path


def _check_resources(spec: StudySpec, store: CheckpointedFile, workers: int | None, n_tasks: int,
                     local: bool) -> int:
    """Check memory and disk before anything is written; return the number of workers to use.

    Without ``workers`` the default (all cores) is reduced to what memory allows.  With a
    caller's executor (``local`` False) the jobs may run on other machines: this process
    is checked for itself and one job.
    """
    r = study_resources(spec.data)
    n_workers = workers or default_workers(n_tasks, spec.data["sampling"]["device"])
    if workers is None and n_workers > 1:
        limit, _ = memory_limit()
        if limit is not None and r.memory(n_workers) > limit:
            n_workers = max(1, min(n_workers, (limit - r.runner_memory) // max(1, r.job_memory)))
    here = n_workers if local else 1
    require_memory(r.memory(here), f"running {here} worker(s) on tasks of up to {r.largest} "
                                   f"(--workers, model.sizes, sampling.n_chains)")
    existing = store.target.stat().st_size if store.target.exists() else 0
    # the last checkpoint copies the whole file: the finished file twice, less what exists already
    require_disk(max(0, 2 * r.file_bytes - existing), store.target,
                 f"the study file {store.path} ({format_bytes(r.file_bytes)} when finished, copied at each checkpoint)")
    return n_workers


def _run_locked(spec: StudySpec, store: CheckpointedFile, mode: str, workers: int | None, quiet: bool,
                executor: Executor | None) -> None:
    path = store.path
    if mode == "resume" and not path.exists():
        raise RunError(f"cannot resume {path}: the file does not exist (run without --resume to start it)")
    if mode == "new" and path.exists():
        raise RunError(f"{path} already exists; use --resume to continue it or --overwrite to replace it")
    tasks = expand(spec)
    n_workers = _check_resources(spec, store, workers, len(tasks), local=executor is None)
    committed = None  # sweeps of each task in the file on disk (None: no file of this run yet)

    def write(update, *args, **kwargs):
        """Run a store update; a failed write says which checkpoint is intact."""
        try:
            update(*args, **kwargs)
        except WriteError as exc:
            raise exc.with_context(_checkpoint_context(tasks, committed, spec)) from None

    if mode == "resume":
        try:
            done, states = _resume_points(store, spec, tasks)
        except WriteError as exc:  # a failed rebuild leaves the damaged file as it was
            raise exc.with_context("the file is unchanged; free space and run --resume again") from None
    else:
        write(store.create, study_layout(spec, tasks))
        done, states = [0] * len(tasks), [None] * len(tasks)
    committed = list(done)

    def commit(blocks, complete=False):
        write(store.commit, blocks, complete=complete)
        committed[:] = done

    job_sweeps = spec.data["checkpoint"]["sweeps"]
    seconds = spec.data["checkpoint"]["seconds"]
    stops = [deque(s for s in t.job_stops(job_sweeps) if s > d) for t, d in zip(tasks, done)]
    ready = deque(t.index for t in tasks if stops[t.index])
    work = [t.n_spins * t.n_chains for t in tasks]
    # work is counted in spin-sweeps (sweeps x spins x chains), so the estimate of the time left
    # holds when the large lattices run last
    progress = Progress(sum(t.total_sweeps * w for t, w in zip(tasks, work)), enabled=not quiet, desc=spec.name,
                        unit="spin-sweep", initial=sum(d * w for d, w in zip(done, work)))
    device = spec.data["sampling"]["device"]
    if workers is None:
        n_workers = max(1, min(n_workers, len(ready)))
    if ready and not quiet and not sys.stderr.isatty():
        log(f"{len(ready)} of {len(tasks)} tasks to run on {n_workers} worker(s), writing {path}")
    own = executor is None and bool(ready)
    if own:
        executor = local_pool(n_workers, spec.data["sampling"]["algorithm"], device)
    in_flight, pending = {}, []
    last_commit, last_write = time.monotonic(), 0.0
    try:
        while in_flight or ready:
            while ready and len(in_flight) < 2 * n_workers:
                i = ready.popleft()
                job = Job(task=tasks[i], start=done[i], stop=stops[i].popleft(), states=states[i])
                in_flight[_submit(executor, job)] = i
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
            if (ready or in_flight) and checkpoint_due(time.monotonic() - last_commit, seconds, last_write):
                started = time.monotonic()
                commit(pending)
                pending, last_commit = [], time.monotonic()
                last_write = last_commit - started
        commit(pending, complete=True)
    except KeyboardInterrupt:
        if pending:  # keep the finished jobs: --resume continues from them
            commit(pending)
        raise
    finally:
        if own:
            executor.shutdown(wait=False, cancel_futures=True)
        progress.close()
