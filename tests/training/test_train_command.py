"""``ebmphys train SPEC.toml``: output file, spec errors, refusal to clobber, kill and resume."""

import h5py
import numpy as np
import pytest

from ebmphys.cli import main
from ebmphys.training import RBMTrainer

SPEC = """
[data]
source = "digits"
test_fraction = 0.25

[model]
n_hidden = 8

[training]
learning_rate = 0.05
batch_size = 20
n_epochs = 4
seed = 3
momentum = 0.5
monitors = ["log_likelihood", "reconstruction_error"]
"""


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    """The default output (SPEC_NAME.h5) goes to the current directory, as for ``ebmphys run``."""
    monkeypatch.chdir(tmp_path)


def _write(tmp_path, text, name="run.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_train_writes_a_checkpoint_with_the_spec(tmp_path, capsys):
    spec = _write(tmp_path, SPEC)
    assert main(["train", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "exact mean log-likelihood on test data" in out
    with h5py.File(tmp_path / "run.h5") as f:
        assert f.attrs["spec_toml"] == SPEC
        assert int(f["state"].attrs["epoch"]) == 4
    trainer = RBMTrainer.from_checkpoint(tmp_path / "run.h5")
    assert trainer.rbm_.W.shape == (64, 8) and len(trainer.history_["log_likelihood"]) == 4
    assert main(["train", str(spec)]) == 2
    assert "exists; use --resume" in capsys.readouterr().err
    assert main(["train", str(spec), "--overwrite", "--quiet"]) == 0
    assert capsys.readouterr().out == ""


def _train_killed_at_epoch_3(monkeypatch, spec, out) -> None:
    """``ebmphys train spec --out out`` interrupted (KeyboardInterrupt, exit 130) as epoch 3 starts."""
    original = RBMTrainer._train_epoch

    def killed_at_epoch_3(self, X, order):
        if self.epoch_ == 2:
            raise KeyboardInterrupt
        original(self, X, order)

    with monkeypatch.context() as patch:
        patch.setattr(RBMTrainer, "_train_epoch", killed_at_epoch_3)
        assert main(["train", str(spec), "--quiet", "--out", str(out)]) == 130


def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch):
    spec = _write(tmp_path, SPEC)
    assert main(["train", str(spec), "--quiet", "--out", str(tmp_path / "full.h5")]) == 0
    _train_killed_at_epoch_3(monkeypatch, spec, tmp_path / "part.h5")
    assert int(h5py.File(tmp_path / "part.h5")["state"].attrs["epoch"]) == 2
    assert main(["train", str(spec), "--quiet", "--resume", "--out", str(tmp_path / "part.h5")]) == 0
    full, part = RBMTrainer.from_checkpoint(tmp_path / "full.h5"), RBMTrainer.from_checkpoint(tmp_path / "part.h5")
    np.testing.assert_array_equal(full.rbm_.W, part.rbm_.W)
    assert full.history_ == part.history_


def test_spins_file_as_training_data(tmp_path):
    spins = np.where(np.random.default_rng(0).random((50, 3, 3)) < 0.5, -1, 1).astype(np.int8)
    np.save(tmp_path / "spins.npy", spins)
    text = SPEC.replace('source = "digits"', 'source = "spins.npy"\nspins = true').replace("n_hidden = 8", "n_hidden = 2")
    assert main(["train", str(_write(tmp_path, text)), "--quiet"]) == 0
    assert RBMTrainer.from_checkpoint(tmp_path / "run.h5").rbm_.n_visible == 9


@pytest.mark.parametrize("edit, message", [
    (("n_hidden = 8", "n_hiden = 8"), "unknown key 'model.n_hiden' (did you mean 'n_hidden'?)"),
    (("learning_rate = 0.05", "learning_rate = -0.05"), "training.learning_rate = -0.05 is not allowed"),
    (("n_epochs = 4", 'n_epochs = "four"'), "training.n_epochs = 'four' is not allowed: expected an integer"),
    (('source = "digits"', 'source = "digits.csv"'), "expected 'digits' or a .npy/.npz file"),
    (("n_hidden = 8", "n_hidden = 40"), "'log_likelihood' monitor needs exact enumeration"),
    (("seed = 3", "seed = 3\nmethod = \"gibbs\""), "training.method = 'gibbs' is not allowed"),
])
def test_spec_errors_name_the_key_value_and_allowed(tmp_path, capsys, edit, message):
    spec = _write(tmp_path, SPEC.replace(*edit))
    assert main(["train", str(spec)]) == 2
    assert message in capsys.readouterr().err


def test_resume_refuses_a_changed_spec_or_missing_file(tmp_path, capsys):
    spec = _write(tmp_path, SPEC)
    assert main(["train", str(spec), "--resume"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["train", str(spec), "--quiet"]) == 0
    spec.write_text(SPEC.replace("n_epochs = 4", "n_epochs = 5"))
    assert main(["train", str(spec), "--resume"]) == 2
    assert "differs from the spec stored" in capsys.readouterr().err


def test_float32_training_from_the_spec_resumes_bit_for_bit(tmp_path, monkeypatch):
    text = SPEC.replace("monitors =", 'dtype = "float32"\nmonitors =')
    spec = _write(tmp_path, text)
    assert main(["train", str(spec), "--quiet", "--out", str(tmp_path / "full.h5")]) == 0
    full = RBMTrainer.from_checkpoint(tmp_path / "full.h5")
    assert full.dtype == "float32"
    float64 = _write(tmp_path, SPEC, name="f64.toml")
    assert main(["train", str(float64), "--quiet", "--out", str(tmp_path / "f64.h5")]) == 0
    assert not np.array_equal(full.rbm_.W, RBMTrainer.from_checkpoint(tmp_path / "f64.h5").rbm_.W)
    _train_killed_at_epoch_3(monkeypatch, spec, tmp_path / "part.h5")
    assert main(["train", str(spec), "--quiet", "--resume", "--out", str(tmp_path / "part.h5")]) == 0
    part = RBMTrainer.from_checkpoint(tmp_path / "part.h5")
    np.testing.assert_array_equal(full.rbm_.W, part.rbm_.W)
    assert full.history_ == part.history_
