"""Potts studies: specs, the canonical runner with Potts configurations, resume bit for bit, the Wang-Landau
(density-of-states) study, and ``ebmphys run`` end to end."""

import numpy as np
import pytest

from ebmphys.cli import main
from ebmphys.models import LatticePotts
from ebmphys.storage import StudyFile, pack_states, unpack_states
from ebmphys.storage.dos import DosCheckpointedFile, DosStudyFile
from ebmphys.study import RunError, parse_study, run_study
from ebmphys.study.dos import dos_layout, expand_dos, format_dos_table, run_dos_study, run_dos_task, summarize_dos
from ebmphys.study.executors import SerialExecutor
from ebmphys.study.spec import SpecError
from ebmphys.study.summary import format_table, summarize
from ebmphys.study.tasks import Job, expand, run_job

CANONICAL = """
[study]
name = "potts_tiny"
[model]
type = "potts"
q = 3
dimension = 2
sizes = [4, 5]
[temperatures]
values = [0.8, 0.994972, 1.3]
[sampling]
algorithm = "swendsen-wang"
burn_in = 20
n_sweeps = 240
n_chains = 2
seeds = [3, 4]
[record]
configurations_every = 60
[checkpoint]
sweeps = 60
seconds = 0
"""

DOS = """
[study]
name = "dos_tiny"
[model]
type = "potts"
q = 3
dimension = 2
sizes = [3, 4]
[sampling]
algorithm = "wang-landau"
n_chains = 2
seeds = [5, 6]
[wang_landau]
log_f_final = 1e-3
"""


@pytest.mark.parametrize("q", [2, 3, 10, 17])
def test_potts_configurations_pack_and_unpack(q):
    states = np.random.default_rng(q).integers(0, q, size=(3, 4, 37)).astype(np.uint8)
    packed = pack_states(states, q)
    assert packed.shape == (3, 4, (q - 1).bit_length() * 5)
    np.testing.assert_array_equal(unpack_states(packed, 37, q), states)


def test_potts_specs_and_their_errors():
    spec = parse_study(CANONICAL)
    assert spec.q == 3 and not spec.density_of_states and spec.data["sampling"]["algorithm"] == "swendsen-wang"
    assert parse_study(DOS).density_of_states
    bad = {
        CANONICAL.replace("q = 3\n", ""): "missing required key 'model.q'",
        CANONICAL.replace("q = 3", "q = 1"): "model.q = 1 is not allowed",
        CANONICAL.replace('"swendsen-wang"', '"gibbs"'): "sampling.algorithm = 'gibbs' is not allowed",
        CANONICAL.replace("q = 3", "q = 3\nh = 0.5"): "unknown key 'model.h'",
        DOS.replace("log_f_final = 1e-3", "log_f_final = 2.0"): "wang_landau.log_f_final = 2.0 is not allowed",
        DOS + "energy_min = -1.5\n": "give both wang_landau.energy_min and wang_landau.energy_max",
        DOS.replace('"wang-landau"', '"wang-landau"\nn_sweeps = 10'): "unknown key 'sampling.n_sweeps'",
        CANONICAL.replace('type = "potts"\nq = 3\n', 'type = "xy"\n'): "model.type = 'xy' is not allowed",
    }
    for text, match in bad.items():
        with pytest.raises(SpecError, match=match):
            parse_study(text)


def test_potts_jobs_split_anywhere_give_the_same_bits():
    task = expand(parse_study(CANONICAL))[8]
    assert task.q == 3 and task.L == 5
    whole = run_job(Job(task, 0, 80, None))
    first = run_job(Job(task, 0, 40, None))
    second = run_job(Job(task, 40, 80, first.states))
    np.testing.assert_array_equal(whole.states, second.states)
    np.testing.assert_array_equal(whole.energy, np.concatenate([first.energy, second.energy], axis=1))
    assert whole.states.dtype == np.uint8 and whole.states.max() <= 2


def test_canonical_potts_study_file_and_resume(tmp_path):
    spec = parse_study(CANONICAL)
    path = run_study(spec, tmp_path / "p.h5", workers=1, quiet=True)
    with StudyFile(path) as f:
        assert f.q == 3 and f.complete and "delta" in f.attributes()["parameters"]["conventions"]
        states = f.checkpoint_states(5)
        energy = f.observable("energy", 5)
        conf = f.configurations(5, 2, 1)
        summary = summarize(f)
    model = LatticePotts((5, 5), 3)
    np.testing.assert_array_equal(energy[:, :, -1], model.energy(states))   # last record = checkpoint states
    np.testing.assert_array_equal(conf[-1].ravel(), states[2, 1])
    assert summary.q == 3 and summary.binder_slopes is not None and summary.nu_temperature == pytest.approx(0.994972)
    assert "3-state" not in format_table(summary) and "q = 3 Potts model" in format_table(summary)
    with pytest.raises(RunError, match="already exists"):
        run_study(spec, path, workers=1, quiet=True)
    # a run interrupted at its fifth job submission (the runner writes the finished jobs), then resumed:
    # the same bits as the uninterrupted run
    class Interrupting(SerialExecutor):
        calls = 0

        def submit(self, fn, /, *args, **kwargs):
            Interrupting.calls += 1
            if Interrupting.calls == 5:
                raise KeyboardInterrupt
            return super().submit(fn, *args, **kwargs)

    with pytest.raises(KeyboardInterrupt):
        run_study(spec, tmp_path / "cut.h5", workers=1, quiet=True, executor=Interrupting())
    with StudyFile(tmp_path / "cut.h5") as f:
        assert not f.complete and 0 < f.sweeps_done(4).sum() < f.sweeps_done(4).size * f.total_sweeps
    run_study(spec, tmp_path / "cut.h5", mode="resume", workers=1, quiet=True)
    with StudyFile(path) as a, StudyFile(tmp_path / "cut.h5") as b:
        theirs = b.datasets()
        for name, value in a.datasets().items():
            np.testing.assert_array_equal(value, theirs[name], err_msg=name)


def test_density_of_states_study_resumes_task_by_task(tmp_path):
    spec = parse_study(DOS)
    tasks = expand_dos(spec)
    assert len(tasks) == 4 and {t.key for t in tasks}.__len__() == 4
    whole = run_dos_study(spec, tmp_path / "whole.h5", workers=1, quiet=True)
    # a run killed after its first task: the file holds that task only; --resume runs the others
    partial = tmp_path / "partial.h5"
    store = DosCheckpointedFile(partial)
    store.create(dos_layout(spec, tasks))
    store.commit([run_dos_task(tasks[2])])
    with DosStudyFile(partial) as f:
        assert not f.complete and f.done(4).tolist() == [True, False]
    run_dos_study(spec, partial, mode="resume", workers=1, quiet=True)
    with DosStudyFile(whole) as a, DosStudyFile(partial) as b:
        assert b.complete
        for L in a.sizes:
            np.testing.assert_array_equal(a.log_g(L), b.log_g(L))
            assert np.isfinite(a.log_g(L)).any(axis=1).all()
        summary = summarize_dos(a)
    assert summary.q == 3 and summary.n_walkers.tolist() == [4, 4]
    assert "Baxter" in format_dos_table(summary)


def test_run_command_end_to_end(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dos.toml").write_text(DOS)
    assert main(["run", "dos.toml", "--quiet", "--workers", "1"]) == 0
    assert (tmp_path / "dos.h5").exists() and (tmp_path / "dos_summary.csv").exists() and (tmp_path / "dos.png").exists()
    assert main(["inspect", "dos.h5"]) == 0
    assert "density-of-states study 'dos_tiny'" in capsys.readouterr().out
    assert main(["plot", "dos.h5"]) == 0
    (tmp_path / "bad.toml").write_text(DOS.replace("q = 3", "q = 0"))
    assert main(["run", "bad.toml"]) == 2
    assert not (tmp_path / "bad.h5").exists()
