"""The packing kernel against its reference twin and ``np.packbits``, bit for bit, on the same sites."""

import numpy as np
import pytest

from ebmphys.kernels.packing import pack_rows
from ebmphys.storage.layout import pack_rows_into, pack_spins, pack_states, site_bits, unpack_states
from tests.reference import packing as reference

SIZES = (1, 7, 8, 9, 15, 16, 17, 37, 64, 100)


@pytest.mark.parametrize("n_sites", SIZES)
@pytest.mark.parametrize("ghosts", (0, 1, 5))
def test_spins_every_int8_value(n_sites, ghosts):
    """Every int8 value (not only +-1), rows longer than the configuration (ghost sites are not read)."""
    rng = np.random.default_rng(n_sites + 100 * ghosts)
    states = rng.integers(-128, 128, (4, n_sites + ghosts)).astype(np.int8)
    states[0, :n_sites] = np.where(rng.random(n_sites) < 0.5, 1, -1)
    states[1, :n_sites] = 0
    out = np.full((4, -(-n_sites // 8)), 0xAB, dtype=np.uint8)
    pack_rows(states, n_sites, 1, True, out)
    np.testing.assert_array_equal(out, reference.pack_rows(states, n_sites, 1, True))
    np.testing.assert_array_equal(out, np.packbits(states[:, :n_sites] > 0, axis=-1))


@pytest.mark.parametrize("n_sites", SIZES)
@pytest.mark.parametrize("q", (2, 3, 4, 5, 17, 256))
def test_potts_planes(n_sites, q):
    rng = np.random.default_rng(n_sites * q)
    states = rng.integers(0, q, (3, n_sites + 1)).astype(np.uint8)
    planes = site_bits(q)
    out = np.full((3, planes * -(-n_sites // 8)), 0xAB, dtype=np.uint8)
    pack_rows(states, n_sites, planes, False, out)
    np.testing.assert_array_equal(out, reference.pack_rows(states, n_sites, planes, False))
    np.testing.assert_array_equal(out, np.concatenate(
        [np.packbits((states[:, :n_sites] >> b) & 1, axis=-1) for b in range(planes)], axis=-1))


def test_layout_packs_with_the_kernel_any_shape_and_dtype():
    """``pack_spins``/``pack_states`` (what the files hold) are the kernel's bits for any batch shape."""
    rng = np.random.default_rng(7)
    spins = np.where(rng.random((2, 3, 37)) < 0.5, 1, -1).astype(np.int8)
    np.testing.assert_array_equal(pack_spins(spins), np.packbits(spins > 0, axis=-1))
    np.testing.assert_array_equal(pack_spins(spins.astype(np.float64)), np.packbits(spins > 0, axis=-1))
    np.testing.assert_array_equal(pack_spins(spins[..., ::-1]), np.packbits(spins[..., ::-1] > 0, axis=-1))
    assert pack_spins(np.zeros((0, 9), dtype=np.int8)).shape == (0, 2)
    states = rng.integers(0, 5, (2, 3, 37)).astype(np.uint8)
    np.testing.assert_array_equal(unpack_states(pack_states(states, 5), 37, 5), states)


def test_pack_rows_into_checks_shapes():
    rows = np.ones((2, 10), dtype=np.int8)
    with pytest.raises(ValueError, match="cannot pack 9 sites"):
        pack_rows_into(rows, 9, 0, np.zeros((2, 1), dtype=np.uint8))
    with pytest.raises(ValueError, match="cannot pack 11 sites"):
        pack_rows_into(rows, 11, 0, np.zeros((2, 2), dtype=np.uint8))
