"""Studies on a Dask cluster give the same file, bit for bit, as a serial run."""

import numpy as np

from ebmphys.cli import main
from ebmphys.storage import StudyFile
from ebmphys.study import parse_study, run_study
from ebmphys.study.executors import SerialExecutor

SPEC = """
[study]
name = "dask"
[model]
dimension = 2
sizes = [4, 6]
[temperatures]
values = [2.0, 3.0]
[sampling]
algorithm = "heatbath"
n_sweeps = 40
burn_in = 10
n_chains = 2
[record]
configurations_every = 20
[checkpoint]
sweeps = 20
seconds = 0
"""


def test_dask_cluster_matches_serial_run(tmp_path):
    from distributed import LocalCluster

    spec = parse_study(SPEC)
    serial = run_study(spec, tmp_path / "serial.h5", workers=1, quiet=True, executor=SerialExecutor("heatbath"))
    (tmp_path / "spec.toml").write_text(SPEC)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert main(["run", str(tmp_path / "spec.toml"), "--out", str(tmp_path / "dask.h5"), "--quiet",
                     "--scheduler", cluster.scheduler_address]) == 0
    with StudyFile(serial) as a, StudyFile(tmp_path / "dask.h5") as b:
        want, have = a.datasets(), b.datasets()
    assert want.keys() == have.keys()
    for name in want:
        np.testing.assert_array_equal(have[name], want[name], err_msg=name)


def test_unreachable_scheduler_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("ebmphys.study.executors.DASK_CONNECT_TIMEOUT", "1s")
    (tmp_path / "spec.toml").write_text(SPEC)
    assert main(["run", str(tmp_path / "spec.toml"), "--out", str(tmp_path / "x.h5"), "--quiet",
                 "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "ebmphys run: error:" in capsys.readouterr().err
    assert not (tmp_path / "x.h5").exists()
