"""Standard normal draws from the counter-based generator (Box-Muller), shared by the continuous kernels.

The four words of ``philox4x32(k, sweep, chain, stream)`` give normals 4k .. 4k+3:
with u_j = (w_j + 1/2) 2^-32 in the open interval (0, 1),

    z_{4k}   = r_a cos(2 pi u_1),  z_{4k+1} = r_a sin(2 pi u_1),  r_a = sqrt(-2 ln u_0),
    z_{4k+2} = r_b cos(2 pi u_3),  z_{4k+3} = r_b sin(2 pi u_3),  r_b = sqrt(-2 ln u_2).

(A GPU twin gives the same bits only where its log, cos and sin round like the
CPU's libm; the words themselves are identical everywhere.)
"""

import math

from numba import njit

from ebmphys.kernels.rng import philox4x32, to_unit

_TWO_PI = 2.0 * math.pi


@njit(cache=True, inline="always")
def box_muller(w0, w1):
    """Two independent standard normals from two uint32 words (see the module docstring)."""
    r = math.sqrt(-2.0 * math.log(to_unit(w0)))
    angle = _TWO_PI * to_unit(w1)
    return r * math.cos(angle), r * math.sin(angle)


@njit(cache=True)
def fill_normals(out, sweep, chain, stream, k0, k1):
    """Fill ``out`` (1-D) with the standard normals of (sweep, chain, stream): entry i from block i // 4."""
    n = out.shape[0]
    for block in range((n + 3) // 4):
        w0, w1, w2, w3 = philox4x32(block, sweep, chain, stream, k0, k1)
        z0, z1 = box_muller(w0, w1)
        z2, z3 = box_muller(w2, w3)
        i = 4 * block
        out[i] = z0
        if i + 1 < n:
            out[i + 1] = z1
        if i + 2 < n:
            out[i + 2] = z2
        if i + 3 < n:
            out[i + 3] = z3
