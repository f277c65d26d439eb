"""Bit-packing of configurations, the one definition behind every stored configuration.

A row of ``n_sites`` states becomes ``n_planes`` bit planes of ``ceil(n_sites / 8)``
bytes each, concatenated: plane p holds one bit per site, site i in byte i // 8 at
bit 7 - i % 8 (most significant first, as ``np.packbits``), the last byte padded
with zero bits.  The bit of a site is

* Ising spins (``spins`` True, one plane): 1 if s > 0 else 0 (+1 -> 1, -1 -> 0);
* Potts states (``spins`` False): bit p of the unsigned state in plane p (least
  significant plane first).

Only the first ``n_sites`` entries of each row are read, so rows of a kernel layout
with ghost sites after the configuration (``lattice_cpu``, ``potts_cpu``) are packed
in place, without a copy.  Eight sites are packed at a time: their bytes are
combined into one 64-bit word, each byte reduced to its bit (in the byte's lowest
bit), and the eight bits gathered into the top byte by one multiplication with
0x8040201008040201 (bit 8k of the word lands at bit 63 - k, and no two partial
products meet, so nothing carries into the top byte).
"""

import numpy as np
from numba import njit

_LOW_BITS = np.uint64(0x0101010101010101)
_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)
_HIGH_BITS = np.uint64(0x8080808080808080)
_GATHER = np.uint64(0x8040201008040201)


@njit(cache=True, inline="always")
def _site_bits(word, plane, spins):
    """The bits of the eight sites in the bytes of ``word``, each in the lowest bit of its byte."""
    if spins:
        # s > 0 for an int8 byte: a low 7-bit part that is not zero, and the sign bit clear
        nonzero = ((word & _LOW7) + _LOW7) & _HIGH_BITS
        return ((nonzero & ~word) >> np.uint64(7)) & _LOW_BITS
    return (word >> np.uint64(plane)) & _LOW_BITS


@njit(cache=True)
def pack_rows(states, n_sites, n_planes, spins, out):
    """Pack the first ``n_sites`` states of every row of ``states`` into ``out``.

    Parameters
    ----------
    states : int8 or uint8 (n_rows, >= n_sites), C-contiguous rows
        Ising spins (``spins`` True) or Potts states (``spins`` False).
    n_sites : int
    n_planes : int
        Bit planes per configuration (1 for spins).
    spins : bool
    out : uint8 (n_rows, n_planes * ceil(n_sites / 8))
        Written in full (padding bits zero).
    """
    n_bytes = (n_sites + 7) // 8
    full = n_sites // 8
    for r in range(states.shape[0]):
        words = states[r, : 8 * full].view(np.uint64)
        for plane in range(n_planes):
            packed = out[r, plane * n_bytes:]
            if spins:
                for j in range(full):
                    packed[j] = np.uint8((_site_bits(words[j], plane, True) * _GATHER) >> np.uint64(56))
            else:
                for j in range(full):
                    packed[j] = np.uint8((_site_bits(words[j], plane, False) * _GATHER) >> np.uint64(56))
            if full < n_bytes:
                word = np.uint64(0)
                for k in range(n_sites - 8 * full):
                    word |= np.uint64(np.uint8(states[r, 8 * full + k])) << np.uint64(8 * k)
                packed[full] = np.uint8((_site_bits(word, plane, spins) * _GATHER) >> np.uint64(56))
