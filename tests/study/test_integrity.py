"""Damaged study files: flipped bytes and deleted datasets of every kind are detected by ``inspect``,
``inspect --verify``, ``plot`` and ``run --resume`` (one line naming the dataset, never a traceback), and
``--resume`` re-runs what was lost, ending bit for bit where an uninterrupted run ends.

The runs happen in this process (one worker) on a tiny study.  Drawing the figure costs seconds, so the
resumes go through :func:`run_study` (what ``run --resume`` runs before it draws), except one through the
command itself.
"""

import shutil

import h5py
import numpy as np
import pytest

from ebmphys.cli import main
from ebmphys.storage import StudyFile
from ebmphys.study import load_study, run_study

SPEC = """
[study]
name = "small"
[model]
dimension = 2
sizes = [4, 8]
[temperatures]
values = [2.0, 3.0]
[sampling]
burn_in = 10
n_sweeps = 100
n_chains = 2
seeds = [1, 2]
[record]
configurations_every = 10
[checkpoint]
sweeps = 50
seconds = 0
"""

FLIPPED = [
    "observables/L4/energy/value",
    "observables/L8/magnetization/value",
    "observables/L4/energy/step",
    "particles/L8/spins/value",
    "checkpoint/L8/states",
    "checkpoint/L4/sweep",
    "parameters/temperatures",
]
DELETED = [
    "checkpoint/L8/states",
    "particles/L8/spins/value",
    "observables/L4/magnetization/value",
    "checkpoint/L4/sweep",
]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    d = tmp_path_factory.mktemp("reference")
    (d / "small.toml").write_text(SPEC)
    run_study(load_study(d / "small.toml"), d / "small.h5", workers=1, quiet=True)
    with StudyFile(d / "small.h5") as f:
        return d, f.datasets()


def flip_bytes(path, name: str, n: int = 256) -> None:
    """Invert up to ``n`` bytes of data inside the first stored chunk of dataset ``name`` (as a disk error would).

    The chunk's last 4 bytes, its Fletcher-32 checksum, are left alone: Fletcher-32 adds modulo 65535, so a
    chunk whose data and checksum are both inverted entirely passes the check (a known blind spot).
    """
    with h5py.File(path, "r") as f:
        info = f[name].id.get_chunk_info(0)
    start = info.byte_offset + min(4, info.size // 4)
    stop = min(info.byte_offset + info.size - 4, start + n)
    with open(path, "r+b") as fh:
        fh.seek(start)
        data = bytearray(fh.read(stop - start))
        fh.seek(start)
        fh.write(bytes(b ^ 0xFF for b in data))


def delete(path, name: str) -> None:
    with h5py.File(path, "r+") as f:
        del f[name]


def damaged_copy(reference, tmp_path, name, how):
    src, _ = reference
    shutil.copy(src / "small.toml", tmp_path / "small.toml")
    path = tmp_path / "small.h5"
    shutil.copy(src / "small.h5", path)
    how(path, name)
    return path


def one_line_error(capsys, argv, code):
    assert main(argv) == code
    captured = capsys.readouterr()
    err = captured.err
    assert err.startswith(f"ebmphys {argv[0]}: error: ") and err.count("\n") == 1, err
    return captured.out, err


def resume_matches_reference(reference, tmp_path, path, capsys, command=False):
    _, want = reference
    if command:
        argv = ["run", str(tmp_path / "small.toml"), "--out", str(path), "--resume", "--workers", "1", "--quiet"]
        assert main(argv) == 0
        assert (tmp_path / "small.png").exists()
    else:
        run_study(load_study(tmp_path / "small.toml"), path, mode="resume", workers=1, quiet=True)
    err = capsys.readouterr().err
    assert "is damaged" in err and "restart from sweep 0" in err and err.count("\n") == 1
    with StudyFile(path) as f:
        assert f.complete and f.verify() == []
        have = f.datasets()
    assert set(have) == set(want)
    for name in want:
        np.testing.assert_array_equal(have[name], want[name], err_msg=name)
    assert not path.with_name(path.name + ".tmp").exists()


@pytest.mark.parametrize("name", FLIPPED)
def test_flipped_bytes_are_detected_and_resume_rebuilds(reference, tmp_path, capsys, name):
    path = damaged_copy(reference, tmp_path, name, flip_bytes)
    for argv in (["inspect", str(path), "--verify"], ["inspect", str(path)]):
        out, err = one_line_error(capsys, argv, 2)
        assert f"{name} (" in err and "damaged dataset" in err
        assert f"DAMAGED {name}" in out and "status: complete" not in out
    out, err = one_line_error(capsys, ["plot", str(path)], 2)
    assert name in err and "refusing to analyse it" in err
    assert not (tmp_path / "small.png").exists() and not (tmp_path / "small_summary.csv").exists()
    resume_matches_reference(reference, tmp_path, path, capsys, command=name == FLIPPED[0])


@pytest.mark.parametrize("name", DELETED)
def test_deleted_datasets_are_detected_and_resume_rebuilds(reference, tmp_path, capsys, name):
    path = damaged_copy(reference, tmp_path, name, delete)
    out, err = one_line_error(capsys, ["inspect", str(path)], 2)
    assert f"{name} (missing)" in err and "status: complete" not in out
    _, err = one_line_error(capsys, ["plot", str(path)], 2)
    assert name in err
    resume_matches_reference(reference, tmp_path, path, capsys)


def test_impossible_energies_with_valid_checksums_are_refused(reference, tmp_path, capsys):
    """The issue's case: energies a 4x4 lattice cannot have (|E| > 2N), written with a valid checksum."""
    src, _ = reference
    path = tmp_path / "small.h5"
    shutil.copy(src / "small.h5", path)
    with h5py.File(path, "r+") as f:
        f["observables/L4/energy/value"][5, 0, 1] = -148.8
    with StudyFile(path) as f:
        with pytest.raises(ValueError, match=r"observables/L4/energy/value is damaged: impossible energies"):
            f.observable("energy", 4)
        assert [d.dataset for d in f.verify()] == ["observables/L4/energy/value"]
    _, err = one_line_error(capsys, ["plot", str(path)], 2)
    assert "impossible energies" in err


def test_missing_records_in_a_complete_file_are_refused(reference, tmp_path, capsys):
    """A file marked complete whose records are NaN (the full-disk case of the issue) is never 'complete'."""
    src, _ = reference
    path = tmp_path / "small.h5"
    shutil.copy(src / "small.h5", path)
    with h5py.File(path, "r+") as f:
        f["observables/L8/magnetization/value"][60:, 1, :] = np.nan
    out, err = one_line_error(capsys, ["inspect", str(path)], 2)
    assert "missing records (NaN) before the last checkpoint" in err and "status: complete" not in out


def test_intact_file_is_complete_only_when_verified(reference, capsys):
    src, _ = reference
    assert main(["inspect", str(src / "small.h5"), "--verify"]) == 0
    out = capsys.readouterr().out
    assert "status: complete (every dataset verified)" in out and "DAMAGED" not in out


def test_large_files_have_their_configurations_read_only_by_verify(reference, tmp_path, capsys, monkeypatch):
    """Above VERIFY_LIMIT plain ``inspect`` skips the stored configurations and says so instead of 'complete'."""
    import ebmphys.study.commands as commands

    monkeypatch.setattr(commands, "VERIFY_LIMIT", 0)
    path = damaged_copy(reference, tmp_path, "particles/L8/spins/value", flip_bytes)
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "every dataset verified except the configurations" in out and "status: complete" not in out
    _, err = one_line_error(capsys, ["inspect", str(path), "--verify"], 2)
    assert "particles/L8/spins/value (checksum mismatch (Fletcher-32))" in err
