"""phi^4 studies: the spec, a run end to end (file, table, figure, inspect), kill and resume bit for bit.

The Ising path is untouched: an Ising spec's fingerprint equals the one the runner computed before
phi^4 studies existed (so old files stay resumable).
"""

import numpy as np
import pytest

from ebmphys.storage import StudyFile
from ebmphys.study import parse_study
from ebmphys.study.phi4_summary import (
    KAPPA_C_ISING_2D,
    format_phi4_table,
    summarize_phi4,
)
from ebmphys.study.spec import SpecError
from ebmphys.study.tasks import Phi4Task, expand
from tests.study.test_cli_run import REPO, ebmphys

SPEC = """
[study]
name = "phi"
[model]
type = "phi4"
dimension = 2
sizes = [4, 8]
[couplings]
lam = [1.0, 20.0]
kappa_min = [0.30, 0.19]
kappa_max = [0.38, 0.27]
count = 4
step_size = [1.0, 0.4]
[sampling]
algorithm = "wolff"
n_clusters = 2
burn_in = 100
n_sweeps = 400
n_chains = 2
seeds = [5, 6]
[checkpoint]
sweeps = 150
seconds = 0
"""


def test_spec_grid_and_tasks():
    spec = parse_study(SPEC)
    lams, kappas = spec.couplings
    np.testing.assert_allclose(lams, [1.0] * 4 + [20.0] * 4)
    np.testing.assert_allclose(kappas[:4], np.linspace(0.30, 0.38, 4))
    np.testing.assert_allclose(spec.step_sizes, [1.0] * 4 + [0.4] * 4)
    tasks = expand(spec)
    assert len(tasks) == 2 * 8 * 2 and all(isinstance(t, Phi4Task) for t in tasks)
    t = tasks[5]
    assert (t.lam, t.kappa, t.step_size, t.beta, t.n_clusters) == (1.0, kappas[2], 1.0, 1.0, 2)
    assert len({t.key for t in tasks}) == len(tasks)


def test_ising_specs_keep_their_fingerprint():
    """Computed with the runner of commit aa10d21, before phi^4 studies: old Ising files stay resumable."""
    text = (REPO / "studies" / "ising2d_quick.toml").read_text()
    assert parse_study(text).fingerprint() == "da408e0562b8031f36fbb66eec98d2dcda036a28984e746c3a15966150ae0f8e"


@pytest.mark.parametrize("edit, message", [
    (("kappa_max = [0.38, 0.27]", "kappa_max = [0.38]"), "couplings.kappa_max = [0.38] must have one value per lam"),
    (("lam = [1.0, 20.0]", "lam = [1.0, 1.0]"), "couplings.lam = [1.0, 1.0] must not repeat a value"),
    (("lam = [1.0, 20.0]", "lam = [1.0, -2.0]"), "couplings.lam[1] = -2.0 is not allowed"),
    (("lam = [1.0, 20.0]", "lam = [1.0, 0.0]"), "couplings (lam = 0.0, kappa = 0.27) is not allowed: kappa must satisfy"),
    (("kappa_min = [0.30, 0.19]", "kappa_min = [0.30, -0.1]"), "kappa >= 0 (ferromagnetic embedded Ising model)"),
    (("kappa_min = [0.30, 0.19]", "kappa_min = [0.39, 0.19]"), "couplings.kappa_min[0] = 0.39 must be below"),
    (("sizes = [4, 8]", "sizes = [4, 5]"), "must be even"),
    (('algorithm = "wolff"', 'algorithm = "hmc"'), "sampling.algorithm = 'hmc' is not allowed"),
    (("[checkpoint]", "[record]\nconfigurations_every = 10\n[checkpoint]"), "unknown key 'record.configurations_every'"),
    (('algorithm = "wolff"\nn_clusters = 2', 'algorithm = "metropolis"\nn_clusters = 2'),
     "sampling.n_clusters applies to sampling.algorithm = 'wolff' only"),
    (("[couplings]", "[temperatures]\nvalues = [1.0]\n[couplings]"), "unknown key 'temperatures'"),
])
def test_bad_phi4_specs_are_one_line_errors(edit, message):
    assert edit[0] in SPEC
    with pytest.raises(SpecError) as err:
        parse_study(SPEC.replace(*edit))
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    d = tmp_path_factory.mktemp("phi4")
    (d / "phi.toml").write_text(SPEC)
    proc = ebmphys("run", "phi.toml", "--workers", "1", cwd=d)
    assert proc.returncode == 0, proc.stderr
    return d, proc


def test_run_writes_file_table_and_figure(reference):
    d, proc = reference
    assert (d / "phi_summary.csv").exists() and (d / "phi.png").stat().st_size > 10_000
    assert "lam = 20: Binder crossing L = 4, 8: kappa =" in proc.stdout
    assert "2D Ising references: U4* = 0.61069" in proc.stdout
    with StudyFile(d / "phi.h5") as f:
        assert f.complete and f.model_type == "phi4" and np.isnan(f.J)
        np.testing.assert_allclose(f.kappas, parse_study(SPEC).couplings[1])
        states = f.checkpoint_states(8)
        assert states.shape == (8, 4, 64) and states.dtype == np.float64
        energy = f.observable("energy", 8)
        assert energy.shape == (8, 4, 400) and np.all(np.isfinite(energy))
        summary = summarize_phi4(f)
    series = summary.series[1]
    c = series.critical
    # a 4-8 crossing at lam = 20 lies near, and above, the Ising limit
    assert KAPPA_C_ISING_2D < c.beta < KAPPA_C_ISING_2D + 0.04
    assert 0.5 < c.u4 < 0.7
    assert f"lam = 20: kappa_c - {KAPPA_C_ISING_2D:.6f} =" in format_phi4_table(summary)
    inspect = ebmphys("inspect", "phi.h5", cwd=d)
    assert "2D lattice phi^4" in inspect.stdout and "status: complete" in inspect.stdout


def test_kill_and_resume_is_bit_identical(reference, tmp_path, kill_at="job:9"):
    ref_dir, _ = reference
    (tmp_path / "phi.toml").write_text(SPEC)
    killed = ebmphys("run", "phi.toml", "--workers", "1", "--quiet", cwd=tmp_path, kill_at=kill_at)
    assert killed.returncode == -9, killed.stderr
    resumed = ebmphys("run", "phi.toml", "--resume", "--workers", "1", "--quiet", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    with StudyFile(ref_dir / "phi.h5") as ref, StudyFile(tmp_path / "phi.h5") as got:
        want, have = ref.datasets(), got.datasets()
        assert set(want) == set(have)
        for name in want:
            np.testing.assert_array_equal(have[name], want[name], err_msg=name)
        assert got.complete
