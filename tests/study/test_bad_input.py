"""Issue 10's careless-user cases for ``ebmphys run``: impossible sizes refused before allocating, temperatures
that give no finite beta, duplicate temperatures, energies that overflow, symlinked outputs, the summary table
and figure protected like the study file, ``--overwrite`` onto a directory.  Each checks the exit status, the
one-line message and that nothing is left behind."""

import os
import time

import pytest

from ebmphys import LatticeIsing
from ebmphys.cli import main
from ebmphys.storage import StudyFile, exclusive_lock
from ebmphys.study import SpecError, parse_study

BASE = """
[study]
name = "b"
[model]
dimension = 2
sizes = [4]
[temperatures]
values = [2.0]
[sampling]
n_sweeps = 100
[checkpoint]
seconds = 0
"""


@pytest.fixture(autouse=True)
def _eight_gib(monkeypatch):
    """The same memory limit on every machine, so the refusals do not depend on where the tests run."""
    monkeypatch.setenv("EBMPHYS_MEMORY_LIMIT", "8G")


def run(capsys, tmp_path, spec_text, *extra, out="b.h5"):
    spec = tmp_path / "b.toml"
    spec.write_text(spec_text)
    code = main(["run", str(spec), "--out", str(tmp_path / out), "--workers", "1", "--quiet", *extra])
    err = capsys.readouterr().err
    return code, err


def only(tmp_path, *names):
    return sorted(p.name for p in tmp_path.iterdir()) == sorted(("b.toml",) + names)


@pytest.mark.parametrize("edit, message", [
    (("n_sweeps = 100", "n_sweeps = 1_000_000_000_000_000"),
     "the summary of 1e+15 records x 1 (temperature, seed) points x 1 chain(s) per size"),
    (("values = [2.0]", "min = 1.0\nmax = 3.0\ncount = 1_000_000_000"),
     "the summary of 100 records x 1000000000 (temperature, seed) points"),
    (("sizes = [4]", "sizes = [40000]"), "sampling L = 40000 (1.6e+09 spins) x 1 chain(s), metropolis"),
    (("sizes = [4]", "sizes = [1000000]"), "sampling L = 1000000 (1e+12 spins) x 1 chain(s), metropolis"),
])
def test_impossible_sizes_are_refused_before_allocating(tmp_path, capsys, edit, message):
    start = time.perf_counter()
    code, err = run(capsys, tmp_path, BASE.replace(*edit))
    assert time.perf_counter() - start < 5  # no linspace of 10**9 temperatures, no terabyte allocation
    assert code == 2 and err.count("\n") == 1 and message in err
    assert "of memory, more than the 8 GiB allowed by EBMPHYS_MEMORY_LIMIT" in err
    assert only(tmp_path)  # no .h5, no stale .h5.tmp, no lock


def test_a_large_run_that_fits_is_warned_about(tmp_path, capsys, monkeypatch):
    from ebmphys.study.spec import study_resources

    monkeypatch.delenv("EBMPHYS_MEMORY_LIMIT")
    needed = study_resources(parse_study(BASE).data).memory(1)
    monkeypatch.setenv("EBMPHYS_MEMORY_LIMIT", str(int(needed * 1.5)))
    code, err = run(capsys, tmp_path, BASE, "--resume")  # the spec is read (and warned about), then refused
    assert code == 2 and "cannot resume" in err
    warning = err.splitlines()[0]
    assert warning.startswith("ebmphys run: warning: ") and "67% of the" in warning
    assert "allowed by EBMPHYS_MEMORY_LIMIT" in warning


def test_study_larger_than_the_free_disk_is_refused(tmp_path, capsys, monkeypatch):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 2**20, 2**20))
    code, err = run(capsys, tmp_path, BASE.replace("n_sweeps = 100", "n_sweeps = 100_000"))
    assert code == 2 and err.count("\n") == 1
    assert "the study file" in err and "of disk, more than the 1 MiB free on" in err
    assert only(tmp_path)


@pytest.mark.parametrize("edit, message", [
    (("values = [2.0]", "values = [1e-320]"),
     "temperatures.values[0] = 1e-320 is not allowed: beta = 1/T must be a finite number (T >= 5.56e-309)"),
    (("values = [2.0]", "min = 1e-320\nmax = 1.0\ncount = 3"),
     "temperatures.min = 1e-320 is not allowed: beta = 1/T must be a finite number"),
    (("values = [2.0]", "values = [2.0, 3.0, 2.0]"),
     "temperatures.values = [2.0, 3.0, 2.0] must not repeat a temperature: values[0] = values[2] = 2.0"),
    (("values = [2.0]", "min = 1.0\nmax = 1.0000000000000002\ncount = 5"),
     "temperatures.count = 5 repeats temperatures"),
    (("sizes = [4]", "sizes = [4]\nJ = 1e308"),
     "model.J = 1e+308 is not allowed: energies on the L = 4 lattice reach N (d |J| + |h|) = inf"),
    (("sizes = [4]", "sizes = [4]\nh = 1e200"), "model.h = 1e+200 is not allowed"),
])
def test_temperatures_and_energy_scales_that_cannot_work(tmp_path, capsys, edit, message):
    code, err = run(capsys, tmp_path, BASE.replace(*edit))
    assert code == 2 and err.count("\n") == 1 and message in err, err
    assert only(tmp_path)


def test_models_whose_energies_overflow_are_refused_when_built():
    from ebmphys.models import RBM, GraphIsing

    with pytest.raises(ValueError, match="overflows float64"):
        LatticeIsing((4, 4), J=1e308)
    with pytest.raises(ValueError, match="overflows float64"):
        GraphIsing([[0, 1e308], [1e308, 0]], fields=1e308)
    with pytest.raises(ValueError, match="overflows float64"):
        RBM(2, 2, W=[[1e308, 1e308], [1e308, 1e308]])
    assert LatticeIsing((4, 4), J=1e300).J == 1e300


def test_symlinked_output_is_written_and_locked_at_its_target(tmp_path, capsys):
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "real.h5"
    link = tmp_path / "b.h5"
    link.symlink_to(target)
    with exclusive_lock(target):  # a writer of the target blocks a run through the link
        code, err = run(capsys, tmp_path, BASE)
    assert code == 2 and "is being written by another process" in err and not target.exists()
    code, err = run(capsys, tmp_path, BASE)
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(target)
    with StudyFile(link) as f:
        assert f.complete
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == ["real.h5"]  # no .tmp, no .lock
    assert (tmp_path / "b_summary.csv").exists() and (tmp_path / "b.png").exists()


@pytest.mark.parametrize("existing", ["b_summary.csv", "b.png"])
def test_summary_table_and_figure_are_protected_like_the_study_file(tmp_path, capsys, existing):
    (tmp_path / existing).write_bytes(b"the user's own file")
    code, err = run(capsys, tmp_path, BASE)
    assert code == 2 and err.count("\n") == 1
    assert f"{existing} already exists (an output of this study); use --overwrite" in err
    assert (tmp_path / existing).read_bytes() == b"the user's own file" and not (tmp_path / "b.h5").exists()
    if existing.endswith(".png"):  # --overwrite replaces all three outputs (drawing the figure takes seconds)
        code, err = run(capsys, tmp_path, BASE, "--overwrite")
        assert code == 0
        assert (tmp_path / existing).read_bytes()[:4] == b"\x89PNG" and (tmp_path / "b_summary.csv").exists()


def test_overwrite_onto_a_directory_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "b.h5").mkdir()
    for flag in ("--overwrite", "--resume"):
        code, err = run(capsys, tmp_path, BASE, flag)
        assert code == 2 and err.count("\n") == 1 and "b.h5: it is a directory" in err
    assert only(tmp_path, "b.h5") and list((tmp_path / "b.h5").iterdir()) == []


def test_spec_api_errors_name_the_key():
    with pytest.raises(SpecError, match=r"temperatures.values\[1\] = 1e-320"):
        parse_study(BASE.replace("values = [2.0]", "values = [2.0, 1e-320]"))
