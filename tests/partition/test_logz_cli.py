"""``ebmphys logz``: every method end to end on small models, JSON output, studies, user errors.

Statistical checks use 5 of the reported standard errors, as in test_ais.py.
"""

import json

import numpy as np
import pytest

from ebmphys.cli import main
from ebmphys.models.rbm import RBM
from ebmphys.partition import ising2d_log_z
from ebmphys.partition.rbm_exact import rbm_log_z_exact


def _json(capsys, argv):
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("method", ["kaufman", "exact", "ais", "reverse-ais", "ti", "wang-landau"])
def test_every_method_on_a_4x4_lattice(capsys, method):
    out = _json(capsys, ["logz", "--ising2d", "4", "--beta", "0.44", "--method", method, "--seed", "3"])
    assert set(out) >= {"estimate", "stderr", "method", "seconds", "parameters"}
    assert out["method"] == method and out["parameters"]["beta"] == 0.44
    exact = ising2d_log_z(4, 4, 0.44)
    if method in ("kaufman", "exact"):
        assert out["estimate"] == pytest.approx(exact, abs=1e-10) and out["stderr"] == 0
    else:
        tol = np.hypot(out["stderr"], out.get("quadrature_error", 0.0))
        assert abs(out["estimate"] - exact) < 5 * tol


def test_text_output_and_3d_lattice(capsys):
    assert main(["logz", "--ising3d", "2", "--beta", "0.3", "--method", "exact"]) == 0
    assert capsys.readouterr().out.startswith("log Z = ")


def _write_rbm(tmp_path):
    rng = np.random.default_rng(0)
    rbm = RBM(10, 6, W=rng.normal(0, 1, (10, 6)), b=rng.normal(0, 1, 10), c=rng.normal(0, 1, 6))
    path = tmp_path / "rbm.npz"
    np.savez(path, W=rbm.W, b=rbm.b, c=rbm.c)
    return rbm, path


def test_rbm_npz_and_data_base(capsys, tmp_path):
    rbm, path = _write_rbm(tmp_path)
    exact = rbm_log_z_exact(rbm)
    out = _json(capsys, ["logz", "--rbm", str(path), "--method", "exact"])
    assert out["estimate"] == pytest.approx(exact)
    data = tmp_path / "data.npy"
    np.save(data, (np.random.default_rng(1).random((40, 10)) < 0.4).astype(np.uint8))
    out = _json(capsys, ["logz", "--rbm", str(path), "--data", str(data), "--steps", "500"])
    assert abs(out["estimate"] - exact) < 5 * out["stderr"] and out["bound"] == "lower"


def test_rbm_trainer_checkpoint(capsys, tmp_path):
    from ebmphys.datasets import load_binary_digits
    from ebmphys.training import RBMTrainer

    X = load_binary_digits()[:200]
    trainer = RBMTrainer(6, n_iter=2, random_state=0).fit(X)
    trainer.save(tmp_path / "ckpt.h5")
    out = _json(capsys, ["logz", "--rbm", str(tmp_path / "ckpt.h5"), "--method", "exact"])
    assert out["estimate"] == pytest.approx(rbm_log_z_exact(trainer.rbm_))


def test_spec_files(capsys, tmp_path):
    spec = tmp_path / "m.toml"
    spec.write_text('[model]\ntype = "ising"\nshape = [4, 6]\nJ = 1\n')
    out = _json(capsys, ["logz", "--spec", str(spec), "--beta", "0.5", "--method", "kaufman"])
    assert out["estimate"] == pytest.approx(ising2d_log_z(4, 6, 0.5))
    spec.write_text('[model]\ntype = "rbm-random"\nn_visible = 8\nn_hidden = 5\nweight_scale = 2.0\n')
    exact = _json(capsys, ["logz", "--spec", str(spec), "--method", "exact"])["estimate"]
    out = _json(capsys, ["logz", "--spec", str(spec), "--method", "reverse-ais", "--steps", "300"])
    assert abs(out["estimate"] - exact) < 5 * out["stderr"] and out["bound"] == "upper"


def test_study_writes_json_and_png(capsys, tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(
        '[study]\nname = "tiny"\nbeta = 0.44\n[model]\ntype = "ising"\nshape = [4, 4]\n'
        '[exact]\nmethod = "kaufman"\n[ais]\nchains = 20\nsteps = [10, 30]\nschedules = ["linear", "sigmoid"]\n'
        'reverse = true\n'
    )
    assert main(["logz", "--study", str(spec), "--out", str(tmp_path / "out")]) == 0
    result = json.loads((tmp_path / "out" / "tiny.json").read_text())
    assert result["exact"] == pytest.approx(ising2d_log_z(4, 4, 0.44))
    assert [s["direction"] for s in result["series"]] == ["forward", "forward", "reverse"]
    assert [p["steps"] for p in result["series"][0]["points"]] == [10, 30]
    assert (tmp_path / "out" / "tiny.png").stat().st_size > 0


@pytest.mark.parametrize("argv, message", [
    (["--ising3d", "4", "--method", "kaufman"], "periodic 2D"),
    (["--ising2d", "4", "--n-chains", "0"], "--n-chains must be >= 1"),
    (["--ising2d", "4", "--beta", "-1"], "--beta must be"),
    (["--ising2d", "1"], "L must be >= 2"),
    (["--ising2d", "4", "--data", "digits"], "RBMs only"),
    (["--ising2d", "3"], "even side"),
    (["--ising2d", "8", "--method", "exact"], "exceeds the limit"),
    (["--rbm", "missing.npz"], "does not exist"),
])
def test_user_errors(capsys, argv, message):
    assert main(["logz"] + argv) == 2
    assert message in capsys.readouterr().err


def test_bad_files(capsys, tmp_path):
    bad = tmp_path / "bad.npz"
    np.savez(bad, W=np.zeros((3, 2)), b=np.zeros(3))
    assert main(["logz", "--rbm", str(bad)]) == 2
    assert "missing ['c']" in capsys.readouterr().err
    spec = tmp_path / "s.toml"
    spec.write_text('[model]\ntype = "potts"\n')
    assert main(["logz", "--spec", str(spec)]) == 2
    assert "type must be one of" in capsys.readouterr().err
    spec.write_text('[nothing]\n')
    assert main(["logz", "--spec", str(spec)]) == 2
    assert "needs a [model] table" in capsys.readouterr().err
    _, rbm_path = _write_rbm(tmp_path)
    assert main(["logz", "--rbm", str(rbm_path), "--method", "ti"]) == 2
    assert "Ising lattice" in capsys.readouterr().err
