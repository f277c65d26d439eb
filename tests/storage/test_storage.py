"""Study files: layout, round trip through the writer and reader, atomic updates, damaged files."""

import h5py
import numpy as np
import pytest

from ebmphys import __version__
from ebmphys.storage import CheckpointedFile, StudyFile, StudyFileError, pack_spins, unpack_spins

from tests.storage.demo_study import SIZES, block, layout


def test_pack_roundtrip_and_size():
    rng = np.random.default_rng(0)
    s = rng.choice(np.array([-1, 1], np.int8), size=(3, 37))
    packed = pack_spins(s)
    assert packed.dtype == np.uint8 and packed.shape == (3, 5)
    np.testing.assert_array_equal(unpack_spins(packed, 37), s)


def test_layout_is_h5md_style_and_records_spec(tmp_path):
    path = tmp_path / "s.h5"
    CheckpointedFile(path).create(layout())
    with h5py.File(path, "r") as f:
        assert list(f["h5md"].attrs["version"]) == [1, 1]
        assert f["h5md/creator"].attrs["name"] == "ebmphys" and f["h5md/creator"].attrs["version"] == __version__
        assert f["parameters"].attrs["spec_toml"].startswith("[study]")
        series = f["observables/L6/energy"]
        assert set(series) == {"step", "time", "value"}
        assert series["value"].shape == (10, 2, 4) and series["value"].attrs["unit"] == "J"
        assert np.isnan(series["value"][()]).all()
        spins = f["particles/L4/spins/value"]
        assert spins.shape == (2, 2, 4, 2) and spins.dtype == np.uint8 and spins.compression == "gzip"
    with StudyFile(path) as f:
        assert not f.complete and f.sizes == list(SIZES) and f.n_chains == 4
        np.testing.assert_array_equal(f.sweeps_done(4), 0)


def test_commit_roundtrip_by_size_temperature_chain(tmp_path):
    path = tmp_path / "s.h5"
    store = CheckpointedFile(path)
    store.create(layout())
    rng = np.random.default_rng(1)
    first = [block(1, 1, 1, 0, 20, rng), block(0, 0, 0, 0, 10, rng)]
    store.commit(first)
    second = block(1, 1, 1, 20, 30, rng)
    store.commit([second], complete=True)
    assert not store.tmp.exists()
    with StudyFile(path) as f:
        assert f.complete
        e = f.observable("energy", 6)
        assert e.shape == (2, 4, 10)
        np.testing.assert_array_equal(e[1, 2:4], np.concatenate([first[0].energy, second.energy], axis=1))
        assert np.isnan(e[0]).all() and np.isnan(e[1, :2]).all()
        np.testing.assert_array_equal(f.sweeps_done(6), [[0, 0], [0, 30]])
        np.testing.assert_array_equal(f.n_records_done(6), [[0, 0], [0, 10]])
        conf = f.configurations(6, temperature_index=1, chain=3)
        assert conf.shape == (2, 6, 6)
        np.testing.assert_array_equal(conf[0].ravel(), unpack_spins(first[0].configurations[1, 0], 36))
        np.testing.assert_array_equal(conf[1].ravel(), unpack_spins(second.configurations[1, 0], 36))
        np.testing.assert_array_equal(f.checkpoint_states(6)[1, 2:4], unpack_spins(second.states, 36))
        np.testing.assert_array_equal(f.checkpoint_states(4)[0, 0:2], unpack_spins(first[1].states, 16))
        with pytest.raises(ValueError, match="L must be one of the study's sizes"):
            f.observable("energy", 5)
        with pytest.raises(ValueError, match="name must be one of"):
            f.observable("entropy", 4)


@pytest.mark.parametrize("compression, flt", [("lzf", "lzf"), ("none", None)])
def test_configuration_compression_choices(tmp_path, compression, flt):
    path = tmp_path / "s.h5"
    store = CheckpointedFile(path)
    store.create(layout(compression=compression))
    b = block(0, 1, 0, 0, 30, np.random.default_rng(3))
    store.commit([b])
    with h5py.File(path, "r") as f:
        assert f["particles/L4/spins/value"].compression == flt
    with StudyFile(path) as f:
        np.testing.assert_array_equal(f.configurations(4, 1, 1).reshape(2, -1), unpack_spins(b.configurations[1], 16))


def test_no_configurations_group_when_not_recorded(tmp_path):
    path = tmp_path / "s.h5"
    CheckpointedFile(path).create(layout(configurations=False))
    with StudyFile(path) as f:
        assert not f.has_configurations and len(f.configuration_sweeps(4)) == 0
        with pytest.raises(ValueError, match="holds no configurations"):
            f.configurations(4, 0, 0)


@pytest.mark.parametrize("point", ["copied", "written"])
def test_interrupted_commit_leaves_previous_file(tmp_path, point):
    """A failure at any point of an update leaves the last complete file in place."""
    path = tmp_path / "s.h5"
    CheckpointedFile(path).create(layout())
    rng = np.random.default_rng(2)
    CheckpointedFile(path).commit([block(0, 0, 0, 0, 20, rng)])
    before = path.read_bytes()

    def fail(name):
        if name == point:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        CheckpointedFile(path, hook=fail).commit([block(0, 0, 0, 20, 30, rng)], complete=True)
    assert path.read_bytes() == before
    with StudyFile(path) as f:
        np.testing.assert_array_equal(f.sweeps_done(4)[0], [20, 0])
    CheckpointedFile(path).commit([], complete=True)  # a stale .tmp is simply overwritten
    assert StudyFile(path).complete


def test_damaged_files_give_one_line_errors(tmp_path):
    path = tmp_path / "s.h5"
    CheckpointedFile(path).create(layout())
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(StudyFileError, match="truncated or corrupt") as err:
        StudyFile(truncated)
    assert "\n" not in str(err.value)
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"not an hdf5 file at all" * 10)
    with pytest.raises(StudyFileError, match="not a readable HDF5 file"):
        StudyFile(garbage)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = 1
    with pytest.raises(StudyFileError, match="not an ebmphys study file"):
        StudyFile(other)
    with pytest.raises(FileNotFoundError):
        StudyFile(tmp_path / "missing.h5")
