"""Reference twin of :mod:`ebmphys.kernels.multispin_cpu`: multi-spin coded sweeps, replica by replica.

Re-derived from the kernel's module docstring, on int8 configurations in C order (no
bit packing, no sublattice layout): for colour c = 0 then 1, every site (r, j) of
colour c (row r along the last axis, column j; colour = sum of coordinates mod 2)
has colour-site index m = r H + j // 2 (H = L / 2); the 64 replicas of group g
(kernel rows 64 g .. 64 g + 63) take the bit planes

    P[2q] = w0 | w1 << 32,  P[2q + 1] = w2 | w3 << 32,
    (w0, w1, w2, w3) = philox4x32(m, sweep, chain0 + 64 g, MULTISPIN + 16 c + q),  q = 0 .. 15,

replica b's uniform is U_b = sum_p bit_b(P[p]) 2**(31 - p), and its spin becomes +1 iff
U_b < thresholds[64 g + b, (s + 1) // 2, n + z] (n the sum of its 2d neighbours on the
periodic lattice).  All 32 planes are generated for every site: the kernel's lazy
generation must not matter.

Shared with the kernel: the stream number ``MULTISPIN`` of the registry; Philox is
written out here in plain Python integers (Salmon et al., SC'11).
"""

import itertools

import numpy as np

from ebmphys.kernels.rng import MULTISPIN

MASK32 = 0xFFFFFFFF
M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85


def philox4x32(c0, c1, c2, c3, k0, k1):
    """The four 32-bit words of Philox4x32-10 for counter (c0, c1, c2, c3) and key (k0, k1)."""
    for r in range(10):
        if r > 0:
            k0, k1 = (k0 + W0) & MASK32, (k1 + W1) & MASK32
        p0, p1 = M0 * c0, M1 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & MASK32, (p0 >> 32) ^ c3 ^ k1, p0 & MASK32
    return c0, c1, c2, c3


def uniforms(m, sweep, chain, color, key):
    """The 64 replicas' 32-bit uniforms at colour-site index m."""
    planes = []
    for q in range(16):
        w0, w1, w2, w3 = philox4x32(m, sweep, chain, MULTISPIN + 16 * color + q, *key)
        planes += [w0 | (w1 << 32), w2 | (w3 << 32)]
    return [sum(((planes[p] >> b) & 1) << (31 - p) for p in range(32)) for b in range(64)]


def sweeps(shape, states, thresholds, key, chain0, sweep0, n_sweeps):
    """Run the sweeps on a copy of ``states`` (int8 (64 n_groups, n_spins), periodic lattice ``shape``)."""
    states = np.array(states, dtype=np.int8)
    d = len(shape)
    L = shape[-1]
    sites = list(itertools.product(*(range(n) for n in shape)))
    index = {x: i for i, x in enumerate(sites)}
    neighbors = [[index[tuple((x[a] + step) % shape[a] if a == axis else x[a] for a in range(d))]
                  for axis in range(d) for step in (1, -1)] for x in sites]
    for t in range(n_sweeps):
        for color in range(2):
            for i, x in enumerate(sites):
                if sum(x) % 2 != color:
                    continue
                m = (i // L) * (L // 2) + (i % L) // 2
                for g in range(states.shape[0] // 64):
                    u = uniforms(m, sweep0 + t, chain0 + 64 * g, color, key)
                    for b in range(64):
                        row = 64 * g + b
                        s = int(states[row, i])
                        n = sum(int(states[row, j]) for j in neighbors[i])
                        states[row, i] = 1 if u[b] < int(thresholds[row, (s + 1) // 2, n + 2 * d]) else -1
    return states
