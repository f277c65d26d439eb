"""Lattice phi^4 field theory: action, gradient, checkerboard Metropolis and embedded-Ising Wolff clusters (CPU, Numba).

Action (k_B = 1, weights exp(-beta S), beta = 1 in field theory):

    S(phi) = sum_x [ -2 kappa phi_x sum_mu phi_{x+mu} + phi_x^2 + lam (phi_x^2 - 1)^2 ],

mu running over the d forward neighbours (each bond once).  Parameters in the
protocol of :mod:`ebmphys.models.continuous`: theta = [kappa, lam], index =
[N, z = 2d, d, periodic (1 or 0), L_1, ..., L_d, neighbours (N*z)] with the
neighbour table of ``LatticeIsing.neighbors`` (column 2a the +1 neighbour along
axis a, 2a+1 the -1 neighbour; a missing open-boundary neighbour is N), which
starts at ``table_offset(index)``.  The local action of site x with neighbour sum
h_x = sum over its 2d neighbours is S_x(phi) = -2 kappa phi h_x + phi^2 + lam (phi^2 - 1)^2,
and dS/dphi_x = -2 kappa h_x + 2 phi_x + 4 lam phi_x (phi_x^2 - 1).

The action and its gradient sum the neighbours as shifted copies of the whole
lattice (contiguous blocks, which the compiler vectorises), in the order of the
table's columns: F_x = phi_{x+e_1} + phi_{x+e_2} + ... for S, and h_x =
phi_{x+e_1} + phi_{x-e_1} + phi_{x+e_2} + ... for the gradient (missing
neighbours skipped); the single-site updates read the table.

Configurations are float64 rows (n_rows, N), sites in C order.

Metropolis sweep (sweep counter t, row m = chain chain0 + m): the sites of colour
c = 0 then 1 (colour = coordinate sum mod 2, listed in increasing site index)
are updated in turn; the k-th site of colour c reads the words of
``philox4x32(k // 2, t, chain, PHI4_LOCAL + c)``: words 2 (k % 2) and 2 (k % 2) + 1
give the proposal phi' = phi + step (2 u - 1), u = (w + 1/2) 2^-32, and the accept
decision ``w' < threshold(min(1, exp(-beta dS)))``.

Wolff cluster (Brower and Tamayo, PRL 62, 1087 (1989)): the signs e_x of the
field are an Ising model with couplings J_xy = 2 kappa |phi_x phi_y| (kappa >= 0),
so a cluster grown through aligned neighbours with bond probability
p_xy = 1 - exp(-4 beta kappa |phi_x phi_y|) and flipped (phi -> -phi on the cluster)
leaves exp(-beta S) invariant; it changes no |phi|, so it is combined with
Metropolis sweeps.  Cluster q of sweep t: the seed site is drawn by rejection
(exactly uniform) from words 0, 1, 2, ... of ``philox4x32(q R + j, t, chain,
PHI4_CLUSTER + 1)``, j = 0, 1, ...; the member at queue position p (0 = the seed,
breadth-first) tests its neighbour column c with word c % 4 of
``philox4x32(q R + p B + c // 4, t, chain, PHI4_CLUSTER)``, B = ceil(z / 4),
R = N B + 64; each neighbour consumes its word whether or not it is tested.
"""

import math

import numpy as np
from numba import njit, prange

from ebmphys.kernels.rng import PHI4_CLUSTER, PHI4_LOCAL, philox4x32, threshold, to_unit

_TWO32 = np.uint64(1) << np.uint64(32)
#: spare seed-word blocks between clusters (cluster stride R = N B + SEED_BLOCKS)
SEED_BLOCKS = 64


@njit(cache=True, inline="always")
def table_offset(index):
    """Position of the neighbour table in ``index``."""
    return 4 + index[2]


@njit(cache=True)
def add_shifted(row, out, index, axis, step):
    """out[x] += row[x + step e_axis] for every site x with that neighbour (step +1 or -1)."""
    d = index[2]
    periodic = index[3] == 1
    length = index[4 + axis]
    inner = 1
    for a in range(axis + 1, d):
        inner *= index[4 + a]
    outer = index[0] // (length * inner)
    rows = row.reshape(outer * length, inner)  # 2-D views: their rows are contiguous, so the loop vectorises
    outs = out.reshape(outer * length, inner)
    for o in range(outer):
        for k in range(length):
            source = k + step
            if source == length or source == -1:
                if not periodic:
                    continue
                source = 0 if source == length else length - 1
            dst = outs[o * length + k]
            src = rows[o * length + source]
            for t in range(inner):
                dst[t] += src[t]


@njit(cache=True)
def add_shifted_last(row, out, index, step):
    """:func:`add_shifted` along the last axis: contiguous runs within every line of the lattice."""
    length = index[3 + index[2]]
    periodic = index[3] == 1
    lines = row.reshape(index[0] // length, length)
    outs = out.reshape(index[0] // length, length)
    for j in range(lines.shape[0]):
        dst = outs[j]
        line = lines[j]
        if step == 1:
            for k in range(length - 1):
                dst[k] += line[k + 1]
            if periodic:
                dst[length - 1] += line[0]
        else:
            if periodic:
                dst[0] += line[length - 1]
            for k in range(1, length):
                dst[k] += line[k - 1]


@njit(cache=True)
def neighbor_sums(row, index, out, both):
    """out = sum over the +1 neighbours (``both``: +1 then -1 neighbours) of every site, axis after axis."""
    d = index[2]
    out[:] = 0.0
    for axis in range(d - 1):
        add_shifted(row, out, index, axis, 1)
        if both:
            add_shifted(row, out, index, axis, -1)
    add_shifted_last(row, out, index, 1)
    if both:
        add_shifted_last(row, out, index, -1)


@njit(cache=True)
def phi4_energy(x, params):
    """S(phi) of every row."""
    theta, index = params
    kappa, lam = theta[0], theta[1]
    n = index[0]
    out = np.empty(x.shape[0])
    forward = np.empty(n)
    for m in range(x.shape[0]):
        row = x[m]
        neighbor_sums(row, index, forward, False)
        s = 0.0
        for i in range(n):
            phi = row[i]
            p2 = phi * phi
            s += -2.0 * kappa * phi * forward[i] + p2 + lam * (p2 - 1.0) * (p2 - 1.0)
        out[m] = s
    return out


@njit(cache=True, inline="always")
def neighbor_sum(row, index, i, n, z):
    """Sum of the field over the 2d neighbours of site i from the table (missing neighbours count 0)."""
    table = table_offset(index)
    h = 0.0
    for c in range(z):
        j = index[table + i * z + c]
        if j < n:
            h += row[j]
    return h


@njit(cache=True)
def phi4_grad(x, params):
    """dS/dphi_x = -2 kappa h_x + 2 phi_x + 4 lam phi_x (phi_x^2 - 1)."""
    theta, index = params
    kappa, lam = theta[0], theta[1]
    n = index[0]
    out = np.empty((x.shape[0], n))
    for m in range(x.shape[0]):
        row = x[m]
        g = out[m]
        neighbor_sums(row, index, g, True)
        for i in range(n):
            phi = row[i]
            g[i] = -2.0 * kappa * g[i] + 2.0 * phi + 4.0 * lam * phi * (phi * phi - 1.0)
    return out


@njit(cache=True)
def phi4_grad_params(x, params):
    """dS/dkappa = -2 sum_x phi_x sum_mu phi_{x+mu}, dS/dlam = sum_x (phi_x^2 - 1)^2."""
    index = params[1]
    n = index[0]
    out = np.zeros((x.shape[0], 2))
    forward = np.empty(n)
    for m in range(x.shape[0]):
        row = x[m]
        neighbor_sums(row, index, forward, False)
        bonds = 0.0
        quartic = 0.0
        for i in range(n):
            phi = row[i]
            bonds += phi * forward[i]
            quartic += (phi * phi - 1.0) * (phi * phi - 1.0)
        out[m, 0] = -2.0 * bonds
        out[m, 1] = quartic
    return out


@njit(cache=True)
def phi4_observables(x, params):
    """The magnetisation M = sum_x phi_x of every row, as an (n, 1) array."""
    out = np.empty((x.shape[0], 1))
    for m in range(x.shape[0]):
        s = 0.0
        for i in range(x.shape[1]):
            s += x[m, i]
        out[m, 0] = s
    return out


@njit(cache=True, inline="always")
def local_action(phi, h, kappa, lam):
    """S_x(phi) = -2 kappa phi h + phi^2 + lam (phi^2 - 1)^2."""
    p2 = phi * phi
    return -2.0 * kappa * phi * h + p2 + lam * (p2 - 1.0) * (p2 - 1.0)


@njit(cache=True)
def metropolis_sweep(row, index, sites, offsets, kappa, lam, beta, step, sweep, chain, k0, k1):
    """One checkerboard Metropolis sweep of one row (see the module docstring); returns the number accepted."""
    n, z = index[0], index[1]
    accepted = 0
    for color in range(2):
        w0 = w1 = w2 = w3 = np.uint64(0)
        for k in range(offsets[color + 1] - offsets[color]):
            if k % 2 == 0:
                w0, w1, w2, w3 = philox4x32(k // 2, sweep, chain, PHI4_LOCAL + color, k0, k1)
            proposal_word, accept = (w0, w1) if k % 2 == 0 else (w2, w3)
            i = sites[offsets[color] + k]
            phi = row[i]
            h = neighbor_sum(row, index, i, n, z)
            new = phi + step * (2.0 * to_unit(proposal_word) - 1.0)
            delta = local_action(new, h, kappa, lam) - local_action(phi, h, kappa, lam)
            if delta <= 0.0 or accept < threshold(math.exp(-beta * delta)):
                row[i] = new
                accepted += 1
    return accepted


@njit(cache=True)
def wolff_cluster(row, index, kappa, beta, sweep, cluster, chain, k0, k1, stack):
    """Grow and flip one embedded-Ising cluster of ``row`` (see the module docstring); returns its size."""
    n, z = index[0], index[1]
    table = table_offset(index)
    blocks = (z + 3) // 4
    base = cluster * (n * blocks + SEED_BLOCKS)
    limit = (_TWO32 // np.uint64(n)) * np.uint64(n)
    r = 0
    words = philox4x32(base, sweep, chain, PHI4_CLUSTER + 1, k0, k1)
    while words[r & 3] >= limit:
        r += 1
        if r & 3 == 0:
            words = philox4x32(base + (r >> 2), sweep, chain, PHI4_CLUSTER + 1, k0, k1)
    seed = np.int64((words[r & 3] * np.uint64(n)) >> np.uint64(32))
    sign = 1.0 if row[seed] > 0.0 else -1.0
    row[seed] = -row[seed]
    stack[0] = seed
    size = 1
    head = 0
    coupling = 4.0 * beta * kappa
    while head < size:
        i = stack[head]
        first = base + head * blocks
        head += 1
        magnitude = abs(row[i])
        for c in range(z):
            if c & 3 == 0:
                words = philox4x32(first + (c >> 2), sweep, chain, PHI4_CLUSTER, k0, k1)
            j = index[table + i * z + c]
            if j < n and row[j] * sign > 0.0:
                if words[c & 3] < threshold(-math.expm1(-coupling * magnitude * abs(row[j]))):
                    row[j] = -row[j]
                    stack[size] = j
                    size += 1
    return size


@njit(cache=True)
def _observe(row, params, out_energy, out_magnetization, m, column):
    e = phi4_energy(row.reshape(1, -1), params)[0]
    out_energy[m, column] = e
    s = 0.0
    for i in range(row.shape[0]):
        s += row[i]
    out_magnetization[m, column] = s


@njit(cache=True, parallel=True)
def phi4_sweeps(x, params, sites, offsets, betas, step, n_clusters, k0, k1, chain0, sweep0, n_sweeps, record_every,
                out_energy, out_magnetization, out_accept, column0, flipped, last_accept):
    """``n_sweeps`` sweeps of every row: a Metropolis sweep, then ``n_clusters`` Wolff clusters (0: none).

    Row m is chain ``chain0 + m`` at inverse temperature ``betas[m]``.  After every
    ``record_every``-th sweep (0: never) S, M and the fraction of accepted
    Metropolis proposals of that sweep are written at column ``column0 + k``;
    ``flipped[m]`` accumulates cluster sizes and ``last_accept[m]`` keeps the last
    sweep's accepted fraction.
    """
    theta, index = params
    kappa, lam = theta[0], theta[1]
    n = index[0]
    for m in prange(x.shape[0]):
        row = x[m]
        chain = chain0 + m
        stack = np.empty(n, dtype=np.int64)
        for t in range(n_sweeps):
            sweep = sweep0 + t
            accepted = metropolis_sweep(row, index, sites, offsets, kappa, lam, betas[m], step, sweep, chain, k0, k1)
            last_accept[m] = accepted / n
            for q in range(n_clusters):
                flipped[m] += wolff_cluster(row, index, kappa, betas[m], sweep, q, chain, k0, k1, stack)
            if record_every > 0 and (t + 1) % record_every == 0:
                column = column0 + (t + 1) // record_every - 1
                _observe(row, params, out_energy, out_magnetization, m, column)
                out_accept[m, column] = last_accept[m]
