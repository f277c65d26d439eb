"""Reference twin of :mod:`ebmphys.kernels.packing`: bit-packing site by site, in plain Python integers.

Re-derived from the storage convention, not from the kernel's word arithmetic: plane p
of a row has ``ceil(n_sites / 8)`` bytes; site i sets bit ``7 - i % 8`` of byte ``i // 8``
when its bit is 1, where the bit is ``s > 0`` for Ising spins and bit p of the state
for Potts states; planes are concatenated, least significant first.
"""

import numpy as np


def pack_rows(states: np.ndarray, n_sites: int, n_planes: int, spins: bool) -> np.ndarray:
    """uint8 (n_rows, n_planes * ceil(n_sites / 8)): the first ``n_sites`` states of every row, packed."""
    n_bytes = -(-n_sites // 8)
    out = np.zeros((states.shape[0], n_planes * n_bytes), dtype=np.uint8)
    for r in range(states.shape[0]):
        for plane in range(n_planes):
            for i in range(n_sites):
                s = int(states[r, i])
                bit = int(s > 0) if spins else (s >> plane) & 1
                out[r, plane * n_bytes + i // 8] |= bit << (7 - i % 8)
    return out
