"""``ebmphys run / plot / inspect`` end to end, kill-and-resume bit for bit, and bad input.

The runs go through the real command in subprocesses (each pays the start-up and
the load of the cached Numba kernels, so there are few of them); the error cases
that stop before sampling call ``ebmphys.cli.main`` in this process.
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ebmphys import LatticeIsing
from ebmphys.cli import main
from ebmphys.partition.kaufman import ising2d_energy
from ebmphys.storage import StudyFile
from ebmphys.study.summary import summarize

REPO = Path(__file__).resolve().parents[2]

SPEC = """
[study]
name = "tiny"
[model]
dimension = 2
sizes = [4, 8]
[temperatures]
values = [2.0, 2.4, 3.0]
[sampling]
algorithm = "metropolis"
burn_in = 20
n_sweeps = 200
n_chains = 2
seeds = [11, 12]
[record]
observables_every = 2
configurations_every = 50
[checkpoint]
sweeps = 50
seconds = 0
"""


def ebmphys(*args, cwd, kill_at=None):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    env.pop("EBMPHYS_KILL_AT", None)
    if kill_at:
        env["EBMPHYS_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-m", "ebmphys.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run on a pool of two worker processes."""
    d = tmp_path_factory.mktemp("ref")
    (d / "tiny.toml").write_text(SPEC)
    proc = ebmphys("run", "tiny.toml", "--workers", "2", cwd=d)
    assert proc.returncode == 0, proc.stderr
    return d, proc


def test_run_writes_what_the_spec_asked_for(reference):
    d, proc = reference
    with StudyFile(d / "tiny.h5") as f:
        assert f.complete and f.name == "tiny" and f.spec_toml == SPEC
        assert f.sizes == [4, 8] and f.seeds == [11, 12] and f.n_chains == 4
        np.testing.assert_array_equal(f.temperatures, [2.0, 2.4, 3.0])
        np.testing.assert_array_equal(f.record_sweeps(8), 20 + 2 * np.arange(1, 101))
        np.testing.assert_array_equal(f.configuration_sweeps(8), [70, 120, 170, 220])
        for L in f.sizes:
            e, m = f.observable("energy", L), f.observable("magnetization", L)
            assert e.shape == (3, 4, 100) and np.isfinite(e).all() and np.abs(m).max() <= L * L
            np.testing.assert_array_equal(f.sweeps_done(L), 220)
            # the last stored configuration is the state after the last record
            conf = f.configurations(L, temperature_index=1, chain=3)
            assert conf.shape == (4, L, L)
            assert LatticeIsing((L, L)).energy(conf[-1]) == e[1, 3, -1]
            assert conf[-1].sum() == m[1, 3, -1]
            np.testing.assert_array_equal(f.checkpoint_states(L)[1, 3], conf[-1].ravel())
        # chains are independent: no two chains share a trajectory
        assert len({tuple(row) for row in f.observable("energy", 8).reshape(12, -1)}) == 12
    # the whole pipeline agrees with Kaufman's exact energy of the same finite torus, within 5 standard
    # errors (block jackknife over 4 chains x 100 records; 5 sigma leaves room for the error-of-error)
    with StudyFile(d / "tiny.h5") as f:
        summary = summarize(f)
    for i, L in enumerate(summary.sizes):
        exact = ising2d_energy(L, L, 1.0 / summary.temperatures)
        np.testing.assert_array_less(np.abs(summary.values["energy"][i] - exact), 5 * summary.errors["energy"][i])
    assert "Binder crossing" in proc.stdout and "U4" in proc.stdout.splitlines()[0]
    assert "%" in proc.stderr  # plain progress lines (stderr is not a terminal)


def test_plots_and_table_are_written(reference, capsys):
    d, _ = reference
    png, csv = d / "tiny.png", d / "tiny_summary.csv"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert len(csv.read_text().splitlines()) == 1 + 2 * 3
    assert main(["plot", str(d / "tiny.h5"), "--format", "pdf"]) == 0
    pdf = d / "tiny.pdf"
    assert pdf.read_bytes()[:4] == b"%PDF" and pdf.stat().st_size > 10_000


def test_inspect_reports_contents(reference, capsys):
    d, _ = reference
    assert main(["inspect", str(d / "tiny.h5"), "--spec"]) == 0
    out = capsys.readouterr().out
    assert "status: complete" in out and "L = 8: 6/6 tasks finished" in out and 'name = "tiny"' in out


@pytest.mark.parametrize("kill_at, workers", [("job:7", "1"), ("copied:3", "1"), ("written:9", "1"), ("job:5", "2")])
def test_kill_and_resume_is_bit_identical(reference, tmp_path, kill_at, workers):
    """SIGKILL during sampling or inside a checkpoint write, then --resume: every dataset equals the reference."""
    ref_dir, _ = reference
    (tmp_path / "tiny.toml").write_text(SPEC)
    killed = ebmphys("run", "tiny.toml", "--workers", workers, "--quiet", cwd=tmp_path, kill_at=kill_at)
    assert killed.returncode == -9, killed.stderr
    with StudyFile(tmp_path / "tiny.h5") as f:  # the killed run left a readable, incomplete file
        assert not f.complete
        assert 0 < f.sweeps_done(4).sum() + f.sweeps_done(8).sum() < 2 * 6 * 220
    resumed = ebmphys("run", "tiny.toml", "--resume", "--workers", "1", "--quiet", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    with StudyFile(ref_dir / "tiny.h5") as ref, StudyFile(tmp_path / "tiny.h5") as got:
        want, have = ref.datasets(), got.datasets()
        assert set(want) == set(have)
        for name in want:
            assert want[name].dtype == have[name].dtype, name
            np.testing.assert_array_equal(have[name], want[name], err_msg=name)
        assert got.complete
    assert not (tmp_path / "tiny.h5.tmp").exists()


def run_main(capsys, *args):
    code = main(list(args))
    err = capsys.readouterr().err
    return code, err


@pytest.mark.parametrize(
    "edit, message",
    [
        (("n_sweeps = 200", "n_sweeps = [200"), "is not valid TOML"),
        (("burn_in = 20", "burnin = 20"), "unknown key 'sampling.burnin' (did you mean 'burn_in'?)"),
        (("n_chains = 2", "n_chains = \"two\""), "sampling.n_chains = 'two' is not allowed: expected an integer"),
        (("values = [2.0, 2.4, 3.0]", "values = [2.0, -2.4]"), "temperatures.values[1] = -2.4 is not allowed"),
        (("n_sweeps = 200", "n_sweeps = 0"), "sampling.n_sweeps = 0 is not allowed: expected an integer (>= 1)"),
    ],
)
def test_bad_spec_is_a_one_line_error(tmp_path, capsys, edit, message):
    spec = tmp_path / "bad.toml"
    spec.write_text(SPEC.replace(*edit))
    code, err = run_main(capsys, "run", str(spec), "--out", str(tmp_path / "bad.h5"))
    assert code == 2
    assert message in err and err.startswith("ebmphys run: error: ") and err.count("\n") == 1
    assert not (tmp_path / "bad.h5").exists()


def test_refusals_never_touch_existing_files(reference, tmp_path, capsys):
    ref_dir, _ = reference
    good = ref_dir / "tiny.h5"
    before = digest(good)
    spec = tmp_path / "tiny.toml"
    spec.write_text(SPEC)

    code, err = run_main(capsys, "run", str(spec), "--out", str(good))
    assert code == 2 and "already exists; use --resume" in err and err.count("\n") == 1

    other = tmp_path / "other.toml"
    other.write_text(SPEC.replace("n_sweeps = 200", "n_sweeps = 400"))
    code, err = run_main(capsys, "run", str(other), "--out", str(good), "--resume")
    assert code == 2 and "written by a different spec" in err and err.count("\n") == 1

    code, err = run_main(capsys, "run", str(spec), "--out", str(tmp_path / "missing.h5"), "--resume")
    assert code == 2 and "does not exist" in err

    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(good.read_bytes()[:3000])
    damaged = digest(truncated)
    for args in (["inspect", str(truncated)], ["plot", str(truncated)],
                 ["run", str(spec), "--out", str(truncated), "--resume"]):
        code, err = run_main(capsys, *args)
        assert code == 2 and "truncated or corrupt" in err and err.count("\n") == 1, (args, err)
    assert digest(truncated) == damaged
    assert digest(good) == before
