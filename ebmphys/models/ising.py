"""Ising models on hypercubic lattices and on arbitrary graphs.

Convention (k_B = 1): spins s_i in {-1, +1} (int8) and

    E(s) = -sum_<ij> J_ij s_i s_j - sum_i h_i s_i,

each bond counted once, so J > 0 is ferromagnetic and h > 0 favours s = +1.
Energies and magnetisations returned here are extensive (totals, not per spin).
"""

from __future__ import annotations

import numpy as np

from ebmphys.models._validate import finite_real, positive_int, spin_states


def greedy_coloring(indptr: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Colour a graph greedily (largest degree first) so that no edge joins equal colours.

    Returns an int32 array of colours 0..n_colors-1, one per vertex.
    """
    n = len(indptr) - 1
    degree = np.diff(indptr)
    colors = np.full(n, -1, dtype=np.int32)
    for v in np.argsort(-degree, kind="stable"):
        taken = set(colors[indices[indptr[v] : indptr[v + 1]]].tolist())
        c = 0
        while c in taken:
            c += 1
        colors[v] = c
    return colors


def _group_by_color(colors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sites sorted by colour and the offsets of each colour class (CSR style)."""
    order = np.argsort(colors, kind="stable").astype(np.int32)
    counts = np.bincount(colors)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return order, offsets


class LatticeIsing:
    """Nearest-neighbour Ising model on a hypercubic lattice (1D chain, 2D square, 3D cubic, ...).

    Parameters
    ----------
    shape : int or tuple of int
        Side lengths ``(L1, ..., Ld)``; sites are stored in C order.
    J : float, default 1.0
        Uniform coupling (energy units, k_B = 1). J > 0 ferromagnetic, J < 0 antiferromagnetic.
    h : float, default 0.0
        Uniform field; h > 0 favours s = +1.
    periodic : bool, default True
        Periodic (torus) or open (free) boundaries.  With periodic boundaries a side
        of length 2 joins the two sites by two bonds (i -> i+1 and i -> i-1), the usual
        torus convention that Kaufman's formula also uses.

    Notes
    -----
    Checkerboard samplers need a bipartite lattice: with periodic boundaries every
    side must be even (open lattices are bipartite for any side).
    """

    #: registry key of the model family (:mod:`ebmphys.sampling.registry`)
    kind = "lattice-ising"

    def __init__(self, shape, J: float = 1.0, h: float = 0.0, periodic: bool = True):
        if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
            shape = (shape,)
        try:
            shape = tuple(shape)
        except TypeError:
            raise TypeError(f"shape must be a positive integer or a tuple of positive integers, got {shape!r}") from None
        if not shape:
            raise ValueError("shape must have at least one side length, got ()")
        self.shape = tuple(positive_int(f"shape[{i}]", L) for i, L in enumerate(shape))
        self.J = finite_real("J", J)
        self.h = finite_real("h", h)
        if not isinstance(periodic, (bool, np.bool_)):
            raise TypeError(f"periodic must be True or False, got {periodic!r}")
        self.periodic = bool(periodic)
        self.n_spins = int(np.prod(self.shape))
        self.ndim = len(self.shape)
        self.coordination = 2 * self.ndim
        bound = self.n_spins * (self.ndim * abs(self.J) + abs(self.h))
        if not np.isfinite(bound):
            raise ValueError(f"J = {self.J!r} and h = {self.h!r} give energies up to n_spins * (ndim * |J| + |h|) = "
                             f"{bound} on {self.shape}, which overflows float64: use smaller couplings")
        self._neighbors = None
        self._rows = None

    def __repr__(self) -> str:
        return f"LatticeIsing(shape={self.shape}, J={self.J}, h={self.h}, periodic={self.periodic})"

    @property
    def is_bipartite(self) -> bool:
        """True when a two-colour checkerboard exists (always for open, even sides for periodic)."""
        return not self.periodic or all(L % 2 == 0 for L in self.shape)

    def require_bipartite(self) -> None:
        """Raise a ValueError naming the odd sides if checkerboard updates are impossible."""
        if not self.is_bipartite:
            odd = [L for L in self.shape if L % 2]
            raise ValueError(
                f"checkerboard updates need even side lengths with periodic boundaries; "
                f"shape={self.shape} has odd sides {odd} (use even sides or periodic=False)"
            )

    @property
    def neighbors(self) -> np.ndarray:
        """int32 array (n_spins, 2*ndim) of neighbour indices; a missing (open-boundary) neighbour is ``n_spins``.

        Index ``n_spins`` addresses a ghost spin fixed at 0 (kernels pad the
        configuration with zeros), so a kernel sums neighbours without branching.
        Along axis a, column 2a is the +1 neighbour and column 2a+1 the -1 neighbour.
        """
        if self._neighbors is None:
            idx = np.arange(self.n_spins).reshape(self.shape)
            cols = [self._shifted(idx, axis, step) for axis in range(self.ndim) for step in (1, -1)]
            self._neighbors = np.ascontiguousarray(np.stack(cols, axis=1), dtype=np.int32)
        return self._neighbors

    def _shifted(self, idx: np.ndarray, axis: int, step: int) -> np.ndarray:
        """Flattened index of the neighbour at ``step`` along ``axis`` of every entry of ``idx``.

        ``idx`` holds site indices on (a slice of) the lattice; off an open boundary the
        neighbour is ``n_spins``, the ghost.
        """
        nb = np.roll(idx, -step, axis=axis)
        if not self.periodic:
            edge = [slice(None)] * idx.ndim
            edge[axis] = idx.shape[axis] - 1 if step == 1 else 0
            nb[tuple(edge)] = self.n_spins
        return nb.ravel()

    @property
    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Row structure used by the checkerboard kernels (rows run along the last axis).

        Returns
        -------
        row_neighbors : int64 array (n_rows, 2*(ndim-1))
            Index of the first site of each adjacent row (axis a: columns 2a for +1, 2a+1 for -1);
            a missing (open-boundary) row is ``n_spins``, the start of a ghost row of zeros.
        row_parity : int64 array (n_rows,)
            Parity of the coordinate sum of each row's first site.
        """
        if self._rows is not None:
            return self._rows
        side = self.shape[-1]
        first = np.arange(self.n_spins).reshape(self.shape)[..., 0]
        cols = [self._shifted(first, axis, step) for axis in range(self.ndim - 1) for step in (1, -1)]
        n_rows = self.n_spins // side
        row_neighbors = np.stack(cols, axis=1) if cols else np.zeros((n_rows, 0))
        parity = np.indices(self.shape[:-1]).sum(axis=0).ravel() % 2 if self.ndim > 1 else np.zeros(1)
        self._rows = np.ascontiguousarray(row_neighbors, dtype=np.int64), parity.astype(np.int64)
        return self._rows

    def coloring(self) -> tuple[np.ndarray, np.ndarray]:
        """Checkerboard colouring: (sites sorted by parity, offsets [0, n_even, n_spins])."""
        self.require_bipartite()
        parity = np.indices(self.shape).sum(axis=0).ravel() % 2
        return _group_by_color(parity.astype(np.int32))

    def check_states(self, states, name: str = "states") -> np.ndarray:
        """Validate configurations; return int8 array (batch, n_spins)."""
        return spin_states(name, states, self.n_spins, self.shape)

    def _bond_sum(self, s: np.ndarray) -> np.ndarray:
        """sum over bonds of s_i s_j for configurations ``s`` of shape (batch, *shape)."""
        total = np.zeros(s.shape[0], dtype=np.float64)
        for axis, L in enumerate(self.shape, start=1):
            if self.periodic:
                total += (s * np.roll(s, -1, axis=axis)).sum(axis=tuple(range(1, s.ndim)), dtype=np.float64)
            elif L > 1:
                a = np.take(s, np.arange(L - 1), axis=axis)
                b = np.take(s, np.arange(1, L), axis=axis)
                total += (a * b).sum(axis=tuple(range(1, s.ndim)), dtype=np.float64)
        return total

    def energy(self, states) -> np.ndarray:
        """Total energy E(s) of each configuration; states (..., *shape) or (..., n_spins) int8."""
        flat = self.check_states(states)
        batch = flat.shape[:-1]
        s = flat.reshape((-1,) + self.shape).astype(np.int32)
        e = -self.J * self._bond_sum(s) - self.h * s.reshape(s.shape[0], -1).sum(axis=1)
        return e.reshape(batch)

    def magnetization(self, states) -> np.ndarray:
        """Total magnetisation M = sum_i s_i of each configuration (float64)."""
        flat = self.check_states(states)
        return flat.sum(axis=-1, dtype=np.float64)

    def local_field(self, states) -> np.ndarray:
        """Local field J * sum_{j nn i} s_j + h at every site, shape (..., n_spins), float64."""
        flat = self.check_states(states)
        padded = np.concatenate([flat, np.zeros(flat.shape[:-1] + (1,), np.int8)], axis=-1).astype(np.float64)
        return self.J * padded[..., self.neighbors].sum(axis=-1) + self.h


class GraphIsing:
    """Ising model with arbitrary symmetric sparse couplings J_ij and per-site fields h_i.

    Parameters
    ----------
    couplings : scipy.sparse matrix or array_like, shape (N, N)
        Symmetric coupling matrix with zero diagonal; bond (i, j) contributes
        ``-J_ij s_i s_j`` once, so ``E = -1/2 s.J.s - h.s``.
    fields : float or array_like, shape (N,), default 0
        Per-site fields h_i.
    """

    #: registry key of the model family (:mod:`ebmphys.sampling.registry`)
    kind = "graph-ising"

    def __init__(self, couplings, fields=0.0):
        import scipy.sparse as sp  # here, not at module level: lattice models never need scipy

        if sp.issparse(couplings):
            J = sp.csr_matrix(couplings, dtype=np.float64)
        else:
            arr = np.asarray(couplings)
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"couplings must be a real (sparse or dense) matrix, got dtype {arr.dtype}")
            J = sp.csr_matrix(arr.astype(np.float64))
        if J.ndim != 2 or J.shape[0] != J.shape[1] or J.shape[0] < 1:
            raise ValueError(f"couplings must be a square (N, N) matrix with N >= 1, got shape {J.shape}")
        J.eliminate_zeros()
        J.sort_indices()
        if not np.all(np.isfinite(J.data)):
            raise ValueError("couplings must be finite")
        if abs(J - J.T).max() > 1e-12 * max(1.0, abs(J).max()):
            raise ValueError("couplings must be symmetric: J[i, j] == J[j, i]")
        if np.any(J.diagonal() != 0):
            raise ValueError("couplings must have a zero diagonal (s_i^2 = 1 only shifts the energy)")
        n = J.shape[0]
        h = np.asarray(fields, dtype=np.float64)
        if h.ndim == 0:
            h = np.full(n, float(h))
        if h.shape != (n,):
            raise ValueError(f"fields must be a scalar or have shape ({n},), got {h.shape}")
        if not np.all(np.isfinite(h)):
            raise ValueError("fields must be finite")
        with np.errstate(over="ignore"):
            bound = 0.5 * np.abs(J.data).sum() + np.abs(h).sum()
        if not np.isfinite(bound):
            raise ValueError("couplings and fields give energies up to 1/2 sum|J_ij| + sum|h_i| = inf, which "
                             "overflows float64: use smaller couplings")
        self.couplings = J
        self.fields = h
        self.n_spins = n
        self.shape = (n,)
        self._coloring = None

    def __repr__(self) -> str:
        return f"GraphIsing(n_spins={self.n_spins}, n_bonds={self.couplings.nnz // 2})"

    def coloring(self) -> tuple[np.ndarray, np.ndarray]:
        """Greedy proper colouring: (sites sorted by colour, colour offsets)."""
        if self._coloring is None:
            colors = greedy_coloring(self.couplings.indptr, self.couplings.indices)
            self._coloring = _group_by_color(colors)
        return self._coloring

    def check_states(self, states, name: str = "states") -> np.ndarray:
        """Validate configurations; return int8 array (batch, n_spins)."""
        return spin_states(name, states, self.n_spins, self.shape)

    def local_field(self, states) -> np.ndarray:
        """Local field sum_j J_ij s_j + h_i, shape (..., n_spins), float64."""
        flat = self.check_states(states)
        s = flat.reshape(-1, self.n_spins).astype(np.float64)
        return (self.couplings @ s.T).T.reshape(flat.shape) + self.fields

    def energy(self, states) -> np.ndarray:
        """Total energy E(s) = -1/2 s.J.s - h.s of each configuration."""
        flat = self.check_states(states)
        s = flat.reshape(-1, self.n_spins).astype(np.float64)
        e = -0.5 * np.einsum("bi,bi->b", s, (self.couplings @ s.T).T) - s @ self.fields
        return e.reshape(flat.shape[:-1])

    def magnetization(self, states) -> np.ndarray:
        """Total magnetisation M = sum_i s_i of each configuration (float64)."""
        return self.check_states(states).sum(axis=-1, dtype=np.float64)
