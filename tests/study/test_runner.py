"""The runner in this process: modes, resume of a finished file, progress display, executors."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from ebmphys.storage import CheckpointedFile, StudyFile
from ebmphys.study import RunError, parse_study, run_study
from ebmphys.study.executors import SerialExecutor, default_workers

SPEC = """
[study]
name = "mini"
[model]
dimension = 2
sizes = [4]
[temperatures]
values = [2.5]
[sampling]
n_sweeps = 60
burn_in = 10
n_chains = 2
[checkpoint]
sweeps = 20
seconds = 0
"""


def test_resume_of_a_finished_file_changes_no_data(tmp_path):
    spec = parse_study(SPEC)
    path = run_study(spec, tmp_path / "mini.h5", workers=1, quiet=True)
    with StudyFile(path) as f:
        before = f.datasets()
        assert f.complete
    run_study(spec, path, mode="resume", workers=1, quiet=True)
    with StudyFile(path) as f:
        after = f.datasets()
    assert set(before) == set(after)
    for name in before:
        np.testing.assert_array_equal(after[name], before[name])


def test_bad_modes_and_paths(tmp_path):
    spec = parse_study(SPEC)
    with pytest.raises(ValueError, match="mode must be 'new', 'resume' or 'overwrite'"):
        run_study(spec, tmp_path / "x.h5", mode="append")
    with pytest.raises(RunError, match="directory .* does not exist"):
        run_study(spec, tmp_path / "no" / "x.h5", quiet=True)


def test_serial_executor_delivers_results_and_errors():
    ex = SerialExecutor()
    assert ex.submit(pow, 2, 5).result() == 32
    with pytest.raises(ZeroDivisionError):
        ex.submit(divmod, 1, 0).result()
    assert default_workers(1) == 1


def test_second_writer_is_refused(tmp_path):
    path = tmp_path / "mini.h5"
    with CheckpointedFile(path).lock():
        with pytest.raises(RunError, match="being written by another process"):
            run_study(parse_study(SPEC), path, workers=1, quiet=True)
    assert not path.exists() and not (tmp_path / "mini.h5.lock").exists()


def test_any_concurrent_futures_executor_plugs_in(tmp_path):
    """A caller-supplied executor (here threads) gives the same file as the serial run."""
    spec = parse_study(SPEC.replace("values = [2.5]", "values = [2.0, 2.5, 3.0]"))
    serial = run_study(spec, tmp_path / "serial.h5", workers=1, quiet=True)
    with ThreadPoolExecutor(2) as pool:
        threaded = run_study(spec, tmp_path / "threads.h5", workers=2, quiet=True, executor=pool)
    with StudyFile(serial) as a, StudyFile(threaded) as b:
        want, have = a.datasets(), b.datasets()
    for name in want:
        np.testing.assert_array_equal(have[name], want[name], err_msg=name)


def test_summary_and_figure_of_a_file_without_data(tmp_path):
    """``ebmphys plot`` on a file whose run has not written anything yet: NaN estimates, figure still drawn."""
    from ebmphys.plotting import plot_study
    from ebmphys.study.runner import study_layout
    from ebmphys.study.summary import format_table, summarize
    from ebmphys.study.tasks import expand

    spec = parse_study(SPEC)
    CheckpointedFile(tmp_path / "empty.h5").create(study_layout(spec, expand(spec)))
    with StudyFile(tmp_path / "empty.h5") as f:
        summary = summarize(f)
    assert np.isnan(summary.values["energy"]).all() and not summary.complete
    assert "incomplete" in format_table(summary)
    assert plot_study(summary, tmp_path / "empty.png").stat().st_size > 10_000


def test_ctrl_c_keeps_finished_jobs_and_resume_matches(tmp_path):
    class Interrupting(SerialExecutor):
        calls = 0

        def submit(self, fn, /, *args, **kwargs):
            self.calls += 1
            if self.calls == 4:
                raise KeyboardInterrupt
            return super().submit(fn, *args, **kwargs)

    spec = parse_study(SPEC.replace("seconds = 0", "seconds = 1e6"))
    with pytest.raises(KeyboardInterrupt):
        run_study(spec, tmp_path / "cut.h5", workers=1, quiet=True, executor=Interrupting())
    with StudyFile(tmp_path / "cut.h5") as f:
        assert f.sweeps_done(4)[0, 0] == 50 and not f.complete  # 3 jobs: burn-in to 10, then 30, 50
    run_study(spec, tmp_path / "cut.h5", mode="resume", workers=1, quiet=True)
    run_study(spec, tmp_path / "whole.h5", workers=1, quiet=True)
    with StudyFile(tmp_path / "cut.h5") as a, StudyFile(tmp_path / "whole.h5") as b:
        want, have = b.datasets(), a.datasets()
    for name in want:
        np.testing.assert_array_equal(have[name], want[name], err_msg=name)


def test_checkpoints_are_spaced_by_their_own_cost():
    from ebmphys.study.runner import CHECKPOINT_SPACING, checkpoint_due

    assert checkpoint_due(0.0, 0.0, 100.0)  # seconds = 0: after every unit of work, whatever it costs
    assert not checkpoint_due(29.9, 30.0, 0.5) and checkpoint_due(30.0, 30.0, 0.5)
    slow = 10.0  # a write that took 10 s (a large file): the next waits CHECKPOINT_SPACING x 10 s, not 30 s
    assert not checkpoint_due(CHECKPOINT_SPACING * slow - 0.1, 30.0, slow)
    assert checkpoint_due(CHECKPOINT_SPACING * slow, 30.0, slow)
