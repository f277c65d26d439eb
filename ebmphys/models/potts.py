"""q-state Potts models on hypercubic lattices and on graphs, and general pairwise categorical models.

Convention (k_B = 1): every site i carries a state sigma_i in {0, 1, ..., q-1}
(stored as ``uint8``, so 2 <= q <= 255), and

    E(sigma) = -sum_<ij> J_ij delta(sigma_i, sigma_j) - sum_i h_i[sigma_i],

each bond counted once; J > 0 is ferromagnetic and h_i[a] > 0 favours state a.
The general pairwise categorical model (:class:`PairwisePotts`, the "Potts model"
of protein-family inference) replaces J_ij delta(a, b) by an arbitrary table
J_ij(a, b).  Energies are extensive totals.

Order parameter.  With n_a the number of sites in state a and N the number of
sites, the Potts magnetisation per site is m = (q max_a n_a / N - 1) / (q - 1),
0 in a perfectly disordered configuration and 1 in an ordered one; models and
samplers report the extensive M = N m = (q max_a n_a - N) / (q - 1) under the
name ``magnetization`` (for q = 2 it is |sum_i s_i| of the Ising map below).

q = 2 and Ising.  With s_i = 2 sigma_i - 1 (state 1 <-> spin +1),
delta(sigma_i, sigma_j) = (1 + s_i s_j) / 2, so a q = 2 Potts model is an Ising
model with J_Ising = J_Potts / 2 and h_Ising = (h[1] - h[0]) / 2 plus a constant:

    E_Potts(sigma) = E_Ising(s) + c,   c = -sum_<ij> J_ij / 2 - sum_i (h_i[0] + h_i[1]) / 2,

hence log Z_Potts(beta) = log Z_Ising(beta) - beta c (see :meth:`LatticePotts.to_ising`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ebmphys.models._validate import finite_real, positive_int
from ebmphys.models.ising import GraphIsing, LatticeIsing, _group_by_color, greedy_coloring

#: largest number of states (states are stored as uint8 and the value q marks a missing neighbour)
MAX_Q = 254


def check_q(q) -> int:
    """Validate the number of states: an integer in [2, 254]."""
    q = positive_int("q", q, minimum=2)
    if q > MAX_Q:
        raise ValueError(f"q must be an integer in [2, {MAX_Q}] (states are stored as uint8), got {q}")
    return q


def potts_states(name: str, states, q: int, n_sites: int, site_shape: tuple) -> np.ndarray:
    """Validate a batch of Potts configurations; return a uint8 array of shape (batch, n_sites).

    ``states`` must be an integer array of shape ``(*batch, *site_shape)`` or
    ``(*batch, n_sites)`` with every entry in 0..q-1.
    """
    arr = np.asarray(states)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer array with entries in 0..{q - 1}, got dtype {arr.dtype}")
    nd = len(site_shape)
    if arr.ndim >= nd and arr.shape[arr.ndim - nd:] == tuple(site_shape):
        batch = arr.shape[: arr.ndim - nd]
    elif arr.ndim >= 1 and arr.shape[-1] == n_sites:
        batch = arr.shape[:-1]
    else:
        raise ValueError(
            f"{name} must have shape (..., {', '.join(map(str, site_shape))}) or (..., {n_sites}), got {arr.shape}"
        )
    flat = arr.reshape(batch + (n_sites,))
    if flat.size and (flat.min() < 0 or flat.max() >= q):
        bad = flat[(flat < 0) | (flat >= q)].ravel()[0]
        raise ValueError(f"{name} entries must be Potts states in 0..{q - 1}, found {bad}")
    return np.ascontiguousarray(flat, dtype=np.uint8)


def occupations(states: np.ndarray, q: int) -> np.ndarray:
    """Number of sites in each state, int64 (batch, q), of validated states (batch, n_sites)."""
    flat = states.reshape(-1, states.shape[-1])
    out = np.zeros((flat.shape[0], q), dtype=np.int64)
    for a in range(q):
        out[:, a] = (flat == a).sum(axis=1)
    return out.reshape(states.shape[:-1] + (q,))


def order_parameter_total(counts: np.ndarray, q: int) -> np.ndarray:
    """Extensive Potts magnetisation M = (q max_a n_a - N) / (q - 1) from occupations (..., q)."""
    n = counts.sum(axis=-1)
    return (q * counts.max(axis=-1) - n) / (q - 1.0)


def _field_table(fields, q: int, n_sites: int | None) -> np.ndarray:
    """Fields as float64 (q,) (``n_sites`` None) or (n_sites, q); None or a scalar 0 means no field."""
    if fields is None:
        fields = 0.0
    h = np.array(fields, dtype=np.float64)
    if n_sites is None:
        if h.ndim == 0:
            h = np.full(q, float(h))
        if h.shape != (q,):
            raise ValueError(f"h must be None or have shape (q,) = ({q},) (one field per state), got {h.shape}")
    else:
        if h.ndim == 0:
            h = np.full((n_sites, q), float(h))
        elif h.shape == (q,):
            h = np.tile(h, (n_sites, 1))
        if h.shape != (n_sites, q):
            raise ValueError(f"fields must be None, a scalar, shape (q,) = ({q},) or shape (n_sites, q) = "
                             f"({n_sites}, {q}), got {h.shape}")
    if not np.all(np.isfinite(h)):
        raise ValueError("fields must be finite")
    return np.ascontiguousarray(h)


class LatticePotts:
    """Nearest-neighbour q-state Potts model on a hypercubic lattice.

    E(sigma) = -J sum_<ij> delta(sigma_i, sigma_j) - sum_i h[sigma_i] (each bond once).

    Parameters
    ----------
    shape : int or tuple of int
        Side lengths ``(L1, ..., Ld)``; sites in C order.  The geometry (neighbour
        tables, boundary conventions: a periodic side of length 2 gives double
        bonds) is that of :class:`ebmphys.models.LatticeIsing`.
    q : int in [2, 254]
        Number of states.
    J : float, default 1.0
        Uniform coupling (energy unit; J > 0 ferromagnetic).
    h : array_like (q,), optional
        Uniform field per state, h[a] added with a minus sign for every site in state a;
        None means no field.
    periodic : bool, default True

    Notes
    -----
    Local updates sweep colour classes of a proper colouring: the checkerboard on
    bipartite lattices (open, or periodic with even sides), a greedy colouring
    otherwise (e.g. 3 colours on a 3x3 torus), so any lattice can be sampled.
    """

    #: registry key of the model family (:mod:`ebmphys.sampling.registry`)
    kind = "lattice-potts"

    def __init__(self, shape, q: int, J: float = 1.0, h=None, periodic: bool = True):
        self.q = check_q(q)
        self.lattice = LatticeIsing(shape, J=1.0, h=0.0, periodic=periodic)
        self.shape = self.lattice.shape
        self.periodic = self.lattice.periodic
        self.J = finite_real("J", J)
        self.h = _field_table(h, self.q, None)
        self.n_spins = self.lattice.n_spins
        self.ndim = self.lattice.ndim
        self.coordination = self.lattice.coordination
        self._coloring = None

    def __repr__(self) -> str:
        field = "None" if not np.any(self.h) else np.array2string(self.h, precision=4, separator=", ")
        return f"LatticePotts(shape={self.shape}, q={self.q}, J={self.J}, h={field}, periodic={self.periodic})"

    @property
    def n_sites(self) -> int:
        """Number of sites N (also ``n_spins``)."""
        return self.n_spins

    @property
    def neighbors(self) -> np.ndarray:
        """int32 (N, 2d) neighbour table of :attr:`LatticeIsing.neighbors` (missing neighbour = N)."""
        return self.lattice.neighbors

    @property
    def n_bonds(self) -> int:
        """Number of bonds (a periodic side of length 2 counts its double bond twice)."""
        return int((self.neighbors < self.n_spins).sum()) // 2

    @property
    def has_field(self) -> bool:
        """True when the field favours some state over another (a constant field only shifts E)."""
        return bool(np.ptp(self.h) > 0)

    def coloring(self) -> tuple[np.ndarray, np.ndarray]:
        """Proper colouring of the sites: (sites sorted by colour, colour offsets).

        The checkerboard on bipartite lattices, else a greedy colouring (largest degree first).
        """
        if self._coloring is None:
            if self.lattice.is_bipartite:
                parity = np.indices(self.shape).sum(axis=0).ravel() % 2
                self._coloring = _group_by_color(parity.astype(np.int32))
            else:
                nb = self.neighbors
                real = nb < self.n_spins
                indptr = np.concatenate([[0], np.cumsum(real.sum(axis=1))])
                self._coloring = _group_by_color(greedy_coloring(indptr, nb[real]))
        return self._coloring

    def check_states(self, states, name: str = "states") -> np.ndarray:
        """Validate configurations; return uint8 array (batch, N)."""
        return potts_states(name, states, self.q, self.n_spins, self.shape)

    def equal_bonds(self, states) -> np.ndarray:
        """Number of satisfied bonds sum_<ij> delta(sigma_i, sigma_j) of each configuration (int64)."""
        flat = self.check_states(states)
        padded = np.concatenate([flat, np.full(flat.shape[:-1] + (1,), self.q, np.uint8)], axis=-1)
        same = padded[..., self.neighbors] == flat[..., None]
        return same.sum(axis=(-2, -1)) // 2

    def energy(self, states) -> np.ndarray:
        """Total energy E(sigma) of each configuration, float64 of shape batch."""
        flat = self.check_states(states)
        return -self.J * self.equal_bonds(flat) - self.h[flat].sum(axis=-1)

    def occupations(self, states) -> np.ndarray:
        """Sites in each state, int64 (batch, q)."""
        return occupations(self.check_states(states), self.q)

    def magnetization(self, states) -> np.ndarray:
        """Extensive Potts magnetisation M = (q max_a n_a - N) / (q - 1) of each configuration."""
        return order_parameter_total(self.occupations(states), self.q)

    def to_ising(self) -> tuple[LatticeIsing, float]:
        """The exact Ising form of a q = 2 model: (LatticeIsing, c) with E_Potts = E_Ising(2 sigma - 1) + c.

        J_Ising = J / 2, h_Ising = (h[1] - h[0]) / 2, c = -J n_bonds / 2 - N (h[0] + h[1]) / 2.
        """
        if self.q != 2:
            raise ValueError(f"only a q = 2 Potts model maps onto an Ising model, got q={self.q}")
        ising = LatticeIsing(self.shape, J=self.J / 2, h=(self.h[1] - self.h[0]) / 2, periodic=self.periodic)
        return ising, float(-self.J * self.n_bonds / 2 - self.n_spins * (self.h[0] + self.h[1]) / 2)


def _check_edges(edges, n_sites: int) -> np.ndarray:
    e = np.asarray(edges)
    if e.dtype.kind not in "iu" or e.ndim != 2 or e.shape[1] != 2:
        raise ValueError(f"edges must be an integer array of shape (n_edges, 2), got {e.dtype} {e.shape}")
    e = e.astype(np.int64)
    if e.size and (e.min() < 0 or e.max() >= n_sites):
        raise ValueError(f"edges must join sites in 0..{n_sites - 1}")
    if np.any(e[:, 0] == e[:, 1]):
        raise ValueError("edges must join two different sites (no self-loops)")
    pairs = np.sort(e, axis=1)
    if np.unique(pairs, axis=0).shape[0] != pairs.shape[0]:
        raise ValueError("edges must not repeat a pair of sites (in either order)")
    return e


class PairwisePotts:
    """General pairwise categorical model on a graph (the "Potts model" of protein-family inference).

    E(sigma) = -sum_{e = (i, j)} J_e(sigma_i, sigma_j) - sum_i h_i(sigma_i).

    Parameters
    ----------
    edges : int array (n_edges, 2)
        The pairs (i, j), i != j, each pair at most once.
    couplings : array (n_edges, q, q)
        ``couplings[e, a, b]`` = J_e(a, b) with a the state of ``edges[e, 0]`` and b that of ``edges[e, 1]``.
    fields : array (n_sites, q)
        h_i(a); its shape gives the number of sites and q.

    Notes
    -----
    Gauge.  The distribution does not change under J_e(a, b) -> J_e(a, b) + u(a) + v(b)
    with h_i, h_j compensating, nor under h_i(a) -> h_i(a) + const, so the
    parameters are not identifiable until a gauge is fixed.
    :meth:`zero_sum_gauge` fixes the zero-sum ("Ising") gauge, sum_a J_e(a, b) =
    sum_b J_e(a, b) = 0 and sum_a h_i(a) = 0, the gauge in which coupling norms
    are compared in protein contact prediction.
    """

    #: registry key of the model family: the graph backends serve this class and :class:`GraphPotts`
    kind = "graph-potts"

    def __init__(self, edges, couplings, fields):
        h = np.array(fields, dtype=np.float64)
        if h.ndim != 2 or h.shape[0] < 1:
            raise ValueError(f"fields must have shape (n_sites, q), got {h.shape}")
        self.q = check_q(h.shape[1])
        if not np.all(np.isfinite(h)):
            raise ValueError("fields must be finite")
        self.n_spins = h.shape[0]
        self.shape = (self.n_spins,)
        self.edges = _check_edges(edges, self.n_spins)
        J = np.array(couplings, dtype=np.float64)
        if J.shape != (self.edges.shape[0], self.q, self.q):
            raise ValueError(f"couplings must have shape (n_edges, q, q) = ({self.edges.shape[0]}, {self.q}, "
                             f"{self.q}), got {J.shape}")
        if not np.all(np.isfinite(J)):
            raise ValueError("couplings must be finite")
        self.pair_couplings = np.ascontiguousarray(J)
        self.fields = np.ascontiguousarray(h)
        self._csr = None
        self._coloring = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_sites={self.n_spins}, q={self.q}, n_edges={self.edges.shape[0]})"

    @property
    def n_sites(self) -> int:
        return self.n_spins

    def csr_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Couplings in CSR form with one q x q table per entry: (indptr, indices, tables).

        Entry k of row i, with j = indices[k], holds tables[k, a, b] = J_ij(a, b)
        (a the state of i, b that of j); every edge appears in both rows.
        """
        if self._csr is None:
            e = self.edges
            rows = np.concatenate([e[:, 0], e[:, 1]])
            cols = np.concatenate([e[:, 1], e[:, 0]])
            tables = np.concatenate([self.pair_couplings, self.pair_couplings.transpose(0, 2, 1)])
            order = np.lexsort((cols, rows))
            indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=self.n_spins))]).astype(np.int64)
            self._csr = (indptr, cols[order].astype(np.int64), np.ascontiguousarray(tables[order]))
        return self._csr

    def coloring(self) -> tuple[np.ndarray, np.ndarray]:
        """Greedy proper colouring: (sites sorted by colour, colour offsets)."""
        if self._coloring is None:
            indptr, indices, _ = self.csr_tables()
            self._coloring = _group_by_color(greedy_coloring(indptr, indices))
        return self._coloring

    def check_states(self, states, name: str = "states") -> np.ndarray:
        """Validate configurations; return uint8 array (batch, N)."""
        return potts_states(name, states, self.q, self.n_spins, self.shape)

    def energy(self, states) -> np.ndarray:
        """Total energy E(sigma) of each configuration, float64 of shape batch."""
        s = self.check_states(states).astype(np.int64)
        e = self.edges
        pair = self.pair_couplings[np.arange(e.shape[0]), s[..., e[:, 0]], s[..., e[:, 1]]].sum(axis=-1)
        return -pair - self.fields[np.arange(self.n_spins), s].sum(axis=-1)

    def occupations(self, states) -> np.ndarray:
        """Sites in each state, int64 (batch, q)."""
        return occupations(self.check_states(states), self.q)

    def magnetization(self, states) -> np.ndarray:
        """Extensive Potts magnetisation M = (q max_a n_a - N) / (q - 1) of each configuration."""
        return order_parameter_total(self.occupations(states), self.q)

    def zero_sum_gauge(self) -> tuple[PairwisePotts, float]:
        """The same distribution in the zero-sum gauge: (model, c) with E(sigma) = E_gauged(sigma) + c.

        J'_e(a, b) = J_e(a, b) - J_e(., b) - J_e(a, .) + J_e(., .) and
        h'_i(a) = h_i(a) - h_i(.) + sum_{e at i} [J_e(a, .) - J_e(., .)] (the dot is
        the mean over that index, the row mean taken on i's side of each edge), so
        c = -sum_e J_e(., .) - sum_i h_i(.).
        """
        J = self.pair_couplings
        row = J.mean(axis=2, keepdims=True)          # J_e(a, .)
        col = J.mean(axis=1, keepdims=True)          # J_e(., b)
        both = J.mean(axis=(1, 2), keepdims=True)    # J_e(., .)
        gauged = J - row - col + both
        h = self.fields - self.fields.mean(axis=1, keepdims=True)
        np.add.at(h, self.edges[:, 0], (row - both)[:, :, 0])
        np.add.at(h, self.edges[:, 1], (col - both)[:, 0, :])
        constant = -float(both.sum()) - float(self.fields.mean(axis=1).sum())
        return PairwisePotts(self.edges, gauged, h), constant

    def to_ising(self) -> tuple[GraphIsing, float]:
        """The exact Ising form of a q = 2 model: (GraphIsing, c) with E = E_Ising(2 sigma - 1) + c.

        Writing J_e(a, b) with a, b in {0, 1} as A + B s_i + C s_j + D s_i s_j gives
        J_ij = D = (J11 - J10 - J01 + J00) / 4 and field contributions B to i and C to j.
        """
        if self.q != 2:
            raise ValueError(f"only a q = 2 Potts model maps onto an Ising model, got q={self.q}")
        J, e, n = self.pair_couplings, self.edges, self.n_spins
        A = J.sum(axis=(1, 2)) / 4
        B = (J[:, 1, 0] + J[:, 1, 1] - J[:, 0, 0] - J[:, 0, 1]) / 4
        C = (J[:, 0, 1] + J[:, 1, 1] - J[:, 0, 0] - J[:, 1, 0]) / 4
        D = (J[:, 1, 1] - J[:, 1, 0] - J[:, 0, 1] + J[:, 0, 0]) / 4
        h = (self.fields[:, 1] - self.fields[:, 0]) / 2
        np.add.at(h, e[:, 0], B)
        np.add.at(h, e[:, 1], C)
        W = sp.coo_matrix((np.concatenate([D, D]), (np.concatenate([e[:, 0], e[:, 1]]),
                                                    np.concatenate([e[:, 1], e[:, 0]]))), shape=(n, n))
        constant = -float(A.sum()) - float(self.fields.sum()) / 2
        return GraphIsing(W.tocsr(), h), constant


class GraphPotts(PairwisePotts):
    """q-state Potts model on a graph: E = -sum_{i<j} J_ij delta(sigma_i, sigma_j) - sum_i h_i[sigma_i].

    Parameters
    ----------
    couplings : scipy.sparse matrix or array_like (N, N)
        Symmetric, zero diagonal; each nonzero J_ij = J_ji is one bond.
    q : int in [2, 254]
    fields : None, float, array (q,) or array (N, q), default None
        h_i[a]; a (q,) array applies to every site.

    A special case of :class:`PairwisePotts` with J_ij(a, b) = J_ij delta(a, b)
    (the samplers and exact results treat both alike).
    """

    def __init__(self, couplings, q: int, fields=None):
        q = check_q(q)
        if sp.issparse(couplings):
            W = sp.csr_matrix(couplings, dtype=np.float64)
        else:
            arr = np.asarray(couplings)
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"couplings must be a real (sparse or dense) matrix, got dtype {arr.dtype}")
            W = sp.csr_matrix(arr.astype(np.float64))
        if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] < 1:
            raise ValueError(f"couplings must be a square (N, N) matrix with N >= 1, got shape {W.shape}")
        W.eliminate_zeros()
        if not np.all(np.isfinite(W.data)):
            raise ValueError("couplings must be finite")
        if W.nnz and abs(W - W.T).max() > 1e-12 * max(1.0, abs(W).max()):
            raise ValueError("couplings must be symmetric: J[i, j] == J[j, i]")
        if np.any(W.diagonal() != 0):
            raise ValueError("couplings must have a zero diagonal")
        upper = sp.triu(W, k=1).tocoo()
        edges = np.stack([upper.row, upper.col], axis=1).astype(np.int64)
        tables = upper.data[:, None, None] * np.eye(q)[None, :, :]
        super().__init__(edges, tables, _field_table(fields, q, W.shape[0]))
        self.couplings = W.tocsr()
