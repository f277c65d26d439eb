"""``ebmphys train`` with continuous-EBM, JEM and comparison specs; ``ebmphys inspect`` and ``plot`` of their files."""

import h5py
import numpy as np
import pytest

from ebmphys.cli import main
from ebmphys.training.ebm_estimator import EBMTrainer

SPEC = """
[data]
source = "mixture"
n_samples = 400
centers = [-2.0, 2.0]
weights = [0.4, 0.6]
test_fraction = 0.25

[model]
type = "mixture"
trainable = ["log_weights", "means"]

[training]
method = "jarzynski"
step_size = 0.05
learning_rate = 0.05
batch_size = 100
n_epochs = 4
monitors = ["log_likelihood", "mode_weights", "ess", "log_z_estimate"]
"""

COMPARISON = """
[comparison]
name = "tiny"
methods = ["pcd", "jarzynski"]

[mixture]
dims = [2]
n_samples = 200
n_updates = 30
n_walkers = 100
monitor_every = 10

[double_well]
n_samples = 200
n_updates = 20
n_walkers = 100
buffer_size = 100
monitor_every = 10
"""


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _write(tmp_path, text, name="run.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_ebm_spec_trains_inspects_plots_and_resumes_after_a_kill(tmp_path, monkeypatch, capsys):
    spec = _write(tmp_path, SPEC)
    assert main(["train", str(spec), "--out", "full.h5"]) == 0
    assert "trained GaussianMixture (dim 2, 6 trained parameters) by jarzynski, 4 epochs" in capsys.readouterr().out
    save = EBMTrainer.save

    def killed_after_epoch_2(self, path):
        save(self, path)
        if self.epoch_ == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(EBMTrainer, "save", killed_after_epoch_2)
    assert main(["train", str(spec), "--quiet", "--out", "part.h5"]) == 130
    monkeypatch.setattr(EBMTrainer, "save", save)
    assert main(["inspect", "part.h5"]) == 0
    assert "INCOMPLETE at epoch 2 of 4" in capsys.readouterr().out
    assert main(["train", str(spec), "--quiet", "--resume", "--out", "part.h5"]) == 0
    full, part = EBMTrainer.from_checkpoint(tmp_path / "full.h5"), EBMTrainer.from_checkpoint(tmp_path / "part.h5")
    np.testing.assert_array_equal(full.model_.theta, part.model_.theta)
    assert full.history_ == part.history_
    assert main(["inspect", "full.h5"]) == 0
    assert "status: complete (every dataset verified)" in capsys.readouterr().out
    assert main(["plot", "full.h5"]) == 0
    assert (tmp_path / "full.png").stat().st_size > 10_000
    _write(tmp_path, SPEC.replace("n_epochs = 4", "n_epochs = 5"))
    assert main(["train", str(spec), "--resume", "--out", "full.h5"]) == 2
    assert "differs from the spec stored in full.h5" in capsys.readouterr().err


@pytest.mark.parametrize("change, message", [
    ('type = "mixture"', 'type = "mixtur"', ),
    ('method = "jarzynski"', 'method = "jarzinski"'),
    ("n_epochs = 4", "n_epochs = 0"),
    ('method = "jarzynski"', 'method = "replay"\nbuffer_size = 10'),
    ('method = "jarzynski"', 'method = "jarzynski"\ness_threshold = 1.5'),
])
def test_bad_ebm_specs_are_one_line_errors_and_write_nothing(tmp_path, capsys, change, message):
    spec = _write(tmp_path, SPEC.replace(change, message))
    assert main(["train", str(spec)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ebmphys train: error:")
    assert not (tmp_path / "run.h5").exists()


def test_jem_spec_writes_metrics_samples_and_a_figure(tmp_path, capsys):
    text = """
[model]
type = "jem"
hidden = [16]
[training]
n_epochs = 2
sgld_steps = 2
buffer_size = 1000
n_generated = 9
generate_steps = 5
"""
    spec = _write(tmp_path, text, "jem.toml")
    assert main(["train", str(spec), "--quiet"]) == 0
    with h5py.File(tmp_path / "jem.h5") as f:
        assert f["generated"].shape == (9, 64)
        assert set(f) >= {"jem", "plain"}
    assert (tmp_path / "jem.png").exists()
    assert main(["inspect", "jem.h5"]) == 0
    assert "auroc_noise" in capsys.readouterr().out
    assert (tmp_path / "jem.h5.jem-checkpoint.h5").exists() and (tmp_path / "jem.h5.plain-checkpoint.h5").exists()
    assert main(["train", str(spec)]) == 2
    assert "exists; use --resume to continue the run or --overwrite" in capsys.readouterr().err


JEM_SPEC = """
[model]
type = "jem"
hidden = [8]
[training]
n_epochs = 3
sgld_steps = 2
buffer_size = 200
n_generated = 4
generate_steps = 3
"""


def test_jem_spec_killed_and_resumed_equals_the_uninterrupted_run(tmp_path, monkeypatch, capsys):
    """Killed after the JEM classifier's 2nd of 3 epochs: no output file, the last good checkpoint; --resume
    continues it (and trains the plain classifier, whose checkpoint was never written, afresh) to the bits of the
    uninterrupted run.  A damaged checkpoint is refused in one line, exit 2, and no output is written."""
    from ebmphys.training.jem import JEMClassifier

    spec = _write(tmp_path, JEM_SPEC, "jem.toml")
    assert main(["train", str(spec), "--quiet", "--out", "full.h5"]) == 0
    save = JEMClassifier.save

    def killed_after_epoch_2(self, path):
        save(self, path)
        if self.epoch_ == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(JEMClassifier, "save", killed_after_epoch_2)
    assert main(["train", str(spec), "--quiet", "--out", "part.h5"]) == 130
    monkeypatch.setattr(JEMClassifier, "save", save)
    assert not (tmp_path / "part.h5").exists() and not (tmp_path / "part.h5.plain-checkpoint.h5").exists()
    checkpoint = tmp_path / "part.h5.jem-checkpoint.h5"
    assert JEMClassifier.from_checkpoint(checkpoint).epoch_ == 2
    assert main(["inspect", str(checkpoint)]) == 0
    assert "INCOMPLETE at epoch 2 of 3" in capsys.readouterr().out
    intact = checkpoint.read_bytes()
    with h5py.File(checkpoint, "r") as f:
        info = f["state/phase/buffer"].id.get_chunk_info(0)
    damaged = bytearray(intact)
    damaged[info.byte_offset + 16: info.byte_offset + 24] = bytes(255 - b for b in intact[info.byte_offset + 16:
                                                                                          info.byte_offset + 24])
    checkpoint.write_bytes(bytes(damaged))
    capsys.readouterr()
    assert main(["train", str(spec), "--quiet", "--resume", "--out", "part.h5"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "state/phase/buffer is damaged: checksum mismatch" in err, err
    assert "the run cannot continue from it" in err and not (tmp_path / "part.h5").exists()
    assert checkpoint.read_bytes() == bytes(damaged)                 # the damaged file is left for inspection
    assert main(["inspect", str(checkpoint)]) != 0
    assert "DAMAGED state/phase/buffer: checksum mismatch" in capsys.readouterr().out
    checkpoint.write_bytes(intact)
    assert main(["train", str(spec), "--quiet", "--resume", "--out", "part.h5"]) == 0
    with h5py.File(tmp_path / "full.h5") as full, h5py.File(tmp_path / "part.h5") as part:
        for name in ("jem/theta", "plain/theta", "generated", "buffer_sample", "jem/history/cross_entropy"):
            np.testing.assert_array_equal(part[name][()], full[name][()])
        assert part["jem"].attrs["metrics_json"] == full["jem"].attrs["metrics_json"]
    _write(tmp_path, JEM_SPEC.replace("n_epochs = 3", "n_epochs = 4"), "jem.toml")
    assert main(["train", str(spec), "--quiet", "--resume", "--out", "part.h5"]) == 2
    assert "differs from the spec stored in" in capsys.readouterr().err


def test_comparison_spec_runs_every_case_and_method_and_resumes_run_by_run(tmp_path, capsys):
    spec = _write(tmp_path, COMPARISON, "tiny.toml")
    assert main(["train", str(spec), "--quiet"]) == 0
    with h5py.File(tmp_path / "tiny.h5") as f:
        assert sorted(f["cases"]) == ["double_well", "mixture_d2"]
        for case in f["cases"]:
            assert sorted(k for k in f["cases"][case] if k != "data") == ["jarzynski", "pcd"]
        assert f["cases/mixture_d2/jarzynski/negative_weights"].shape == (100,)
        assert "mle_tilt" in f["cases/double_well"].attrs
        theta = f["cases/double_well/pcd/theta"][()]
        del_path = "cases/double_well/pcd"
    with h5py.File(tmp_path / "tiny.h5", "r+") as f:   # as if killed before the last run was written
        del f[del_path]
    assert main(["inspect", "tiny.h5"]) == 0
    assert "INCOMPLETE: 3 of 4 runs" in capsys.readouterr().out
    assert main(["train", str(spec), "--quiet", "--resume"]) == 0
    with h5py.File(tmp_path / "tiny.h5") as f:
        np.testing.assert_array_equal(f["cases/double_well/pcd/theta"][()], theta)
    assert (tmp_path / "tiny.png").exists()
    assert main(["plot", "tiny.h5"]) == 0
