"""The one atomic-write helper: temporary file, guarded HDF5 writes, read-back, os.replace; write failures
injected at every write site of the storage layer leave the previous file and no temporary file."""

import errno
import os
import shutil

import h5py
import numpy as np
import pytest

from ebmphys.exceptions import UserError, WriteError
from ebmphys.storage import CheckpointedFile, StudyFile, atomic
from ebmphys.storage.atomic import atomic_hdf5, atomic_path, create_dataset
from ebmphys.study.summary import write_csv
from ebmphys.training.checkpoint import load_checkpoint, save_checkpoint

from tests.storage.demo_study import block, layout


def enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_atomic_path_replaces_or_leaves_the_target(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    with atomic_path(target) as tmp:
        assert tmp == tmp_path / "a.txt.tmp"
        tmp.write_text("new")
        assert target.read_text() == "old"
    assert target.read_text() == "new" and not tmp.exists()
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "new" and not tmp.exists()


def test_os_errors_become_one_line_write_errors(tmp_path):
    target = tmp_path / "a.txt"
    with pytest.raises(WriteError) as err, atomic_path(target) as tmp:
        tmp.write_text("x")
        enospc()
    assert str(err.value) == f"no space left on device while writing {target}"
    assert err.value.errno == errno.ENOSPC and isinstance(err.value, OSError)
    assert not target.exists() and not (tmp_path / "a.txt.tmp").exists()


def test_symlink_target_is_replaced_and_the_link_kept(tmp_path):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "data.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with atomic_path(link) as tmp:
        assert tmp.parent == real.parent
        tmp.write_text("new")
    assert link.is_symlink() and real.read_text() == "new"


def test_a_directory_is_refused_without_leftovers(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(UserError, match="it is a directory"), atomic_path(tmp_path / "d"):
        pass
    assert os.listdir(tmp_path) == ["d"] and os.listdir(tmp_path / "d") == []


def test_every_dataset_carries_a_fletcher32_checksum(tmp_path):
    path = tmp_path / "s.h5"
    store = CheckpointedFile(path)
    store.create(layout())
    store.commit([block(0, 0, 0, 0, 30, np.random.default_rng(0))])
    ck = tmp_path / "ck.h5"
    save_checkpoint(ck, {"n_iter": 2}, {"W": np.ones((4, 2)), "b": np.zeros(4), "c": np.zeros(2)},
                    {"vel_W": np.zeros((4, 2)), "vel_b": np.zeros(4), "vel_c": np.zeros(2),
                     "chains": np.zeros((0, 2), np.uint8), "mu": np.zeros(4), "lam": np.zeros(2), "epoch": 2,
                     "chain_step": 0, "examples_seen": 10, "seed": 2**64 - 1, "data_sha256": "x"},
                    {"epoch": [1, 2], "reconstruction_error": [0.5, 0.4], "empty": []})
    for file in (path, ck):
        datasets = []
        with h5py.File(file, "r") as f:
            f.visititems(lambda name, obj: datasets.append(obj) if isinstance(obj, h5py.Dataset) else None)
            assert len(datasets) > 8 and all(d.fletcher32 and d.chunks for d in datasets), file
            assert f.id.get_create_plist().get_version()[0] >= 2  # superblock with a checksum
    assert load_checkpoint(ck)[3]["empty"] == []


# ---------------------------------------------------------------------------- every write site


def _guard_write_fails_after(n_ok: int):
    original = atomic._GuardedFile.write
    calls = []

    def write(self, data):
        calls.append(1)
        if len(calls) > n_ok:
            try:
                enospc()
            except OSError as exc:
                self._guard(exc)
            return len(memoryview(data).cast("B"))
        return original(self, data)

    return write


def _fsync_fails_at(k: int):
    calls = []
    original = os.fsync

    def fsync(fd):
        calls.append(fd)
        if len(calls) == k:
            enospc()
        return original(fd)

    return fsync


def _read_back_fails(name, *args, **kwargs):
    if str(name).endswith(".tmp"):  # the read-back of the temporary copy
        enospc()
    return ORIGINAL_FILE(name, *args, **kwargs)


ORIGINAL_FILE = h5py.File

SITES = {
    "copy": lambda mp: mp.setattr(atomic.shutil, "copyfile", enospc),
    "hdf5 data, first write": lambda mp: mp.setattr(atomic._GuardedFile, "write", _guard_write_fails_after(0)),
    "hdf5 data, later write": lambda mp: mp.setattr(atomic._GuardedFile, "write", _guard_write_fails_after(3)),
    "hdf5 truncate": lambda mp: mp.setattr(atomic._GuardedFile, "truncate", lambda self, size=None: self._guard(
        OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))),
    "close": lambda mp: mp.setattr(atomic._GuardedFile, "close", lambda self: (self._file.close(), self._guard(
        OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))))),
    "read-back": lambda mp: mp.setattr(atomic.h5py, "File", _read_back_fails),
    "fsync": lambda mp: mp.setattr(atomic.os, "fsync", _fsync_fails_at(1)),
    "replace": lambda mp: mp.setattr(atomic.os, "replace", enospc),
}


def _commit(tmp_path):
    path = tmp_path / "s.h5"
    CheckpointedFile(path).create(layout())
    rng = np.random.default_rng(5)
    CheckpointedFile(path).commit([block(0, 0, 0, 0, 20, rng)])
    return path, lambda: CheckpointedFile(path).commit([block(0, 0, 0, 20, 30, rng), block(1, 1, 1, 0, 30, rng)],
                                                       complete=True)


def _create(tmp_path):
    path = tmp_path / "s.h5"
    CheckpointedFile(path).create(layout(configurations=False))
    return path, lambda: CheckpointedFile(path).create(layout())


def _rebuild(tmp_path):
    path, _ = _commit(tmp_path)
    return path, lambda: CheckpointedFile(path).rebuild(layout(), [])


def _checkpoint(tmp_path):
    path = tmp_path / "ck.h5"
    model = {"W": np.ones((3, 2)), "b": np.zeros(3), "c": np.zeros(2)}
    state = {"vel_W": np.zeros((3, 2)), "vel_b": np.zeros(3), "vel_c": np.zeros(2), "chains": np.zeros((4, 2), np.uint8),
             "mu": np.zeros(3), "lam": np.zeros(2), "epoch": 1, "chain_step": 0, "examples_seen": 5, "seed": 1,
             "data_sha256": "x"}
    save_checkpoint(path, {}, model, state, {"epoch": [1]})
    return path, lambda: save_checkpoint(path, {}, model, dict(state, epoch=2), {"epoch": [1, 2]})


def _table(tmp_path):
    from ebmphys.study.summary import summarize

    path, update = _commit(tmp_path)
    update()
    with StudyFile(path) as f:
        summary = summarize(f)
    table = tmp_path / "s_summary.csv"
    table.write_text("previous table\n")
    return table, lambda: write_csv(summary, table)


WRITERS = {"create": _create, "commit": _commit, "rebuild": _rebuild, "training checkpoint": _checkpoint,
           "summary table": _table}


HDF5_SITES = [site for site in SITES if site.startswith(("hdf5", "close", "read-back"))]
CASES = [(w, site) for w in WRITERS for site in SITES
         if not (w == "summary table" and (site in HDF5_SITES or site == "copy"))  # plain text, written afresh
         and not (w in ("create", "training checkpoint", "rebuild") and site == "copy")]  # new files: no copy


@pytest.mark.parametrize("writer, site", CASES)
def test_a_failed_write_anywhere_leaves_the_previous_file(tmp_path, monkeypatch, writer, site):
    path, update = WRITERS[writer](tmp_path)
    before = path.read_bytes()
    SITES[site](monkeypatch)
    with pytest.raises(WriteError) as err:
        update()
    monkeypatch.undo()
    assert str(err.value).startswith("no space left on device while writing ") and "\n" not in str(err.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []
    update()  # once space is back the same update succeeds
    assert path.read_bytes() != before


def test_directory_fsync_failure_after_the_swap_is_reported(tmp_path, monkeypatch):
    """fsync of the directory comes after os.replace: the new file is in place, the failure still reported."""
    path, update = _commit(tmp_path)
    monkeypatch.setattr(atomic.os, "fsync", _fsync_fails_at(2))
    with pytest.raises(WriteError, match="no space left on device while writing"):
        update()
    monkeypatch.undo()
    with StudyFile(path) as f:
        assert f.complete and f.datasets()  # every dataset reads back (checksums verified)
    assert not (tmp_path / "s.h5.tmp").exists()


def test_a_write_after_the_block_raised_leaves_nothing(tmp_path):
    """An exception inside the block (a bug, Ctrl-C) removes the temporary file; the target is untouched."""
    target = tmp_path / "x.h5"
    with pytest.raises(RuntimeError, match="boom"), atomic_hdf5(target) as f:
        create_dataset(f, "a", data=np.arange(10))
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_guard_hides_failures_from_hdf5_and_reports_them(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic._GuardedFile, "write", _guard_write_fails_after(2))
    with pytest.raises(WriteError, match="no space left on device"), atomic_hdf5(tmp_path / "x.h5") as f:
        for k in range(20):  # HDF5 sees every write succeed and keeps going
            create_dataset(f, f"d{k}", data=np.arange(1000.0))
    assert list(tmp_path.iterdir()) == []
    shutil.rmtree(tmp_path)
