"""Slow reference twins of the Potts kernels: plain Python, one site at a time, written from the documented rules.

Every function follows the counter layout of the kernel module it mirrors (see
the module docstrings of :mod:`ebmphys.kernels.potts_cpu`,
:mod:`ebmphys.kernels.potts_cluster_cpu` and :mod:`ebmphys.kernels.potts_updates`)
and is compared with it bit for bit in ``tests/kernels/test_potts_twins.py`` (and
``tests/models/test_potts_rbm.py``).  Shared with the kernels: the stream numbers of
the registry in :mod:`ebmphys.kernels.rng` (names, not layout), a model's neighbour
table and colouring (its geometry), and the order of floating-point sums.  Everything
else is written here from the documented rules: Philox4x32-10 in plain Python
integers (:mod:`tests.reference.rng`), thresholds, weights, the categorical rule, clusters
(connected components by breadth-first search instead of union-find) and the
Wang-Landau schedule.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from ebmphys.kernels.detmath import exp, sigmoid, softplus
from ebmphys.kernels.rng import (
    AIS_HIDDEN,
    AIS_VISIBLE,
    CLUSTER,
    CLUSTER_STATE,
    INIT,
    LOCAL,
    RBM_HIDDEN,
    RBM_VISIBLE,
    WANG_LANDAU,
)
from tests.reference.rng import philox4x32, split_seed, threshold


def words(c0, c1, c2, c3, seed):
    """The four uint32 words of the block with counter (c0, c1, c2, c3) under the 64-bit ``seed`` (k0 = low word)."""
    return list(philox4x32(c0, c1, c2, c3, *split_seed(seed)))


def uniform_state(q: int, word: int) -> int:
    return (word * q) >> 32


def proposal(a: int, q: int, word: int) -> int:
    return (a + 1 + ((word * (q - 1)) >> 32)) % q


def categorical(weights, word: int) -> int:
    """The documented heat-bath rule: #{a < q-1 : word >= threshold(C_a / S)}."""
    total = 0.0
    for w in weights:
        total += w
    new, cumulative = 0, 0.0
    for w in weights[:-1]:
        cumulative += w
        new += word >= threshold(cumulative / total)
    return new


def random_states(n_rows, n_sites, q, seed, chain0=0, stream=INIT):
    out = np.empty((n_rows, n_sites), dtype=np.uint8)
    for c in range(n_rows):
        for i in range(n_sites):
            out[c, i] = uniform_state(q, words(i // 4, 0, chain0 + c, stream, seed)[i % 4])
    return out


def _neighbor_states(model, sp, i):
    return [int(sp[j]) if j < model.n_spins else None for j in model.neighbors[i]]


def lattice_sweep(model, states, betas, rule, sweep, seed, chain0=0):
    """One colour-class sweep of a LatticePotts (rule "heatbath" or "metropolis"); ``states`` (n_rows, N) in place."""
    sites, offsets = model.coloring()
    q, J, h, z = model.q, model.J, model.h, model.coordination
    for m in range(states.shape[0]):
        b = betas[m]
        field_w = [exp(b * (h[a] - h.max())) for a in range(q)]
        sp = states[m]
        for c in range(len(offsets) - 1):
            for pos in range(offsets[c + 1] - offsets[c]):
                i = sites[offsets[c] + pos]
                nb = _neighbor_states(model, sp, i)
                count = [nb.count(a) for a in range(q)]
                if rule == "heatbath":
                    w = words(pos // 4, sweep, chain0 + m, LOCAL + c, seed)[pos % 4]
                    top = max(0.0, b * J * z)
                    sp[i] = categorical([exp(b * J * count[a] - top) * field_w[a] for a in range(q)], w)
                else:
                    block = words(pos // 2, sweep, chain0 + m, LOCAL + c, seed)
                    a = int(sp[i])
                    new = proposal(a, q, block[2 * (pos % 2)])
                    p = exp(b * J * (count[new] - count[a])) * (field_w[new] / field_w[a])
                    if block[2 * (pos % 2) + 1] < threshold(min(p, 1.0)):
                        sp[i] = new


def graph_sweep(model, states, betas, rule, sweep, seed, chain0=0):
    """One colour-class sweep of a PairwisePotts / GraphPotts; ``states`` (n_rows, N) in place."""
    sites, offsets = model.coloring()
    q = model.q
    indptr, indices, tables = model.csr_tables()

    def local_field(sp, i, a):
        f = model.fields[i, a]
        for k in range(indptr[i], indptr[i + 1]):
            f += tables[k, a, sp[indices[k]]]
        return f

    for m in range(states.shape[0]):
        b = betas[m]
        sp = states[m]
        for c in range(len(offsets) - 1):
            for pos in range(offsets[c + 1] - offsets[c]):
                i = sites[offsets[c] + pos]
                f = [local_field(sp, i, a) for a in range(q)]
                if rule == "heatbath":
                    w = words(pos // 4, sweep, chain0 + m, LOCAL + c, seed)[pos % 4]
                    top = max(f)
                    sp[i] = categorical([exp(b * (fa - top)) for fa in f], w)
                else:
                    block = words(pos // 2, sweep, chain0 + m, LOCAL + c, seed)
                    a = int(sp[i])
                    new = proposal(a, q, block[2 * (pos % 2)])
                    d = f[new] - f[a]
                    p = 1.0 if d >= 0.0 else exp(b * d)
                    if block[2 * (pos % 2) + 1] < threshold(p):
                        sp[i] = new


def wolff_step(model, sp, beta, step, seed, chain):
    """One Wolff step of one configuration ``sp`` (N,), in place; returns the cluster size."""
    n, z, q = model.n_spins, model.coordination, model.q
    t_bond = threshold(-math.expm1(-beta * model.J))
    limit = (2**32 // n) * n
    r = 0
    while words(r // 4, step, chain, CLUSTER + 1, seed)[r % 4] >= limit:
        r += 1
    seed_site = (words(r // 4, step, chain, CLUSTER + 1, seed)[r % 4] * n) >> 32
    old = int(sp[seed_site])
    new = proposal(old, q, words(0, step, chain, CLUSTER_STATE, seed)[0])
    sp[seed_site] = new
    queue = [seed_site]
    blocks = (z + 3) // 4
    p = 0
    while p < len(queue):
        i = queue[p]
        for k in range(z):
            j = model.neighbors[i, k]
            w = words(p * blocks + k // 4, step, chain, CLUSTER, seed)[k % 4]
            if j < n and sp[j] == old and w < t_bond:
                sp[j] = new
                queue.append(j)
        p += 1
    return len(queue)


def swendsen_wang_step(model, sp, beta, step, seed, chain):
    """One Swendsen-Wang step of ``sp`` (N,), in place: clusters as connected components of the active bonds."""
    n, d, q = model.n_spins, model.ndim, model.q
    t_bond = threshold(-math.expm1(-beta * model.J))
    adjacency = [[] for _ in range(n)]
    blocks = (d + 3) // 4
    for i in range(n):
        for a in range(d):
            j = model.neighbors[i, 2 * a]
            w = words(i * blocks + a // 4, step, chain, CLUSTER, seed)[a % 4]
            if j < n and sp[j] == sp[i] and w < t_bond:
                adjacency[i].append(j)
                adjacency[j].append(i)
    label = [-1] * n
    for root in range(n):  # visiting sites in order, the first site met of a cluster is its smallest
        if label[root] >= 0:
            continue
        label[root] = root
        todo = deque([root])
        while todo:
            i = todo.popleft()
            for j in adjacency[i]:
                if label[j] < 0:
                    label[j] = root
                    todo.append(j)
    for i in range(n):
        r = label[i]
        sp[i] = uniform_state(q, words(r // 4, step, chain, CLUSTER + 1, seed)[r % 4])


def wang_landau_walker(model, sp, n_trials, seed, chain, flatness=0.8, check_every=100, window=None):
    """The first ``n_trials`` trials of one Potts Wang-Landau walker; returns (ln g, visited, ln f, sp).

    The schedule as documented in :mod:`ebmphys.kernels.wang_landau_cpu` (flatness
    checks every ``check_every`` trials, then 1/t), with no stopping rule; ``window``
    (lo, hi) confines the walk to lo <= level <= hi after the documented entry phase.
    """
    n, q = model.n_spins, model.q
    n_levels = model.n_bonds + 1
    lg = np.zeros(n_levels)
    hist = np.zeros(n_levels, dtype=np.int64)
    visited = np.zeros(n_levels, dtype=bool)
    sp = sp.copy()

    def neighbours_in(i, a):
        return sum(1 for j in model.neighbors[i] if j < n and sp[j] == a)

    lo, hi = (0, n_levels - 1) if window is None else window

    def distance(x):
        return max(lo - x, x - hi, 0)

    level = model.n_bonds - int(model.equal_bonds(sp))
    u = 0
    while distance(level) > 0:
        r = words(u & 0xFFFFFFFF, 2**31 + (u >> 32), chain, WANG_LANDAU, seed)
        i = (r[0] * n) >> 32
        a = int(sp[i])
        b = proposal(a, q, r[1])
        new = level + neighbours_in(i, a) - neighbours_in(i, b)
        if distance(new) <= distance(level):
            sp[i] = b
            level = new
        u += 1
    log_f, phase2, n_visited = 1.0, False, 0
    for t in range(n_trials):
        r = words(t & 0xFFFFFFFF, t >> 32, chain, WANG_LANDAU, seed)
        i = (r[0] * n) >> 32
        a = int(sp[i])
        b = proposal(a, q, r[1])
        new = level + neighbours_in(i, a) - neighbours_in(i, b)
        if lo <= new <= hi and r[2] < threshold(exp(min(lg[level] - lg[new], 0.0))):
            sp[i] = b
            level = new
        lg[level] += log_f
        hist[level] += 1
        if not visited[level]:
            visited[level] = True
            n_visited += 1
        if phase2:
            log_f = n_visited / (t + 1)
        if not phase2 and (t + 1) % check_every == 0:
            seen = hist[visited]
            if seen.min() >= flatness * seen.sum() / n_visited:
                log_f *= 0.5
                hist[:] = 0
            if log_f <= n_visited / (t + 1):
                phase2 = True
                log_f = n_visited / (t + 1)
    return lg, visited, log_f, sp


# ---------------------------------------------------------------------------- Potts-Bernoulli RBMs


def _hidden_input(rbm, v, scale=1.0):
    out = []
    for j in range(rbm.n_hidden):
        x = rbm.c[j]
        for i in range(rbm.n_visible):
            x += rbm.W[i, v[i], j]
        out.append(scale * x)
    return out


def _draw_hidden(x, step, chain, stream, seed):
    return [1 if words(j // 4, step, chain, stream, seed)[j % 4] < threshold(sigmoid(xj)) else 0
            for j, xj in enumerate(x)]


def _draw_visible(rbm, h, step, chain, stream, seed, scale=1.0, base=None, base_weight=0.0):
    v = []
    for i in range(rbm.n_visible):
        x = []
        for a in range(rbm.q):
            xa = rbm.b[i, a]
            for j in range(rbm.n_hidden):
                if h[j]:
                    xa += rbm.W[i, a, j]
            x.append((base_weight * base[i, a] if base is not None else 0.0) + scale * xa)
        top = max(x)
        v.append(categorical([exp(xa - top) for xa in x], words(i // 4, step, chain, stream, seed)[i % 4]))
    return v


def potts_rbm_gibbs(rbm, v, step0, n_steps, seed, chain):
    """h at step step0 - 1 from v, then steps step0 .. step0 + n_steps - 1; returns (v, h) as lists."""
    h = _draw_hidden(_hidden_input(rbm, v), step0 - 1, chain, RBM_HIDDEN, seed)
    v = list(v)
    for step in range(step0, step0 + n_steps):
        v = _draw_visible(rbm, h, step, chain, RBM_VISIBLE, seed)
        h = _draw_hidden(_hidden_input(rbm, v), step, chain, RBM_HIDDEN, seed)
    return v, h


def potts_rbm_anneal(rbm, a, betas, base_weights, v, step0, seed, chain):
    """The base-rate annealing of :func:`ebmphys.kernels.potts_rbm_cpu.anneal` for one chain: (log w, final v)."""
    v = list(v)
    log_w = 0.0
    for k in range(1, len(betas)):
        x = _hidden_input(rbm, v)
        av = sum(a[i, v[i]] for i in range(rbm.n_visible))
        bv = sum(rbm.b[i, v[i]] for i in range(rbm.n_visible))
        inc = (base_weights[k] - base_weights[k - 1]) * av + (betas[k] - betas[k - 1]) * bv
        for xj in x:
            inc += softplus(betas[k] * xj) - softplus(betas[k - 1] * xj)
        log_w += inc
        if k < len(betas) - 1:
            step = step0 + k
            h = _draw_hidden([betas[k] * xj for xj in x], step, chain, AIS_HIDDEN, seed)
            v = _draw_visible(rbm, h, step, chain, AIS_VISIBLE, seed, scale=betas[k], base=a,
                              base_weight=base_weights[k])
    return log_w, v
