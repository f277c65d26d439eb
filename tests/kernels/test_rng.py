"""Philox4x32-10 against Random123's published known-answer vectors (kat_vectors)."""

import numpy as np
import pytest

from ebmphys.kernels.rng import philox_block, resolve_seed, split_seed

KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


@pytest.mark.parametrize("counter,key,expected", KAT)
def test_known_answers(counter, key, expected):
    out = philox_block(np.array([counter], dtype=np.uint32), key[0], key[1])
    assert tuple(int(x) for x in out[0]) == expected


def test_uniformity_of_words():
    counters = np.zeros((1 << 16, 4), dtype=np.uint32)
    counters[:, 0] = np.arange(1 << 16)
    words = philox_block(counters, 12345, 0).ravel()
    # chi-square on 16 equal bins of the top 4 bits; 15 dof, p = 1e-6 cut at 51.2
    counts = np.bincount(words >> 28, minlength=16)
    expected = words.size / 16
    assert ((counts - expected) ** 2 / expected).sum() < 51.2


def test_seed_validation():
    assert split_seed(2**32 + 5) == (5, 1)
    with pytest.raises(ValueError, match="seed"):
        resolve_seed(-1)
    with pytest.raises(TypeError, match="seed"):
        resolve_seed(1.5)
    assert 0 <= resolve_seed(None) < 2**64
