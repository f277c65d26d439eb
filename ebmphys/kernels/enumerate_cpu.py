"""Exact enumeration kernel: energies of all 2**N Ising states by a Gray-code walk.

Step k of the walk visits the state whose spin i is +1 when bit i of the Gray code
k ^ (k >> 1) is set, -1 otherwise; consecutive steps differ by one spin (the
lowest set bit of k), so each energy follows from the previous one by

    E' = E + 2 s_i (sum_j J_ij s_j + h_i)      (s_i before the flip),

in O(degree) work.  The couplings come in CSR form (``indptr``, ``indices``,
``data``, each bond stored in both rows, E = -1/2 s.J.s - h.s); repeated entries
add up, so a lattice neighbour table with double bonds maps onto it directly.
To bound the round-off of the running sum, the energy is recomputed from
scratch every ``REANCHOR`` steps.
"""

import numpy as np
from numba import njit

REANCHOR = 4096


@njit(cache=True)
def _energy(indptr, indices, data, fields, s):
    """E(s) = -1/2 sum_ij J_ij s_i s_j - sum_i h_i s_i."""
    e = 0.0
    for i in range(s.shape[0]):
        local = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            local += data[p] * s[indices[p]]
        e -= s[i] * (0.5 * local + fields[i])
    return e


@njit(cache=True)
def gray_code_energies(indptr, indices, data, fields, start, out):
    """Fill ``out`` with the energies of Gray-code steps start, start+1, ..., start+len(out)-1.

    Parameters
    ----------
    indptr, indices, data : CSR couplings (int64, int64, float64)
    fields : float64 array (N,)
    start : int, first step (0 <= start, start + len(out) <= 2**N)
    out : float64 array, written in place
    """
    n = fields.shape[0]
    s = np.empty(n, dtype=np.float64)
    for k in range(start, start + out.shape[0]):
        if k == start or k % REANCHOR == 0:
            g = k ^ (k >> 1)
            for i in range(n):
                s[i] = 1.0 if (g >> i) & 1 else -1.0
            e = _energy(indptr, indices, data, fields, s)
        else:
            i = 0
            while not (k >> i) & 1:
                i += 1
            local = fields[i]
            for p in range(indptr[i], indptr[i + 1]):
                local += data[p] * s[indices[p]]
            e += 2.0 * s[i] * local
            s[i] = -s[i]
        out[k - start] = e
