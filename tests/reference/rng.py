"""Reference Philox4x32-10 and the decision rule, in plain Python integers.

Written from Salmon et al. (SC'11) / Random123's ``philox4x32_R``: ten rounds of

    (c0, c1, c2, c3) <- (hi(M1 c2) ^ c1 ^ k0, lo(M1 c2), hi(M0 c0) ^ c3 ^ k1, lo(M0 c0))

with the key bumped by the Weyl constants (W0, W1) between rounds.  Nothing is shared
with :mod:`ebmphys.kernels.rng` except the stream numbers (``LOCAL``, ``INIT``, ...),
re-exported here so the twins name streams as the kernel docstrings do.
"""

import functools
import math

from ebmphys.kernels.rng import (  # noqa: F401  (the registry of stream numbers, re-exported)
    AIS_HIDDEN, AIS_INIT, AIS_SPIN, AIS_VISIBLE, CLUSTER, EXCHANGE, INIT, INIT_RBM_VISIBLE, LOCAL, RBM_HIDDEN,
    RBM_VISIBLE, WANG_LANDAU,
)

MASK32 = 0xFFFFFFFF
M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85


@functools.lru_cache(maxsize=1 << 16)
def philox4x32(c0: int, c1: int, c2: int, c3: int, k0: int, k1: int) -> tuple[int, int, int, int]:
    """The four 32-bit output words of Philox4x32-10 for counter (c0, c1, c2, c3) and key (k0, k1).

    A pure function, so it is memoised (the twins ask for the same block once per site).
    """
    for c in (c0, c1, c2, c3, k0, k1):
        assert 0 <= c <= MASK32, "counter and key words are 32-bit"
    for r in range(10):
        if r > 0:
            k0, k1 = (k0 + W0) & MASK32, (k1 + W1) & MASK32
        p0, p1 = M0 * c0, M1 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & MASK32, (p0 >> 32) ^ c3 ^ k1, p0 & MASK32
    return c0, c1, c2, c3


def word(index: int, c1: int, c2: int, c3: int, key: tuple[int, int]) -> int:
    """Word ``index % 4`` of ``philox4x32(index // 4, c1, c2, c3)`` ("unit u uses word u % 4 of block u // 4")."""
    return philox4x32(index // 4, c1, c2, c3, *key)[index % 4]


def split_seed(seed: int) -> tuple[int, int]:
    """Philox key (low, high 32 bits) of a 64-bit seed."""
    return seed & MASK32, seed >> 32


def threshold(p: float) -> int:
    """floor(p 2**32), at most 2**32: a uniform 32-bit word w is below it with probability p (p in [0, 1])."""
    assert 0.0 <= p <= 1.0, p
    return min(math.floor(p * 2.0**32), 2**32)


def bernoulli(p: float, w: int) -> int:
    """The decision rule of every kernel: 1 iff ``w < threshold(p)``."""
    return int(w < threshold(p))


def to_unit(w: int) -> float:
    """(w + 1/2) / 2**32, a uniform in (0, 1) (used only where a kernel documents a uniform, not a threshold)."""
    return (w + 0.5) / 2.0**32
