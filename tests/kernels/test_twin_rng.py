"""The reference Philox and decision rule (tests/reference/rng.py) against Random123 and the kernel's."""

import numpy as np
import pytest

from ebmphys.kernels import rng
from tests.reference import rng as ref

# Random123 kat_vectors, philox4x32_10 (the vectors of test_rng.py)
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
def test_reference_philox_known_answers(counter, key, expected):
    assert ref.philox4x32(*counter, *key) == expected


def test_kernel_philox_equals_reference():
    counters = np.random.default_rng(0).integers(0, 2**32, size=(200, 4), dtype=np.uint64).astype(np.uint32)
    key = (0x89ABCDEF, 0x01234567)
    fast = rng.philox_block(counters, *key)
    for c, words in zip(counters, fast):
        assert tuple(int(w) for w in words) == ref.philox4x32(*(int(x) for x in c), *key)


def test_threshold_equals_reference():
    ps = [0.0, 1.0, 0.5, 2.0**-32, 1.0 - 2.0**-53, np.nextafter(0.0, 1.0), 0.3, 1.0 / 3.0]
    ps += list(np.random.default_rng(1).random(1000))
    for p in ps:
        assert int(rng.threshold(p)) == ref.threshold(p)
    assert ref.threshold(1.0) == 2**32 and ref.threshold(0.0) == 0


def test_to_unit_and_split_seed_equal_reference():
    for w in (0, 1, 2**31, 2**32 - 1):
        assert rng.to_unit(w) == ref.to_unit(w)
    assert rng.split_seed(2**64 - 3) == ref.split_seed(2**64 - 3)
