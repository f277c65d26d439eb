"""Multi-spin coded Metropolis and heat-bath sweeps of periodic 2D and 3D Ising lattices (CPU, Numba).

64 independent replicas of a lattice are packed bit by bit into uint64 words
(Jacobs and Rebbi, J. Comput. Phys. 41, 203, 1981), so one word operation updates
one site in 64 replicas.  Unlike the classic shared-noise variant, every replica
draws its own random numbers, so replicas are statistically independent, and each
replica may have its own inverse temperature (parallel tempering).

Layout
------
* ``words``: uint64 (n_groups, n_spins); bit b of ``words[g, i]`` is the spin of
  replica b of group g (kernel row ``64 g + b``) at position i: 1 for s = +1, 0
  for s = -1.  Rows along the last axis (side L, even; H = L / 2) are stored split
  into their two sublattices: column j = 2k + h of row r is position
  ``r L + h H + k``.  Row r starts at ``r L`` as in ``lattice_cpu``, so
  ``LatticeIsing.rows`` serves here too.  Lattices are periodic with even sides, in
  2 or 3 dimensions (z = 4 or 6 neighbours).
* ``thresholds``: uint64 (64 n_groups, 2, 2z+1), the table of
  :func:`ebmphys.kernels.lattice_cpu.update_thresholds` (one row per replica).

Update rule
-----------
Site (r, j) has colour ``(row_parity[r] + j) % 2``; a sweep updates colour 0, then
colour 1.  Replica b of group g at a site with spin s and neighbour sum n
(in -z .. z) becomes +1 iff ``U_b < thresholds[64 g + b, (s + 1) // 2, n + z]``,
the rule of the int8 kernels, with U_b the replica's own 32-bit uniform below.

Random numbers
--------------
The k-th site of colour c in row r (half h = (c + row_parity[r]) % 2, column
2k + h) has colour-site index m = r H + k.  For group g, block q (0..15) is
``philox4x32(m, sweep, chain0 + 64 g, MULTISPIN + 16 c + q) = (w0, w1, w2, w3)``,
and gives the bit planes ``P[2q] = w0 | w1 << 32`` and ``P[2q + 1] = w2 | w3 << 32``.
Replica b's uniform is ``U_b = sum_p bit_b(P[p]) 2**(31 - p)``: bit b of plane 0
is its most significant bit.  The comparison is evaluated plane by plane from the
most significant bit (bit-sliced, 64 replicas at once) and stops when every
replica is decided, so a kernel generates the first ``EAGER_PLANES`` planes of
every site and more only where some replica is still undecided; which planes are
generated never changes a decision.  A batch whose ``chain0`` is a multiple of 64
and that is split at multiples of 64 has the bits of the whole batch.

Observables
-----------
Per replica, M = 2 (number of up spins) - N and the bond sum B = d N - 2 (number
of unsatisfied bonds), counted lane by lane in byte counters over the words;
``E = -J B - h M`` is exact.
"""

import numpy as np
from numba import njit, prange
from numba.np.unsafe.ndarray import to_fixed_tuple

from ebmphys.kernels.rng import MULTISPIN, philox4x32

#: planes generated for every site before the comparison (more only where needed; the
#: vectorised comparison below is written out for exactly these 8)
EAGER_PLANES = 8
#: (spin, number of up neighbours) classes of a site in 2D and 3D
CLASSES_2D = 10
CLASSES_3D = 14
#: rows of one job of the row-parallel driver: about this many site words
_ROW_JOB_WORDS = 1 << 10

_ONE = np.uint64(1)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_SHIFT32 = np.uint64(32)
_TWO32 = 1 << 32


# ---------------------------------------------------------------- packing
@njit(cache=True)
def pack(states, side):
    """int8 spins (64 n_groups, n_spins) in C order -> words (n_groups, n_spins) in the layout above."""
    n_rows_k, n_spins = states.shape
    half = side // 2
    words = np.zeros((n_rows_k // 64, n_spins), dtype=np.uint64)
    for g in range(words.shape[0]):
        for b in range(64):
            bit = np.uint64(1) << np.uint64(b)
            row = states[64 * g + b]
            for i in range(n_spins):
                j = i % side
                if row[i] > 0:
                    words[g, i - j + (j & 1) * half + (j >> 1)] |= bit
    return words


@njit(cache=True)
def unpack(words, side):
    """Words (n_groups, n_spins) in the layout above -> int8 spins (64 n_groups, n_spins) in C order."""
    n_groups, n_spins = words.shape
    half = side // 2
    states = np.empty((64 * n_groups, n_spins), dtype=np.int8)
    for g in range(n_groups):
        for i in range(n_spins):
            j = i % side
            w = words[g, i - j + (j & 1) * half + (j >> 1)]
            for b in range(64):
                states[64 * g + b, i] = 2 * np.int8((w >> np.uint64(b)) & _ONE) - 1
    return states


@njit(cache=True)
def swap_replicas(words, rows_a, rows_b):
    """Exchange the configurations of kernel rows ``rows_a[p]`` and ``rows_b[p]`` (replica exchange)."""
    for p in range(rows_a.shape[0]):
        ga, ba = rows_a[p] // 64, np.uint64(rows_a[p] % 64)
        gb, bb = rows_b[p] // 64, np.uint64(rows_b[p] % 64)
        for i in range(words.shape[1]):
            x = words[ga, i]
            y = words[gb, i]
            d = ((x >> ba) ^ (y >> bb)) & _ONE
            words[ga, i] = x ^ (d << ba)
            words[gb, i] = words[gb, i] ^ (d << bb)


# ---------------------------------------------------------------- thresholds
@njit(cache=True)
def class_constants(thresholds, z):
    """Per-group bit masks of the thresholds: (constants, planes).

    Class c = sbit (z + 1) + u of a replica at a site: sbit = 1 for s = +1, u up
    neighbours (n = 2u - z); C = 2 (z + 1) classes.  ``planes[g, c, p]`` (n_groups,
    C, 32) has bit b set where bit 31 - p of replica b's threshold is set.
    ``constants[g]`` (n_groups, 2 + EAGER_PLANES, C) holds ``always[c]`` (threshold
    2**32: s' = +1 for sure), ``random[c]`` (0 < threshold < 2**32), then
    ``planes[g, c, p]`` for p < EAGER_PLANES.
    """
    n_classes = 2 * (z + 1)
    n_groups = thresholds.shape[0] // 64
    planes = np.zeros((n_groups, n_classes, 32), dtype=np.uint64)
    constants = np.zeros((n_groups, 2 + EAGER_PLANES, n_classes), dtype=np.uint64)
    for g in range(n_groups):
        for b in range(64):
            bit = np.uint64(1) << np.uint64(b)
            for sbit in range(2):
                for u in range(z + 1):
                    c = sbit * (z + 1) + u
                    t = thresholds[64 * g + b, sbit, 2 * u]
                    if t >= np.uint64(_TWO32):
                        constants[g, 0, c] |= bit
                    elif t > 0:
                        constants[g, 1, c] |= bit
                        for p in range(32):
                            if (t >> np.uint64(31 - p)) & _ONE:
                                planes[g, c, p] |= bit
        for p in range(EAGER_PLANES):
            constants[g, 2 + p] = planes[g, :, p]
    return constants, planes


# ---------------------------------------------------------------- bit-sliced site logic
@njit(cache=True, inline="always")
def _classes_2d(s, a, b, c, d):
    """Masks of the 10 classes (sbit, u) of a site with spin word s and neighbour words a, b, c, d."""
    x = a ^ b
    s1 = x ^ c
    c1 = (a & b) | (x & c)
    u0 = s1 ^ d
    c2 = s1 & d
    u1 = c1 ^ c2
    u2 = c1 & c2  # u = 4 is the only count with bit 2 set
    v0 = ~u0
    v1 = ~u1
    low = ~u2
    e0 = low & v1 & v0
    e1 = low & v1 & u0
    e2 = low & u1 & v0
    e3 = low & u1 & u0
    ns = ~s
    return (ns & e0, ns & e1, ns & e2, ns & e3, ns & u2, s & e0, s & e1, s & e2, s & e3, s & u2)


@njit(cache=True, inline="always")
def _classes_3d(s, a, b, c, d, e, f):
    """Masks of the 14 classes (sbit, u) of a site with spin word s and six neighbour words."""
    x = a ^ b
    s1 = x ^ c
    c1 = (a & b) | (x & c)
    y = d ^ e
    s2 = y ^ f
    c2 = (d & e) | (y & f)
    u0 = s1 ^ s2
    k = s1 & s2
    w = c1 ^ c2
    u1 = w ^ k
    u2 = (c1 & c2) | (w & k)
    v0 = ~u0
    v1 = ~u1
    v2 = ~u2
    e0 = v2 & v1 & v0
    e1 = v2 & v1 & u0
    e2 = v2 & u1 & v0
    e3 = v2 & u1 & u0
    e4 = u2 & v1 & v0
    e5 = u2 & v1 & u0
    e6 = u2 & u1 & v0
    ns = ~s
    return (ns & e0, ns & e1, ns & e2, ns & e3, ns & e4, ns & e5, ns & e6,
            s & e0, s & e1, s & e2, s & e3, s & e4, s & e5, s & e6)


@njit(cache=True, inline="always")
def _select10(m, t):
    """OR over the 10 classes of (class mask m[c] & t[c])."""
    return ((m[0] & t[0]) | (m[1] & t[1]) | (m[2] & t[2]) | (m[3] & t[3]) | (m[4] & t[4])
            | (m[5] & t[5]) | (m[6] & t[6]) | (m[7] & t[7]) | (m[8] & t[8]) | (m[9] & t[9]))


@njit(cache=True, inline="always")
def _select14(m, t):
    """OR over the 14 classes of (class mask m[c] & t[c])."""
    return ((m[0] & t[0]) | (m[1] & t[1]) | (m[2] & t[2]) | (m[3] & t[3]) | (m[4] & t[4])
            | (m[5] & t[5]) | (m[6] & t[6]) | (m[7] & t[7]) | (m[8] & t[8]) | (m[9] & t[9])
            | (m[10] & t[10]) | (m[11] & t[11]) | (m[12] & t[12]) | (m[13] & t[13]))


@njit(cache=True, inline="always")
def _compare(lt, eq, threshold_plane, random_plane):
    """One plane of the bit-sliced U < T: lanes still equal so far are decided where the bits differ."""
    return lt | (eq & threshold_plane & ~random_plane), eq & ~(threshold_plane ^ random_plane)


@njit(cache=True, inline="always")
def _eager_2d(m, cst, planes, k):
    """(certain ups | ups decided within the eager planes, lanes still undecided) of one site in 2D.

    ``cst`` holds the class constants as tuples: always, random, then the threshold planes 0..7.
    """
    lt, eq = _compare(np.uint64(0), _select10(m, cst[1]), _select10(m, cst[2]), planes[0, k])
    lt, eq = _compare(lt, eq, _select10(m, cst[3]), planes[1, k])
    lt, eq = _compare(lt, eq, _select10(m, cst[4]), planes[2, k])
    lt, eq = _compare(lt, eq, _select10(m, cst[5]), planes[3, k])
    lt, eq = _compare(lt, eq, _select10(m, cst[6]), planes[4, k])
    lt, eq = _compare(lt, eq, _select10(m, cst[7]), planes[5, k])
    lt, eq = _compare(lt, eq, _select10(m, cst[8]), planes[6, k])
    lt, eq = _compare(lt, eq, _select10(m, cst[9]), planes[7, k])
    return _select10(m, cst[0]) | lt, eq


@njit(cache=True, inline="always")
def _eager_3d(m, cst, planes, k):
    """(certain ups | ups decided within the eager planes, lanes still undecided) of one site in 3D."""
    lt, eq = _compare(np.uint64(0), _select14(m, cst[1]), _select14(m, cst[2]), planes[0, k])
    lt, eq = _compare(lt, eq, _select14(m, cst[3]), planes[1, k])
    lt, eq = _compare(lt, eq, _select14(m, cst[4]), planes[2, k])
    lt, eq = _compare(lt, eq, _select14(m, cst[5]), planes[3, k])
    lt, eq = _compare(lt, eq, _select14(m, cst[6]), planes[4, k])
    lt, eq = _compare(lt, eq, _select14(m, cst[7]), planes[5, k])
    lt, eq = _compare(lt, eq, _select14(m, cst[8]), planes[6, k])
    lt, eq = _compare(lt, eq, _select14(m, cst[9]), planes[7, k])
    return _select14(m, cst[0]) | lt, eq


@njit(cache=True, inline="always")
def _tuples_2d(constants):
    """A group's ``constants`` (10, 10) as a tuple of tuples: registers, not memory, in the vectorised loop."""
    n = CLASSES_2D
    return (to_fixed_tuple(constants[0], n), to_fixed_tuple(constants[1], n), to_fixed_tuple(constants[2], n),
            to_fixed_tuple(constants[3], n), to_fixed_tuple(constants[4], n), to_fixed_tuple(constants[5], n),
            to_fixed_tuple(constants[6], n), to_fixed_tuple(constants[7], n), to_fixed_tuple(constants[8], n),
            to_fixed_tuple(constants[9], n))


@njit(cache=True, inline="always")
def _tuples_3d(constants):
    """A group's ``constants`` (10, 14) as a tuple of tuples."""
    n = CLASSES_3D
    return (to_fixed_tuple(constants[0], n), to_fixed_tuple(constants[1], n), to_fixed_tuple(constants[2], n),
            to_fixed_tuple(constants[3], n), to_fixed_tuple(constants[4], n), to_fixed_tuple(constants[5], n),
            to_fixed_tuple(constants[6], n), to_fixed_tuple(constants[7], n), to_fixed_tuple(constants[8], n),
            to_fixed_tuple(constants[9], n))


@njit(cache=True, inline="always")
def _finish(m, eq, tplanes, n, sweep, chain, stream, k0, k1):
    """Up lanes among the undecided lanes ``eq``, from planes EAGER_PLANES on (generated here)."""
    lt = np.uint64(0)
    r = np.uint64(0)
    r_odd = np.uint64(0)
    for p in range(EAGER_PLANES, 32):
        if p & 1 == 0:
            w0, w1, w2, w3 = philox4x32(n, sweep, chain, stream + p // 2, k0, k1)
            r = w0 | (w1 << _SHIFT32)
            r_odd = w2 | (w3 << _SHIFT32)
        else:
            r = r_odd
        t = np.uint64(0)
        for c in range(len(m)):
            t |= m[c] & tplanes[c, p]
        lt, eq = _compare(lt, eq, t, r)
        if eq == 0:
            break
    return lt


# ---------------------------------------------------------------- one colour of one row
@njit(cache=True, inline="always")
def _eager_planes(planes, n0, half, sweep, chain, stream, k0, k1):
    """Planes 0 .. EAGER_PLANES - 1 of the sites n0 .. n0 + half - 1 (vectorised over sites)."""
    for q in range(EAGER_PLANES // 2):
        even = planes[2 * q]
        odd = planes[2 * q + 1]
        for k in range(half):
            w0, w1, w2, w3 = philox4x32(n0 + k, sweep, chain, stream + q, k0, k1)
            even[k] = w0 | (w1 << _SHIFT32)
            odd[k] = w2 | (w3 << _SHIFT32)


@njit(cache=True, error_model="numpy")
def _logic_2d(s_row, padded, up, down, h, planes, cst, new, undecided, half):
    """Eager pass over one half row in 2D: provisional new words and undecided lanes (vectorised over sites)."""
    for k in range(half):
        m = _classes_2d(s_row[k], padded[k + h], padded[k + h + 1], up[k], down[k])
        new[k], undecided[k] = _eager_2d(m, cst, planes, k)


@njit(cache=True, error_model="numpy")
def _logic_3d(s_row, padded, up, down, up2, down2, h, planes, cst, new, undecided, half):
    """Eager pass over one half row in 3D."""
    for k in range(half):
        m = _classes_3d(s_row[k], padded[k + h], padded[k + h + 1], up[k], down[k], up2[k], down2[k])
        new[k], undecided[k] = _eager_3d(m, cst, planes, k)


@njit(cache=True, error_model="numpy")
def _update_half_row(w, row_nbrs, row_parity, side, r, color, constants, tplanes, sweep, chain, k0, k1,
                     planes, padded, new, undecided):
    """Update the sites of colour ``color`` in row r of one group's words ``w`` (its ``constants``, ``tplanes``;
    scratch: planes, padded, new, undecided)."""
    half = side // 2
    h = (color + row_parity[r]) & 1
    start = r * side + h * half
    other = r * side + (1 - h) * half
    s_row = w[start:start + half]
    padded[0] = w[other + half - 1]
    padded[1:half + 1] = w[other:other + half]
    padded[half + 1] = w[other]
    n0 = r * half
    stream = MULTISPIN + 16 * color
    _eager_planes(planes, n0, half, sweep, chain, stream, k0, k1)
    a = row_nbrs[r, 0] + h * half
    b = row_nbrs[r, 1] + h * half
    if row_nbrs.shape[1] == 2:
        _logic_2d(s_row, padded, w[a:a + half], w[b:b + half], h, planes, _tuples_2d(constants), new, undecided,
                  half)
        for k in range(half):
            if undecided[k] != 0:
                m = _classes_2d(s_row[k], padded[k + h], padded[k + h + 1], w[a + k], w[b + k])
                new[k] |= _finish(m, undecided[k], tplanes, n0 + k, sweep, chain, stream, k0, k1)
    else:
        c = row_nbrs[r, 2] + h * half
        d = row_nbrs[r, 3] + h * half
        _logic_3d(s_row, padded, w[a:a + half], w[b:b + half], w[c:c + half], w[d:d + half], h, planes,
                  _tuples_3d(constants), new, undecided, half)
        for k in range(half):
            if undecided[k] != 0:
                m = _classes_3d(s_row[k], padded[k + h], padded[k + h + 1], w[a + k], w[b + k], w[c + k], w[d + k])
                new[k] |= _finish(m, undecided[k], tplanes, n0 + k, sweep, chain, stream, k0, k1)
    s_row[:] = new


# ---------------------------------------------------------------- observables
_BYTE_LOW = np.uint64(0x0101010101010101)
_BYTE = np.uint64(0xFF)


@njit(cache=True, inline="always")
def _flush(acc, counts):
    """Move the byte counters ``acc[:8]`` into the lane counts ``counts`` and empty them."""
    for j in range(8):
        for q in range(8):
            counts[8 * q + j] += np.int64((acc[j] >> np.uint64(8 * q)) & _BYTE)
        acc[j] = 0
    acc[8] = 0


@njit(cache=True, error_model="numpy")
def _count_xor(a, b, acc, counts):
    """Count, for every lane, the words k with that lane's bit of ``a[k] ^ b[k]`` set.

    ``acc`` (uint64 (9,)) holds eight accumulators of eight byte counters (lane
    8q + j in byte q of accumulator j) and, in ``acc[8]``, how many words they hold;
    they are flushed into ``counts`` (int64 (64,)) before a byte can overflow.  The
    inner loop is a plain sum over words, so it vectorises.
    """
    n = a.shape[0]
    k0 = 0
    while k0 < n:
        k1 = min(n, k0 + 255 - np.int64(acc[8]))
        a0, a1, a2, a3, a4, a5, a6, a7 = acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7]
        for k in range(k0, k1):
            x = a[k] ^ b[k]
            a0 += x & _BYTE_LOW
            a1 += (x >> np.uint64(1)) & _BYTE_LOW
            a2 += (x >> np.uint64(2)) & _BYTE_LOW
            a3 += (x >> np.uint64(3)) & _BYTE_LOW
            a4 += (x >> np.uint64(4)) & _BYTE_LOW
            a5 += (x >> np.uint64(5)) & _BYTE_LOW
            a6 += (x >> np.uint64(6)) & _BYTE_LOW
            a7 += (x >> np.uint64(7)) & _BYTE_LOW
        acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7] = a0, a1, a2, a3, a4, a5, a6, a7
        acc[8] += np.uint64(k1 - k0)
        if acc[8] == 255:
            _flush(acc, counts)
        k0 = k1


@njit(cache=True, error_model="numpy")
def _count_rows(w, row_nbrs, side, first, last, ups, unsatisfied, zeros):
    """Add the up spins and the unsatisfied bonds (to +1 neighbours) of rows first..last-1, per lane.

    ``ups``, ``unsatisfied``: int64 (64,); ``zeros``: ``side`` zero words.
    """
    half = side // 2
    up_acc = np.zeros(9, dtype=np.uint64)
    bond_acc = np.zeros(9, dtype=np.uint64)
    for r in range(first, last):
        base = r * side
        _count_xor(w[base:base + side], zeros, up_acc, ups)
        # along the row: column 2k (half 0, k) -> 2k + 1 (half 1, k); 2k + 1 -> 2k + 2 (half 0, k + 1, wrapped)
        _count_xor(w[base:base + half], w[base + half:base + side], bond_acc, unsatisfied)
        _count_xor(w[base + half:base + side - 1], w[base + 1:base + half], bond_acc, unsatisfied)
        _count_xor(w[base + side - 1:base + side], w[base:base + 1], bond_acc, unsatisfied)
        for a in range(row_nbrs.shape[1] // 2):
            o = row_nbrs[r, 2 * a]
            _count_xor(w[base:base + side], w[o:o + side], bond_acc, unsatisfied)
    _flush(up_acc, ups)
    _flush(bond_acc, unsatisfied)


@njit(cache=True)
def _write_observables(up, bad, n_spins, n_bonds, J, h, g, out_energy, out_magnetization, column):
    """E and M of the replicas of group g from their up spins ``up`` and unsatisfied bonds ``bad`` (int64 (64,))."""
    for b in range(64):
        mag = 2 * up[b] - n_spins
        out_magnetization[64 * g + b, column] = mag
        out_energy[64 * g + b, column] = -J * (n_bonds - 2 * bad[b]) - h * mag


@njit(cache=True)
def _group_observables(w, row_nbrs, side, J, h, g, out_energy, out_magnetization, column):
    n_spins = w.shape[0]
    ups = np.zeros(64, dtype=np.int64)
    unsatisfied = np.zeros(64, dtype=np.int64)
    _count_rows(w, row_nbrs, side, 0, row_nbrs.shape[0], ups, unsatisfied, np.zeros(side, dtype=np.uint64))
    _write_observables(ups, unsatisfied, n_spins, n_spins * (1 + row_nbrs.shape[1] // 2), J, h, g, out_energy,
                       out_magnetization, column)


@njit(cache=True)
def observables(words, row_nbrs, side, J, h, out_energy, out_magnetization, column):
    """Write E and M of every replica (kernel row 64 g + b) into ``out_*[:, column]``."""
    for g in range(words.shape[0]):
        _group_observables(words[g], row_nbrs, side, J, h, g, out_energy, out_magnetization, column)


# ---------------------------------------------------------------- drivers
@njit(cache=True)
def _group_sweeps(w, g, row_nbrs, row_parity, side, constants, tplanes, k0, k1, chain0, sweep0, n_sweeps,
                  record_every, J, h, out_energy, out_magnetization, column0):
    """All sweeps of group g (words ``w``), with its records."""
    half = side // 2
    planes = np.empty((EAGER_PLANES, half), dtype=np.uint64)
    padded = np.empty(half + 2, dtype=np.uint64)
    new = np.empty(half, dtype=np.uint64)
    undecided = np.empty(half, dtype=np.uint64)
    chain = chain0 + 64 * g
    column = column0
    for t in range(n_sweeps):
        for color in range(2):
            for r in range(row_nbrs.shape[0]):
                _update_half_row(w, row_nbrs, row_parity, side, r, color, constants[g], tplanes[g], sweep0 + t, chain,
                                 k0, k1, planes, padded, new, undecided)
        if record_every > 0 and (t + 1) % record_every == 0:
            _group_observables(w, row_nbrs, side, J, h, g, out_energy, out_magnetization, column)
            column += 1


@njit(cache=True)
def sweeps_serial(words, row_nbrs, row_parity, side, constants, tplanes, k0, k1, chain0, sweep0, n_sweeps,
                  record_every, J, h, out_energy, out_magnetization, column0):
    """Run ``n_sweeps`` sweeps numbered ``sweep0, sweep0 + 1, ...`` on every group, on one thread.

    ``constants``, ``tplanes``: :func:`class_constants` of the replicas' thresholds.  After every
    ``record_every``-th sweep (0: never) E and M of every replica go to
    ``out_*[:, column0 + k]``.  :func:`sweeps_group_parallel` and
    :func:`sweeps_row_parallel` take the same arguments and give the same bits.
    """
    for g in range(words.shape[0]):
        _group_sweeps(words[g], g, row_nbrs, row_parity, side, constants, tplanes, k0, k1, chain0, sweep0, n_sweeps,
                      record_every, J, h, out_energy, out_magnetization, column0)


@njit(cache=True, parallel=True)
def sweeps_group_parallel(words, row_nbrs, row_parity, side, constants, tplanes, k0, k1, chain0, sweep0, n_sweeps,
                          record_every, J, h, out_energy, out_magnetization, column0):
    """:func:`sweeps_serial` with the groups shared out among threads (no synchronisation between sweeps)."""
    for g in prange(words.shape[0]):
        _group_sweeps(words[g], g, row_nbrs, row_parity, side, constants, tplanes, k0, k1, chain0, sweep0, n_sweeps,
                      record_every, J, h, out_energy, out_magnetization, column0)


@njit(cache=True, parallel=True)
def sweeps_row_parallel(words, row_nbrs, row_parity, side, constants, tplanes, k0, k1, chain0, sweep0, n_sweeps,
                        record_every, J, h, out_energy, out_magnetization, column0):
    """:func:`sweeps_serial` with the rows of each colour shared out among threads (fewer groups than threads)."""
    n_groups = words.shape[0]
    n_rows = row_nbrs.shape[0]
    half = side // 2
    rows_per_job = max(1, _ROW_JOB_WORDS // side)
    jobs_per_group = (n_rows + rows_per_job - 1) // rows_per_job
    n_jobs = n_groups * jobs_per_group
    ups = np.zeros((n_jobs, 64), dtype=np.int64)
    unsatisfied = np.zeros((n_jobs, 64), dtype=np.int64)
    zeros = np.zeros(side, dtype=np.uint64)
    column = column0
    for t in range(n_sweeps):
        for color in range(2):
            for job in prange(n_jobs):
                g = job // jobs_per_group
                first = (job - g * jobs_per_group) * rows_per_job
                planes = np.empty((EAGER_PLANES, half), dtype=np.uint64)
                padded = np.empty(half + 2, dtype=np.uint64)
                new = np.empty(half, dtype=np.uint64)
                undecided = np.empty(half, dtype=np.uint64)
                for r in range(first, min(n_rows, first + rows_per_job)):
                    _update_half_row(words[g], row_nbrs, row_parity, side, r, color, constants[g], tplanes[g],
                                     sweep0 + t, chain0 + 64 * g, k0, k1, planes, padded, new, undecided)
        if record_every > 0 and (t + 1) % record_every == 0:
            ups[:] = 0
            unsatisfied[:] = 0
            for job in prange(n_jobs):
                g = job // jobs_per_group
                first = (job - g * jobs_per_group) * rows_per_job
                _count_rows(words[g], row_nbrs, side, first, min(n_rows, first + rows_per_job), ups[job],
                            unsatisfied[job], zeros)
            n_spins = words.shape[1]
            for g in range(n_groups):
                up = ups[g * jobs_per_group:(g + 1) * jobs_per_group].sum(axis=0)
                bad = unsatisfied[g * jobs_per_group:(g + 1) * jobs_per_group].sum(axis=0)
                _write_observables(up, bad, n_spins, n_spins * (1 + row_nbrs.shape[1] // 2), J, h, g, out_energy,
                                   out_magnetization, column)
            column += 1
