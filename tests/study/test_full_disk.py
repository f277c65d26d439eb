"""A real small file system (tmpfs) filled up mid-run: one line, exit status 1, no segfault, the last complete
checkpoint intact and never called complete, and ``--resume`` bit-identical to an uninterrupted run once space
is back.  Mounting needs root (as in CI); elsewhere these tests are skipped and the same failures are injected
at every write site by ``tests/storage/test_atomic.py`` and ``tests/test_cli.py``."""

import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ebmphys.cli import main
from ebmphys.storage import StudyFile
from ebmphys.study import parse_study, run_study
from ebmphys.training import RBMTrainer

REPO = Path(__file__).resolve().parents[2]

SPEC = """
[study]
name = "disk"
[model]
dimension = 2
sizes = [8]
[temperatures]
values = [2.0, 3.0]
[sampling]
n_sweeps = 1000
n_chains = 2
[record]
configurations_every = 1
[checkpoint]
sweeps = 10
seconds = 0
"""


def env():
    e = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    e.pop("EBMPHYS_KILL_AT", None)
    e.pop("EBMPHYS_MEMORY_LIMIT", None)
    return e


@pytest.fixture
def small_disk(tmp_path):
    """``mount(size)`` mounts a tmpfs of that size (e.g. "4m") and returns its directory."""
    mounted = []

    def mount(size: str) -> Path:
        d = tmp_path / f"disk{len(mounted)}"
        d.mkdir()
        try:
            proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(d)],
                                  capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError) as exc:
            pytest.skip(f"cannot mount a tmpfs here ({exc}); tests/storage/test_atomic.py injects ENOSPC instead")
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root: {proc.stderr.strip()}); "
                        f"tests/storage/test_atomic.py injects ENOSPC instead")
        mounted.append(d)
        return d

    yield mount
    for d in mounted:
        subprocess.run(["umount", "-l", str(d)], capture_output=True)


def fill(directory: Path, until=None) -> Path:
    """Take every free byte of the file system of ``directory``; return the filler to delete later.

    With ``until`` (a ``subprocess.Popen``), keep taking whatever is freed (a checkpoint that replaces a file
    frees the old one's pages) until that process ends.
    """
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as fh:
        while True:
            for size in (65536, 4096, 1):
                try:
                    while True:
                        fh.write(bytes(size))
                except OSError as exc:
                    assert exc.errno in (errno.ENOSPC, errno.EDQUOT)
            if until is None or until.poll() is not None:
                return filler
            time.sleep(0.0005)


def test_full_disk_mid_run_then_resume_is_bit_identical(small_disk, tmp_path):
    spec = parse_study(SPEC)
    reference = run_study(spec, small_disk("4m") / "reference.h5", workers=1, quiet=True)
    disk = small_disk("1m")
    (disk / "disk.toml").write_text(SPEC)
    out = disk / "disk.h5"
    proc = subprocess.Popen([sys.executable, "-m", "ebmphys.cli", "run", "disk.toml", "--workers", "1", "--quiet"],
                            cwd=disk, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    inodes, deadline = set(), time.monotonic() + 120
    while len(inodes) < 2 and proc.poll() is None and time.monotonic() < deadline:  # created, then a checkpoint
        try:
            inodes.add(out.stat().st_ino)
        except FileNotFoundError:
            pass
        time.sleep(0.002)
    filler = fill(disk, until=proc)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err  # no segfault, no traceback
    assert err.count("\n") == 1 and err.startswith(f"ebmphys run: error: no space left on device while writing {out}; "
                                                   f"the last complete checkpoint, at sweep "), err
    assert "is intact; free space and continue it with ebmphys run SPEC --resume" in err
    assert sorted(p.name for p in disk.iterdir()) == ["disk.h5", "disk.toml", "filler"]  # no .tmp, no .lock
    with StudyFile(out) as f:
        assert not f.complete and f.verify() == []
        sweeps = f.sweeps_done(8)
        assert 0 < sweeps.sum() < 2 * 1000
    assert f"at sweep {sweeps.min()} of 1000 of task L = 8" in err
    assert main(["inspect", str(out)]) == 0  # readable, intact, and not complete
    filler.unlink()
    run_study(spec, out, mode="resume", workers=1, quiet=True)
    with StudyFile(reference) as a, StudyFile(out) as b:
        want, have = a.datasets(), b.datasets()
        assert b.complete
    assert set(want) == set(have)
    for name in want:
        np.testing.assert_array_equal(have[name], want[name], err_msg=name)


def test_a_study_larger_than_the_disk_is_refused_up_front(small_disk, capsys):
    disk = small_disk("1m")
    (disk / "disk.toml").write_text(SPEC.replace("n_sweeps = 1000", "n_sweeps = 40000"))
    assert main(["run", str(disk / "disk.toml"), "--out", str(disk / "disk.h5"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "of disk, more than the" in err and f"free on {disk}" in err
    assert sorted(p.name for p in disk.iterdir()) == ["disk.toml"]


TRAIN_SPEC = """
[data]
source = "digits"
[model]
n_hidden = 4
[training]
batch_size = 200
n_epochs = 30
seed = 5
"""


def test_train_on_a_full_disk(small_disk, tmp_path, monkeypatch, capsys):
    """A resume onto a full disk is refused up front; a disk that fills during the resumed training stops it
    with one line naming the intact checkpoint; once space is back the resume ends where an uninterrupted
    run ends."""
    disk = small_disk("2m")
    spec = disk / "t.toml"
    spec.write_text(TRAIN_SPEC)
    out = disk / "t.h5"
    assert main(["train", str(spec), "--quiet", "--out", str(tmp_path / "full.h5")]) == 0
    original = RBMTrainer._train_epoch

    def interrupted_at_epoch_2(self, X, order):
        if self.epoch_ == 1:
            raise KeyboardInterrupt
        original(self, X, order)

    monkeypatch.setattr(RBMTrainer, "_train_epoch", interrupted_at_epoch_2)
    assert main(["train", str(spec), "--quiet", "--out", str(out)]) == 130
    monkeypatch.setattr(RBMTrainer, "_train_epoch", original)
    capsys.readouterr()
    before = out.read_bytes()

    filler = fill(disk)
    argv = [sys.executable, "-m", "ebmphys.cli", "train", "t.toml", "--resume", "--quiet"]
    proc = subprocess.run(argv, cwd=disk, env=env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "of disk, more than the 0 bytes free on" in proc.stderr and out.read_bytes() == before
    filler.unlink()

    proc = subprocess.Popen(argv, cwd=disk, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first, deadline = out.stat().st_ino, time.monotonic() + 120
    while out.stat().st_ino == first and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)  # until the resumed run has written a checkpoint
    filler = fill(disk, until=proc)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1 and err.startswith(
        f"ebmphys train: error: no space left on device while writing {out}; the last complete checkpoint, "
        "at epoch "), err
    assert err.endswith(" of 30, is intact; free space and continue it with ebmphys train SPEC --resume\n")
    assert sorted(p.name for p in disk.iterdir()) == ["filler", "t.h5", "t.toml"]
    epoch = int(err.split("at epoch ")[1].split(" ")[0])
    assert 1 < epoch < 30 and RBMTrainer.from_checkpoint(out).epoch_ == epoch
    filler.unlink()
    assert main(["train", str(spec), "--quiet", "--resume", "--out", str(out)]) == 0
    full, resumed = RBMTrainer.from_checkpoint(tmp_path / "full.h5"), RBMTrainer.from_checkpoint(out)
    np.testing.assert_array_equal(resumed.rbm_.W, full.rbm_.W)


FUZZ = """
import os, sys
import numpy as np
from ebmphys.exceptions import WriteError
from ebmphys.storage.atomic import atomic_hdf5, create_dataset

disk = sys.argv[1]
for free_kib in (0, 4, 16, 48, 96, 160, 256, 400):
    for name in os.listdir(disk):
        os.unlink(os.path.join(disk, name))
    st = os.statvfs(disk)
    with open(os.path.join(disk, "fill"), "wb") as fh:
        fh.write(bytes(max(0, st.f_bavail * st.f_frsize - free_kib * 1024)))
    try:
        with atomic_hdf5(os.path.join(disk, "a.h5"), verify=lambda g: g["x"][()]) as f:
            for k in range(4):
                create_dataset(f, f"g{k}/y", data=np.arange(1000.0))
            x = create_dataset(f, "x", shape=(400, 100), dtype="f8", chunks=(10, 100))
            x[:] = 1.0
        outcome = "written"
    except WriteError as exc:
        outcome = "refused: " + str(exc).split(" while")[0]
    leftovers = sorted(set(os.listdir(disk)) - {"fill", "a.h5"})
    print(free_kib, outcome, leftovers, flush=True)
"""


def test_hdf5_write_failures_at_any_point_never_crash(small_disk):
    """HDF5 reports some failed writes only at close or in __dealloc__, and then crashes at exit: never here."""
    disk = small_disk("1m")
    proc = subprocess.run([sys.executable, "-c", FUZZ, str(disk)], env=env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert len(lines) == 8 and all(line.endswith("[]") for line in lines)  # no stale .tmp
    assert lines[0] == "0 refused: no space left on device []" and lines[-1] == "400 written []"
