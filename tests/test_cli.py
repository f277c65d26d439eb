"""The ``ebmphys`` command as a whole: every error class becomes one line and an exit status (``--debug`` shows
the traceback), Ctrl-C at any moment exits 130 with one line, ``train`` locks its output and reports write
failures like ``run``, ``inspect``/``plot`` read training files, ``logz`` refuses impossible sizes."""

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

import ebmphys.study.commands as study_commands
from ebmphys.cli import main
from ebmphys.exceptions import UserError, WriteError
from ebmphys.storage import atomic, exclusive_lock
from ebmphys.training import RBMTrainer

REPO = Path(__file__).resolve().parents[1]


def env():
    e = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    e.pop("EBMPHYS_KILL_AT", None)
    return e


def default_sigint():
    """In the child: Ctrl-C handled as in a terminal, even if the test runner was started with SIGINT
    ignored (a shell's background job without job control ignores it, and children inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def one_line(capsys, argv, code):
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"ebmphys {argv[0]}: "), err
    return err


# ---------------------------------------------------------------------------- every error class


def _raiser(exc):
    def func(args):
        raise exc
    return func


@pytest.mark.parametrize("exc, code, message", [
    (UserError("bad value"), 2, "error: bad value"),
    (ValueError("x must be > 0"), 2, "error: x must be > 0"),
    (FileNotFoundError("spec 'a.toml' does not exist"), 2, "error: spec 'a.toml' does not exist"),
    (WriteError("no space left on device while writing a.h5", errno.ENOSPC, "a.h5"), 1,
     "error: no space left on device while writing a.h5"),
    (PermissionError(errno.EACCES, "Permission denied", "a.h5"), 2, "error: permission denied: a.h5"),
    (OSError("Timed out trying to connect\nto the scheduler"), 2, "error: Timed out trying to connect to the scheduler"),
    (MemoryError(), 1, "error: out of memory (an allocation failed)"),
    (RuntimeError("boom"), 1, "error: internal error: RuntimeError: boom (run with --debug for the traceback)"),
    (KeyboardInterrupt(), 130, "error: interrupted"),
])
def test_every_error_class_is_one_line_with_its_exit_status(capsys, monkeypatch, exc, code, message):
    monkeypatch.setattr(study_commands, "_inspect", _raiser(exc))
    err = one_line(capsys, ["inspect", "x.h5"], code)
    assert err == f"ebmphys inspect: {message}\n"


def test_keyboard_interrupt_inside_another_error_is_an_interrupt(capsys, monkeypatch):
    def func(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ImportError("initialization failed")  # what an interrupted extension-module import raises

    monkeypatch.setattr(study_commands, "_inspect", func)
    assert one_line(capsys, ["inspect", "x.h5"], 130) == "ebmphys inspect: error: interrupted\n"


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback(capsys, monkeypatch, where):
    monkeypatch.setattr(study_commands, "_inspect", _raiser(RuntimeError("boom")))
    argv = ["--debug", "inspect", "x.h5"] if where == "before" else ["inspect", "x.h5", "--debug"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and "RuntimeError: boom" in err
    assert err.splitlines()[-1] == "ebmphys inspect: error: internal error: RuntimeError: boom"


def test_usage_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "spec.toml", "--workers", "many"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ebmphys run: error: argument --workers: invalid int value: 'many'" in err


# ---------------------------------------------------------------------------- Ctrl-C at any moment

INTERRUPT_WHILE_IMPORTING = """
import os, signal, sys

class InterruptOnImport:
    def find_spec(self, name, path, target=None):
        if name == {module!r}:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C arrives while this module is being imported
        return None

sys.meta_path.insert(0, InterruptOnImport())
from ebmphys.cli import main
sys.argv = ["ebmphys", "run", "spec.toml"]
sys.exit(main())
"""


@pytest.mark.parametrize("module", ["numba", "h5py", "ebmphys.study.runner"])
def test_ctrl_c_while_importing_is_one_line(tmp_path, module):
    # a valid small spec, so that the run goes on to import the sampler (imports are lazy)
    (tmp_path / "spec.toml").write_text(LONG_SPEC.replace("n_sweeps = 400000", "n_sweeps = 400"))
    proc = subprocess.run([sys.executable, "-c", INTERRUPT_WHILE_IMPORTING.format(module=module)], cwd=tmp_path,
                          env=env(), capture_output=True, text=True, timeout=120, preexec_fn=default_sigint)
    assert proc.returncode == 130 and proc.stderr == "ebmphys run: error: interrupted\n", proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["spec.toml"]


LONG_SPEC = """
[study]
name = "long"
[model]
dimension = 2
sizes = [8]
[temperatures]
values = [2.0, 3.0]
[sampling]
n_sweeps = 400000
n_chains = 2
[checkpoint]
sweeps = 200
seconds = 0
"""


@pytest.mark.parametrize("delay", [0.3, 7.0])  # while importing; while 2 workers run (they start in ~5 s here)
def test_ctrl_c_at_any_moment_is_one_line(tmp_path, delay):
    """A real SIGINT to the process group (as a terminal sends it), while importing and while running."""
    (tmp_path / "long.toml").write_text(LONG_SPEC)
    proc = subprocess.Popen([sys.executable, "-m", "ebmphys.cli", "run", "long.toml", "--workers", "2", "--quiet"],
                            cwd=tmp_path, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=default_sigint)
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and err == "ebmphys run: error: interrupted\n", err
    assert not [p for p in tmp_path.iterdir() if p.suffix in (".tmp", ".lock")]


# ---------------------------------------------------------------------------- train

TRAIN_SPEC = """
[data]
source = "digits"
test_fraction = 0.25
[model]
n_hidden = 4
[training]
batch_size = 20
n_epochs = 3
seed = 2
monitors = ["reconstruction_error", "pseudo_log_likelihood"]
"""


@pytest.fixture
def train_spec(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.toml").write_text(TRAIN_SPEC)
    return tmp_path / "t.toml"


def test_train_locks_its_output(train_spec, capsys):
    with exclusive_lock(train_spec.with_suffix(".h5")):
        err = one_line(capsys, ["train", str(train_spec), "--overwrite", "--quiet"], 2)
    assert "t.h5 is being written by another process" in err
    assert sorted(p.name for p in train_spec.parent.iterdir()) == ["t.toml"]


def test_train_overwrite_onto_a_directory(train_spec, capsys):
    (train_spec.parent / "t.h5").mkdir()
    err = one_line(capsys, ["train", str(train_spec), "--overwrite", "--quiet"], 2)
    assert "cannot write t.h5: it is a directory" in err
    assert sorted(p.name for p in train_spec.parent.iterdir()) == ["t.h5", "t.toml"]


def test_train_refuses_an_impossible_model(train_spec, capsys, monkeypatch):
    monkeypatch.setenv("EBMPHYS_MEMORY_LIMIT", "8G")
    train_spec.write_text(TRAIN_SPEC.replace("n_hidden = 4", "n_hidden = 100_000_000"))
    err = one_line(capsys, ["train", str(train_spec), "--quiet"], 2)
    assert "training an RBM of 64 visible x 100000000 hidden units" in err and "more than the 8 GiB" in err
    assert sorted(p.name for p in train_spec.parent.iterdir()) == ["t.toml"]


def _fail_saves_after(n_ok):
    """A ``_GuardedFile.write`` for which every write of the files opened after the first ``n_ok`` fails."""
    original = atomic._GuardedFile.write
    opened = []

    def write(self, data):
        if not any(f is self for f in opened):
            opened.append(self)
        if next(i for i, f in enumerate(opened) if f is self) >= n_ok:
            self._guard(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
            return len(memoryview(data).cast("B"))
        return original(self, data)

    return write


def test_train_full_disk_names_the_intact_checkpoint_and_resume_finishes(train_spec, capsys, monkeypatch):
    write = atomic._GuardedFile.write
    assert main(["train", str(train_spec), "--quiet", "--out", "full.h5"]) == 0
    monkeypatch.setattr(atomic._GuardedFile, "write", _fail_saves_after(1))  # the checkpoint of epoch 2 fails
    err = one_line(capsys, ["train", str(train_spec), "--quiet"], 1)
    assert err == (f"ebmphys train: error: no space left on device while writing {train_spec.with_suffix('.h5')}; "
                   "the last complete checkpoint, at epoch 1 of 3, is intact; free space and continue it with "
                   "ebmphys train SPEC --resume\n")
    assert int(h5py.File("t.h5")["state"].attrs["epoch"]) == 1 and not Path("t.h5.tmp").exists()
    monkeypatch.setattr(atomic._GuardedFile, "write", _fail_saves_after(0))  # a resume on a full disk
    err = one_line(capsys, ["train", str(train_spec), "--quiet", "--resume"], 1)
    assert "the last complete checkpoint, at epoch 1 of 3, is intact" in err
    monkeypatch.setattr(atomic._GuardedFile, "write", write)  # space is back
    assert main(["train", str(train_spec), "--quiet", "--resume"]) == 0
    full, resumed = RBMTrainer.from_checkpoint("full.h5"), RBMTrainer.from_checkpoint("t.h5")
    np.testing.assert_array_equal(resumed.rbm_.W, full.rbm_.W)
    assert resumed.history_ == full.history_


def test_inspect_and_plot_read_training_files(train_spec, capsys, monkeypatch):
    original = RBMTrainer._train_epoch

    def interrupted_at_epoch_2(self, X, order):
        if self.epoch_ == 1:
            raise KeyboardInterrupt
        original(self, X, order)

    monkeypatch.setattr(RBMTrainer, "_train_epoch", interrupted_at_epoch_2)
    assert main(["train", str(train_spec), "--quiet"]) == 130
    monkeypatch.setattr(RBMTrainer, "_train_epoch", original)
    capsys.readouterr()
    assert main(["inspect", "t.h5"]) == 0
    out = capsys.readouterr().out
    assert "ebmphys RBM training file" in out and "RBM 64 visible x 4 hidden" in out and "seed 2" in out
    assert "epochs: 1 of 3" in out and "reconstruction_error (last " in out and "pseudo_log_likelihood" in out
    assert "status: INCOMPLETE at epoch 1 of 3" in out
    assert main(["train", str(train_spec), "--quiet", "--resume"]) == 0
    assert main(["inspect", "t.h5", "--verify", "--spec"]) == 0
    out = capsys.readouterr().out
    assert "status: complete (every dataset verified)" in out and "n_hidden = 4" in out
    assert main(["plot", "t.h5"]) == 0
    assert capsys.readouterr().out.strip() == "t.png"
    png = Path("t.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000  # curves, 8x8 filters and samples


def test_damaged_training_file_is_refused(train_spec, capsys):
    assert main(["train", str(train_spec), "--quiet"]) == 0
    with h5py.File("t.h5", "r") as f:
        info = f["model/W"].id.get_chunk_info(0)
    with open("t.h5", "r+b") as fh:
        fh.seek(info.byte_offset + 8)
        fh.write(b"\x00" * 64)
    for argv in (["inspect", "t.h5"], ["plot", "t.h5"], ["train", str(train_spec), "--resume", "--quiet"]):
        err = one_line(capsys, argv, 2)
        assert "model/W" in err and "checksum mismatch (Fletcher-32)" in err, err
    assert not Path("t.png").exists()


# ---------------------------------------------------------------------------- logz


@pytest.mark.parametrize("argv, message", [
    (["logz", "--ising2d", "100000"], "logz --method ais: 100 chain(s) x 1e+10 spins (--n-chains, the lattice size) "
                                     "needs about"),
    (["logz", "--ising2d", "4", "--J", "1e308"], "overflows float64"),
])
def test_logz_refuses_what_cannot_work(capsys, monkeypatch, argv, message):
    monkeypatch.setenv("EBMPHYS_MEMORY_LIMIT", "8G")
    assert message in one_line(capsys, argv, 2)


def test_logz_kaufman_needs_no_lattice_in_memory(capsys):
    assert main(["logz", "--ising2d", "100000", "--method", "kaufman", "--json"]) == 0
    assert '"method": "kaufman"' in capsys.readouterr().out
