"""Per-site physics of single-site Potts updates, as plain scalar functions (CPU kernels now, CUDA twins later).

States are small integers 0..q-1 (uint8); on lattices a missing (open-boundary)
neighbour reads the ghost value q, which equals no state, so neighbour counts
need no branches.  Random words are uint32 values carried in uint64.

Heat bath (Gibbs) over q states.  With weights w_a proportional to
exp(-beta E_a) of the site in state a (everything else fixed), cumulative sums
C_a = w_0 + ... + w_a and S = C_{q-1}, the new state is

    sigma' = #{ a in 0..q-2 : word >= threshold(C_a / S) },

i.e. the smallest a with ``word < threshold(C_a / S)`` (``rng.threshold`` of the
cumulative probability; the last threshold is 2**32 by construction).  State a is
chosen with probability (threshold(C_a/S) - threshold(C_{a-1}/S)) / 2**32, the
exact p_a to within 2**-32, and the rule is one integer comparison per state.

Metropolis.  A proposal b = (a + 1 + floor(w_p (q-1) / 2**32)) mod q picks one of
the q - 1 other states (uniformly to within 2**-32, the package's quantisation of
every probability), and it is accepted iff ``w_a < threshold(min(1, exp(-beta dE)))``.

Lattices (uniform J and per-state field h) use tables computed once per inverse
temperature, so the sweep evaluates no exponential:

* ``field_w[a] = exp(beta (h[a] - max h))`` for both rules;
* heat bath: ``bond_w[n] = exp(beta J n - c)`` for n = 0..z neighbours in the state
  (c = max(0, beta J z), so every factor is <= 1) and w_a = bond_w[n_a] field_w[a];
* Metropolis: ``bond_dw[d + z] = exp(beta J d)`` for d = n_b - n_a in -z..z, and the
  acceptance probability is min(1, bond_dw[d + z] field_w[b] / field_w[a]).

Backends keep beta (|J| z + max h - min h) <= 700, so no factor over- or underflows.

Graphs (:class:`ebmphys.models.PairwisePotts`) compute the local field
f_a = h_i(a) + sum_j J_ij(a, sigma_j) (E_a = -f_a + const) and exponentials in place.
"""


import numpy as np
from numba import njit

from ebmphys.kernels.detmath import exp
from ebmphys.kernels.rng import philox4x32, threshold

METROPOLIS = 0
HEATBATH = 1
_SHIFT32 = np.uint64(32)


@njit(cache=True, inline="always")
def count_state(sp, neighbors, i, a):
    """Number of neighbours of site i in state a (the ghost value q is never counted)."""
    n = 0
    for k in range(neighbors.shape[1]):
        n += sp[neighbors[i, k]] == a
    return n


@njit(cache=True, inline="always")
def proposal(a, q, word):
    """Metropolis proposal: one of the q - 1 states other than ``a``, from one uint32 word."""
    return (a + 1 + np.int64((np.uint64(word) * np.uint64(q - 1)) >> _SHIFT32)) % q


@njit(cache=True, inline="always")
def uniform_state(q, word):
    """A state in 0..q-1 from one uint32 word: floor(word q / 2**32)."""
    return np.int64((np.uint64(word) * np.uint64(q)) >> _SHIFT32)


@njit(cache=True, inline="always")
def categorical(weights, q, word):
    """The heat-bath rule: state #{a in 0..q-2 : word >= threshold(C_a / S)} for weights w_0..w_{q-1} >= 0, S > 0."""
    total = 0.0
    for a in range(q):
        total += weights[a]
    new = 0
    cumulative = 0.0
    for a in range(q - 1):
        cumulative += weights[a]
        new += word >= threshold(cumulative / total)
    return new


@njit(cache=True, inline="always")
def lattice_heatbath(sp, neighbors, i, q, bond_w, field_w, counts, weights, word):
    """New state of lattice site i under the heat-bath rule; ``counts`` (q + 1,) int64 and ``weights`` (q,) are scratch."""
    for a in range(q + 1):
        counts[a] = 0
    for k in range(neighbors.shape[1]):
        counts[sp[neighbors[i, k]]] += 1
    for a in range(q):
        weights[a] = bond_w[counts[a]] * field_w[a]
    return categorical(weights, q, word)


@njit(cache=True, inline="always")
def lattice_metropolis(sp, neighbors, i, q, bond_dw, field_w, w_prop, w_acc):
    """New state of lattice site i after one Metropolis trial (module docstring)."""
    a = np.int64(sp[i])
    b = proposal(a, q, w_prop)
    z = neighbors.shape[1]
    d = count_state(sp, neighbors, i, b) - count_state(sp, neighbors, i, a)
    p = bond_dw[d + z] * (field_w[b] / field_w[a])
    return b if w_acc < threshold(min(p, 1.0)) else a


@njit(cache=True, inline="always")
def graph_field(sp, indptr, indices, tables, fields, i, a):
    """Local field f_a = h_i(a) + sum_j J_ij(a, sigma_j) of site i in state a (E_a = -f_a + const)."""
    f = fields[i, a]
    for k in range(indptr[i], indptr[i + 1]):
        f += tables[k, a, sp[indices[k]]]
    return f


@njit(cache=True, inline="always")
def graph_heatbath(sp, indptr, indices, tables, fields, i, q, beta, weights, word):
    """New state of graph site i under the heat-bath rule, w_a = exp(beta (f_a - max_b f_b)); ``weights`` (q,) scratch."""
    top = -np.inf
    for a in range(q):
        weights[a] = graph_field(sp, indptr, indices, tables, fields, i, a)
        top = max(top, weights[a])
    for a in range(q):
        weights[a] = exp(beta * (weights[a] - top))
    return categorical(weights, q, word)


@njit(cache=True, inline="always")
def graph_metropolis(sp, indptr, indices, tables, fields, i, q, beta, w_prop, w_acc):
    """New state of graph site i after one Metropolis trial, accepted with min(1, exp(beta (f_b - f_a)))."""
    a = np.int64(sp[i])
    b = proposal(a, q, w_prop)
    d = graph_field(sp, indptr, indices, tables, fields, i, b) - graph_field(sp, indptr, indices, tables, fields, i, a)
    p = 1.0 if d >= 0.0 else exp(beta * d)
    return b if w_acc < threshold(p) else a


@njit(cache=True)
def random_states(n_chains, n_sites, q, k0, k1, stream, chain0):
    """Independent uniform random states, uint8 (n_chains, n_sites).

    Site i of row c (chain index ``chain0 + c``) takes word i % 4 of
    ``philox4x32(i // 4, 0, chain0 + c, stream)`` through :func:`uniform_state`.
    """
    out = np.empty((n_chains, n_sites), dtype=np.uint8)
    for c in range(n_chains):
        for b in range((n_sites + 3) // 4):
            w = philox4x32(b, 0, chain0 + c, stream, k0, k1)
            for lane in range(4):
                i = 4 * b + lane
                if i < n_sites:
                    out[c, i] = uniform_state(q, w[lane])
    return out
