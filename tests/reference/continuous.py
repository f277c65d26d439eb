"""Slow reference twins of the continuous-model kernels, in plain Python (small cases only).

Written from the documented conventions of :mod:`ebmphys.kernels.normals`,
:mod:`~ebmphys.kernels.continuous_cpu`, :mod:`~ebmphys.kernels.energies`,
:mod:`~ebmphys.kernels.phi4_cpu`, :mod:`~ebmphys.kernels.gb_rbm_cpu` and
:mod:`~ebmphys.kernels.mlp_cpu`: counter layouts, update formulas, the order of
every floating-point sum (rows, then coordinates in increasing index; matrix
products column by column), ``word < floor(p 2^32)`` decisions.  Scalar maths
comes from Python's ``math`` module (the same libm as compiled code), so the
twins equal the kernels bit for bit.

Shared with the kernels rather than re-derived: the Philox block
:func:`ebmphys.kernels.rng.philox4x32` (checked against Random123's known
answers in tests/kernels/test_rng.py).  The sampler twins call a model's
energy through :class:`PythonModel`, the twins of the energies below.
"""

from __future__ import annotations

import math

import numpy as np

from ebmphys.kernels import continuous_cpu as kc
from ebmphys.kernels import rng
from ebmphys.kernels.rng import philox4x32

TWO32 = 2**32


def unit(word) -> float:
    return (float(word) + 0.5) * 2.0**-32


def threshold(p: float) -> int:
    return min(math.floor(p * 4294967296.0), TWO32)


def turn_sincos(t: float) -> tuple[float, float]:
    """sin and cos of 2 pi t: quadrant q = floor(4t + 1/2), Taylor polynomials on [-pi/4, pi/4] (Horner)."""
    q = math.floor(4.0 * t + 0.5)
    x = (4.0 * t - q) * (0.5 * math.pi)
    x2 = x * x
    sin_terms = [(-1) ** k / math.factorial(2 * k + 1) for k in range(1, 9)]
    cos_terms = [(-1) ** k / math.factorial(2 * k) for k in range(1, 10)]
    poly = sin_terms[-1]
    for coefficient in reversed(sin_terms[:-1]):
        poly = coefficient + x2 * poly
    s = x + x * x2 * poly
    poly = cos_terms[-1]
    for coefficient in reversed(cos_terms[:-1]):
        poly = coefficient + x2 * poly
    c = 1.0 + x2 * poly
    k = int(q) % 4
    return [s, c, -s, -c][k], [c, -s, -c, s][k]


def normals(n: int, sweep: int, chain: int, stream: int, k0: int, k1: int) -> list[float]:
    """Box-Muller normals 0 .. n-1 of (sweep, chain, stream)."""
    out = []
    for block in range((n + 3) // 4):
        w = [int(v) for v in philox4x32(block, sweep, chain, stream, k0, k1)]
        for a, b in ((w[0], w[1]), (w[2], w[3])):
            r = math.sqrt(-2.0 * math.log(unit(a)))
            s, c = turn_sincos(unit(b))
            out += [r * c, r * s]
    return out[:n]


def accept_word(sweep, chain, stream, k0, k1) -> int:
    return int(philox4x32(0, sweep, chain, stream, k0, k1)[0])


# ---------------------------------------------------------------------------- energies


def gaussian_energy_grad(row, theta, index):
    d = int(index[0])
    r = [row[i] - theta[i] for i in range(d)]
    pr = [0.0] * d
    for j in range(d):
        for i in range(d):
            pr[i] += theta[d + j * d + i] * r[j]
    s = 0.0
    for i in range(d):
        s += r[i] * pr[i]
    return 0.5 * s, pr


def mixture_energy_grad(row, theta, index):
    k_modes, d = int(index[0]), int(index[1])
    chol = k_modes + k_modes * d
    terms, rs, us = [], [], []
    for k in range(k_modes):
        r = [row[i] - theta[k_modes + k * d + i] for i in range(d)]
        u = [0.0] * d
        base = chol + k * d * d
        log_det = 0.0
        for a in range(d):
            log_det += math.log(theta[base + a * d + a])
            for b in range(a + 1):
                u[b] += theta[base + a * d + b] * r[a]
        q = 0.0
        for b in range(d):
            q += u[b] * u[b]
        terms.append(theta[k] - d * (0.5 * math.log(2.0 * math.pi)) + log_det - 0.5 * q)
        rs.append(r)
        us.append(u)
    top = terms[0]
    for k in range(1, k_modes):
        top = max(top, terms[k])
    s = 0.0
    for k in range(k_modes):
        s += math.exp(terms[k] - top)
    lse = top + math.log(s)
    grad = [0.0] * d
    for k in range(k_modes):
        rho = math.exp(terms[k] - lse)
        base = chol + k * d * d
        for a in range(d):
            t = 0.0
            for b in range(a + 1):
                t += theta[base + a * d + b] * us[k][b]
            grad[a] += rho * t
    return -lse, grad


def quartic_energy_grad(row, theta, index):
    c = theta
    s = 0.0
    grad = []
    for v in row:
        s += c[0] + v * (c[1] + v * (c[2] + v * (c[3] + v * c[4])))
        grad.append(c[1] + v * (2.0 * c[2] + v * (3.0 * c[3] + v * 4.0 * c[4])))
    return s, grad


def phi4_energy_grad(row, theta, index):
    kappa, lam = theta[0], theta[1]
    n, z = int(index[0]), int(index[1])
    table = 4 + int(index[2])
    nbr = [[int(index[table + i * z + c]) for c in range(z)] for i in range(n)]
    s = 0.0
    grad = []
    for i in range(n):
        phi = row[i]
        forward = 0.0
        for a in range(0, z, 2):
            if nbr[i][a] < n:
                forward += row[nbr[i][a]]
        p2 = phi * phi
        s += -2.0 * kappa * phi * forward + p2 + lam * (p2 - 1.0) * (p2 - 1.0)
        h = 0.0
        for c in range(z):
            if nbr[i][c] < n:
                h += row[nbr[i][c]]
        grad.append(-2.0 * kappa * h + 2.0 * phi + 4.0 * lam * phi * (phi * phi - 1.0))
    return s, grad


def _softplus(a):
    return max(a, 0.0) + math.log1p(math.exp(-abs(a)))


def _sigmoid(a):
    return 1.0 / (1.0 + math.exp(-a))


def gb_rbm_hidden_input(row, theta, nv, nh):
    c, s = nv * nh + nv, nv * nh + nv + nh
    a = [theta[c + j] for j in range(nh)]
    for i in range(nv):
        vi = row[i] / theta[s + i]
        for j in range(nh):
            a[j] += vi * theta[i * nh + j]
    return a


def gb_rbm_energy_grad(row, theta, index):
    nv, nh = int(index[0]), int(index[1])
    b, s = nv * nh, nv * nh + nv + nh
    a = gb_rbm_hidden_input(row, theta, nv, nh)
    quad = 0.0
    for i in range(nv):
        r = (row[i] - theta[b + i]) / theta[s + i]
        quad += r * r
    total = 0.5 * quad
    for j in range(nh):
        total -= _softplus(a[j])
    sig_a = [_sigmoid(v) for v in a]
    grad = []
    for i in range(nv):
        sig = theta[s + i]
        t = 0.0
        for j in range(nh):
            t += sig_a[j] * theta[i * nh + j]
        grad.append((row[i] - theta[b + i]) / (sig * sig) - t / sig)
    return total, grad


def _act(code, z):
    if code == 0:
        return math.tanh(z)
    if code == 1:
        return max(z, 0.0) + math.log1p(math.exp(-abs(z)))
    return z / (1.0 + math.exp(-z))


def _dact(code, z):
    if code == 0:
        t = math.tanh(z)
        return 1.0 - t * t
    s = 1.0 / (1.0 + math.exp(-z))
    return s if code == 1 else s + z * s * (1.0 - s)


def mlp_energy_grad(row, theta, index):
    n_layers, code = int(index[0]), int(index[1])
    sizes = [int(v) for v in index[2:]]
    alpha = theta[len(theta) - 1]
    hs, zs, offsets = [list(row)], [], []
    w = 0
    for layer in range(n_layers):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        offsets.append(w)
        z = [theta[w + n_in * n_out + j] for j in range(n_out)]
        for i in range(n_in):
            for j in range(n_out):
                z[j] += hs[-1][i] * theta[w + i * n_out + j]
        zs.append(z)
        hs.append(z if layer == n_layers - 1 else [_act(code, v) for v in z])
        w += n_in * n_out + n_out
    r2 = 0.0
    for v in row:
        r2 += v * v
    energy = hs[-1][0] + 0.5 * alpha * r2
    delta = [1.0]
    grad = None
    for layer in range(n_layers - 1, -1, -1):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        w = offsets[layer]
        back = []
        for i in range(n_in):
            s = 0.0
            for j in range(n_out):
                s += theta[w + i * n_out + j] * delta[j]
            back.append(s)
        if layer == 0:
            grad = [back[i] + alpha * row[i] for i in range(n_in)]
        else:
            delta = [back[i] * _dact(code, zs[layer - 1][i]) for i in range(n_in)]
    return energy, grad


class PythonModel:
    """A continuous model evaluated by the Python twins: ``energy_grad(row) -> (E, dE/dx)``."""

    TWINS = {"Gaussian": gaussian_energy_grad, "GaussianMixture": mixture_energy_grad,
             "QuarticPotential": quartic_energy_grad, "DoubleWell": quartic_energy_grad,
             "Phi4Lattice": phi4_energy_grad, "GaussianBernoulliRBM": gb_rbm_energy_grad,
             "MLPEnergy": mlp_energy_grad}

    def __init__(self, model):
        self.twin = self.TWINS[type(model).__name__]
        self.theta = [float(v) for v in model.params[0]]
        self.index = [int(v) for v in model.params[1]]
        self.dim = model.dim

    def energy_grad(self, row):
        return self.twin([float(v) for v in row], self.theta, self.index)


# ---------------------------------------------------------------------------- gradient samplers


def all_finite(v) -> bool:
    """Twin of ``continuous_cpu.all_finite``: four interleaved sums, then their sum, is finite."""
    n = len(v)
    s = [0.0, 0.0, 0.0, 0.0]
    for k in range(n // 4):
        for lane in range(4):
            s[lane] += v[4 * k + lane]
    for i in range(4 * (n // 4), n):
        s[0] += v[i]
    return math.isfinite((s[0] + s[1]) + (s[2] + s[3]))


def _evaluate(model, base, b, g, y, need_base):
    """(E, E_0, U, grad U, status) of row ``y``; E_0 only when g != 0 or need_base."""
    e, ge = model.energy_grad(y)
    e0, g0 = 0.0, None
    if g != 0.0 or need_base:
        e0, g0 = base.energy_grad(y)
    u = b * e + g * e0
    if not math.isfinite(u):
        return e, e0, u, None, kc.BAD_ENERGY
    if g != 0.0:
        grad = [b * ge[i] + g * g0[i] for i in range(len(y))]
    else:
        grad = [b * ge[i] for i in range(len(y))]
    if not all_finite(grad):
        return e, e0, u, grad, kc.BAD_GRADIENT
    return e, e0, u, grad, kc.OK


def _gradient(model, base, b, g, y):
    """(grad U of row ``y``, status OK or BAD_GRADIENT)."""
    ge = model.energy_grad(y)[1]
    if g != 0.0:
        g0 = base.energy_grad(y)[1]
        grad = [b * ge[i] + g * g0[i] for i in range(len(y))]
    else:
        grad = [b * ge[i] for i in range(len(y))]
    return grad, kc.OK if all_finite(grad) else kc.BAD_GRADIENT


def transition(algorithm, model, base, b, g, x, gx, e, e0, step, noise_scale, n_leapfrog, inv_mass, sweep, chain,
               noise_stream, accept_stream, k0, k1):
    """One transition; returns (x, gx, accepted, alpha, status, e, e0) (twin of ``continuous_cpu.transition``)."""
    dim = len(x)
    u = b * e + g * e0
    noise = normals(dim, sweep, chain, noise_stream, k0, k1)
    log_alpha = 0.0
    if algorithm == kc.RWMH:
        y = [x[i] + step * noise[i] for i in range(dim)]
        ey, e0y, uy, gy, status = _evaluate(model, base, b, g, y, False)
        log_alpha = u - uy
    elif algorithm == kc.LANGEVIN:
        y = [x[i] - step * gx[i] + noise_scale * noise[i] for i in range(dim)]
        ey, e0y, uy, gy, status = _evaluate(model, base, b, g, y, False)
    elif algorithm == kc.MALA:
        scale = math.sqrt(2.0 * step)
        y = []
        forward = 0.0
        for i in range(dim):
            y.append(x[i] - step * gx[i] + scale * noise[i])
            forward += noise[i] * noise[i]
        ey, e0y, uy, gy, status = _evaluate(model, base, b, g, y, False)
        backward = 0.0
        if status == kc.OK:
            for i in range(dim):
                d = x[i] - y[i] + step * gy[i]
                backward += d * d
        log_alpha = u - uy - backward / (4.0 * step) + 0.5 * forward
    else:
        p, y = [], list(x)
        kinetic0 = 0.0
        for i in range(dim):
            p.append(noise[i] / math.sqrt(inv_mass[i]))
            kinetic0 += inv_mass[i] * p[i] * p[i]
            p[i] -= 0.5 * step * gx[i]
        status = kc.OK
        for leap in range(n_leapfrog):  # the gradient at every leapfrog step, the energy at the end
            for i in range(dim):
                y[i] += step * inv_mass[i] * p[i]
            gy, status = _gradient(model, base, b, g, y)
            if status != kc.OK:
                break
            kick = step if leap < n_leapfrog - 1 else 0.5 * step
            for i in range(dim):
                p[i] -= kick * gy[i]
        ey, e0y, uy = e, e0, u
        if status == kc.OK:
            ey, e0y, uy, _, status = _evaluate(model, base, b, g, y, False)
        kinetic1 = 0.0
        for i in range(dim):
            kinetic1 += inv_mass[i] * p[i] * p[i]
        log_alpha = u - uy + 0.5 * (kinetic0 - kinetic1)
    if status == kc.OK and math.isnan(log_alpha):
        status = kc.BAD_ENERGY
    if status != kc.OK:
        return x, gx, False, 0.0, status, e, e0
    alpha = 1.0 if log_alpha >= 0.0 else math.exp(log_alpha)
    accepted = True
    if algorithm != kc.LANGEVIN:
        p_accept = 1.0 if log_alpha >= 0.0 else math.exp(log_alpha)
        accepted = accept_word(sweep, chain, accept_stream, k0, k1) < threshold(p_accept)
    if accepted:
        return list(y), list(gy), True, alpha, kc.OK, ey, e0y
    return x, gx, False, alpha, kc.OK, e, e0


def dual_average(state, alpha, target):
    t = state[kc.ST_DA_COUNT] + 1.0
    state[kc.ST_DA_COUNT] = t
    w = 1.0 / (t + kc.T0)
    state[kc.ST_H_BAR] = (1.0 - w) * state[kc.ST_H_BAR] + w * (target - alpha)
    log_step = state[kc.ST_MU] - math.sqrt(t) / kc.GAMMA * state[kc.ST_H_BAR]
    state[kc.ST_LOG_STEP] = log_step
    eta = t ** (-kc.KAPPA)
    state[kc.ST_LOG_STEP_BAR] = eta * log_step + (1.0 - eta) * state[kc.ST_LOG_STEP_BAR]


def adapt_mass(state, x, inv_mass):
    dim = len(x)
    h = kc.STATE_HEADER
    count = state[kc.ST_TUNE_COUNT] + 1.0
    state[kc.ST_TUNE_COUNT] = count
    n = state[kc.ST_WELFORD_N] + 1.0
    state[kc.ST_WELFORD_N] = n
    for i in range(dim):
        mean = state[h + i]
        delta = x[i] - mean
        mean += delta / n
        state[h + i] = mean
        state[h + dim + i] += delta * (x[i] - mean)
    c = int(count)
    if c % kc.MASS_WINDOW == 0 and ((c // kc.MASS_WINDOW + 1) & (c // kc.MASS_WINDOW)) == 0:
        if n >= 3.0:
            shrink = n / (n + 5.0)
            for i in range(dim):
                inv_mass[i] = shrink * state[h + dim + i] / (n - 1.0) + 1e-3 * 5.0 / (n + 5.0)
        state[kc.ST_WELFORD_N] = 0.0
        for i in range(2 * dim):
            state[h + i] = 0.0
        state[kc.ST_MU] = math.log(10.0) + state[kc.ST_LOG_STEP]
        state[kc.ST_H_BAR] = 0.0
        state[kc.ST_DA_COUNT] = 0.0
        state[kc.ST_LOG_STEP_BAR] = 0.0


def sweeps(model, x, betas, algorithm, step_size, noise_scale, n_leapfrog, inv_mass, tune, adapt_step, adapt_mass_,
           target, state, k0, k1, chain0, sweep0, n_sweeps, record_every, count_divergences=False):
    """Twin of ``continuous_cpu.sweeps`` for a :class:`PythonModel`; updates x, state, inv_mass (numpy) in place.

    Returns (records: dict of (n_rows, n_records) arrays "energy", "acceptance",
    "divergent"; failure (n_rows, 2)).
    """
    n_rows, dim = x.shape
    n_records = n_sweeps // record_every if record_every else 0
    rec = {name: np.zeros((n_rows, n_records)) for name in ("energy", "acceptance", "divergent")}
    failure = np.full((n_rows, 2), [-1, 0], dtype=np.int64)
    for m in range(n_rows):
        chain = chain0 + m
        row = [float(v) for v in x[m]]
        b = float(betas[m])
        e, e0, u, gx, status = _evaluate(model, model, b, 0.0, row, False)
        if status != kc.OK:
            failure[m] = (sweep0, kc.BAD_INITIAL_ENERGY if status == kc.BAD_ENERGY else kc.BAD_INITIAL_GRADIENT)
            continue
        st = state[m]
        for t in range(n_sweeps):
            sweep = sweep0 + t
            step = float(step_size[m])
            if tune and adapt_step:
                step = math.exp(st[kc.ST_LOG_STEP])
            row, gx, accepted, alpha, status, e, e0 = transition(
                algorithm, model, model, b, 0.0, row, gx, e, e0, step, float(noise_scale[m]), n_leapfrog,
                [float(v) for v in inv_mass[m]], sweep, chain, rng.CONT_NOISE, rng.CONT_ACCEPT, k0, k1)
            if status != kc.OK and not (count_divergences or tune):
                failure[m] = (sweep, status)
                break
            if tune:
                if adapt_step:
                    dual_average(st, alpha, target)
                if adapt_mass_:
                    im = [float(v) for v in inv_mass[m]]
                    adapt_mass(st, row, im)
                    inv_mass[m] = im
            if record_every and (t + 1) % record_every == 0:
                c = (t + 1) // record_every - 1
                rec["energy"][m, c] = e
                rec["acceptance"][m, c] = alpha
                rec["divergent"][m, c] = 0.0 if status == kc.OK else 1.0
        x[m] = row
    return rec, failure


def anneal(model, base, x, betas, base_weights, step_scale, algorithm, step_size, n_leapfrog, inv_mass, k0, k1,
           chain0, step0):
    """Twin of ``continuous_cpu.anneal``; updates ``x`` in place, returns (log_w, energy_sum, base_energy_sum, energy)."""
    n_rows = x.shape[0]
    n_steps = len(betas) - 1
    log_w, e_sum, e0_sum, energy = (np.zeros(n_rows) for _ in range(4))
    for m in range(n_rows):
        chain = chain0 + m
        row = [float(v) for v in x[m]]
        for k in range(1, n_steps + 1):
            b, g = float(betas[k]), float(base_weights[k])
            e, e0, u, gx, status = _evaluate(model, base, b, g, row, True)
            log_w[m] += -(b - betas[k - 1]) * e - (g - base_weights[k - 1]) * e0
            e_sum[m] += e
            e0_sum[m] += e0
            energy[m] = e
            if k == n_steps:
                break
            row, gx, *_ = transition(algorithm, model, base, b, g, row, gx, e, e0,
                                     float(step_size[m]) * float(step_scale[k]), 0.0, n_leapfrog,
                                     [float(v) for v in inv_mass[m]], step0 + k, chain, rng.CONT_AIS_NOISE,
                                     rng.CONT_AIS_ACCEPT, k0, k1)
        x[m] = row
    return log_w, e_sum, e0_sum, energy


# ---------------------------------------------------------------------------- phi^4 and GB-RBM


def phi4_sweeps(model, x, betas, step, n_clusters, k0, k1, chain0, sweep0, n_sweeps):
    """Twin of ``phi4_cpu.phi4_sweeps`` (Metropolis sweep + n_clusters Wolff clusters); returns flipped counts."""
    kappa, lam = model.kappa, model.lam
    n = model.dim
    nbr = model.neighbors.tolist()
    z = len(nbr[0])
    sites, offsets = model.coloring()
    flipped = np.zeros(x.shape[0], dtype=np.int64)

    def local(phi, h):
        p2 = phi * phi
        return -2.0 * kappa * phi * h + p2 + lam * (p2 - 1.0) * (p2 - 1.0)

    for m in range(x.shape[0]):
        row = [float(v) for v in x[m]]
        chain = chain0 + m
        beta = float(betas[m])
        for t in range(n_sweeps):
            sweep = sweep0 + t
            for color in range(2):
                for k in range(offsets[color + 1] - offsets[color]):
                    w = [int(v) for v in philox4x32(k // 2, sweep, chain, rng.PHI4_LOCAL + color, k0, k1)]
                    proposal_word, accept = (w[0], w[1]) if k % 2 == 0 else (w[2], w[3])
                    i = int(sites[offsets[color] + k])
                    h = 0.0
                    for c in range(z):
                        if nbr[i][c] < n:
                            h += row[nbr[i][c]]
                    new = row[i] + step * (2.0 * unit(proposal_word) - 1.0)
                    delta = local(new, h) - local(row[i], h)
                    if delta <= 0.0 or accept < threshold(math.exp(-beta * delta)):
                        row[i] = new
            blocks = (z + 3) // 4
            for q in range(n_clusters):
                base = q * (n * blocks + 64)
                limit = (TWO32 // n) * n
                r = 0
                while True:
                    word = int(philox4x32(base + r // 4, sweep, chain, rng.PHI4_CLUSTER + 1, k0, k1)[r % 4])
                    if word < limit:
                        break
                    r += 1
                seed = (word * n) >> 32
                sign = 1.0 if row[seed] > 0.0 else -1.0
                row[seed] = -row[seed]
                queue = [seed]
                head = 0
                while head < len(queue):
                    i = queue[head]
                    words = None
                    for c in range(z):
                        if c % 4 == 0:
                            words = [int(v) for v in philox4x32(base + head * blocks + c // 4, sweep, chain,
                                                                rng.PHI4_CLUSTER, k0, k1)]
                        j = nbr[i][c]
                        if j < n and row[j] * sign > 0.0:
                            p = -math.expm1(-(4.0 * beta * kappa) * abs(row[i]) * abs(row[j]))
                            if words[c % 4] < threshold(p):
                                row[j] = -row[j]
                                queue.append(j)
                    head += 1
                flipped[m] += len(queue)
        x[m] = row
    return flipped


def gb_rbm_gibbs(model, v, k0, k1, chain0, sweep0, n_sweeps):
    """Twin of ``gb_rbm_cpu.gibbs_sweeps`` (in place); returns the hidden layers h_{sweep0 + n_sweeps}."""
    nv, nh = model.n_visible, model.n_hidden
    theta = [float(t) for t in model.params[0]]
    b, s = nv * nh, nv * nh + nv + nh
    hs = np.zeros((v.shape[0], nh), dtype=np.uint8)

    def hidden(row, sweep, chain):
        a = gb_rbm_hidden_input(row, theta, nv, nh)
        out = []
        for j in range(nh):
            word = int(philox4x32(j // 4, sweep, chain, rng.GBRBM_HIDDEN, k0, k1)[j % 4])
            out.append(1 if word < threshold(_sigmoid(a[j])) else 0)
        return out

    for m in range(v.shape[0]):
        chain = chain0 + m
        row = [float(t) for t in v[m]]
        h = hidden(row, sweep0, chain)
        for t in range(1, n_sweeps + 1):
            z = normals(nv, sweep0 + t, chain, rng.GBRBM_VISIBLE, k0, k1)
            for i in range(nv):
                acc = 0.0
                for j in range(nh):
                    if h[j]:
                        acc += theta[i * nh + j]
                sig = theta[s + i]
                row[i] = theta[b + i] + sig * acc + sig * z[i]
            h = hidden(row, sweep0 + t, chain)
        v[m] = row
        hs[m] = h
    return hs
